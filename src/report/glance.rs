//! "At a glance": one row per scenario with the fastest method at the
//! smallest and the largest size, where a map overtakes the best
//! read()-style method, and the cost model's term that explains the gap at
//! the largest size. Shown at the top of index.html and summary.md and at
//! the end of `run`.

use super::metrics::{ranked_at, sizes};
use super::narrative::{contrast, crossovers, deciding_term};
use super::table::{Row, Table};
use crate::results::{Results, ScenarioResult};
use crate::units::{ApproxSize, ExactSize, Nanos};

/// The column headings.
const HEADERS: [&str; 5] = [
    "scenario",
    "fastest, smallest size",
    "fastest, largest size",
    "map overtakes read()",
    "what explains the gap (largest size)",
];

/// One row per scenario, as text.
fn row(scenario: &ScenarioResult) -> Option<Vec<String>> {
    let sizes = sizes(scenario);
    let (smallest, largest) = (*sizes.first()?, *sizes.last()?);
    let fastest = |size: u64| {
        ranked_at(scenario, size)
            .first()
            .map(|c| format!("{} ({})", c.label, ExactSize(size)))
            .unwrap_or_default()
    };
    let crossover = crossovers(scenario)
        .into_iter()
        .find(|c| c.map_overtook)
        .map_or_else(
            || "none".to_string(),
            |c| format!("about {}", ApproxSize(c.estimate)),
        );
    Some(vec![
        scenario.name.clone(),
        fastest(smallest),
        fastest(largest),
        crossover,
        gap(scenario, largest),
    ])
}

/// The term that separates the best map from the best call-based method
/// at `size` (or the fastest from the runner-up when only one kind ran).
fn gap(scenario: &ScenarioResult, size: u64) -> String {
    let Some((faster, slower)) = contrast(scenario, size) else {
        return "n/a".to_string();
    };
    match deciding_term(faster, slower) {
        Some((term, ns)) => format!(
            "{} (+{} for {})",
            term.replace('_', " "),
            Nanos(ns),
            slower.label
        ),
        None => "n/a (no model)".to_string(),
    }
}

/// The table for the report and summary.md.
pub(crate) fn table(results: &Results) -> Table {
    Table {
        headers: HEADERS.iter().map(|h| h.to_string()).collect(),
        rows: results
            .scenarios
            .iter()
            .filter_map(row)
            .map(|cells| Row {
                cells,
                first_of_size: false,
            })
            .collect(),
        text_columns: HEADERS.len(),
    }
}

/// The table as aligned plain text, for the end of `run`.
pub fn render_text(results: &Results) -> String {
    let table = table(results);
    let widths: Vec<usize> = (0..HEADERS.len())
        .map(|i| {
            table
                .rows
                .iter()
                .map(|r| r.cells[i].chars().count())
                .chain([table.headers[i].chars().count()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let line = |cells: &[String]| {
        let padded: Vec<String> = cells
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect();
        format!("  {}\n", padded.join("  ").trim_end())
    };
    let mut out = String::from("\nAt a glance\n");
    out.push_str(&line(&table.headers));
    for row in &table.rows {
        out.push_str(&line(&row.cells));
    }
    out
}
