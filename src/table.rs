//! The compact per-scenario table `mmap-lab run` prints on stdout.

use crate::results::ScenarioResult;
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
    let _ = writeln!(
        out,
        "  {:>9}  {:<label_width$}  {:>10}  {:>11}  {:>7}  {:>7}  {:>10}  {:>10}  {:>7}  {:>7}  {:>8}",
        "size",
        "method",
        "median",
        "throughput",
        "reads",
        "writes",
        "to user",
        "from user",
        "minflt",
        "majflt",
        "syscalls"
    );
    for cell in &scenario.cells {
        let counters = &cell.counters;
        let _ = writeln!(
            out,
            "  {:>9}  {:<label_width$}  {:>10}  {:>11}  {:>7}  {:>7}  {:>10}  {:>10}  {:>7}  {:>7}  {:>8}",
            ExactSize(cell.size).to_string(),
            cell.label,
            Nanos(cell.median_ns as f64).to_string(),
            Rate(cell.throughput_bytes_per_sec).to_string(),
            counters.read_calls,
            counters.write_calls,
            ApproxSize(counters.bytes_to_user as f64).to_string(),
            ApproxSize(counters.bytes_from_user as f64).to_string(),
            counters.minor_faults,
            counters.major_faults,
            counters
                .syscalls
                .map_or("n/a".to_string(), |n| n.to_string()),
        );
    }
    out
}
