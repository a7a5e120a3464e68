//! True timings: timed samples run with no counter open (checked from
//! inside the operation), counted samples are separate, buffer offsets are
//! honoured and recorded, and bad offsets are refused.

mod common;

use assert_cmd::Command;
use mmap_lab::checksum::Fold;
use mmap_lab::fixture::Fixture;
use mmap_lab::method::{Io, IoMethod, MethodFacts, Whole};
use mmap_lab::perf::open_perf_events;
use mmap_lab::probe::Probe;
use mmap_lab::results::Results;
use mmap_lab::workdir::WorkDir;
use predicates::prelude::PredicateBooleanExt;
use predicates::str::contains;
use std::io;
use std::path::Path;
use std::sync::Mutex;

/// A read that notes how many perf events were open while it ran.
#[derive(Default)]
struct Spy {
    open_events: Mutex<Option<usize>>,
}

impl IoMethod for Spy {
    fn label(&self) -> String {
        "spy".to_string()
    }
    fn facts(&self) -> MethodFacts {
        // It reads as fs::read does.
        Whole::default().facts()
    }
}

impl Io for Spy {
    fn read_file(&self, path: &Path, fold: &mut Fold) -> io::Result<()> {
        *self.open_events.lock().unwrap() = Some(open_perf_events()?);
        fold.update(&std::fs::read(path)?);
        Ok(())
    }
    fn read_records(&self, _: &Path, _: &[u64], _: u64, _: &mut Fold) -> io::Result<()> {
        unreachable!("sequential reads only")
    }
    fn read_range(&self, _: &Path, _: u64, _: u64, _: &mut Fold) -> io::Result<()> {
        unreachable!("sequential reads only")
    }
    fn overwrite(&self, _: &Path, _: u64, _: &[u8], _: bool) -> io::Result<()> {
        unreachable!("sequential reads only")
    }
    fn create(&self, _: &Path, _: &[u8], _: bool) -> io::Result<()> {
        unreachable!("sequential reads only")
    }
}

#[test]
fn timed_samples_run_with_no_perf_event_open_and_counted_ones_with_them() {
    let scenario =
        common::scenario(r#""operation": "sequential_read", "methods": [{"method": "whole"}]"#);
    let work = WorkDir::create(None).unwrap();
    let fixture = Fixture::generate(&scenario, 64 << 10, work.path()).unwrap();
    let mut probe = Probe::new().unwrap();
    let spy = Spy::default();

    fixture.timed_sample(&spy, 1).unwrap();
    assert_eq!(
        *spy.open_events.lock().unwrap(),
        Some(0),
        "a timed sample saw perf events open"
    );

    fixture.counted_sample(&spy, &mut probe).unwrap();
    let during_count = spy.open_events.lock().unwrap().unwrap();
    if probe.syscall_counting().available {
        assert!(during_count > 0, "the counted sample opened no counters");
    }
    assert_eq!(
        open_perf_events().unwrap(),
        0,
        "counters left open after counting"
    );

    fixture.time(&spy, 3).unwrap();
    assert_eq!(
        *spy.open_events.lock().unwrap(),
        Some(0),
        "a bench iteration saw perf events open"
    );
}

#[test]
fn buffer_offsets_are_honoured_and_recorded_for_reads_and_writes() {
    let work = WorkDir::create(None).unwrap();
    for operation in [
        r#""operation": "sequential_read""#,
        r#""operation": "random_read", "count": 20, "record": "4 KiB""#,
        r#""operation": "overwrite", "offset": 100, "len": "64 KiB""#,
        r#""operation": "sequential_write""#,
    ] {
        let scenario = common::scenario(&format!(
            r#"{operation}, "methods": [
                {{"method": "unbuffered", "chunk": "4 KiB", "buffer_offset": 16}},
                {{"method": "positioned", "chunk": "64 KiB", "buffer_offset": 64}},
                {{"method": "positioned", "chunk": "64 KiB"}},
                {{"method": "unbuffered", "chunk": "1 MiB", "buffer_offset": 2048}},
                {{"method": "buffered"}},
                {{"method": "whole"}},
                {{"method": "mmap"}}
            ]"#
        ));
        let fixture = Fixture::generate(&scenario, 1 << 20, work.path()).unwrap();
        let expected = [Some(16), Some(64), Some(0), Some(2048)];
        for (spec, want) in scenario.methods.iter().zip(expected) {
            fixture.verify_method(spec.kind.io()).unwrap();
            let sample = fixture.timed_sample(spec.kind.io(), 1).unwrap();
            assert_eq!(
                sample.buffer_page_offset, want,
                "{operation}: {}",
                spec.label
            );
        }
        for spec in &scenario.methods[4..6] {
            let sample = fixture.timed_sample(spec.kind.io(), 1).unwrap();
            assert!(
                sample.buffer_page_offset.is_some(),
                "{operation}: {} recorded no buffer",
                spec.label
            );
        }
        let map = fixture
            .timed_sample(scenario.methods[6].kind.io(), 1)
            .unwrap();
        assert_eq!(
            map.buffer_page_offset, None,
            "a map copies through no buffer"
        );
        fixture.remove().unwrap();
    }
}

#[test]
fn labels_and_params_carry_the_buffer_offset() {
    let scenario = common::scenario(
        r#""operation": "sequential_read", "methods": [
            {"method": "positioned", "chunk": "64 KiB", "buffer_offset": 16},
            {"method": "positioned", "chunk": "64 KiB"}
        ]"#,
    );
    assert_eq!(scenario.methods[0].label, "positioned 64 KiB +16");
    assert_eq!(scenario.methods[1].label, "positioned 64 KiB");
    assert_eq!(scenario.methods[0].kind.params_json()["buffer_offset"], 16);
    assert_eq!(scenario.methods[1].kind.params_json()["buffer_offset"], 0);
}

#[test]
fn every_cell_has_timed_and_counted_samples_and_the_run_records_the_observer() {
    let temp = tempfile::tempdir().unwrap();
    let scenario = temp.path().join("s.json");
    std::fs::write(
        &scenario,
        r#"{"name": "s", "operation": "sequential_read", "sizes": ["4 KiB", "64 KiB"], "samples": 3,
            "methods": [{"method": "mmap"}, {"method": "positioned", "chunk": "4 KiB", "buffer_offset": 16}, {"method": "buffered"}]}"#,
    )
    .unwrap();
    let out = temp.path().join("out");
    Command::cargo_bin("mmap-lab")
        .unwrap()
        .args(["run", "--quick", "--out"])
        .arg(&out)
        .arg(&scenario)
        .assert()
        .success();
    let results = Results::load(&out.join("results.json")).unwrap();
    let observer = results
        .observer
        .expect("the run records the observer effect");
    assert!(observer.syscall_ns > 0.0);
    assert_eq!(
        observer.syscall_ns_counted.is_some(),
        results.syscall_counting.available
    );
    for cell in &results.scenarios[0].cells {
        // The floor is 3; short cells go on until their median is known.
        assert!(cell.samples_ns.len() >= 3, "{}", cell.label);
        // These operations are fast: three counted ones each.
        assert_eq!(cell.counted_samples_ns.len(), 3, "{}", cell.label);
        assert!(cell.counted_samples_ns.iter().all(|&ns| ns > 0));
        assert!(cell.operations_per_sample >= 1, "{}", cell.label);
    }
    let placed = &results.scenarios[0].cells[1];
    assert_eq!(placed.buffer_page_offset, Some(16));
    assert_eq!(placed.params["buffer_offset"], 16);
    assert_eq!(results.scenarios[0].cells[0].buffer_page_offset, None);
}

#[test]
fn bad_buffer_offsets_exit_2_naming_the_file_and_field() {
    let temp = tempfile::tempdir().unwrap();
    for (index, value) in ["4096", "-16", "\"sixteen\"", "1.5"].iter().enumerate() {
        let name = format!("offset{index}.json");
        let path = temp.path().join(&name);
        std::fs::write(
            &path,
            format!(
                r#"{{"name": "x", "operation": "sequential_read", "sizes": [4096],
                    "methods": [{{"method": "positioned", "buffer_offset": {value}}}]}}"#
            ),
        )
        .unwrap();
        let out = temp.path().join(format!("out{index}"));
        Command::cargo_bin("mmap-lab")
            .unwrap()
            .args(["run", "--out"])
            .arg(&out)
            .arg(&path)
            .assert()
            .code(2)
            .stderr(contains(name.as_str()))
            .stderr(contains("methods[0].buffer_offset"))
            .stderr(contains("panicked").not());
        assert!(!out.exists());
    }
    // An option of another method is refused too.
    let path = temp.path().join("map.json");
    std::fs::write(
        &path,
        r#"{"name": "x", "operation": "sequential_read", "sizes": [4096],
            "methods": [{"method": "mmap", "buffer_offset": 16}]}"#,
    )
    .unwrap();
    Command::cargo_bin("mmap-lab")
        .unwrap()
        .arg("check")
        .arg(&path)
        .assert()
        .code(2)
        .stderr(contains("methods[0].buffer_offset").and(contains("mmap")));
}
