//! One way of reading, measured on one file by a lesson (verified, timed
//! and counted through [`crate::fixture::Fixture`]), and the small table
//! the lessons show.

use super::Steps;
use crate::layout::{Column, WIDEST_COUNT, WIDEST_SIZE, WIDEST_TIME};
use crate::results::Counters;
use crate::units::{ApproxSize, Nanos};
use std::time::Duration;

/// One way of reading, measured on one file.
#[derive(Debug, Clone)]
pub struct Trial {
    /// How the lesson names the way.
    pub label: String,
    /// Wall time of one whole-file read (median of several rounds).
    pub per_read: Duration,
    /// Each round's time per read, in round order (what the judgement of
    /// [`crate::judge`] compares).
    pub rounds: Vec<Duration>,
    /// Counters of one whole-file read.
    pub counters: Counters,
    /// Where the buffer the kernel copied into started (address modulo the
    /// page size); `None` for the map.
    pub buffer_page_offset: Option<u64>,
}

impl Trial {
    /// This trial's rounds judged against `base`'s.
    pub fn judged_against(&self, base: &Trial) -> crate::judge::Judgement {
        let ns = |t: &Trial| -> Vec<f64> { t.rounds.iter().map(|d| d.as_nanos() as f64).collect() };
        crate::judge::judge(&ns(base), &ns(self))
    }
}

/// The columns of [`show`]'s table, laid out for labels as wide as
/// `widest_label` and the widest numbers they can hold.
pub fn columns(widest_label: &str, syscalls_counted: bool) -> Vec<Column<'_>> {
    let mut columns = vec![
        Column::left("method").holding(widest_label),
        Column::right("time").holding(WIDEST_TIME),
        Column::right("reads").holding(WIDEST_COUNT),
        Column::right("kernel copied").holding(WIDEST_SIZE),
        Column::right("faults").holding(WIDEST_COUNT),
    ];
    if syscalls_counted {
        columns.push(Column::right("syscalls").holding(WIDEST_COUNT));
    }
    columns
}

/// Shows trials as a table: time, read calls, bytes the kernel copied to
/// user space, page faults and (only when they could be counted) system calls.
pub fn show(steps: &mut Steps, trials: &[Trial], syscalls_counted: bool) -> std::io::Result<()> {
    let widest_label = trials
        .iter()
        .map(|t| t.label.as_str())
        .max_by_key(|l| l.len());
    let columns = columns(widest_label.unwrap_or(""), syscalls_counted);
    let rows: Vec<Vec<String>> = trials
        .iter()
        .map(|trial| {
            let c = &trial.counters;
            let mut row = vec![
                trial.label.clone(),
                Nanos(trial.per_read.as_nanos() as f64).to_string(),
                c.read_calls.to_string(),
                ApproxSize(c.bytes_to_user as f64).to_string(),
                (c.minor_faults + c.major_faults).to_string(),
            ];
            if syscalls_counted {
                row.push(c.syscalls.map_or("-".to_string(), |n| n.to_string()));
            }
            row
        })
        .collect();
    steps.table(&columns, &rows)
}
