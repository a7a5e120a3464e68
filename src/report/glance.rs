//! "At a glance": one row per scenario with the fastest method at the
//! smallest and the largest size, where a map overtakes the best
//! read()-style method, and the cost model's term that explains the gap at
//! the largest size. Shown at the top of index.html and summary.md and at
//! the end of `run`.

use super::findings::{Lead, Race, lead_at, race, standings};
use super::metrics::sizes;
use super::narrative::{contrast, deciding_term};
use super::table::{Row, Table};
use crate::judge;
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
    let standings = standings(scenario);
    let race = race(&standings);
    Some(vec![
        scenario.name.clone(),
        fastest(scenario, smallest),
        fastest(scenario, largest),
        overtakes(race.as_ref(), standings.len()),
        gap(scenario, largest),
    ])
}

/// The fastest method at `size`, with those the samples cannot tell from it.
fn fastest(scenario: &ScenarioResult, size: u64) -> String {
    lead_at(scenario, size)
        .map(|lead| lead_text(&lead, size))
        .unwrap_or_default()
}

/// Tied methods the table names before it counts the rest, so a row
/// stays narrow enough for the page.
const TIED_NAMED: usize = 2;

/// Words a [`Lead`] for the table: "mmap (256 MiB)", "mmap, mmap
/// populate (256 MiB, same within noise)", or with more ties "mmap, mmap
/// populate and 2 more (...)"; the paragraph names them all.
fn lead_text(lead: &Lead, size: u64) -> String {
    let mut names = vec![lead.first.label.as_str()];
    names.extend(lead.tied.iter().map(|c| c.label.as_str()));
    match names.len() {
        1 => format!("{} ({})", names[0], ExactSize(size)),
        n if n <= TIED_NAMED => format!(
            "{} ({}, same within noise)",
            names.join(", "),
            ExactSize(size)
        ),
        n => format!(
            "{} and {} more ({}, same within noise)",
            names[..TIED_NAMED].join(", "),
            n - TIED_NAMED,
            ExactSize(size)
        ),
    }
}

/// Where a map overtakes the best read()-style method, in a few words;
/// `sizes_with_both` counts the sizes where a map and a read()-style
/// method both ran (a race needs two).
fn overtakes(race: Option<&Race>, sizes_with_both: usize) -> String {
    match race {
        None if sizes_with_both == 0 => "n/a (no map or no read())".to_string(),
        None => "n/a (one size only)".to_string(),
        Some(Race::Crossed(crossovers)) => match crossovers.iter().find(|c| c.map_overtook) {
            Some(c) => format!("about {}", ApproxSize(c.estimate)),
            None => "none (it fell behind)".to_string(),
        },
        Some(Race::MapAhead { .. }) => "ahead at every size".to_string(),
        Some(Race::MapBehind { .. }) => "none".to_string(),
        Some(Race::Level { map_ahead, .. }) => match map_ahead {
            None => "none: level within noise".to_string(),
            Some(true) => "ahead or level within noise".to_string(),
            Some(false) => "none: behind or level within noise".to_string(),
        },
    }
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
    if judge::cells(faster, slower).is_same() {
        return "none: the two are the same within noise".to_string();
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::findings::Crossover;
    use crate::testing::cell;
    use crate::vocab::MethodName::{Mmap, Positioned, Unbuffered, Whole};

    #[test]
    fn the_fastest_column_lists_who_ties_within_noise() {
        let (a, b) = (
            cell("a", Positioned, 4096, 1000),
            cell("b", Unbuffered, 4096, 1010),
        );
        let lead = Lead {
            first: &a,
            tied: vec![],
            next: Some(&b),
        };
        assert_eq!(lead_text(&lead, 4096), "a (4 KiB)");
        let lead = Lead {
            first: &a,
            tied: vec![&b],
            next: None,
        };
        assert_eq!(lead_text(&lead, 4096), "a, b (4 KiB, same within noise)");
        let (c, d) = (cell("c", Whole, 4096, 1005), cell("d", Mmap, 4096, 1008));
        let lead = Lead {
            first: &a,
            tied: vec![&b, &c, &d],
            next: None,
        };
        assert_eq!(
            lead_text(&lead, 4096),
            "a, b and 2 more (4 KiB, same within noise)"
        );
    }

    #[test]
    fn the_overtake_column_covers_every_race() {
        let crossing = |map_overtook| {
            Race::Crossed(vec![Crossover {
                from: 4096,
                to: 65536,
                estimate: 16384.0,
                map_overtook,
            }])
        };
        assert_eq!(overtakes(None, 0), "n/a (no map or no read())");
        assert_eq!(overtakes(None, 1), "n/a (one size only)");
        assert_eq!(overtakes(Some(&crossing(true)), 2), "about 16.0 KiB");
        assert_eq!(
            overtakes(Some(&crossing(false)), 2),
            "none (it fell behind)"
        );
        assert_eq!(
            overtakes(
                Some(&Race::MapAhead {
                    size: 4096,
                    ratio: 2.0
                }),
                2
            ),
            "ahead at every size"
        );
        assert_eq!(
            overtakes(
                Some(&Race::MapBehind {
                    size: 4096,
                    ratio: 0.5
                }),
                2
            ),
            "none"
        );
        for (map_ahead, text) in [
            (None, "none: level within noise"),
            (Some(true), "ahead or level within noise"),
            (Some(false), "none: behind or level within noise"),
        ] {
            let race = Race::Level {
                level: vec![4096],
                map_ahead,
            };
            assert_eq!(overtakes(Some(&race), 2), text);
        }
    }
}
