//! The compact per-scenario table `mmap-lab run` prints on stdout.

use crate::fill::CacheFill;
use crate::layout::{self, Column};
use crate::results::{CounterColumn, CounterUnit, ScenarioResult};
use crate::units::{ApproxSize, ExactSize, Nanos, Rate};

/// Renders one scenario's cells as a table, one row per cell. With a
/// `width` (a terminal's), the title wraps and long headers and method
/// labels fold so every line fits; with none (a file or a pipe), each row
/// stays on one line.
pub fn render(scenario: &ScenarioResult, width: Option<usize>) -> String {
    let mut out = String::from("\n");
    // How the files came into the cache, when not in one write (what every
    // scenario without `cache_fill` does).
    let fill = if scenario.cache_fill != CacheFill::OneWrite {
        format!(", files {}", scenario.cache_fill)
    } else {
        String::new()
    };
    // Several threads share each operation: throughputs are their total.
    let threads = if scenario.threads > 1 {
        format!(", {} threads, throughput their total", scenario.threads)
    } else {
        String::new()
    };
    let title = format!(
        "{} ({}, {} cache{fill}{threads}){}",
        scenario.name,
        scenario.operation,
        scenario.cache,
        if scenario.about.is_empty() {
            String::new()
        } else {
            format!(": {}", scenario.about)
        }
    );
    push_wrapped(&mut out, &title, width, "", "  ");
    let rings = scenario.cells.iter().any(|c| c.counters.ring_requests > 0);
    let counters: Vec<(&str, CounterColumn)> = CounterColumn::terminal()
        .into_iter()
        .filter(|(_, column)| rings || !column.name.starts_with("ring_"))
        .collect();
    let mut columns = vec![
        Column::right("size"),
        Column::left("method"),
        Column::right("median"),
        Column::right("throughput"),
    ];
    columns.extend(counters.iter().map(|(short, _)| Column::right(short)));
    let rows: Vec<Vec<String>> = scenario
        .cells
        .iter()
        .map(|cell| {
            let mut row = vec![
                ExactSize(cell.size).to_string(),
                crate::user_text::for_terminal(&cell.label),
                Nanos(cell.median_ns as f64).to_string(),
                Rate(cell.throughput_bytes_per_sec).to_string(),
            ];
            row.extend(counters.iter().map(|(_, column)| {
                match ((column.get)(&cell.counters), column.unit) {
                    (None, _) => "n/a".to_string(),
                    (Some(n), CounterUnit::Count) => n.to_string(),
                    (Some(n), CounterUnit::Bytes) => ApproxSize(n as f64).to_string(),
                }
            }));
            row
        })
        .collect();
    let table = layout::table(&columns, &rows, width.map(|w| w.saturating_sub(2)));
    for line in table.lines() {
        out.push_str("  ");
        out.push_str(line);
        out.push('\n');
    }
    for skip in &scenario.skipped {
        let line = format!(
            "skipped {} at {}: {}",
            crate::user_text::for_terminal(&skip.label),
            ExactSize(skip.size),
            skip.reason
        );
        push_wrapped(&mut out, &line, width, "  ", "    ");
    }
    out
}

/// Adds `text` to `out` as lines: wrapped to `width` (a terminal's) with
/// `first` before the first line and `rest` before the others, or with no
/// width (a file or a pipe) as one line after `first`.
fn push_wrapped(out: &mut String, text: &str, width: Option<usize>, first: &str, rest: &str) {
    match width {
        Some(width) => {
            for line in layout::wrap(text, width, first, rest) {
                out.push_str(&line);
                out.push('\n');
            }
        }
        None => {
            out.push_str(first);
            out.push_str(text);
            out.push('\n');
        }
    }
}
