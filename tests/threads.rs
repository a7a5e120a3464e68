//! Threads sharing one operation (`threads`): the field's bounds and the
//! list form, every method that can share the work agreeing with the
//! reference under 2 threads, parts combined out of order caught in
//! verification and in timed runs, counters summed over the threads in
//! closed form, and the split recorded in results.json.

mod common;

use assert_cmd::Command;
use common::{counters_for, syscalls_countable};
use mmap_lab::checksum::Fold;
use mmap_lab::fixture::Fixture;
use mmap_lab::method::Unavailable;
use mmap_lab::operation::{Operation, SequentialRead};
use mmap_lab::scenario::{self, Scenario};
use mmap_lab::workdir::WorkDir;
use std::path::Path;

/// Every method, each with options that fit reads of 4 KiB records.
const METHODS: &str = r#"[
    {"method": "mmap"},
    {"method": "mmap", "advice": "random"},
    {"method": "positioned", "chunk": "4 KiB"},
    {"method": "positioned", "chunk": "64 KiB", "buffer_offset": 16},
    {"method": "unbuffered", "chunk": "4 KiB"},
    {"method": "buffered", "capacity": "8 KiB"},
    {"method": "direct", "chunk": "4 KiB"},
    {"method": "uring", "chunk": "4 KiB", "depth": 8}
]"#;

fn parse(body: &str) -> Result<Vec<Scenario>, String> {
    let text = format!(r#"{{"name": "t", "sizes": ["1 MiB"], {body}}}"#);
    scenario::from_json_all(&text, Path::new("scenarios/threads.json")).map_err(|e| e.to_string())
}

#[test]
fn threads_default_to_one_and_are_bounded_naming_the_file_and_field() {
    let one = parse(r#""operation": "sequential_read", "methods": [{"method": "mmap"}]"#).unwrap();
    assert_eq!(one[0].operation.threads(), 1);
    let four =
        parse(r#""operation": "sequential_read", "threads": 4, "methods": [{"method": "mmap"}]"#)
            .unwrap();
    assert_eq!(
        four[0].operation,
        Operation::SequentialRead(SequentialRead { threads: 4 })
    );
    for (value, why) in [
        ("0", "at least 1"),
        ("65", "more than the 64 allowed"),
        ("\"two\"", "invalid type"),
        ("1.5", "invalid type"),
    ] {
        let error = parse(&format!(
            r#""operation": "random_read", "count": 10, "record": 4096, "threads": {value}, "methods": [{{"method": "mmap"}}]"#
        ))
        .unwrap_err();
        assert!(error.starts_with("scenarios/threads.json"), "{error}");
        assert!(error.contains("`threads`"), "{error}");
        assert!(error.contains(why), "{value}: {error}");
    }
}

#[test]
fn check_refuses_too_many_threads_with_exit_code_2() {
    let temp = tempfile::tempdir().unwrap();
    let file = temp.path().join("many.json");
    std::fs::write(
        &file,
        r#"{"name": "many", "operation": "sequential_read", "threads": 100,
            "sizes": ["1 MiB"], "methods": [{"method": "mmap"}]}"#,
    )
    .unwrap();
    let assert = Command::cargo_bin("mmap-lab")
        .unwrap()
        .arg("check")
        .arg(&file)
        .assert()
        .code(2);
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).to_string();
    assert!(stderr.contains("many.json"), "{stderr}");
    assert!(stderr.contains("`threads`"), "{stderr}");
    assert!(
        stderr.contains("100 threads is more than the 64 allowed"),
        "{stderr}"
    );
}

#[test]
fn threads_are_refused_where_they_cannot_share_the_work() {
    let cases = [
        (
            r#""operation": "slice", "range": [0, 4096], "threads": 2, "methods": [{"method": "mmap"}]"#,
            "does not apply to operation slice",
        ),
        (
            r#""operation": "sequential_read", "threads": 2, "methods": [{"method": "whole"}]"#,
            "threads cannot share that call",
        ),
        (
            r#""operation": "random_read", "count": 3, "record": 4096, "threads": 4, "methods": [{"method": "mmap"}]"#,
            "4 threads cannot share 3 records",
        ),
        (
            r#""operation": "sequential_read", "threads": 64, "methods": [{"method": "mmap"}]"#,
            "less than one range",
        ),
        (
            r#""operation": "sequential_read", "threads": [], "methods": [{"method": "mmap"}]"#,
            "an empty list",
        ),
        (
            r#""operation": "sequential_read", "threads": [1, 2, 1], "methods": [{"method": "mmap"}]"#,
            "1 is listed twice",
        ),
    ];
    for (body, why) in cases {
        let text = format!(r#"{{"name": "t", "sizes": ["64 KiB"], {body}}}"#);
        let error = scenario::from_json_all(&text, Path::new("scenarios/threads.json"))
            .map(|_| ())
            .unwrap_err()
            .to_string();
        assert!(error.contains("threads"), "{body}: {error}");
        assert!(error.contains(why), "{body}: {error}");
    }
}

#[test]
fn a_list_of_thread_counts_makes_one_scenario_per_count() {
    let all = parse(
        r#""operation": "random_read", "count": 64, "record": 4096, "threads": [1, 2, 8], "methods": [{"method": "mmap"}]"#,
    )
    .unwrap();
    let names: Vec<&str> = all.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["t-1-thread", "t-2-threads", "t-8-threads"]);
    let threads: Vec<u32> = all.iter().map(|s| s.operation.threads()).collect();
    assert_eq!(threads, [1, 2, 8]);
}

/// Verifies every method of `scenario` at each of `sizes` and returns the
/// checksums, skipping methods this machine cannot run.
fn verified(scenario: &Scenario, sizes: &[u64]) -> Vec<(u64, Vec<u64>)> {
    let work = WorkDir::create(None).unwrap();
    sizes
        .iter()
        .map(|&size| {
            let fixture = Fixture::generate(scenario, size, work.path()).unwrap();
            let sums = scenario
                .methods
                .iter()
                .filter(|spec| match spec.kind.io().check_available(work.path()) {
                    Err(e) => {
                        let reason = Unavailable::reason_of(&e).unwrap_or(e.to_string());
                        eprintln!("skipping {}: {reason}", spec.label);
                        false
                    }
                    Ok(()) => true,
                })
                .map(|spec| {
                    fixture
                        .verify_method(spec.kind.io())
                        .unwrap_or_else(|e| panic!("{} at {size}: {e}", spec.label))
                })
                .collect();
            fixture.remove().unwrap();
            (size, sums)
        })
        .collect()
}

#[test]
fn every_method_that_can_share_the_work_agrees_with_the_reference_under_2_threads() {
    let methods = format!(r#""methods": {METHODS}"#);
    for (operation, sizes) in [
        (
            r#""operation": "sequential_read""#,
            &[8192, 12289, 1_048_579][..],
        ),
        (
            r#""operation": "random_read", "count": 101, "record": "4 KiB""#,
            &[8192, 1_048_576][..],
        ),
    ] {
        let one = &parse(&format!("{operation}, {methods}")).unwrap()[0];
        let two = &parse(&format!(r#"{operation}, "threads": 2, {methods}"#)).unwrap()[0];
        let alone = verified(one, sizes);
        let shared = verified(two, sizes);
        for ((size, one_sums), (_, two_sums)) in alone.iter().zip(&shared) {
            // verify_method checked each against its reference; all agree,
            // and the threaded checksum is the combination of the parts,
            // not the single thread's.
            assert!(
                two_sums.iter().all(|s| *s == two_sums[0]),
                "{operation} at {size}"
            );
            assert!(
                one_sums.iter().all(|s| *s == one_sums[0]),
                "{operation} at {size}"
            );
            assert_ne!(one_sums[0], two_sums[0], "{operation} at {size}");
        }
    }
}

/// One counted operation of method `index` of random 4 KiB reads shared by `threads`.
fn random_counters(threads: u32, index: usize) -> mmap_lab::results::Counters {
    let s = &parse(&format!(
        r#""operation": "random_read", "count": 100, "record": "4 KiB", "threads": {threads}, "methods": [
            {{"method": "positioned", "chunk": "4 KiB"}},
            {{"method": "mmap"}},
            {{"method": "uring", "chunk": "4 KiB", "depth": 4}}
        ]"#
    ))
    .unwrap()[0];
    counters_for(s, 1 << 20, index)
}

#[test]
fn counters_are_summed_over_the_threads() {
    for threads in [1, 2, 4] {
        // 100 positioned reads of 4 KiB, however many threads make them.
        let c = random_counters(threads, 0);
        assert_eq!(c.read_calls, 100, "{threads} threads: {c:?}");
        assert_eq!(c.bytes_to_user, 100 * 4096, "{threads} threads: {c:?}");
        assert_eq!(c.write_calls, 0);
        if syscalls_countable() {
            // Each thread's reads are seen by its own syscall counter.
            assert!(c.syscalls.unwrap() >= 100, "{threads} threads: {c:?}");
        }
        // A shared map: its pages are faulted in by whichever thread reads
        // them first, and every thread's faults are counted.
        let m = random_counters(threads, 1);
        assert_eq!(m.read_calls, 0);
        assert!(m.minor_faults >= 1, "{threads} threads: {m:?}");
        // A ring per thread: every record is one request, whoever queued it.
        let r = random_counters(threads, 2);
        assert_eq!(r.ring_requests, 100, "{threads} threads: {r:?}");
        assert_eq!(r.ring_bytes, 100 * 4096, "{threads} threads: {r:?}");
    }
}

#[test]
fn the_run_records_threads_and_how_the_work_was_split() {
    let temp = tempfile::tempdir().unwrap();
    let file = temp.path().join("threads.json");
    std::fs::write(
        &file,
        r#"{"name": "shared", "operation": "sequential_read", "threads": [1, 3],
            "sizes": ["40 KiB"], "samples": 2,
            "methods": [{"method": "mmap"}, {"method": "positioned", "chunk": "4 KiB"}]}"#,
    )
    .unwrap();
    let out = temp.path().join("out");
    let run = Command::cargo_bin("mmap-lab")
        .unwrap()
        .args(["run", "--quick", "--out"])
        .arg(&out)
        .arg(&file)
        .assert()
        .success();
    let stdout = String::from_utf8_lossy(&run.get_output().stdout).to_string();
    assert!(
        stdout.contains("3 threads, throughput their total"),
        "{stdout}"
    );
    let results: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("results.json")).unwrap()).unwrap();
    let scenarios = results["scenarios"].as_array().unwrap();
    assert_eq!(scenarios[0]["name"], "shared-1-thread");
    assert!(scenarios[0].get("threads").is_none(), "1 is the default");
    assert!(scenarios[0]["cells"][0].get("split").is_none());
    assert_eq!(scenarios[1]["name"], "shared-3-threads");
    assert_eq!(scenarios[1]["threads"], 3);
    for cell in scenarios[1]["cells"].as_array().unwrap() {
        let split = cell["split"].as_array().unwrap();
        let bytes: Vec<u64> = split.iter().map(|p| p["bytes"].as_u64().unwrap()).collect();
        // 10 pages over 3 threads, cut at page boundaries.
        assert_eq!(bytes, [12288, 12288, 16384], "{cell}");
        assert!(split.iter().all(|p| p["accesses"] == 1));
        assert_eq!(cell["model"]["fits"], false, "{cell}");
    }
    let summary = std::fs::read_to_string(out.join("summary.md")).unwrap();
    assert!(
        summary.contains("3 threads shared each operation"),
        "{summary}"
    );
    assert!(summary.contains("Throughput is the total across the threads"));
    assert!(summary.contains("Against 1 thread (shared-1-thread)"));
    assert!(summary.contains("mmap (3 threads)"));
    assert!(summary.contains("3 threads (throughput is their total)"));
    let html = std::fs::read_to_string(out.join("index.html")).unwrap();
    assert!(
        html.contains("the total of 3 threads sharing each operation; the ceilings are one thread")
    );
}

/// Positioned reads whose threaded reads go wrong from the `good`-th
/// operation on: they hand back the parts' folds in reverse order, the
/// same bytes consumed but not by the parts that should have.
struct Swapping {
    calls: std::sync::atomic::AtomicUsize,
    good: usize,
}

impl mmap_lab::method::IoMethod for Swapping {
    fn label(&self) -> String {
        "swapping".to_string()
    }
    fn facts(&self) -> mmap_lab::method::MethodFacts {
        mmap_lab::method::Positioned::default().facts()
    }
}

impl mmap_lab::method::Io for Swapping {
    fn read_file(&self, path: &Path, fold: &mut Fold) -> std::io::Result<()> {
        mmap_lab::method::Positioned::default().read_file(path, fold)
    }
    fn read_records(
        &self,
        path: &Path,
        offsets: &[u64],
        record: u64,
        fold: &mut Fold,
    ) -> std::io::Result<()> {
        mmap_lab::method::Positioned::default().read_records(path, offsets, record, fold)
    }
    fn read_range(
        &self,
        path: &Path,
        start: u64,
        end: u64,
        fold: &mut Fold,
    ) -> std::io::Result<()> {
        mmap_lab::method::Positioned::default().read_range(path, start, end, fold)
    }
    fn read_ranges_in_threads(
        &self,
        path: &Path,
        ranges: &[(u64, u64)],
    ) -> std::io::Result<Vec<Fold>> {
        let mut folds =
            mmap_lab::method::Positioned::default().read_ranges_in_threads(path, ranges)?;
        if self.calls.fetch_add(1, std::sync::atomic::Ordering::SeqCst) >= self.good {
            folds.reverse();
        }
        Ok(folds)
    }
    fn overwrite(&self, _: &Path, _: u64, _: &[u8], _: bool) -> std::io::Result<()> {
        unreachable!("reads only")
    }
    fn create(&self, _: &Path, _: &[u8], _: bool) -> std::io::Result<()> {
        unreachable!("reads only")
    }
}

#[test]
fn parts_consumed_in_the_wrong_order_fail_verification_and_timed_runs() {
    let s =
        &parse(r#""operation": "sequential_read", "threads": 2, "methods": [{"method": "mmap"}]"#)
            .unwrap()[0];
    let work = WorkDir::create(None).unwrap();
    let fixture = Fixture::generate(s, 1 << 20, work.path()).unwrap();
    let wrong = Swapping {
        calls: Default::default(),
        good: 0,
    };
    let error = fixture.verify_method(&wrong).unwrap_err().to_string();
    assert!(error.contains("the reference is"), "{error}");
    // Right when verified, wrong afterwards: the timed runs catch it.
    let later = Swapping {
        calls: Default::default(),
        good: 1,
    };
    fixture.verify_method(&later).unwrap();
    let error = fixture.timed_sample(&later, 1).unwrap_err().to_string();
    assert!(error.contains("the reference is"), "{error}");
    fixture.remove().unwrap();
}
