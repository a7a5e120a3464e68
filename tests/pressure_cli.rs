//! `mmap-lab pressure` at the command line: bad files are refused with the
//! file and the field named and exit code 2, before anything is made; a
//! small run without a budget writes its results.

use assert_cmd::Command;
use predicates::prelude::PredicateBooleanExt;
use predicates::str::contains;

fn mmap_lab() -> Command {
    Command::cargo_bin("mmap-lab").unwrap()
}

const SMALL: &str = r#"{"name": "small", "size": "16 MiB", "threads": [2], "duration": "300 ms",
    "interval": "100 ms", "pattern": "random", "record": "4 KiB", "consume": "fold",
    "methods": [{"method": "mmap", "advice": "random"}, {"method": "positioned"}]}"#;

#[test]
fn a_bad_field_is_named_with_its_file_and_exits_2() {
    let temp = tempfile::tempdir().unwrap();
    let path = temp.path().join("bad.json");
    std::fs::write(&path, SMALL.replace("\"4 KiB\"", "\"4 KB\"")).unwrap();
    mmap_lab()
        .arg("pressure")
        .arg(&path)
        .assert()
        .code(2)
        .stderr(contains("bad.json").and(contains("field `record`")));
    mmap_lab()
        .arg("pressure")
        .assert()
        .code(2)
        .stderr(contains("scenarios/pressure"));
}

#[test]
fn a_budget_the_machine_cannot_hold_is_refused_with_exit_2() {
    let temp = tempfile::tempdir_in("/var/tmp").unwrap();
    let path = temp.path().join("huge.json");
    let huge = SMALL.replace("\"threads\"", "\"page_cache\": \"4096 GiB\", \"threads\"");
    std::fs::write(&path, huge).unwrap();
    let work = temp.path().join("work");
    std::fs::create_dir(&work).unwrap();
    mmap_lab()
        .args(["pressure", "--work-dir"])
        .arg(&work)
        .arg("--out")
        .arg(temp.path().join("out"))
        .arg(&path)
        .assert()
        .code(2)
        .stderr(contains("huge.json").and(contains("page-cache budget refused")));
    assert_eq!(std::fs::read_dir(&work).unwrap().count(), 0);
}

#[test]
fn a_small_run_writes_its_results() {
    let temp = tempfile::tempdir_in("/var/tmp").unwrap();
    let path = temp.path().join("small.json");
    std::fs::write(&path, SMALL).unwrap();
    let out = temp.path().join("out");
    mmap_lab()
        .arg("pressure")
        .arg("--out")
        .arg(&out)
        .arg("--work-dir")
        .arg(temp.path())
        .arg(&path)
        .assert()
        .success()
        .stdout(contains("positioned").and(contains("reads/s")));
    let results: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("small.json")).unwrap()).unwrap();
    let cells = results["cells"].as_array().unwrap();
    assert_eq!(cells.len(), 2);
    for cell in cells {
        assert_eq!(cell["outcome"]["threads"].as_array().unwrap().len(), 2);
        assert!(cell["outcome"]["accesses"].as_u64().unwrap() > 0);
        assert!(
            !cell["outcome"]["timeline"]["points"]
                .as_array()
                .unwrap()
                .is_empty()
        );
    }
    assert!(results["held"].is_null());

    // The report beside the results, and again from them alone.
    let page = std::fs::read_to_string(out.join("index.html")).unwrap();
    assert!(
        page.contains("At a glance") && page.contains("<svg"),
        "{page}"
    );
    assert!(page.contains("With 2 threads,"), "no paragraph");
    let summary = std::fs::read_to_string(out.join("summary.md")).unwrap();
    assert!(
        summary.contains("| small | 16 MiB data, no budget |"),
        "{summary}"
    );
    std::fs::remove_file(out.join("index.html")).unwrap();
    mmap_lab()
        .args(["pressure", "--report", "--out"])
        .arg(&out)
        .assert()
        .success();
    assert!(out.join("index.html").is_file());
    mmap_lab()
        .args(["pressure", "--report", "--out"])
        .arg(&out)
        .arg(&path)
        .assert()
        .code(2)
        .stderr(contains("name no scenario files"));
    mmap_lab()
        .args(["pressure", "--report", "--out"])
        .arg(temp.path())
        .assert()
        .code(2)
        .stderr(contains("holds no pressure results"));
}

#[test]
fn check_reads_the_shipped_scenarios_and_runs_nothing() {
    let files: Vec<_> = std::fs::read_dir("scenarios/pressure")
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    mmap_lab()
        .args(["pressure", "--check"])
        .args(&files)
        .assert()
        .success()
        .stdout(contains("ok  ").and(contains("pressure-random-data")));
}
