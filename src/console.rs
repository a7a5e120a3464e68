//! The compact per-scenario table `mmap-lab run` prints on stdout.

use crate::results::{CounterColumn, CounterUnit, ScenarioResult};
use crate::units::{ApproxSize, ExactSize, Nanos, Rate};
use std::fmt::Write;

/// Renders one scenario's cells as aligned text, one line per cell.
pub fn render(scenario: &ScenarioResult) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "\n{} ({}, {} cache){}",
        scenario.name,
        scenario.operation,
        scenario.cache,
        if scenario.about.is_empty() {
            String::new()
        } else {
            format!(": {}", scenario.about)
        }
    );
    let label_width = scenario
        .cells
        .iter()
        .map(|c| c.label.len())
        .max()
        .unwrap_or(6)
        .max(6);
    let columns = CounterColumn::terminal();
    let _ = write!(
        out,
        "  {:>9}  {:<label_width$}  {:>10}  {:>11}",
        "size", "method", "median", "throughput"
    );
    for (short, column) in &columns {
        let _ = write!(out, "  {:>width$}", short, width = width(short, column));
    }
    out.push('\n');
    for cell in &scenario.cells {
        let _ = write!(
            out,
            "  {:>9}  {:<label_width$}  {:>10}  {:>11}",
            ExactSize(cell.size).to_string(),
            cell.label,
            Nanos(cell.median_ns as f64).to_string(),
            Rate(cell.throughput_bytes_per_sec).to_string(),
        );
        for (short, column) in &columns {
            let value = match ((column.get)(&cell.counters), column.unit) {
                (None, _) => "n/a".to_string(),
                (Some(n), CounterUnit::Count) => n.to_string(),
                (Some(n), CounterUnit::Bytes) => ApproxSize(n as f64).to_string(),
            };
            let _ = write!(out, "  {:>width$}", value, width = width(short, column));
        }
        out.push('\n');
    }
    out
}

/// A counter column's width: room for an approximate size, or for a count
/// of up to seven digits, and never narrower than its header.
fn width(short: &str, column: &CounterColumn) -> usize {
    match column.unit {
        CounterUnit::Bytes => 10,
        CounterUnit::Count => 7,
    }
    .max(short.len())
}
