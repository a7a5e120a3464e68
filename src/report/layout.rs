//! How the scenario's files sat in the page cache, in words and in a
//! table: the folio sizes just before timing (warm) or left by each method
//! (cold operations, writes), and, across scenarios that differ only in
//! how their files came into the cache, where that changes the ranking.

use super::format::percent;
use super::metrics::{is_map, ranked_at, sizes};
use super::table::{Row, Table};
use crate::folio::CacheLayout;
use crate::judge::Outcome;
use crate::results::{Cell, Results, ScenarioResult};
use crate::units::ExactSize;

/// Folio sizes and their share of the bytes, largest share first:
/// `2 MiB 100%`, or `4 KiB 60%, 16 KiB 40%`; the reason when they could
/// not be read.
pub(crate) fn histogram(layout: &CacheLayout) -> String {
    let Some(bytes) = &layout.folio_bytes else {
        return layout
            .unreadable
            .clone()
            .unwrap_or_else(|| "not read".to_string());
    };
    let all: u64 = bytes.values().sum();
    if all == 0 {
        return "nothing resident".to_string();
    }
    let mut shares: Vec<(u64, u64)> = bytes.iter().map(|(&s, &n)| (s, n)).collect();
    shares.sort_by(|a, b| b.1.cmp(&a.1).then(b.0.cmp(&a.0)));
    shares
        .iter()
        .map(|&(size, n)| format!("{} {}", ExactSize(size), percent(n as f64 / all as f64)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A map's faults per MiB from the probe, or "-".
pub(crate) fn faults_text(layout: &CacheLayout) -> String {
    layout
        .faults_per_mib
        .map_or_else(|| "-".to_string(), |f| format!("{f:.1}"))
}

/// The layout sentence of a scenario: how its files came into the cache
/// and how they sat before timing at the largest size (warm), or what
/// each method left (cold operations and writes). `None` for files that
/// recorded no layout.
pub(crate) fn sentence(scenario: &ScenarioResult) -> Option<String> {
    let largest = *sizes(scenario).last()?;
    let at = |c: &&Cell| c.size == largest;
    if let Some(before) = scenario
        .cells
        .iter()
        .filter(at)
        .find_map(|c| c.layout_before.as_ref())
    {
        return Some(format!(
            "Every method read files {}; just before timing at {} their bytes sat in folios of {}{}.",
            scenario.cache_fill,
            ExactSize(largest),
            histogram(before),
            before.faults_per_mib.map_or(String::new(), |f| format!(
                " (a fresh map took {f:.1} faults per MiB)"
            ))
        ));
    }
    let left: Vec<String> = scenario
        .cells
        .iter()
        .filter(at)
        .filter_map(|c| {
            Some(format!(
                "{} left {}",
                c.label,
                histogram(c.layout_after.as_ref()?)
            ))
        })
        .collect();
    (!left.is_empty()).then(|| {
        format!(
            "Each operation made its own page-cache layout; after its last one at {}: {}.",
            ExactSize(largest),
            left.join("; ")
        )
    })
}

/// The layout table: per size, the folios before timing (warm) or after
/// each method (cold operations, writes); `None` when nothing was recorded.
pub(crate) fn table(scenario: &ScenarioResult) -> Option<Table> {
    let mut rows = Vec::new();
    for size in sizes(scenario) {
        let cells: Vec<&Cell> = scenario.cells.iter().filter(|c| c.size == size).collect();
        let mut first = true;
        let mut push = |who: String, when: &str, layout: &CacheLayout| {
            rows.push(Row {
                cells: vec![
                    ExactSize(size).to_string(),
                    who,
                    when.to_string(),
                    histogram(layout),
                    faults_text(layout),
                ],
                first_of_size: std::mem::take(&mut first),
            });
        };
        if let Some(before) = cells.iter().find_map(|c| c.layout_before.as_ref()) {
            push("every method".to_string(), "before timing", before);
        }
        for cell in &cells {
            if let Some(after) = &cell.layout_after {
                push(cell.label.clone(), "after its operations", after);
            }
        }
    }
    (!rows.is_empty()).then(|| Table {
        headers: [
            "size",
            "files read by",
            "when",
            "bytes in folios of",
            "map faults per MiB",
        ]
        .iter()
        .map(|h| h.to_string())
        .collect(),
        rows,
        text_columns: 4,
    })
}

/// The distinct labels of a scenario's cells, sorted.
fn labels(scenario: &ScenarioResult) -> Vec<&str> {
    let mut labels: Vec<&str> = scenario.cells.iter().map(|c| c.label.as_str()).collect();
    labels.sort_unstable();
    labels.dedup();
    labels
}

/// Whether a map or a read()-style method was fastest at `size`: `Some(true)`
/// for a map, `Some(false)` for a call-based method, `None` when there is
/// not one of each, or the judgement calls the best of each the same
/// within noise.
fn map_won(scenario: &ScenarioResult, size: u64) -> Option<bool> {
    let ranked = ranked_at(scenario, size);
    let map = ranked.iter().find(|c| is_map(c))?;
    let call = ranked.iter().find(|c| !is_map(c))?;
    match crate::judge::cells(call, map).outcome {
        Outcome::Faster => Some(true),
        Outcome::Slower => Some(false),
        Outcome::Same => None,
    }
}

/// "a map" or "a read()-style method".
fn kind(map: bool) -> &'static str {
    if map {
        "a map"
    } else {
        "a read()-style method"
    }
}

/// Where another scenario that differs from this one only in how its
/// files came into the cache has the other kind of method (map or
/// read()-style) fastest, both beyond the noise, at a size both measured:
/// the sentence naming the layouts, or `None`.
pub(crate) fn ranking_changes(results: &Results, scenario: &ScenarioResult) -> Option<String> {
    let changes: Vec<String> = results
        .scenarios
        .iter()
        .filter(|other| {
            other.name != scenario.name
                && other.cache_fill != scenario.cache_fill
                && other.operation == scenario.operation
                && other.cache == scenario.cache
                && other.operation_params == scenario.operation_params
                && labels(other) == labels(scenario)
        })
        .filter_map(|other| {
            let mut flipped: Vec<(u64, bool)> = Vec::new();
            for size in sizes(scenario) {
                if let (Some(here), Some(there)) = (map_won(scenario, size), map_won(other, size))
                    && here != there
                {
                    flipped.push((size, there));
                }
            }
            let &(_, there) = flipped.first()?;
            let at: Vec<String> = flipped
                .iter()
                .map(|(s, _)| ExactSize(*s).to_string())
                .collect();
            Some(format!(
                "with files {} ({}), {} was fastest at {}, where {} was here",
                other.cache_fill,
                other.name,
                kind(there),
                at.join(" and "),
                kind(!there)
            ))
        })
        .collect();
    (!changes.is_empty()).then(|| {
        format!(
            "How the files came into the page cache changes the ranking: here they were {}; {}.",
            scenario.cache_fill,
            changes.join("; ")
        )
    })
}
