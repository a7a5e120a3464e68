//! The table of every cell of a scenario, as text, shared by the HTML page and
//! the Markdown summary so both show the same numbers.

use super::format::{bytes, count, maybe_count, percent, ratio, sureness};
use super::metrics::{fastest_at, ranked_at, sizes};
use crate::results::{Cell, CounterColumn, CounterUnit, Counters, Limits, ScenarioResult};
use crate::units::{ExactSize, Nanos, Rate};

/// A table ready to print: headers and rows of text.
#[derive(Debug, Clone)]
pub(crate) struct Table {
    pub headers: Vec<String>,
    pub rows: Vec<Row>,
    /// How many leading columns are text (left-aligned); the rest are numbers.
    pub text_columns: usize,
}

/// One row; `first_of_size` marks where a new file size starts.
#[derive(Debug, Clone)]
pub(crate) struct Row {
    pub cells: Vec<String>,
    pub first_of_size: bool,
}

/// The counter groups in table order: a group name and its counters.
/// The ring's enter calls show only where some cell used a ring, and `by
/// CPU` only where it differs from what the calls moved (O_DIRECT,
/// io_uring).
fn counter_groups(scenario: &ScenarioResult) -> Vec<(&'static str, Vec<CounterColumn>)> {
    let rings = scenario.cells.iter().any(|c| c.counters.ring_requests > 0);
    let copies_differ = scenario
        .cells
        .iter()
        .any(|c| c.counters.copied() != c.counters.bytes_to_user + c.counters.bytes_from_user);
    // The ring's bytes are in "by CPU" (or, with O_DIRECT, in "disk"), so
    // the table leaves them to results.json; its requests are printed
    // under its calls.
    let shown = |column: &CounterColumn| match column.name {
        "bytes_copied" => copies_differ,
        "ring_enters" => rings,
        // The ring's requests (and completions) ride under its enter calls.
        name if name.starts_with("ring_") => false,
        _ => true,
    };
    let mut groups: Vec<(&'static str, Vec<CounterColumn>)> = Vec::new();
    for column in Counters::COLUMNS.iter().filter(|c| shown(c)) {
        match groups.last_mut() {
            Some((name, members)) if *name == column.group => members.push(*column),
            _ => groups.push((column.group, vec![*column])),
        }
    }
    groups
}

/// A group's heading: `calls (read / write / map / all)`.
fn group_header(name: &str, members: &[CounterColumn]) -> String {
    match members {
        [only] if only.part == "all" => return name.to_string(),
        [only] => return format!("{name} {}", only.part),
        _ => {}
    }
    let parts: Vec<&str> = members.iter().map(|c| c.part).collect();
    format!("{name} ({})", parts.join(" / "))
}

/// One counter as text.
fn counter_text(column: &CounterColumn, counters: &Counters) -> String {
    match ((column.get)(counters), column.unit) {
        (value, CounterUnit::Count) => maybe_count(value),
        (Some(value), CounterUnit::Bytes) => bytes(value),
        (None, CounterUnit::Bytes) => "n/a".to_string(),
    }
}

/// What marks a cell whose output did not match the reference.
pub(crate) const UNVERIFIED: &str = "(NOT verified)";

/// A ring cell's requests (and its completions, where they differ), as a
/// parenthesis under its calls; empty for other cells.
fn ring_requests_text(counters: &Counters) -> String {
    let (requests, completions) = (counters.ring_requests, counters.ring_completions);
    match (requests, completions) {
        (0, 0) => String::new(),
        (r, c) if r == c => format!(" ({} ring requests)", count(r)),
        (r, c) => format!(" ({} ring requests, {} completions)", count(r), count(c)),
    }
}

/// The model's explained time and residual, as text.
fn model_text(cell: &Cell) -> String {
    match &cell.model {
        Some(m) => format!(
            "{} / {}{} ({})",
            Nanos(m.explained_ns),
            if m.residual_ns >= 0.0 { "+" } else { "-" },
            Nanos(m.residual_ns.abs()),
            percent(m.explained_ns / cell.median_ns.max(1) as f64)
        ),
        None => "n/a".to_string(),
    }
}

/// Builds the table of every cell, by size, fastest first within a size.
/// Counters are grouped (`calls (read / write / map / all)`) so the table
/// fits a 1280-pixel page.
pub(crate) fn cell_table(scenario: &ScenarioResult, limits: &Limits) -> Table {
    let cold = scenario.cells.iter().any(|c| c.resident_before.is_some());
    // The model column only where the model fits some cell: for cold reads,
    // O_DIRECT and rings it leaves the main cost out (each cell says so).
    let modelled = scenario
        .cells
        .iter()
        .any(|c| c.model.as_ref().is_some_and(|m| m.fits));
    let peers = !scenario.peers.is_empty();
    let groups = counter_groups(scenario);
    let mut headers: Vec<String> = [
        "size",
        "method",
        "median (min - max)",
        "throughput (of its size's limit, vs fastest)",
    ]
    .into_iter()
    .map(String::from)
    .collect();
    if peers {
        headers.push("vs fio".to_string());
    }
    headers.extend(
        groups
            .iter()
            .map(|(name, members)| group_header(name, members)),
    );
    if modelled {
        headers.push("model: explained / residual".to_string());
    }
    if cold {
        headers.push("resident (before / after)".to_string());
    }
    let mut rows = Vec::new();
    for size in sizes(scenario) {
        let fastest = fastest_at(scenario, size);
        for (i, cell) in ranked_at(scenario, size).into_iter().enumerate() {
            let tput = cell.throughput_bytes_per_sec;
            let mut text = vec![
                ExactSize(size).to_string(),
                // Every cell of a finished run was verified (a mismatch
                // stops it); only an older file can hold one that was not.
                {
                    let label = match cell.threads() {
                        1 => cell.label.clone(),
                        n => format!("{} ({n} threads)", cell.label),
                    };
                    if cell.verified {
                        label
                    } else {
                        format!("{label} {UNVERIFIED}")
                    }
                },
                format!(
                    "{} ({} - {}){}",
                    Nanos(cell.median_ns as f64),
                    Nanos(cell.min_ns as f64),
                    Nanos(cell.max_ns as f64),
                    match sureness(cell) {
                        s if s.is_empty() => s,
                        s => format!(" {s}"),
                    }
                ),
                format!(
                    "{} ({}, {})",
                    Rate(tput),
                    {
                        let ceiling = crate::ceiling::of(
                            limits,
                            cell,
                            crate::operation::writes(scenario.operation),
                        );
                        // A limit is one thread's: held against each
                        // thread's share of the total.
                        let per_thread = tput / cell.threads() as f64;
                        format!(
                            "{} of {}",
                            percent(per_thread / ceiling.bytes_per_sec),
                            ceiling.work.name()
                        )
                    },
                    if fastest > 0.0 {
                        ratio(tput / fastest)
                    } else {
                        "n/a".to_string()
                    }
                ),
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
            text.extend(groups.iter().map(|(name, members)| {
                let mut text = members
                    .iter()
                    .map(|c| counter_text(c, &cell.counters))
                    .collect::<Vec<_>>()
                    .join(" / ");
                if *name == "calls" {
                    text.push_str(&ring_requests_text(&cell.counters));
                }
                text
            }));
            if modelled {
                text.push(model_text(cell));
            }
            if cold {
                let fraction = |f: Option<f64>| f.map_or_else(|| "n/a".to_string(), percent);
                text.push(format!(
                    "{} / {}",
                    fraction(cell.resident_before),
                    fraction(cell.resident_after)
                ));
            }
            rows.push(Row {
                cells: text,
                first_of_size: i == 0,
            });
        }
    }
    Table {
        headers,
        rows,
        text_columns: 2,
    }
}
