//! The cost model: where a cell's time goes. Each term is a count the cell
//! measured (system calls, bytes copied, faults, bytes consumed, map calls,
//! files opened) times a unit cost measured in the same run
//! ([`CostBook`]); the terms add up to `explained_ns`, and what they miss is
//! the signed `residual_ns`. No term is fitted to a cell.

mod costs;

pub use costs::{CostBook, MAX_CALLS_PER_MEASUREMENT};

use crate::fill::CacheFill;
use crate::method::{CallSize, ConsumeFrom};
use crate::operation;
use crate::results::{Cell, CellModel, ScenarioResult};
use crate::scenario::Scenario;
use crate::vocab::{Cache, CostTerm, OperationKind, Unmodelled};
use std::collections::BTreeMap;

/// Largest chunk size copy costs are measured for; larger calls cost per
/// byte what 1 MiB calls do.
const MAX_COPY_CHUNK: u64 = 1 << 20;

/// What one scenario's operation is, as the model needs it.
#[derive(Debug, Clone, Copy)]
pub struct OperationFacts {
    /// Which operation.
    pub kind: OperationKind,
    /// Cache state before each operation.
    pub cache: Cache,
    /// Files each operation opens.
    pub files: u64,
    /// Bytes each read call can bring at most for this operation (a record,
    /// a range), when smaller than the file.
    pub unit: Option<u64>,
    /// How the files came into the page cache (what one fault maps).
    pub fill: CacheFill,
}

impl OperationFacts {
    /// The facts of `scenario`'s operation.
    pub fn of(scenario: &Scenario) -> OperationFacts {
        OperationFacts {
            kind: scenario.operation.kind(),
            cache: scenario.cache,
            files: scenario.operation.input_files().max(1),
            unit: scenario.operation.request_limit(),
            fill: scenario.cache_fill,
        }
    }
}

/// Measures the copy costs `result`'s cells need, then gives every cell
/// its model.
pub fn attach(
    book: &mut CostBook,
    scenario: &Scenario,
    result: &mut ScenarioResult,
) -> std::io::Result<()> {
    explain_all(book, &OperationFacts::of(scenario), &mut result.cells)
}

/// Measures the unit costs `cells` need that the book lacks (copies for
/// their chunk sizes and buffer placements, faults for their file sizes),
/// then gives every cell its model.
pub fn explain_all(
    book: &mut CostBook,
    facts: &OperationFacts,
    cells: &mut [Cell],
) -> std::io::Result<()> {
    for cell in cells.iter() {
        if let Some((chunk, offset)) = copy_key(cell, facts) {
            book.ensure_copy(chunk, offset, source_bytes(cell, facts), facts.fill)?;
        }
        // Faults and consuming in place cost per file size, not per chunk.
        if cell.facts.consumes_from != ConsumeFrom::Chunk {
            book.ensure_file(cell.size, facts.fill)?;
        }
    }
    for cell in cells.iter_mut() {
        cell.model = Some(explain(book, facts, cell));
    }
    Ok(())
}

/// The bytes an operation reads again and again: all its files together.
fn source_bytes(cell: &Cell, operation: &OperationFacts) -> u64 {
    cell.size * operation.files
}

/// The chunk size and buffer placement whose copy cost `cell` needs, if it
/// copied anything from the kernel.
pub fn copy_key(cell: &Cell, operation: &OperationFacts) -> Option<(u64, u64)> {
    let c = &cell.counters;
    if c.copied() == 0 {
        return None;
    }
    // read()-style calls ask for at most a record or a range; BufReader
    // fills its whole buffer and fs::read takes the whole file.
    let chunk = match cell.facts.calls {
        CallSize::Chunk(chunk) => chunk.min(operation.unit.unwrap_or(u64::MAX)),
        CallSize::Fill(capacity) => capacity,
        CallSize::Whole | CallSize::NoCalls => cell.size,
    };
    let chunk = chunk.min(cell.size).clamp(1, MAX_COPY_CHUNK);
    Some((chunk, cell.buffer_page_offset.unwrap_or(0)))
}

/// Why the model leaves `cell` out, if it does: its method's reason
/// (O_DIRECT, io_uring), else several threads, a cold cache or a write.
pub fn unmodelled(cell: &Cell, cache: Cache, writes: bool) -> Option<Unmodelled> {
    if cell.facts.unmodelled.is_some() {
        cell.facts.unmodelled
    } else if cell.threads() > 1 {
        Some(Unmodelled::Threads)
    } else if cache == Cache::Cold {
        Some(Unmodelled::Disk)
    } else if writes {
        Some(Unmodelled::Write)
    } else {
        None
    }
}

/// Explains one cell's median with the book's unit costs. Copy costs for
/// [`copy_key`] must have been measured first ([`CostBook::ensure_copy`]).
pub fn explain(book: &CostBook, operation: &OperationFacts, cell: &Cell) -> CellModel {
    let c = &cell.counters;
    let source = book.source_for(source_bytes(cell, operation));
    let size = book.source_for(cell.size);
    let cost = |name: &str, source: Option<u64>| book.get(name, None, source).unwrap_or(0.0);
    let mut terms = BTreeMap::new();
    let mut counts = BTreeMap::new();
    let mut notes = Vec::new();
    let mut add = |term: CostTerm, count: f64, unit_cost: f64| {
        counts.insert(term, count);
        terms.insert(term, count * unit_cost);
    };

    add(
        CostTerm::Syscalls,
        (c.read_calls + c.write_calls) as f64,
        cost("read_call", None),
    );
    let copied = c.copied();
    let copy_cost = copy_key(cell, operation)
        .and_then(|(chunk, offset)| book.copy(chunk, offset, source, operation.fill))
        .unwrap_or(0.0);
    add(CostTerm::Copies, copied as f64, copy_cost);
    let copied_twice = cell.facts.copies_twice && !operation::writes(operation.kind);
    add(
        CostTerm::UserCopies,
        if copied_twice { cell.bytes as f64 } else { 0.0 },
        cost("user_copy", None),
    );
    let mapped = cell.facts.consumes_from == ConsumeFrom::Map;
    let fault_cost = if mapped {
        book.file_cost("file_fault", size, operation.fill)
            .unwrap_or(0.0)
    } else {
        cost("anon_fault", None)
    };
    add(CostTerm::Faults, c.minor_faults as f64, fault_cost);
    let consumed = if operation::writes(operation.kind) {
        0
    } else {
        cell.bytes
    };
    // A read()-style method folds the chunk it has just copied, in the
    // caches; fs::read's vector is folded where it lies (a heap buffer of
    // the file's size); a map is folded in the page cache's own pages.
    let consume_cost = match cell.facts.consumes_from {
        ConsumeFrom::Map => book
            .file_cost("consume_map", size, operation.fill)
            .unwrap_or(0.0),
        ConsumeFrom::WholeBuffer => cost("consume", Some(size)),
        ConsumeFrom::Chunk => cost("consume", Some(costs::CHUNK_SOURCE)),
    };
    add(CostTerm::Consume, consumed as f64, consume_cost);
    match c.map_calls {
        Some(calls) => add(CostTerm::Map, calls as f64, cost("map_call", None)),
        None => {
            add(CostTerm::Map, 0.0, 0.0);
            if mapped {
                notes.push("map calls could not be counted here, so the map term is 0");
            }
        }
    }
    add(
        CostTerm::OpenClose,
        operation.files as f64,
        cost("open_close", None),
    );
    // Other calls (lseek, statx...): all calls less the ones above and an
    // open and a close per file; only where every call could be counted.
    let other = match (c.syscalls, c.map_calls) {
        (Some(all), Some(map)) => {
            all.saturating_sub(c.read_calls + c.write_calls + map + 2 * operation.files)
        }
        _ => 0,
    };
    add(CostTerm::OtherCalls, other as f64, cost("other_call", None));

    let explained_ns: f64 = terms.values().sum();
    let unmodelled = unmodelled(cell, operation.cache, operation::writes(operation.kind));
    if let Some(reason) = unmodelled {
        notes.push(reason.note());
    }
    CellModel {
        terms_ns: terms,
        explained_ns,
        residual_ns: cell.median_ns as f64 - explained_ns,
        counts,
        fits: unmodelled.is_none(),
        note: (!notes.is_empty()).then(|| notes.join("; ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::{Counters, UnitCost};
    use crate::vocab::MethodName;

    fn cost(name: &str, source_bytes: Option<u64>, value: f64) -> UnitCost {
        UnitCost {
            name: name.to_string(),
            chunk: None,
            buffer_page_offset: None,
            source_bytes,
            cache_fill: None,
            value,
            unit: "ns".to_string(),
            how: "given".to_string(),
        }
    }

    fn book() -> CostBook {
        let mut costs = vec![
            cost("read_call", None, 300.0),
            cost("other_call", None, 100.0),
            cost("open_close", None, 2000.0),
            cost("consume", Some(costs::CHUNK_SOURCE), 0.01),
            cost("consume", Some(16 << 20), 0.04),
            cost("user_copy", None, 0.02),
            cost("map_call", None, 1000.0),
            cost("anon_fault", None, 1500.0),
        ];
        costs.push(UnitCost {
            chunk: Some(65536),
            buffer_page_offset: Some(16),
            ..cost("copy", Some(16 << 20), 0.1)
        });
        for (name, value) in [("file_fault", 5000.0), ("consume_map", 0.03)] {
            costs.push(UnitCost {
                cache_fill: Some(CacheFill::OneWrite),
                ..cost(name, Some(16 << 20), value)
            });
        }
        CostBook::from_costs(costs)
    }

    fn cell(method: MethodName, params: serde_json::Value, counters: Counters) -> Cell {
        let facts = crate::method::MethodKind::from_options(method, params.clone())
            .expect("valid options")
            .facts();
        Cell {
            method,
            params,
            facts,
            label: "x".to_string(),
            size: 16 << 20,
            bytes: 16 << 20,
            samples_ns: vec![2_000_000],
            operations_per_sample: 1,
            counted_samples_ns: vec![],
            median_ns: 2_000_000,
            min_ns: 2_000_000,
            max_ns: 2_000_000,
            throughput_bytes_per_sec: 1.0,
            verified: true,
            counters,
            buffer_page_offset: Some(16),
            resident_before: None,
            resident_after: None,
            layout_before: None,
            layout_after: None,
            counters_note: None,
            model: None,
            spread: None,
            split: None,
        }
    }

    const READ: OperationFacts = OperationFacts {
        kind: OperationKind::SequentialRead,
        cache: Cache::Warm,
        files: 1,
        unit: None,
        fill: CacheFill::OneWrite,
    };

    #[test]
    fn each_term_is_a_count_times_a_unit_cost_and_they_add_up() {
        let counters = Counters {
            read_calls: 257,
            syscalls: Some(262),
            map_calls: Some(0),
            bytes_to_user: 16 << 20,
            ..Counters::default()
        };
        let c = cell(
            MethodName::Positioned,
            serde_json::json!({"chunk": 65536, "buffer_offset": 16}),
            counters,
        );
        let model = explain(&book(), &READ, &c);
        let bytes = (16u64 << 20) as f64;
        assert_eq!(model.terms_ns[&CostTerm::Syscalls], 257.0 * 300.0);
        assert_eq!(model.terms_ns[&CostTerm::Copies], bytes * 0.1);
        // A read()-style method folds the chunk it just copied: in cache.
        assert_eq!(model.terms_ns[&CostTerm::Consume], bytes * 0.01);
        assert_eq!(model.terms_ns[&CostTerm::OpenClose], 2000.0);
        // 262 calls less 257 reads, an open and a close: 3 others.
        assert_eq!(model.terms_ns[&CostTerm::OtherCalls], 300.0);
        assert_eq!(model.counts[&CostTerm::OtherCalls], 3.0);
        let sum: f64 = model.terms_ns.values().sum();
        assert_eq!(model.explained_ns, sum);
        assert_eq!(model.residual_ns, 2_000_000.0 - sum);
        assert!(model.fits && model.note.is_none());
    }

    #[test]
    fn a_map_pays_faults_and_consumes_the_page_cache_in_place() {
        let counters = Counters {
            minor_faults: 10,
            map_calls: Some(2),
            syscalls: Some(5),
            ..Counters::default()
        };
        let c = cell(
            MethodName::Mmap,
            serde_json::json!({"populate": false}),
            counters,
        );
        let model = explain(&book(), &READ, &c);
        assert_eq!(model.terms_ns[&CostTerm::Faults], 10.0 * 5000.0);
        assert_eq!(model.terms_ns[&CostTerm::Map], 2.0 * 1000.0);
        // The fold over a map of a file of this size, not over a heap buffer.
        assert_eq!(
            model.terms_ns[&CostTerm::Consume],
            (16u64 << 20) as f64 * 0.03
        );
        assert_eq!(model.terms_ns[&CostTerm::Copies], 0.0);
    }

    #[test]
    fn cold_cells_and_writes_say_the_model_does_not_fit() {
        let c = cell(
            MethodName::Whole,
            serde_json::json!({}),
            Counters::default(),
        );
        let cold = OperationFacts {
            cache: Cache::Cold,
            ..READ
        };
        let model = explain(&book(), &cold, &c);
        assert!(!model.fits && model.note.as_deref().unwrap().contains("disk"));
        let write = OperationFacts {
            kind: OperationKind::SequentialWrite,
            ..READ
        };
        let model = explain(&book(), &write, &c);
        assert!(!model.fits && model.terms_ns[&CostTerm::Consume] == 0.0);
    }

    #[test]
    fn copy_keys_follow_what_each_method_asks_per_call() {
        let counters = Counters {
            bytes_to_user: 4096,
            read_calls: 1,
            ..Counters::default()
        };
        let records = OperationFacts {
            kind: OperationKind::RandomRead,
            unit: Some(4096),
            ..READ
        };
        let positioned = cell(
            MethodName::Positioned,
            serde_json::json!({"chunk": 65536}),
            counters,
        );
        assert_eq!(copy_key(&positioned, &records), Some((4096, 16)));
        let buffered = cell(
            MethodName::Buffered,
            serde_json::json!({"capacity": 8192}),
            counters,
        );
        assert_eq!(copy_key(&buffered, &records), Some((8192, 16)));
        let whole = cell(MethodName::Whole, serde_json::json!({}), counters);
        assert_eq!(copy_key(&whole, &records), Some((MAX_COPY_CHUNK, 16)));
        let map = cell(MethodName::Mmap, serde_json::json!({}), Counters::default());
        assert_eq!(copy_key(&map, &records), None);
    }
}
