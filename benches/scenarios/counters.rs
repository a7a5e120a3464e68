//! The counters line printed under each benchmark's timing. Counters cannot be
//! a criterion measurement (criterion drops a benchmark whose samples are all
//! zero, and an mmap read makes zero read calls), so one extra, untimed
//! operation is counted with the library's probe and printed here.

use mmap_lab::results::{CounterColumn, CounterUnit, Counters};
use mmap_lab::units::ApproxSize;

/// One operation's counters, indented to sit under criterion's `time:` line:
/// the columns `mmap-lab run` prints, by their short names.
pub fn describe(counters: &Counters, resident: Option<f64>) -> String {
    let shown: Vec<String> = CounterColumn::terminal()
        .into_iter()
        // The ring's counters only for a cell that used a ring.
        .filter(|(_, column)| !column.name.starts_with("ring_") || counters.ring_requests > 0)
        .filter_map(|(short, column)| {
            let value = (column.get)(counters)?;
            Some(match column.unit {
                CounterUnit::Count => format!("{short} {value}"),
                CounterUnit::Bytes => format!("{short} {}", ApproxSize(value as f64)),
            })
        })
        .collect();
    let mut line = format!("{:24}counters: {}", "", shown.join(", "));
    if let Some(fraction) = resident {
        line.push_str(&format!(", {:.0}% resident before", fraction * 100.0));
    }
    line
}
