//! "At a glance": one row per scenario with the fastest method at the
//! smallest and the largest size, where a map overtakes the best
//! read()-style method, and the cost model's term that explains the gap at
//! the largest size. Shown at the top of index.html and summary.md and at
//! the end of `run`.

use super::metrics::{ranked_at, sizes};
use super::narrative::{contrast, crossovers, deciding_term, map_lead};
use super::table::{Row, Table};
use crate::layout::{self, Column};
use crate::model;
use crate::operation;
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
    let lead = map_lead(scenario, &sizes);
    let crossover = match crossovers(scenario).into_iter().find(|c| c.map_overtook) {
        Some(c) => format!("about {}", ApproxSize(c.estimate)),
        None if lead.is_empty() => "n/a (no map or no read())".to_string(),
        None if lead.iter().all(|(_, r)| *r > 0.0) => "ahead at every size".to_string(),
        None => "none".to_string(),
    };
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
    if faster.model.is_none() || slower.model.is_none() {
        return "n/a (no model in this run)".to_string();
    }
    let writes = operation::writes(scenario.operation);
    let left_out = [faster, slower]
        .iter()
        .find_map(|cell| model::unmodelled(cell, scenario.cache, writes));
    if let Some(reason) = left_out {
        return format!("not modelled: {}", reason.left_out());
    }
    match deciding_term(faster, slower) {
        Some((term, ns)) => format!("{} (+{} for {})", term.words(), Nanos(ns), slower.label),
        None => "no term: the model puts them level".to_string(),
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

/// The table as plain text for the end of `run`, folded to fit `width`
/// columns (full width when `None`: a file or a pipe).
pub fn render_text(results: &Results, width: Option<usize>) -> String {
    let table = table(results);
    let columns: Vec<Column> = table.headers.iter().map(|h| Column::left(h)).collect();
    let rows: Vec<Vec<String>> = table.rows.into_iter().map(|r| r.cells).collect();
    format!("\nAt a glance\n{}", layout::table(&columns, &rows, width))
}
