//! The command line end to end: a tiny run into a temp dir, `check`, bad
//! input (exit 2, nothing written), and Ctrl-C (files removed, finished
//! scenarios kept).

use assert_cmd::Command;
use mmap_lab::results::Results;
use predicates::prelude::PredicateBooleanExt;
use predicates::str::contains;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

const TINY: &str = r#"{
  "name": "tiny",
  "about": "a quick end-to-end check",
  "operation": "sequential_read",
  "sizes": ["4 KiB", "64 KiB"],
  "samples": 3,
  "methods": [{"method": "mmap"}, {"method": "unbuffered", "chunk": "4 KiB"}, {"method": "whole"}]
}"#;

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

fn mmap_lab() -> Command {
    Command::cargo_bin("mmap-lab").unwrap()
}

fn is_empty_dir(dir: &Path) -> bool {
    std::fs::read_dir(dir).unwrap().next().is_none()
}

#[test]
fn run_writes_results_and_cleans_up() {
    let temp = tempfile::tempdir().unwrap();
    let scenario = write(temp.path(), "tiny.json", TINY);
    let out = temp.path().join("out");
    let work = temp.path().join("work");
    std::fs::create_dir(&work).unwrap();
    mmap_lab()
        .args(["run", "--quick", "--out"])
        .arg(&out)
        .arg("--work-dir")
        .arg(&work)
        .arg(&scenario)
        .assert()
        .success()
        .stdout(contains("tiny (sequential_read, warm cache)"))
        .stdout(contains("unbuffered 4 KiB"));
    let results = Results::load(&out.join("results.json")).unwrap();
    assert_eq!(results.scenarios.len(), 1);
    let tiny = &results.scenarios[0];
    assert_eq!(
        (tiny.name.as_str(), tiny.operation.name(), tiny.cache.name()),
        ("tiny", "sequential_read", "warm")
    );
    assert_eq!(tiny.cells.len(), 6);
    for cell in &tiny.cells {
        assert!(cell.verified);
        // At least the floor (3), then until precise or out of budget.
        let n = cell.samples_ns.len() as u32;
        assert!((3..=mmap_lab::sampling::MAX_SAMPLES).contains(&n), "{n}");
        let spread = cell.spread.as_ref().expect("every cell records its spread");
        assert_eq!(spread.samples, n);
        if spread.stopped == mmap_lab::sampling::Stop::Precise {
            let p = mmap_lab::sampling::precision(&cell.samples_ns).unwrap();
            assert!(p <= mmap_lab::sampling::TARGET_PRECISION, "{p}");
        }
        assert!(cell.min_ns <= cell.median_ns && cell.median_ns <= cell.max_ns);
        assert_eq!(cell.bytes, cell.size);
        assert!(cell.throughput_bytes_per_sec > 0.0);
    }
    let unbuffered = tiny
        .cells
        .iter()
        .find(|c| c.label == "unbuffered 4 KiB" && c.size == 65536)
        .unwrap();
    assert_eq!(
        unbuffered.params,
        serde_json::json!({"chunk": 4096, "buffer_offset": 0})
    );
    assert_eq!(unbuffered.counters.bytes_to_user, 65536);
    assert!(results.limits.memcpy_bytes_per_sec > 0.0 && results.limits.scan_bytes_per_sec > 0.0);
    assert_eq!(results.machine.page_size, 4096);
    assert!(is_empty_dir(&work), "generated files were left behind");
    // The raw JSON holds every documented counter name.
    let raw = std::fs::read_to_string(out.join("results.json")).unwrap();
    for key in [
        "read_calls",
        "write_calls",
        "map_calls",
        "syscalls",
        "bytes_to_user",
        "bytes_from_user",
        "minor_faults",
        "major_faults",
        "disk_read_bytes",
        "disk_write_bytes",
        "ctx_switches",
        "thp",
        "filesystem",
        "cpu_vendor",
        "cpu_flags",
        "caches",
        "microcode",
    ] {
        assert!(
            raw.contains(&format!("\"{key}\"")),
            "results.json lacks {key}"
        );
    }
}

#[test]
fn check_accepts_good_files_and_names_bad_ones() {
    let temp = tempfile::tempdir().unwrap();
    let good = write(temp.path(), "good.json", TINY);
    mmap_lab()
        .arg("check")
        .arg(&good)
        .assert()
        .success()
        .stdout(contains("ok"));
    let bad = write(
        temp.path(),
        "bad.json",
        &TINY.replace("\"4 KiB\"", "\"4 KB\""),
    );
    mmap_lab()
        .arg("check")
        .arg(&bad)
        .assert()
        .code(2)
        .stderr(contains("bad.json"))
        .stderr(contains("sizes[0]"));
    mmap_lab()
        .args(["check"])
        .arg(temp.path().join("missing.json"))
        .assert()
        .code(2)
        .stderr(contains("missing.json"));
}

#[test]
fn bad_input_exits_2_without_panicking_or_writing() {
    let temp = tempfile::tempdir().unwrap();
    let work = temp.path().join("work");
    std::fs::create_dir(&work).unwrap();
    let good = write(temp.path(), "good.json", TINY);
    let bad_inputs = [
        "{ not json",
        r#"{"name": "x", "operation": "slice", "range": [50, 10], "sizes": [4096], "methods": [{"method": "mmap"}]}"#,
        r#"{"name": "x", "operation": "sequential_read", "sizes": [0], "methods": [{"method": "mmap"}]}"#,
        "",
    ];
    for (index, text) in bad_inputs.iter().enumerate() {
        let bad = write(temp.path(), &format!("bad{index}.json"), text);
        let out = temp.path().join(format!("out{index}"));
        // The good file comes first: nothing may run before every file is valid.
        mmap_lab()
            .args(["run", "--out"])
            .arg(&out)
            .arg("--work-dir")
            .arg(&work)
            .arg(&good)
            .arg(&bad)
            .assert()
            .code(2)
            .stderr(contains(format!("bad{index}.json")))
            .stderr(contains("panicked").not())
            .stdout("");
        assert!(!out.exists(), "output written for bad input {index}");
        assert!(is_empty_dir(&work));
    }
    mmap_lab()
        .args(["run", "--work-dir", "/no/such/dir"])
        .arg(&good)
        .assert()
        .code(2)
        .stderr(contains("/no/such/dir"));
    mmap_lab().args(["run", "--bogus"]).assert().code(2);
}

#[test]
fn ctrl_c_removes_generated_files_and_keeps_finished_scenarios() {
    let temp = tempfile::tempdir().unwrap();
    let first = write(temp.path(), "a.json", TINY);
    let endless = TINY
        .replace("\"tiny\"", "\"long\"")
        .replace("[\"4 KiB\", \"64 KiB\"]", "[\"8 MiB\"]")
        .replace("\"samples\": 3", "\"samples\": 10000");
    let second = write(temp.path(), "b.json", &endless);
    let out = temp.path().join("out");
    let work = temp.path().join("work");
    std::fs::create_dir(&work).unwrap();
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("mmap-lab"))
        .arg("run")
        .arg("--out")
        .arg(&out)
        .arg("--work-dir")
        .arg(&work)
        .arg(&first)
        .arg(&second)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Wait until the first scenario is saved and the second has files on disk.
    let deadline = Instant::now() + Duration::from_secs(60);
    let second_started = || out.join("results.json").exists() && !is_empty_dir(&work);
    while !second_started() {
        assert!(
            Instant::now() < deadline,
            "the run never reached the second scenario"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(300));
    // SAFETY: kill with a valid pid and signal number.
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(130));
    assert!(is_empty_dir(&work), "generated files were left behind");
    let results = Results::load(&out.join("results.json")).unwrap();
    assert_eq!(results.scenarios.len(), 1);
    assert_eq!(results.scenarios[0].name, "tiny");
}
