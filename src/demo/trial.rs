//! Reading a whole file with one of the library's methods, for the lessons
//! that measure: checked against the reference checksum first, then timed
//! and counted, and shown as a small table.

use crate::checksum::Fold;
use crate::method::IoMethod;
use crate::probe::Probe;
use crate::results::Counters;
use crate::units::{Nanos, Rate};
use anyhow::Context;
use std::path::Path;
use std::time::{Duration, Instant};

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

/// Reads the whole file once; returns its checksum.
pub fn read_checksum(method: &dyn IoMethod, path: &Path) -> anyhow::Result<u64> {
    let mut fold = Fold::new();
    method
        .read_file(path, &mut fold)
        .with_context(|| format!("cannot read {}", path.display()))?;
    Ok(fold.finish())
}

/// Fails unless `method` reads bytes whose checksum is `expected`.
pub fn verify(
    label: &str,
    method: &dyn IoMethod,
    path: &Path,
    expected: u64,
) -> anyhow::Result<()> {
    let got = read_checksum(method, path)?;
    anyhow::ensure!(
        got == expected,
        "{label} read {} wrongly: checksum {got:#018x}, expected {expected:#018x}",
        path.display()
    );
    Ok(())
}

/// Counters and wall time of one whole-file read.
pub fn counted_read(
    probe: &mut Probe,
    method: &dyn IoMethod,
    path: &Path,
) -> anyhow::Result<(Duration, Counters)> {
    let (outcome, elapsed, counters) = probe.measure(|| read_checksum(method, path))?;
    outcome?;
    Ok((elapsed, counters))
}

/// Wall time of `reads` back-to-back whole-file reads, divided by `reads`.
pub fn time_per_read(method: &dyn IoMethod, path: &Path, reads: u32) -> anyhow::Result<Duration> {
    let start = Instant::now();
    for _ in 0..reads {
        std::hint::black_box(read_checksum(method, path)?);
    }
    Ok(start.elapsed() / reads.max(1))
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
