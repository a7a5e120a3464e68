//! The O_DIRECT (`direct`) and io_uring (`uring`) methods: they agree with
//! the reference on every operation they take, scenarios they cannot align
//! are refused by name, their counters match closed forms (N requests at
//! depth D take about N/D enter calls) and the kernel's own syscall count,
//! and O_DIRECT goes to the device and leaves a cold file uncached.

mod common;

use common::{counters_for, syscalls_countable};
use mmap_lab::fixture::Fixture;
use mmap_lab::probe::Probe;
use mmap_lab::scenario::{self, Scenario};
use mmap_lab::vocab::Cache;
use mmap_lab::workdir::WorkDir;
use std::path::Path;

const DIRECT_METHODS: &str = r#"[
    {"method": "positioned", "chunk": "64 KiB"},
    {"method": "direct", "chunk": "4 KiB"},
    {"method": "direct", "chunk": "64 KiB"},
    {"method": "uring", "chunk": "4 KiB", "depth": 1},
    {"method": "uring", "chunk": "64 KiB", "depth": 32},
    {"method": "uring", "chunk": "3000", "depth": 8},
    {"method": "uring", "chunk": "8 KiB", "depth": 4, "fixed": true},
    {"method": "uring", "chunk": "4 KiB", "depth": 16, "direct": true},
    {"method": "uring", "chunk": "64 KiB", "depth": 2, "direct": true, "fixed": true}
]"#;

fn scenario_with(fields: &str, sizes: &str, methods: &str) -> Result<Scenario, String> {
    let text = format!(r#"{{"name": "t", {fields}, "sizes": {sizes}, "methods": {methods}}}"#);
    scenario::from_json(&text, Path::new("inline.json")).map_err(|e| e.to_string())
}

#[test]
fn direct_and_uring_agree_with_the_reference_on_every_operation_they_take() {
    let cases = [
        (
            r#""operation": "sequential_read""#,
            "[1, 4095, 4096, 10000, 1048579]",
        ),
        (
            r#""operation": "random_read", "count": 50, "record": "8 KiB""#,
            "[8192, 1048576]",
        ),
        (
            r#""operation": "overwrite", "offset": "4 KiB", "len": "12 KiB""#,
            "[16384, 1048576]",
        ),
        (
            r#""operation": "overwrite", "offset": 0, "len": "64 KiB", "sync": true"#,
            "[65536]",
        ),
        (
            r#""operation": "sequential_write""#,
            "[1, 4095, 4096, 10000, 1048579]",
        ),
        (r#""operation": "sequential_write", "sync": true"#, "[5000]"),
        (r#""operation": "many_files", "files": 70"#, "[1, 5000]"),
    ];
    let work = WorkDir::create(None).unwrap();
    for (fields, sizes) in cases {
        let s = scenario_with(fields, sizes, DIRECT_METHODS).unwrap();
        for &size in &s.sizes {
            let fixture = Fixture::generate(&s, size, work.path()).unwrap();
            let outcomes: Vec<u64> = s
                .methods
                .iter()
                .map(|spec| {
                    fixture
                        .verify_method(spec.kind.io())
                        .unwrap_or_else(|e| panic!("{fields}, {} at {size}: {e}", spec.label))
                })
                .collect();
            assert!(
                outcomes.iter().all(|c| *c == outcomes[0]),
                "{fields} at {size}: {outcomes:x?}"
            );
            fixture.remove().unwrap();
        }
    }
}

#[test]
fn scenarios_o_direct_cannot_align_are_refused_naming_the_field() {
    let refused = [
        (
            r#""operation": "random_read", "count": 5, "record": 100"#,
            r#"[{"method": "direct", "chunk": "4 KiB"}]"#,
            "record",
        ),
        (
            r#""operation": "overwrite", "offset": 4090, "len": "4 KiB""#,
            r#"[{"method": "direct", "chunk": "4 KiB"}]"#,
            "offset",
        ),
        (
            r#""operation": "overwrite", "offset": 0, "len": 5000"#,
            r#"[{"method": "uring", "direct": true, "chunk": "4 KiB"}]"#,
            "len",
        ),
        (
            r#""operation": "sequential_read""#,
            r#"[{"method": "direct", "chunk": 1000}]"#,
            "methods[0].chunk",
        ),
        (
            r#""operation": "sequential_read""#,
            r#"[{"method": "mmap"}, {"method": "uring", "direct": true, "chunk": 6000}]"#,
            "methods[1].chunk",
        ),
        (
            r#""operation": "slice", "range": [0, 4096]"#,
            r#"[{"method": "direct"}]"#,
            "methods[0].method",
        ),
        (
            r#""operation": "copy_on_write", "offset": 0, "len": 4096"#,
            r#"[{"method": "uring"}]"#,
            "methods[0].method",
        ),
        (
            r#""operation": "sequential_read""#,
            r#"[{"method": "uring", "depth": 0}]"#,
            "methods[0].depth",
        ),
        (
            r#""operation": "sequential_read""#,
            r#"[{"method": "uring", "queue": 8}]"#,
            "methods[0]",
        ),
    ];
    for (fields, methods, field) in refused {
        let error = scenario_with(fields, "[1048576]", methods)
            .err()
            .unwrap_or_else(|| panic!("{fields} with {methods} was accepted"));
        assert!(error.contains("inline.json"), "{error}");
        assert!(error.contains(field), "{error} does not name {field}");
    }
    // The same operations, aligned, are accepted; an unaligned record is
    // fine for io_uring without O_DIRECT.
    scenario_with(
        r#""operation": "random_read", "count": 5, "record": 100"#,
        "[4096]",
        r#"[{"method": "uring", "chunk": 100}]"#,
    )
    .unwrap();
}

/// 1,000 random 4 KiB records of a 16 MiB file.
fn random_reads(method: &str) -> Scenario {
    scenario_with(
        r#""operation": "random_read", "count": 1000, "record": "4 KiB""#,
        "[16777216]",
        &format!("[{method}]"),
    )
    .unwrap()
}

#[test]
fn a_ring_takes_about_n_over_depth_enters_and_counts_what_it_moved() {
    let countable = syscalls_countable();
    for depth in [1u64, 8, 32] {
        let s = random_reads(&format!(
            r#"{{"method": "uring", "chunk": "4 KiB", "depth": {depth}}}"#
        ));
        let c = counters_for(&s, 16 << 20, 0);
        let label = format!("depth {depth}");
        assert_eq!(c.ring_requests, 1000, "{label}");
        assert_eq!(c.ring_completions, 1000, "{label}");
        assert_eq!(c.ring_bytes, 1000 * 4096, "{label}");
        // A warm file: every request completes while it is submitted, so
        // each enter submits a full batch.
        let batches = 1000u64.div_ceil(depth);
        assert!(
            (batches..=batches + 2).contains(&c.ring_enters),
            "{label}: {} enters for {batches} batches",
            c.ring_enters
        );
        // No read system calls, so procfs sees nothing; the CPU still copied
        // the bytes out of the page cache.
        assert_eq!(c.read_calls, 0, "{label}");
        assert_eq!(c.bytes_to_user, 0, "{label}");
        assert_eq!(c.bytes_copied, Some(1000 * 4096), "{label}");
        if countable {
            // The kernel's count: the enters, an open and a close, and at
            // most two more (the allocator may grow the heap for the list
            // of requests).
            let all = c.syscalls.unwrap();
            assert!(
                (c.ring_enters + 2..=c.ring_enters + 4).contains(&all),
                "{label}: {all} system calls for {} enters",
                c.ring_enters
            );
        }
    }
}

#[test]
fn o_direct_reads_go_to_the_device_warm_and_copy_nothing() {
    let s = random_reads(r#"{"method": "direct", "chunk": "4 KiB"}"#);
    let c = counters_for(&s, 16 << 20, 0);
    assert_eq!(c.read_calls, 1000);
    // rchar counts what pread returned...
    assert_eq!(c.bytes_to_user, 1000 * 4096);
    // ...but the device moved those bytes, not the CPU,
    assert_eq!(c.bytes_copied, Some(0));
    // and it moved them from the disk although the file is cached.
    assert_eq!(c.disk_read_bytes, 1000 * 4096);
    let s = random_reads(r#"{"method": "uring", "chunk": "4 KiB", "depth": 32, "direct": true}"#);
    let c = counters_for(&s, 16 << 20, 0);
    assert_eq!(c.ring_bytes, 1000 * 4096);
    assert_eq!(c.bytes_copied, Some(0));
    assert_eq!(c.disk_read_bytes, 1000 * 4096);
}

#[test]
fn cold_o_direct_reads_the_payload_from_disk_and_leaves_the_file_uncached() {
    let s = scenario_with(
        r#""operation": "sequential_read", "cache": "cold""#,
        "[4194304]",
        r#"[{"method": "direct", "chunk": "1 MiB"},
            {"method": "uring", "chunk": "256 KiB", "depth": 4, "direct": true},
            {"method": "positioned", "chunk": "1 MiB"}]"#,
    )
    .unwrap();
    let work = WorkDir::create(None).unwrap();
    let mut fixture = Fixture::generate(&s, 4 << 20, work.path()).unwrap();
    fixture.set_cache(Cache::Cold);
    let mut probe = Probe::new().unwrap();
    for spec in &s.methods {
        let io = spec.kind.io();
        fixture.verify_method(io).unwrap();
        let timed = fixture.timed_sample(io, 1).unwrap();
        assert_eq!(timed.resident_before, Some(0.0), "{}", spec.label);
        let (counted, counters) = fixture.counted_sample(io, &mut probe).unwrap();
        assert_eq!(counted.resident_before, Some(0.0), "{}", spec.label);
        if spec.kind.io().bytes_copied(&counters) == 0 {
            assert_eq!(counters.disk_read_bytes, 4 << 20, "{}", spec.label);
            assert_eq!(timed.resident_after, Some(0.0), "{}", spec.label);
            assert_eq!(counted.resident_after, Some(0.0), "{}", spec.label);
        } else {
            // Through the page cache: the file is left cached.
            assert!(timed.resident_after.unwrap() > 0.9, "{}", spec.label);
        }
    }
    fixture.remove().unwrap();
}
