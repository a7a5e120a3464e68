//! Where a lesson's time went: the run's cost model applied to a lesson's
//! trials. Unit costs are measured here, on this thread with no counter
//! open, and each trial's counters are multiplied by them, as `mmap-lab run`
//! does for every cell (docs/methodology.md, "Where the time goes").

use super::Steps;
use super::trial::Trial;
use crate::fill::CacheFill;
use crate::layout::{Column, WIDEST_SIGNED_TIME};
use crate::method::MethodKind;
use crate::model::{self, CostBook, OperationFacts};
use crate::results::Cell;
use crate::units::Nanos;
use crate::vocab::{Cache, CostTerm, OperationKind};
use crate::words::and_list;
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

/// A result cell for one trial, as the model reads it: its rounds are
/// its samples.
fn cell(trial: &Trial, kind: &MethodKind, size: u64) -> Cell {
    let samples_ns = trial.rounds.iter().map(|t| t.as_nanos() as u64).collect();
    Cell {
        counters: trial.counters,
        buffer_page_offset: trial.buffer_page_offset,
        ..Cell::measured(kind, trial.label.clone(), size, size, samples_ns, 1)
    }
}

/// The rows of the breakdown: the model's terms grouped as the table
/// shows them, by name.
const ROWS: [(&str, &[CostTerm]); 5] = [
    ("calls", &[CostTerm::Syscalls, CostTerm::OtherCalls]),
    ("copies", &[CostTerm::Copies]),
    ("faults", &[CostTerm::Faults]),
    ("checksum", &[CostTerm::Consume]),
    (
        "other",
        &[CostTerm::UserCopies, CostTerm::Map, CostTerm::OpenClose],
    ),
];

/// The map and the fastest read()-style way, faster first, if both ran.
fn contestants(cells: &[Cell]) -> Option<(&Cell, &Cell)> {
    let map = cells.iter().find(|c| c.method.is_map())?;
    let call = cells
        .iter()
        .filter(|c| !c.method.is_map())
        .min_by_key(|c| c.median_ns)?;
    Some(if map.median_ns <= call.median_ns {
        (map, call)
    } else {
        (call, map)
    })
}

/// The breakdown's columns: the row's name, the slower way, the faster
/// way and their difference, laid out for the widest times.
fn columns<'a>(slower: &'a str, faster: &'a str) -> [Column<'a>; 4] {
    [
        Column::left("").holding("measured"),
        Column::right(slower).holding(WIDEST_SIGNED_TIME),
        Column::right(faster).holding(WIDEST_SIGNED_TIME),
        Column::right("difference").holding(WIDEST_SIGNED_TIME),
    ]
}

/// Shows the model's split of the map's and the best read's times side by
/// side, then says what it makes of their gap.
pub fn show(steps: &mut Steps, cells: &[Cell]) -> std::io::Result<()> {
    let Some((faster, slower)) = contestants(cells) else {
        return Ok(());
    };
    let (Some(fast), Some(slow)) = (faster.model.as_ref(), slower.model.as_ref()) else {
        return Ok(());
    };
    let group = |m: &crate::results::CellModel, terms: &[CostTerm]| -> f64 {
        terms.iter().filter_map(|t| m.terms_ns.get(t)).sum()
    };
    let line = |name: &str, s: f64, f: f64, sign: bool| {
        let shown = |ns: f64| {
            if sign {
                signed(ns)
            } else {
                Nanos(ns).to_string()
            }
        };
        vec![name.to_string(), shown(s), shown(f), signed(s - f)]
    };
    let mut rows = vec![line(
        "measured",
        slower.median_ns as f64,
        faster.median_ns as f64,
        false,
    )];
    for (name, terms) in ROWS {
        rows.push(line(name, group(slow, terms), group(fast, terms), false));
    }
    rows.push(line("residual", slow.residual_ns, fast.residual_ns, true));
    steps.table(&columns(&slower.label, &faster.label), &rows)?;
    if let Some(gap) = model_gap(cells) {
        steps.say(&gap_sentence(&gap))?;
    }
    Ok(())
}

/// "+1.2 ms" or "-300 ns".
fn signed(ns: f64) -> String {
    format!("{}{}", if ns < 0.0 { "-" } else { "+" }, Nanos(ns.abs()))
}

/// What the model says about the gap between the map and the fastest
/// read()-style way: the typed facts [`gap_sentence`] words.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelGap {
    /// The faster of the two, by median.
    pub faster: String,
    /// The slower of the two.
    pub slower: String,
    /// The measured gap of their medians, in nanoseconds.
    pub measured_ns: f64,
    /// True when the project's judgement calls them the same within noise.
    pub same: bool,
    /// Each term's cost for the slower less the faster's, largest first
    /// (negative: the faster paid more there); zero differences left out.
    pub terms: Vec<(CostTerm, f64)>,
    /// The residuals (measured less the terms) of the slower and the faster.
    pub residuals_ns: (f64, f64),
}

/// The map against the fastest read()-style way, by the model, if both
/// were measured and modelled.
pub fn model_gap(cells: &[Cell]) -> Option<ModelGap> {
    let (faster, slower) = contestants(cells)?;
    let (fast_model, slow_model) = (faster.model.as_ref()?, slower.model.as_ref()?);
    let mut terms: Vec<(CostTerm, f64)> = fast_model
        .terms_ns
        .keys()
        .chain(slow_model.terms_ns.keys())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .map(|&term| {
            let of = |m: &crate::results::CellModel| m.terms_ns.get(&term).copied().unwrap_or(0.0);
            (term, of(slow_model) - of(fast_model))
        })
        .filter(|(_, gap)| gap.abs() >= 1.0)
        .collect();
    terms.sort_by(|a, b| b.1.abs().total_cmp(&a.1.abs()));
    Some(ModelGap {
        faster: faster.label.clone(),
        slower: slower.label.clone(),
        measured_ns: slower.median_ns as f64 - faster.median_ns as f64,
        same: crate::judge::cells(faster, slower).is_same(),
        terms,
        residuals_ns: (slow_model.residual_ns, fast_model.residual_ns),
    })
}

/// The gap in words: what was measured, the largest differences of the
/// model's terms each way, and how much the model leaves unexplained.
pub fn gap_sentence(gap: &ModelGap) -> String {
    let (slower, faster) = (&gap.slower, &gap.faster);
    let lead = if gap.same {
        format!(
            "{slower} and {faster} took the same time within noise ({} apart).",
            Nanos(gap.measured_ns)
        )
    } else {
        format!(
            "Measured, {slower} took {} more than {faster}.",
            Nanos(gap.measured_ns)
        )
    };
    let parts: Vec<String> = gap
        .terms
        .iter()
        .take(3)
        .map(|&(term, diff)| {
            let who = if diff > 0.0 { slower } else { faster };
            let name = match term {
                CostTerm::Consume => "the checksum".to_string(),
                other => other.words(),
            };
            format!("{who} {} more in {name}", Nanos(diff.abs()))
        })
        .collect();
    format!(
        "{lead} The model (each term a count above times a cost timed just \
         now) has {}. It leaves {} of {slower}'s time and {} of {faster}'s \
         unexplained (the residual): where that is large, the model misses \
         a cost, so read the terms as a rough split, not a measurement. \
         \"other\" is opening, mapping and BufReader's own copy; \"checksum\" \
         is the checksum reading every byte.",
        and_list(&parts),
        signed(gap.residuals_ns.0),
        signed(gap.residuals_ns.1),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gap(same: bool) -> ModelGap {
        ModelGap {
            faster: "mmap".to_string(),
            slower: "read() 1 MiB".to_string(),
            measured_ns: 940_000.0,
            same,
            terms: vec![
                (CostTerm::Copies, 1_910_000.0),
                (CostTerm::Consume, -992_000.0),
            ],
            residuals_ns: (3_370_000.0, -120_000.0),
        }
    }

    #[test]
    fn the_breakdown_fits_80_columns_for_any_times() {
        // The longest labels the why lesson gives, and every value the
        // widest a time can print: the table (indented 5) still fits.
        let columns = columns("BufReader 8 KiB", "read() 64 KiB");
        assert!(crate::layout::widest_line(&columns) + 5 <= 80);
    }

    #[test]
    fn the_gap_sentence_says_the_measured_gap_and_each_terms_side() {
        let said = gap_sentence(&gap(false));
        assert!(
            said.starts_with("Measured, read() 1 MiB took 940.0 µs more than mmap."),
            "{said}"
        );
        assert!(
            said.contains(
                "read() 1 MiB 1.91 ms more in copies and mmap 992.0 µs more in the checksum"
            ),
            "{said}"
        );
        assert!(
            said.contains("It leaves +3.37 ms of read() 1 MiB's time and -120.0 µs of mmap's"),
            "{said}"
        );
        let said = gap_sentence(&gap(true));
        assert!(
            said.starts_with("read() 1 MiB and mmap took the same time within noise"),
            "{said}"
        );
    }
}
