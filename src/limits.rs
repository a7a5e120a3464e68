//! Upper bounds on every size, count and list of a scenario, checked by
//! field at `check` time so that no scenario reaches an allocation failure
//! or a run that would last for hours (see docs/scenario-format.md,
//! "Bounds").
//!
//! Memory: a run holds each input file's bytes in memory as the reference,
//! plus one more file-sized buffer (the data a write writes, the vector
//! `whole` reads into, a private copy), so `(input files + 1) × size` must
//! fit in [`memory_budget`], half of the machine's memory. Time: one timed
//! operation may make at most [`MAX_CALLS_PER_OPERATION`] calls.

use crate::scenario::Scenario;
use crate::units::{ApproxSize, ExactSize};

/// Most entries in `sizes`, `bench_sizes` and `methods`.
pub const MAX_LIST: usize = 64;
/// Largest `chunk`, `capacity` or `piece` (1 GiB), whatever the memory.
pub const MAX_BUFFER: u64 = 1 << 30;
/// Largest file size (1 TiB), whatever the memory.
pub const MAX_SIZE: u64 = 1 << 40;
/// Most read, write or buffer calls one operation may make (payload ÷
/// chunk, or one per record): about 3 s at the ~200 ns a call costs, so
/// that a cell of ten samples stays under a minute.
pub const MAX_CALLS_PER_OPERATION: u64 = 1 << 24;
/// Most calls a whole scenario may make over all its cells' operations
/// (timed, counted and the verification): about 15 minutes at ~200 ns a call.
pub const MAX_CALLS_PER_SCENARIO: u64 = 1 << 32;
/// Most payload bytes a whole scenario may move over all its cells'
/// operations: 4 TiB, several minutes even at memory speed.
pub const MAX_BYTES_PER_SCENARIO: u64 = 4 << 40;
/// Operations each cell runs besides its timed samples: the verification
/// and the counted ones (see [`crate::runner::COUNTED_SAMPLES`]).
const EXTRA_OPERATIONS: u64 = 1 + crate::runner::COUNTED_SAMPLES as u64;
/// The budget assumed when /proc/meminfo cannot be read.
const FALLBACK_BUDGET: u64 = 4 << 30;

/// Bytes a run may hold in memory for one size: half of MemTotal.
pub fn memory_budget() -> u64 {
    match crate::machine::memory_bytes() {
        0 => FALLBACK_BUDGET,
        total => total / 2,
    }
}

/// Bytes one size of `scenario` holds in memory while it runs: its input
/// files as the reference, and one more file-sized buffer.
pub fn memory_held(scenario: &Scenario, size: u64) -> u64 {
    size.saturating_mul(scenario.operation.input_files() + 1)
}

/// Refuses, before one size is generated, when the memory it holds is more
/// than the machine has available now (MemAvailable): `check` bounds it by
/// MemTotal, but other programs may hold the rest, and an allocation
/// failure aborts the process instead of failing the run with a reason.
pub fn ensure_memory_available(scenario: &Scenario, size: u64) -> std::io::Result<()> {
    let needed = memory_held(scenario, size);
    let Some(available) = mem_available() else {
        return Ok(());
    };
    if needed > available {
        return Err(std::io::Error::new(
            std::io::ErrorKind::OutOfMemory,
            format!(
                "this size holds {} in memory and only {} is available now (MemAvailable); close other programs or use smaller sizes",
                ApproxSize(needed as f64),
                ApproxSize(available as f64)
            ),
        ));
    }
    Ok(())
}

/// MemAvailable from /proc/meminfo, in bytes.
fn mem_available() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = text.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

/// Checks `scenario` against every bound (and that no size is listed
/// twice, which would make two cells of one label and size); on refusal
/// returns the field's path and why.
pub fn check(scenario: &Scenario) -> Result<(), (String, String)> {
    check_with_budget(scenario, memory_budget())
}

/// [`check`] with a given memory budget (for tests).
pub fn check_with_budget(scenario: &Scenario, budget: u64) -> Result<(), (String, String)> {
    let lists = [
        ("sizes", scenario.sizes.len()),
        ("bench_sizes", scenario.bench_sizes.len()),
        ("methods", scenario.methods.len()),
    ];
    for (field, len) in lists {
        if len > MAX_LIST {
            return Err((
                field.to_string(),
                format!("lists {len} entries; at most {MAX_LIST} are allowed"),
            ));
        }
    }
    for (field, list) in [
        ("sizes", &scenario.sizes),
        ("bench_sizes", &scenario.bench_sizes),
    ] {
        for (index, size) in list.iter().enumerate() {
            if let Some(first) = list[..index].iter().position(|s| s == size) {
                return Err((
                    format!("{field}[{index}]"),
                    format!(
                        "{} is already {field}[{first}]; each size once (twice would measure the same cells twice)",
                        ExactSize(*size)
                    ),
                ));
            }
        }
    }
    for (index, spec) in scenario.methods.iter().enumerate() {
        for option in spec.kind.io().sized_options() {
            let most = MAX_BUFFER.min(budget);
            if option.bytes > most {
                return Err((
                    format!("methods[{index}].{}", option.field),
                    format!(
                        "{} is larger than the {} allowed (at most 1 GiB, and half of this machine's memory)",
                        ExactSize(option.bytes),
                        ApproxSize(most as f64)
                    ),
                ));
            }
        }
    }
    let all_sizes = scenario
        .sizes
        .iter()
        .enumerate()
        .map(|(i, &s)| ("sizes", i, s))
        .chain(
            scenario
                .bench_sizes
                .iter()
                .enumerate()
                .map(|(i, &s)| ("bench_sizes", i, s)),
        );
    for (list, index, size) in all_sizes {
        check_size(scenario, size, budget).map_err(|(field, why)| {
            let field = field.unwrap_or_else(|| format!("{list}[{index}]"));
            (
                field,
                format!("{why} ({list}[{index}] is {})", ExactSize(size)),
            )
        })?;
    }
    check_length(scenario)
}

/// The whole scenario's calls and bytes, over every size and method, at
/// its sample count: refused at `samples`, the knob that scales them all.
fn check_length(scenario: &Scenario) -> Result<(), (String, String)> {
    let operations = u64::from(scenario.samples) + EXTRA_OPERATIONS;
    let mut calls: u64 = 0;
    let mut bytes: u64 = 0;
    for &size in &scenario.sizes {
        for spec in &scenario.methods {
            let per = spec
                .kind
                .io()
                .sized_options()
                .iter()
                .filter(|option| option.per_call)
                .map(|option| calls_per_operation(scenario, size, option.bytes))
                .max()
                .unwrap_or(0);
            calls = calls.saturating_add(per.saturating_mul(operations));
            bytes = bytes.saturating_add(
                scenario
                    .operation
                    .payload_bytes(size)
                    .saturating_mul(operations),
            );
        }
    }
    if calls > MAX_CALLS_PER_SCENARIO || bytes > MAX_BYTES_PER_SCENARIO {
        return Err((
            "samples".to_string(),
            format!(
                "{} samples of every cell would make {calls} calls and move {} in all, more than the {MAX_CALLS_PER_SCENARIO} calls or {} a scenario may (hours of running); use fewer samples, sizes or methods",
                scenario.samples,
                ApproxSize(bytes as f64),
                ExactSize(MAX_BYTES_PER_SCENARIO)
            ),
        ));
    }
    Ok(())
}

/// The calls one operation makes when each moves at most `chunk` bytes:
/// payload ÷ chunk, per request for operations that bound their requests
/// (a record, a range).
fn calls_per_operation(scenario: &Scenario, size: u64, chunk: u64) -> u64 {
    let op = &scenario.operation;
    let payload = op.payload_bytes(size);
    let chunk = chunk.max(1);
    match op.request_limit() {
        Some(request) if request > 0 => (payload / request).saturating_mul(request.div_ceil(chunk)),
        _ => payload.div_ceil(chunk),
    }
}

/// One size against the memory budget and the call bound.
fn check_size(scenario: &Scenario, size: u64, budget: u64) -> Result<(), (Option<String>, String)> {
    if size > MAX_SIZE {
        return Err((
            None,
            format!("larger than the {} allowed", ExactSize(MAX_SIZE)),
        ));
    }
    let op = &scenario.operation;
    let files = op.input_files();
    let held = memory_held(scenario, size);
    if held > budget {
        return Err((
            None,
            format!(
                "the run would hold {} in memory ({} file(s) of this size as the reference, and one more), more than the {} allowed (half of this machine's memory)",
                ExactSize(held),
                files,
                ApproxSize(budget as f64)
            ),
        ));
    }
    for (index, spec) in scenario.methods.iter().enumerate() {
        for option in spec.kind.io().sized_options() {
            if !option.per_call {
                continue;
            }
            let calls = calls_per_operation(scenario, size, option.bytes);
            if calls > MAX_CALLS_PER_OPERATION {
                return Err((
                    Some(format!("methods[{index}].{}", option.field)),
                    format!(
                        "{} per call makes {calls} calls per operation, more than the {MAX_CALLS_PER_OPERATION} allowed (hours per cell); use a larger {} or a smaller size",
                        ExactSize(option.bytes),
                        option.field
                    ),
                ));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scenario(text: &str) -> Scenario {
        crate::scenario::from_json(text, std::path::Path::new("t.json")).unwrap()
    }

    #[test]
    fn a_size_larger_than_the_memory_available_now_is_refused_before_it_is_made() {
        let small = scenario(
            r#"{"name": "t", "operation": "sequential_read", "sizes": ["4 KiB"], "methods": [{"method": "mmap"}]}"#,
        );
        ensure_memory_available(&small, 4096).unwrap();
        let available = mem_available().expect("Linux has MemAvailable");
        let error = ensure_memory_available(&small, available).unwrap_err();
        assert_eq!(error.kind(), std::io::ErrorKind::OutOfMemory);
        assert!(error.to_string().contains("MemAvailable"), "{error}");
    }

    #[test]
    fn a_size_is_refused_when_its_files_and_one_more_exceed_the_budget() {
        let one = scenario(
            r#"{"name": "t", "operation": "sequential_read", "sizes": ["1 MiB"], "methods": [{"method": "mmap"}]}"#,
        );
        assert!(check_with_budget(&one, 2 << 20).is_ok());
        let (field, why) = check_with_budget(&one, (2 << 20) - 1).unwrap_err();
        assert_eq!(field, "sizes[0]");
        assert!(why.contains("in memory"), "{why}");
        // many_files holds every file: 4 files + 1 of 1 MiB.
        let many = scenario(
            r#"{"name": "t", "operation": "many_files", "files": 4, "sizes": ["1 MiB"], "methods": [{"method": "whole"}]}"#,
        );
        assert!(check_with_budget(&many, 5 << 20).is_ok());
        assert!(check_with_budget(&many, (5 << 20) - 1).is_err());
    }
}
