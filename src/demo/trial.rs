//! One way of reading, measured on one file by a lesson (verified, timed
//! and counted through [`crate::fixture::Fixture`]), and the small table
//! the lessons show.

use crate::results::Counters;
use crate::units::{Nanos, Rate};
use std::time::Duration;

/// One way of reading, measured on one file.
#[derive(Debug, Clone)]
pub struct Trial {
    /// How the lesson names the way.
    pub label: String,
    /// Wall time of one whole-file read (median of several rounds).
    pub per_read: Duration,
    /// Counters of one whole-file read.
    pub counters: Counters,
}

/// A table of trials on a file of `size` bytes: time, rate and counters.
/// The system call column appears only when calls could be counted.
pub fn table(trials: &[Trial], size: u64, syscalls_counted: bool) -> String {
    let width = trials
        .iter()
        .map(|t| t.label.len())
        .max()
        .unwrap_or(0)
        .max(6);
    let mut text = format!(
        "{:<width$}  {:>9}  {:>10}  {:>10}  {:>12}  {:>11}",
        "method", "time", "rate", "read calls", "bytes copied", "page faults"
    );
    if syscalls_counted {
        text.push_str(&format!("  {:>12}", "system calls"));
    }
    text.push('\n');
    for trial in trials {
        let c = &trial.counters;
        let rate = size as f64 / trial.per_read.as_secs_f64().max(1e-12);
        text.push_str(&format!(
            "{:<width$}  {:>9}  {:>10}  {:>10}  {:>12}  {:>11}",
            trial.label,
            Nanos(trial.per_read.as_nanos() as f64).to_string(),
            Rate(rate).to_string(),
            c.read_calls,
            c.bytes_to_user,
            c.minor_faults + c.major_faults,
        ));
        if syscalls_counted {
            let calls = c.syscalls.map_or("-".to_string(), |n| n.to_string());
            text.push_str(&format!("  {calls:>12}"));
        }
        text.push('\n');
    }
    text
}
