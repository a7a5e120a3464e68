//! Made-up cells and scenarios for unit tests of findings, sentences and
//! ceilings.

use crate::results::{Cell, Counters, ScenarioResult};
use crate::vocab::{Cache, MethodName, OperationKind};

/// A verified cell of `size` whose ten samples spread ±2% around
/// `median_ns`.
pub fn cell(label: &str, method: MethodName, size: u64, median_ns: u64) -> Cell {
    let samples_ns: Vec<u64> = (0..10)
        .map(|i| median_ns * (98 + (i * 7) % 5) / 100)
        .collect();
    let median = crate::stats::median(&samples_ns).unwrap();
    Cell {
        method,
        params: serde_json::json!({}),
        facts: crate::method::MethodKind::default_for(method).facts(),
        label: label.to_string(),
        size,
        bytes: size,
        median_ns: median,
        min_ns: *samples_ns.iter().min().unwrap(),
        max_ns: *samples_ns.iter().max().unwrap(),
        throughput_bytes_per_sec: size as f64 / median as f64 * 1e9,
        samples_ns,
        counted_samples_ns: Vec::new(),
        operations_per_sample: 1,
        verified: true,
        counters: Counters::default(),
        buffer_page_offset: None,
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

/// A warm sequential-read scenario of `cells`.
pub fn scenario(cells: Vec<Cell>) -> ScenarioResult {
    ScenarioResult {
        name: "made-up".to_string(),
        about: String::new(),
        operation: OperationKind::SequentialRead,
        cache: Cache::Warm,
        cache_fill: crate::fill::CacheFill::OneWrite,
        operation_params: serde_json::json!({}),
        threads: 1,
        file: "made-up.json".to_string(),
        cells,
        peers: Vec::new(),
        skipped: Vec::new(),
    }
}

/// A map and a read at each `(size, map ns, read ns)`.
pub fn race(points: &[(u64, u64, u64)]) -> ScenarioResult {
    scenario(
        points
            .iter()
            .flat_map(|&(size, map, read)| {
                [
                    cell("mmap", MethodName::Mmap, size, map),
                    cell("positioned", MethodName::Positioned, size, read),
                ]
            })
            .collect(),
    )
}

/// A sequential-read cell of `size` that copied `copied` bytes (0: a map).
pub fn cell_of(size: u64, copied: u64) -> Cell {
    let method = if copied == 0 {
        MethodName::Mmap
    } else {
        MethodName::Positioned
    };
    let mut c = cell("x", method, size, 1000);
    c.counters.bytes_copied = Some(copied);
    c
}
