//! Numbers derived from the raw cells: copies per payload byte, faults per MiB,
//! bytes mapped per fault, the "other" system calls, and who was fastest.

use crate::results::{Cell, ScenarioResult};

/// Bytes in one MiB, as a float for rates.
pub(crate) const MIB: f64 = 1_048_576.0;

/// Bytes the CPU copied between kernel and user space in one operation,
/// both directions (none for O_DIRECT, whose bytes the device moves).
pub(crate) fn copied(cell: &Cell) -> u64 {
    cell.counters.copied()
}

/// Bytes copied per byte of payload.
pub(crate) fn copies_per_byte(cell: &Cell) -> f64 {
    per_payload_byte(copied(cell), cell)
}

/// `amount` divided by the cell's payload bytes (zero payload gives zero).
pub(crate) fn per_payload_byte(amount: u64, cell: &Cell) -> f64 {
    if cell.bytes == 0 {
        0.0
    } else {
        amount as f64 / cell.bytes as f64
    }
}

/// `count` per MiB of payload.
pub(crate) fn per_mib(count: u64, cell: &Cell) -> f64 {
    per_payload_byte(count, cell) * MIB
}

/// System calls that are neither read-, write- nor map-family, when all are known.
pub(crate) fn other_calls(cell: &Cell) -> Option<u64> {
    let c = &cell.counters;
    let total = c.syscalls?;
    let map = c.map_calls?;
    Some(total.saturating_sub(c.read_calls + c.write_calls + map))
}

/// File bytes mapped per minor fault, for mmap cells that touched whole
/// files and took faults: payload ÷ faults (all files for many_files). When
/// only part of a file is touched, that ratio would overstate what one fault
/// mapped, so there is none.
pub(crate) fn bytes_per_fault(cell: &Cell) -> Option<f64> {
    (is_map(cell) && cell.counters.minor_faults > 0 && cell.bytes >= cell.size)
        .then(|| cell.bytes as f64 / cell.counters.minor_faults as f64)
}

/// True for cells measured through a memory map.
pub(crate) fn is_map(cell: &Cell) -> bool {
    cell.method.is_map()
}

/// The distinct file sizes of a scenario, smallest first.
pub(crate) fn sizes(scenario: &ScenarioResult) -> Vec<u64> {
    let mut sizes: Vec<u64> = scenario.cells.iter().map(|c| c.size).collect();
    sizes.sort_unstable();
    sizes.dedup();
    sizes
}

/// The method labels of a scenario, in the order they first appear.
pub(crate) fn labels(scenario: &ScenarioResult) -> Vec<&str> {
    let mut labels: Vec<&str> = Vec::new();
    for cell in &scenario.cells {
        if !labels.contains(&cell.label.as_str()) {
            labels.push(&cell.label);
        }
    }
    labels
}

/// The cells measured at one size, fastest first.
pub(crate) fn ranked_at(scenario: &ScenarioResult, size: u64) -> Vec<&Cell> {
    let mut cells: Vec<&Cell> = scenario.cells.iter().filter(|c| c.size == size).collect();
    cells.sort_by(|a, b| {
        b.throughput_bytes_per_sec
            .total_cmp(&a.throughput_bytes_per_sec)
    });
    cells
}

/// Throughput of the fastest cell at `size`.
pub(crate) fn fastest_at(scenario: &ScenarioResult, size: u64) -> f64 {
    ranked_at(scenario, size)
        .first()
        .map_or(0.0, |c| c.throughput_bytes_per_sec)
}
