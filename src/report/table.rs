//! The table of every cell of a scenario, as text, shared by the HTML page and
//! the Markdown summary so both show the same numbers.

use super::format::{bytes, maybe_count, percent, ratio};
use super::metrics::{fastest_at, ranked_at, sizes};
use crate::results::{CounterUnit, Counters, Limits, ScenarioResult};
use crate::units::{ExactSize, Nanos, Rate};

/// A table ready to print: headers and rows of text.
#[derive(Debug, Clone)]
pub(crate) struct Table {
    pub headers: Vec<String>,
    pub rows: Vec<Row>,
}

/// One row; `first_of_size` marks where a new file size starts.
#[derive(Debug, Clone)]
pub(crate) struct Row {
    pub cells: Vec<String>,
    pub first_of_size: bool,
}

/// Number of leading columns that are text (size, method); the rest are numbers.
pub(crate) const TEXT_COLUMNS: usize = 2;

/// Builds the table of every cell, by size, fastest first within a size.
pub(crate) fn cell_table(scenario: &ScenarioResult, limits: &Limits) -> Table {
    let cold = scenario.cells.iter().any(|c| c.resident_before.is_some());
    let peers = !scenario.peers.is_empty();
    let mut headers = vec![
        "size",
        "method",
        "median",
        "min",
        "max",
        "throughput",
        "of memcpy",
        "vs fastest",
        "verified",
    ];
    if peers {
        headers.push("vs fio");
    }
    headers.extend(Counters::COLUMNS.iter().map(|c| c.header));
    if cold {
        headers.push("resident before");
    }
    let headers = headers.into_iter().map(String::from).collect();
    let mut rows = Vec::new();
    for size in sizes(scenario) {
        let fastest = fastest_at(scenario, size);
        for (i, cell) in ranked_at(scenario, size).into_iter().enumerate() {
            let tput = cell.throughput_bytes_per_sec;
            let mut text = vec![
                ExactSize(size).to_string(),
                cell.label.clone(),
                Nanos(cell.median_ns as f64).to_string(),
                Nanos(cell.min_ns as f64).to_string(),
                Nanos(cell.max_ns as f64).to_string(),
                Rate(tput).to_string(),
                percent(tput / limits.memcpy_bytes_per_sec),
                if fastest > 0.0 {
                    ratio(tput / fastest)
                } else {
                    "n/a".to_string()
                },
                if cell.verified { "yes" } else { "NO" }.to_string(),
            ];
            if peers {
                // mmap-lab's throughput over fio's on the same file; "–" where fio has no equivalent.
                text.push(
                    scenario
                        .peers
                        .iter()
                        .find(|p| p.label == cell.label && p.size == cell.size)
                        .map_or_else(|| "–".to_string(), |p| ratio(p.ratio)),
                );
            }
            text.extend(Counters::COLUMNS.iter().map(|column| {
                match ((column.get)(&cell.counters), column.unit) {
                    (value, CounterUnit::Count) => maybe_count(value),
                    (Some(value), CounterUnit::Bytes) => bytes(value),
                    (None, CounterUnit::Bytes) => "n/a".to_string(),
                }
            }));
            if cold {
                text.push(
                    cell.resident_before
                        .map_or_else(|| "n/a".to_string(), percent),
                );
            }
            rows.push(Row {
                cells: text,
                first_of_size: i == 0,
            });
        }
    }
    Table { headers, rows }
}
