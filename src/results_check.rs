//! Loading a results file someone may have edited by hand: bounded in
//! size, its `format_version` one this code reads, its figures finite and
//! positive where they must be, its cells unique. Every refusal names the
//! file and the field.

use crate::results::{FORMAT_VERSION, Results};
use std::collections::HashSet;
use std::path::Path;

/// The oldest `format_version` this code reads.
pub const OLDEST_FORMAT_VERSION: u64 = 1;

/// Reads and checks a results file.
pub fn load(path: &Path) -> anyhow::Result<Results> {
    let file = path.display();
    let text =
        crate::bounded_read::read_text(path, crate::bounded_read::MAX_RESULTS_FILE, "results")
            .map_err(|e| anyhow::anyhow!("cannot read {file}: {e}"))?;
    let value: serde_json::Value = serde_json::from_str(&text)
        .map_err(|e| anyhow::anyhow!("{file} is not a valid mmap-lab results file: {e}"))?;
    check_version(&value)
        .map_err(|why| anyhow::anyhow!("{file}: field `format_version`: {why}"))?;
    let mut value = value;
    crate::results::record_missing_facts(&mut value)
        .map_err(|e| anyhow::anyhow!("{file}: field {e:#}"))?;
    let results: Results = serde_path_to_error::deserialize(value).map_err(|e| {
        anyhow::anyhow!(
            "{file} is not a valid mmap-lab results file: field `{}`: {}",
            e.path(),
            e.inner()
        )
    })?;
    check(&results).map_err(|(field, why)| anyhow::anyhow!("{file}: field `{field}`: {why}"))?;
    Ok(results)
}

fn check_version(value: &serde_json::Value) -> Result<(), String> {
    let readable = OLDEST_FORMAT_VERSION..=u64::from(FORMAT_VERSION);
    match value.get("format_version") {
        None => Err("missing: this is not a results file written by mmap-lab run".to_string()),
        Some(v) => match v.as_u64() {
            Some(version) if readable.contains(&version) => Ok(()),
            found => Err(format!(
                "version {v} is not one this mmap-lab reads ({}..={}){}",
                readable.start(),
                readable.end(),
                if found.is_some_and(|n| n > *readable.end()) {
                    "; it was written by a newer mmap-lab"
                } else {
                    "; no mmap-lab writes it"
                }
            )),
        },
    }
}

/// Fastest rate a results file may claim (1 PB/s): far beyond any memory
/// bus, so anything above it was typed, not measured.
pub const MAX_PLAUSIBLE_RATE: f64 = 1e15;

/// Largest count or byte figure a results file may hold for one
/// operation (2^53, exact as a float): sums of a cell's counters then stay
/// far inside u64.
pub const MAX_PLAUSIBLE_COUNT: u64 = 1 << 53;

/// A rate in bytes per second: finite, above zero, at most [`MAX_PLAUSIBLE_RATE`].
fn rate(field: impl Fn() -> String, value: f64) -> Result<(), (String, String)> {
    positive(&field, value)?;
    if value > MAX_PLAUSIBLE_RATE {
        return Err((
            field(),
            format!(
                "{value} bytes per second is beyond any machine ({MAX_PLAUSIBLE_RATE} at most)"
            ),
        ));
    }
    Ok(())
}

/// A figure that must be a finite number above zero.
fn positive(field: impl Fn() -> String, value: f64) -> Result<(), (String, String)> {
    if value.is_finite() && value > 0.0 {
        Ok(())
    } else {
        Err((
            field(),
            format!("must be a finite number above 0, not {value}"),
        ))
    }
}

/// The checks serde cannot make: finite positive figures, unique scenarios
/// and cells.
pub fn check(results: &Results) -> Result<(), (String, String)> {
    rate(
        || "limits.memcpy_bytes_per_sec".into(),
        results.limits.memcpy_bytes_per_sec,
    )?;
    rate(
        || "limits.scan_bytes_per_sec".into(),
        results.limits.scan_bytes_per_sec,
    )?;
    for (i, cost) in results.unit_costs.iter().enumerate() {
        if !(cost.value.is_finite() && cost.value >= 0.0) {
            return Err((
                format!("unit_costs[{i}].value"),
                format!("must be a finite number, 0 or more, not {}", cost.value),
            ));
        }
    }
    let mut names = HashSet::new();
    for (s, scenario) in results.scenarios.iter().enumerate() {
        if !names.insert(&scenario.name) {
            return Err((
                format!("scenarios[{s}].name"),
                format!(
                    "{:?} appears twice; scenario names are unique",
                    scenario.name
                ),
            ));
        }
        let mut cells = HashSet::new();
        for (c, cell) in scenario.cells.iter().enumerate() {
            let at = |field: &str| format!("scenarios[{s}].cells[{c}].{field}");
            if !cells.insert((&cell.label, cell.size)) {
                return Err((
                    at("label"),
                    format!(
                        "{:?} at {} bytes appears twice; each cell (label, size) is unique",
                        cell.label, cell.size
                    ),
                ));
            }
            rate(
                || at("throughput_bytes_per_sec"),
                cell.throughput_bytes_per_sec,
            )?;
            counts(cell).map_err(|(name, value)| {
                (
                    at(&name),
                    format!("{value} is beyond any one operation ({MAX_PLAUSIBLE_COUNT} at most)"),
                )
            })?;
            if cell.median_ns == 0 {
                return Err((at("median_ns"), "must be above 0".to_string()));
            }
            let implied = cell.bytes as f64 / cell.median_ns as f64 * 1e9;
            if (cell.throughput_bytes_per_sec - implied).abs() > implied * 1e-6 {
                return Err((
                    at("throughput_bytes_per_sec"),
                    format!(
                        "{} is not bytes / median_ns ({implied}); the file was edited",
                        cell.throughput_bytes_per_sec
                    ),
                ));
            }
        }
        for (p, peer) in scenario.peers.iter().enumerate() {
            let at = |field: &str| format!("scenarios[{s}].peers[{p}].{field}");
            rate(
                || at("throughput_bytes_per_sec"),
                peer.throughput_bytes_per_sec,
            )?;
            positive(|| at("ratio"), peer.ratio)?;
        }
    }
    Ok(())
}

/// The first of a cell's size, bytes and counters above
/// [`MAX_PLAUSIBLE_COUNT`], as its field (`counters.read_calls`) and value.
fn counts(cell: &crate::results::Cell) -> Result<(), (String, u64)> {
    let figures = [
        ("size".to_string(), Some(cell.size)),
        ("bytes".to_string(), Some(cell.bytes)),
    ];
    let counters = crate::results::Counters::COLUMNS
        .iter()
        .map(|c| (format!("counters.{}", c.name), (c.get)(&cell.counters)));
    for (name, value) in figures.into_iter().chain(counters) {
        if let Some(value) = value.filter(|&v| v > MAX_PLAUSIBLE_COUNT) {
            return Err((name, value));
        }
    }
    Ok(())
}
