//! Where a lesson's time went: the run's cost model applied to a lesson's
//! trials. Unit costs are measured here, on this thread with no counter
//! open, and each trial's counters are multiplied by them, as `mmap-lab run`
//! does for every cell (docs/methodology.md, "Where the time goes").

use super::Steps;
use super::trial::Trial;
use crate::fill::CacheFill;
use crate::layout::Column;
use crate::method::MethodKind;
use crate::model::{self, CostBook, OperationFacts};
use crate::report::deciding_term;
use crate::results::Cell;
use crate::units::Nanos;
use crate::vocab::{Cache, CostTerm, OperationKind};
use std::path::Path;

/// The model's explanation of each trial, in the trials' order.
pub fn explain(
    trials: &[Trial],
    methods: &[(String, MethodKind)],
    size: u64,
    dir: &Path,
) -> anyhow::Result<Vec<Cell>> {
    let facts = OperationFacts {
        kind: OperationKind::SequentialRead,
        cache: Cache::Warm,
        files: 1,
        unit: None,
        fill: CacheFill::OneWrite,
    };
    // The full 64 MiB scratch file, larger than the last-level cache, so
    // "beyond the caches" means memory; tests with small files use less.
    let mut book = CostBook::new(dir, size < 64 << 20, crate::machine::caches().l3)?;
    let mut cells: Vec<Cell> = trials
        .iter()
        .zip(methods)
        .map(|(trial, (_, kind))| cell(trial, kind, size))
        .collect();
    model::explain_all(&mut book, &facts, &mut cells)?;
    Ok(cells)
}

/// A result cell for one trial, as the model reads it.
fn cell(trial: &Trial, kind: &MethodKind, size: u64) -> Cell {
    let median_ns = trial.per_read.as_nanos() as u64;
    Cell {
        method: kind.name(),
        params: kind.params_json(),
        facts: kind.facts(),
        label: trial.label.clone(),
        size,
        bytes: size,
        samples_ns: vec![median_ns],
        operations_per_sample: 1,
        counted_samples_ns: Vec::new(),
        median_ns,
        min_ns: median_ns,
        max_ns: median_ns,
        throughput_bytes_per_sec: size as f64 / median_ns.max(1) as f64 * 1e9,
        verified: true,
        counters: trial.counters,
        buffer_page_offset: trial.buffer_page_offset,
        resident_before: None,
        resident_after: None,
        layout_before: None,
        layout_after: None,
        counters_note: kind.io().counters_note().map(str::to_string),
        model: None,
        spread: None,
        split: None,
    }
}

/// Shows the breakdown as a table, then names the term that separates the
/// map from the best read()-style way.
pub fn show(steps: &mut Steps, cells: &[Cell]) -> std::io::Result<()> {
    let columns = [
        Column::left("method"),
        Column::right("measured"),
        Column::right("calls"),
        Column::right("copies"),
        Column::right("faults"),
        Column::right("consume"),
        Column::right("other"),
        Column::right("residual"),
    ];
    let term = |c: &Cell, name: CostTerm| {
        c.model
            .as_ref()
            .and_then(|m| m.terms_ns.get(&name).copied())
            .unwrap_or(0.0)
    };
    let rows: Vec<Vec<String>> = cells
        .iter()
        .map(|c| {
            let model = c.model.as_ref();
            let calls = term(c, CostTerm::Syscalls) + term(c, CostTerm::OtherCalls);
            let rest = term(c, CostTerm::UserCopies)
                + term(c, CostTerm::Map)
                + term(c, CostTerm::OpenClose);
            vec![
                c.label.clone(),
                Nanos(c.median_ns as f64).to_string(),
                Nanos(calls).to_string(),
                Nanos(term(c, CostTerm::Copies)).to_string(),
                Nanos(term(c, CostTerm::Faults)).to_string(),
                Nanos(term(c, CostTerm::Consume)).to_string(),
                Nanos(rest).to_string(),
                model.map_or("n/a".to_string(), |m| signed(m.residual_ns)),
            ]
        })
        .collect();
    steps.table(&columns, &rows)?;
    if let Some(sentence) = deciding_sentence(cells) {
        steps.say(&sentence)?;
    }
    Ok(())
}

/// "+1.2 ms" or "-300 ns".
fn signed(ns: f64) -> String {
    format!("{}{}", if ns < 0.0 { "-" } else { "+" }, Nanos(ns.abs()))
}

/// The sentence naming the model's term with the largest difference
/// between the map and the fastest read()-style way, chosen from the data.
pub fn deciding_sentence(cells: &[Cell]) -> Option<String> {
    let map = cells.iter().find(|c| c.method.is_map())?;
    let call = cells
        .iter()
        .filter(|c| !c.method.is_map())
        .min_by_key(|c| c.median_ns)?;
    let (faster, slower) = if map.median_ns <= call.median_ns {
        (map, call)
    } else {
        (call, map)
    };
    let (name, gap) = deciding_term(faster, slower)?;
    Some(format!(
        "The model puts the gap between {} and {} mostly in {} ({}): {} more for {}. \
         Each term is a count times a cost measured just now; \"other\" is \
         opening, mapping and BufReader's own copy; the residual is the \
         measured time less the terms.",
        faster.label,
        slower.label,
        name.words(),
        name.meaning(),
        Nanos(gap),
        slower.label
    ))
}
