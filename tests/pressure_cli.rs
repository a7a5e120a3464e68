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
    // Every shipped file: the ones a glob of scenarios/pressure/*.json
    // runs, and the opt-in ones for big machines in big/.
    let files: Vec<_> = ["scenarios/pressure", "scenarios/pressure/big"]
        .iter()
        .flat_map(|dir| std::fs::read_dir(dir).unwrap())
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    assert!(files.len() >= 5, "{files:?}");
    mmap_lab()
        .args(["pressure", "--check"])
        .args(&files)
        .assert()
        .success()
        .stdout(contains("ok  ").and(contains("pressure-random-data")));
}

#[test]
fn fio_runs_beside_each_run_or_is_skipped_with_its_reason() {
    let temp = tempfile::tempdir_in("/var/tmp").unwrap();
    let path = temp.path().join("small.json");
    std::fs::write(&path, SMALL).unwrap();
    let results = |out: &std::path::Path| -> serde_json::Value {
        serde_json::from_str(&std::fs::read_to_string(out.join("small.json")).unwrap()).unwrap()
    };
    let without = temp.path().join("without");
    mmap_lab()
        .env("PATH", "/nonexistent")
        .args(["pressure", "--peers", "fio", "--work-dir"])
        .arg(temp.path())
        .arg("--out")
        .arg(&without)
        .arg(&path)
        .assert()
        .success()
        .stdout(contains("fio skipped: fio is not on PATH"));
    let skipped = results(&without);
    assert!(
        skipped["fio_skipped"]
            .as_str()
            .unwrap()
            .contains("not on PATH")
    );
    assert!(skipped["cells"][0]["fio"].is_null());
    let summary = std::fs::read_to_string(without.join("summary.md")).unwrap();
    assert!(
        summary.contains("fio did not run beside the runs"),
        "{summary}"
    );

    if mmap_lab::fio::Fio::find().is_err() {
        eprintln!("skipped the run with fio: fio is not on PATH");
        return;
    }
    let with = temp.path().join("with");
    mmap_lab()
        .args(["pressure", "--peers", "fio", "--work-dir"])
        .arg(temp.path())
        .arg("--out")
        .arg(&with)
        .arg(&path)
        .assert()
        .success()
        .stdout(contains("fio: "));
    for cell in results(&with)["cells"].as_array().unwrap() {
        let fio = &cell["fio"];
        assert!(fio["accesses_per_sec"].as_f64().unwrap() > 0.0, "{fio}");
        assert!(fio["command"].as_str().unwrap().contains("--numjobs=2"));
    }
    let page = std::fs::read_to_string(with.join("index.html")).unwrap();
    assert!(page.contains("fio&#39;s equivalent jobs"), "{page}");
}

#[test]
fn a_file_larger_than_memory_is_checked_and_refused_without_the_disk_for_it() {
    mmap_lab()
        .args([
            "pressure",
            "--check",
            "scenarios/pressure/big/larger-than-memory.json",
        ])
        .assert()
        .success()
        .stdout(contains("larger than memory by 2048 MiB"));
    let temp = tempfile::tempdir_in("/var/tmp").unwrap();
    let path = temp.path().join("huge.json");
    let text = std::fs::read_to_string("scenarios/pressure/big/larger-than-memory.json")
        .unwrap()
        .replace("memory + 2 GiB", "memory + 4096 TiB");
    std::fs::write(&path, text).unwrap();
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
        .stderr(contains("huge.json").and(contains("not enough free space")));
    assert_eq!(std::fs::read_dir(&work).unwrap().count(), 0, "nothing made");
}
