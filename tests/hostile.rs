//! Hostile input and hostile moments, as a careless user causes them
//! (issue 22): sizes too large or too small, labels that would inject,
//! duplicate keys and trailing text, devices named as files, damaged
//! results files, bad output and work directories, and Ctrl-C.

use assert_cmd::Command;
use predicates::prelude::PredicateBooleanExt;
use predicates::str::contains;
use std::path::{Path, PathBuf};

fn mmap_lab() -> Command {
    Command::cargo_bin("mmap-lab").unwrap()
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

/// A sequential_read scenario file with these sizes and method entries.
fn scenario(dir: &Path, sizes: &str, methods: &str) -> PathBuf {
    write(
        dir,
        "s.json",
        &format!(
            r#"{{"name": "s", "operation": "sequential_read", "sizes": [{sizes}], "samples": 2, "methods": [{methods}]}}"#
        ),
    )
}

/// `check FILE` exits 2, names the file and says each of `needles`.
fn refused(path: &Path, needles: &[&str]) {
    let mut assert = mmap_lab()
        .arg("check")
        .arg(path)
        .assert()
        .code(2)
        .stderr(contains(path.display().to_string()))
        .stderr(contains("panicked").not());
    for needle in needles {
        assert = assert.stderr(contains(*needle));
    }
}

#[test]
fn a_chunk_of_a_terabyte_is_refused_by_check_and_by_run_before_anything_is_made() {
    let temp = tempfile::tempdir().unwrap();
    for method in ["positioned", "unbuffered", "direct"] {
        let path = scenario(
            temp.path(),
            "\"1 MiB\"",
            &format!(r#"{{"method": "{method}", "chunk": "1024 GiB"}}"#),
        );
        refused(&path, &["field `methods[0].chunk`", "larger than"]);
    }
    let path = scenario(
        temp.path(),
        "\"1 MiB\"",
        r#"{"method": "buffered", "capacity": "1024 GiB"}"#,
    );
    refused(&path, &["field `methods[0].capacity`"]);
    let out = temp.path().join("out");
    mmap_lab()
        .args(["run", "--quick", "--out"])
        .arg(&out)
        .arg(&path)
        .assert()
        .code(2)
        .stderr(contains("field `methods[0].capacity`"));
    assert!(!out.exists(), "a refused run made its --out directory");
}

#[test]
fn counts_file_counts_and_sizes_beyond_memory_are_refused_by_field() {
    let temp = tempfile::tempdir().unwrap();
    let path = write(
        temp.path(),
        "count.json",
        r#"{"name": "c", "operation": "random_read", "count": 1000000000000, "record": "4 KiB", "sizes": ["1 MiB"], "methods": [{"method": "mmap"}]}"#,
    );
    refused(&path, &["field `count`", "records per operation"]);
    let path = write(
        temp.path(),
        "files.json",
        r#"{"name": "f", "operation": "many_files", "files": 100000000, "sizes": ["4 KiB"], "methods": [{"method": "whole"}]}"#,
    );
    refused(&path, &["field `files`"]);
    let beyond = mmap_lab::limits::memory_budget() * 2;
    let path = scenario(temp.path(), &beyond.to_string(), r#"{"method": "mmap"}"#);
    refused(&path, &["field `sizes[0]`", "in memory"]);
    let path = scenario(temp.path(), "\"2 TiB\"", r#"{"method": "mmap"}"#);
    refused(&path, &["field `sizes[0]`"]);
    let path = scenario(temp.path(), "\"4 KiB\", 4096", r#"{"method": "mmap"}"#);
    refused(&path, &["field `sizes[1]`", "already sizes[0]"]);
}

#[test]
fn a_one_byte_chunk_on_a_large_file_is_refused_for_the_time_it_would_take() {
    let temp = tempfile::tempdir().unwrap();
    let path = scenario(
        temp.path(),
        "\"1 GiB\"",
        r#"{"method": "positioned", "chunk": "1 B"}"#,
    );
    refused(&path, &["field `methods[0].chunk`", "calls per operation"]);
    let path = scenario(
        temp.path(),
        "\"4 KiB\"",
        r#"{"method": "positioned", "chunk": "1 B"}"#,
    );
    mmap_lab().arg("check").arg(&path).assert().success();
}

#[test]
fn a_scenario_that_would_run_for_hours_is_refused_at_samples() {
    let temp = tempfile::tempdir().unwrap();
    let path = write(
        temp.path(),
        "long.json",
        r#"{"name": "l", "operation": "sequential_read", "sizes": ["64 MiB", "16 MiB"], "samples": 10000, "methods": [{"method": "positioned", "chunk": "64 B"}, {"method": "mmap"}]}"#,
    );
    refused(&path, &["field `samples`", "calls"]);
    let fewer = write(
        temp.path(),
        "short.json",
        r#"{"name": "l", "operation": "sequential_read", "sizes": ["64 MiB", "16 MiB"], "samples": 10, "methods": [{"method": "positioned", "chunk": "64 B"}, {"method": "mmap"}]}"#,
    );
    mmap_lab().arg("check").arg(&fewer).assert().success();
}

#[test]
fn labels_and_descriptions_with_control_characters_are_refused() {
    let temp = tempfile::tempdir().unwrap();
    let path = scenario(
        temp.path(),
        "\"4 KiB\"",
        r#"{"method": "mmap", "label": "y\nfilename=/etc/passwd\nrw=write"}"#,
    );
    refused(&path, &["field `methods[0].label`", "control character"]);
    let path = write(
        temp.path(),
        "about.json",
        r#"{"name": "a", "about": "red \u001b[31m text", "operation": "sequential_read", "sizes": ["4 KiB"], "methods": [{"method": "mmap"}]}"#,
    );
    refused(&path, &["field `about`"]);
    mmap_lab()
        .arg("fio-job")
        .arg(&path)
        .assert()
        .code(2)
        .stdout(contains("[").not());
}

#[test]
fn duplicate_keys_anywhere_and_trailing_text_are_refused_with_line_and_key() {
    let temp = tempfile::tempdir().unwrap();
    let path = write(
        temp.path(),
        "dup.json",
        "{\"name\": \"d\", \"operation\": \"sequential_read\", \"sizes\": [\"4 KiB\"],\n\"methods\": [{\"method\": \"direct\", \"method\": \"positioned\"}]}",
    );
    refused(
        &path,
        &["dup.json:2:", "field `methods[0].method`", "duplicate key"],
    );
    let path = write(
        temp.path(),
        "trail.json",
        "{\"name\": \"t\", \"operation\": \"sequential_read\", \"sizes\": [\"4 KiB\"], \"methods\": [{\"method\": \"mmap\"}]}\n garbage here",
    );
    refused(&path, &["trail.json:2:", "text after the end"]);
}

#[test]
fn devices_directories_and_huge_files_are_refused_without_reading_them_all() {
    let temp = tempfile::tempdir().unwrap();
    refused(Path::new("/dev/zero"), &["not a regular file"]);
    refused(temp.path(), &["is a directory"]);
    let huge = temp.path().join("huge.json");
    let file = std::fs::File::create(&huge).unwrap();
    file.set_len(mmap_lab::bounded_read::MAX_SCENARIO_FILE + 1)
        .unwrap();
    refused(&huge, &["larger than"]);
    let run_a = Path::new("tests/fixtures/run-a.json");
    let out = temp.path().join("r");
    mmap_lab()
        .arg("report")
        .arg("/dev/zero")
        .arg("--out")
        .arg(&out)
        .assert()
        .code(2)
        .stderr(contains("/dev/zero"));
    mmap_lab()
        .arg("compare")
        .arg(run_a)
        .arg("/dev/zero")
        .arg("--out")
        .arg(&out)
        .assert()
        .code(2)
        .stderr(contains("/dev/zero"));
    assert!(!out.exists(), "a refused report made its --out directory");
}

/// Starts `mmap-lab run --quick` on `scenario` with stderr to a file;
/// once `ready` holds for what stderr says so far, sends `signal` and
/// returns the exit code, how long the run took to end after it, and
/// stderr.
fn interrupt_when(
    scenario: &Path,
    work: &Path,
    out: &Path,
    path_env: Option<&std::ffi::OsStr>,
    ready: &dyn Fn(&str) -> bool,
    signal: i32,
) -> (Option<i32>, std::time::Duration, String) {
    use std::time::{Duration, Instant};
    let log = work.with_extension("log");
    let mut command = std::process::Command::new(assert_cmd::cargo::cargo_bin!("mmap-lab"));
    command
        .args(["run", "--quick", "--out"])
        .arg(out)
        .arg("--work-dir")
        .arg(work)
        .arg(scenario)
        .stdout(std::process::Stdio::null())
        .stderr(std::fs::File::create(&log).unwrap());
    if let Some(path) = path_env {
        command.env("PATH", path);
    }
    let mut child = command.spawn().unwrap();
    let waited = Instant::now();
    while !ready(&std::fs::read_to_string(&log).unwrap()) {
        let said = std::fs::read_to_string(&log).unwrap();
        assert!(
            waited.elapsed() < Duration::from_secs(240),
            "never ready: {said}"
        );
        assert!(child.try_wait().unwrap().is_none(), "ended first: {said}");
        std::thread::sleep(Duration::from_millis(20));
    }
    // SAFETY: signals our own child.
    unsafe { libc::kill(child.id() as i32, signal) };
    let sent = Instant::now();
    let status = child.wait().unwrap();
    let took = sent.elapsed();
    (status.code(), took, std::fs::read_to_string(&log).unwrap())
}

#[test]
fn ctrl_c_in_every_phase_exits_130_within_two_seconds_leaving_nothing() {
    let temp = tempfile::tempdir().unwrap();
    let scenario = scenario(
        temp.path(),
        "\"4 KiB\", \"1 MiB\"",
        r#"{"method": "positioned", "chunk": "1 B"}, {"method": "mmap"}, {"method": "buffered", "capacity": "1 B", "piece": "1 B"}"#,
    );
    // The limits, then the unit costs, then (a while after they start)
    // generation, verification and sampling of 1-byte calls; Ctrl-C, and
    // the SIGTERM and SIGHUP a service manager or a closed terminal sends.
    let phases = [
        ("measuring this machine's memcpy", 0, libc::SIGINT),
        ("measuring unit costs", 0, libc::SIGINT),
        ("measuring unit costs", 1500, libc::SIGTERM),
        ("measuring unit costs", 4000, libc::SIGINT),
        ("measuring unit costs", 2500, libc::SIGHUP),
    ];
    for (needle, after_ms, signal) in phases {
        let seen = std::cell::Cell::new(None);
        let ready = |said: &str| {
            if said.contains(needle) && seen.get().is_none() {
                seen.set(Some(std::time::Instant::now()));
            }
            seen.get()
                .is_some_and(|at: std::time::Instant| at.elapsed().as_millis() >= after_ms)
        };
        let work = temp.path().join("work");
        std::fs::create_dir_all(&work).unwrap();
        let out = temp.path().join("out");
        let (code, took, log) = interrupt_when(&scenario, &work, &out, None, &ready, signal);
        assert_eq!(code, Some(130), "after {needle:?}: {log}");
        assert!(took.as_secs_f64() < 2.0, "after {needle:?}: {took:?}");
        let left: Vec<_> = std::fs::read_dir(&work).unwrap().collect();
        assert!(left.is_empty(), "after {needle:?}: {left:?} left behind");
    }
}

#[test]
fn a_fio_that_hangs_is_killed_and_reaped_when_the_user_stops() {
    let temp = tempfile::tempdir().unwrap();
    let pid_file = temp.path().join("fio.pid");
    let path = fake_fio(
        temp.path(),
        "echo fio-3.33; exit 0",
        &format!("echo $$ > {}\nexec sleep 300", pid_file.display()),
    );
    let scenario = write(
        temp.path(),
        "peer.json",
        r#"{"name": "p", "operation": "sequential_read", "sizes": ["4 KiB"], "samples": 2, "peers": ["fio"], "methods": [{"method": "positioned", "chunk": "4 KiB"}]}"#,
    );
    let work = temp.path().join("work");
    std::fs::create_dir(&work).unwrap();
    // The fake fio's own stderr is captured by mmap-lab, so wait for its pid file.
    let out = temp.path().join("out");
    let (code, took, log) = interrupt_when(
        &scenario,
        &work,
        &out,
        Some(&path),
        &|_| pid_file.exists(),
        libc::SIGINT,
    );
    assert_eq!(code, Some(130), "{log}");
    assert!(took.as_secs_f64() < 2.0, "{took:?}");
    let pid: i32 = std::fs::read_to_string(&pid_file)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    assert!(
        !Path::new(&format!("/proc/{pid}")).exists(),
        "the fio child {pid} is still there"
    );
    assert!(std::fs::read_dir(&work).unwrap().next().is_none());
}

/// Starts a run in `work`, waits until its work directory exists, kills it
/// with SIGKILL and returns the directory it left.
fn killed_run(temp: &Path, work: &Path) -> PathBuf {
    use std::time::{Duration, Instant};
    let scenario = scenario(
        temp,
        "\"1 MiB\"",
        r#"{"method": "positioned", "chunk": "1 B"}"#,
    );
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin!("mmap-lab"))
        .args(["run", "--quick", "--out"])
        .arg(temp.join("out"))
        .arg("--work-dir")
        .arg(work)
        .arg(&scenario)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let started = Instant::now();
    let left = loop {
        let made = std::fs::read_dir(work)
            .unwrap()
            .map(|e| e.unwrap().path())
            .find(|p| p.join("owner").exists());
        if let Some(dir) = made {
            break dir;
        }
        assert!(started.elapsed() < Duration::from_secs(120));
        std::thread::sleep(Duration::from_millis(20));
    };
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(left.exists());
    left
}

#[test]
fn a_directory_left_by_a_killed_run_is_removed_by_the_next_run() {
    let temp = tempfile::tempdir().unwrap();
    let work = temp.path().join("work");
    std::fs::create_dir(&work).unwrap();
    let left = killed_run(temp.path(), &work);
    let tiny = scenario(temp.path(), "\"4 KiB\"", r#"{"method": "mmap"}"#);
    mmap_lab()
        .args(["run", "--quick", "--out"])
        .arg(temp.path().join("out"))
        .arg("--work-dir")
        .arg(&work)
        .arg(&tiny)
        .assert()
        .success()
        .stderr(contains(format!("removed {}", left.display())));
    assert!(!left.exists());
    assert!(std::fs::read_dir(&work).unwrap().next().is_none());
}

#[test]
fn clean_removes_a_killed_runs_directory_and_nothing_else() {
    let temp = tempfile::tempdir().unwrap();
    let work = temp.path().join("work");
    std::fs::create_dir(&work).unwrap();
    let left = killed_run(temp.path(), &work);
    let unrelated = work.join("mmap-lab-not-ours");
    std::fs::create_dir(&unrelated).unwrap();
    mmap_lab()
        .arg("clean")
        .arg("--work-dir")
        .arg(&work)
        .assert()
        .success()
        .stderr(contains(left.display().to_string()));
    assert!(!left.exists());
    assert!(
        unrelated.exists(),
        "a directory with no owner record was removed"
    );
    mmap_lab()
        .arg("clean")
        .arg("--work-dir")
        .arg(temp.path().join("missing"))
        .assert()
        .code(2)
        .stderr(contains("no such directory"));
}

#[test]
fn as_nobody_the_reason_for_missing_counters_is_the_true_one() {
    use std::os::unix::fs::PermissionsExt;
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 || !Path::new("/usr/bin/setpriv").exists() {
        eprintln!("skipped: needs root and setpriv to run as nobody");
        return;
    }
    // As root this mounts tracefs where it is missing, as a run does.
    let _ = mmap_lab::perf::Tracepoints::find();
    let mounts = std::fs::read_to_string("/proc/mounts").unwrap();
    let Some(tracefs) = mounts
        .lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>())
        .find(|f| f.get(2) == Some(&"tracefs"))
        .map(|f| PathBuf::from(f[1]))
    else {
        eprintln!("skipped: tracefs cannot be mounted here");
        return;
    };
    let mode = std::fs::metadata(&tracefs).unwrap().permissions().mode();
    let temp = tempfile::tempdir().unwrap();
    std::fs::set_permissions(temp.path(), std::fs::Permissions::from_mode(0o777)).unwrap();
    let tiny = scenario(temp.path(), "\"4 KiB\"", r#"{"method": "mmap"}"#);
    std::fs::set_permissions(&tiny, std::fs::Permissions::from_mode(0o644)).unwrap();
    let output = std::process::Command::new("/usr/bin/setpriv")
        .args(["--reuid=nobody", "--regid=nogroup", "--clear-groups"])
        .arg(assert_cmd::cargo::cargo_bin!("mmap-lab"))
        .args(["run", "--quick", "--out"])
        .arg(temp.path().join("out"))
        .arg("--work-dir")
        .arg(temp.path())
        .arg(&tiny)
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{said}");
    assert!(!said.contains("not mounted"), "{said}");
    if mode & 0o005 == 0 {
        assert!(
            said.contains(&format!("tracefs is mounted at {}", tracefs.display()))
                && said.contains("may not read it")
                && said.contains(&format!("mode {:04o}", mode & 0o7777)),
            "{said}"
        );
    }
    let paranoid: i32 = std::fs::read_to_string("/proc/sys/kernel/perf_event_paranoid")
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    if paranoid > -1 {
        assert!(
            said.contains(&format!("perf_event_paranoid is {paranoid}")),
            "{said}"
        );
    }
    let results = mmap_lab::results::Results::load(&temp.path().join("out/results.json")).unwrap();
    assert!(!results.syscall_counting.available);
    assert!(!results.syscall_counting.source.contains("not mounted"));
}

/// A change made by hand to a results file.
type Edit = dyn FnOnce(&mut serde_json::Value);

/// run-a.json with `edit` applied to its JSON, written into `dir`.
fn edited_results(dir: &Path, name: &str, edit: impl FnOnce(&mut serde_json::Value)) -> PathBuf {
    let text = std::fs::read_to_string("tests/fixtures/run-a.json").unwrap();
    let mut value: serde_json::Value = serde_json::from_str(&text).unwrap();
    edit(&mut value);
    write(dir, name, &serde_json::to_string_pretty(&value).unwrap())
}

#[test]
fn results_files_with_unknown_versions_or_impossible_figures_are_refused_by_field() {
    let temp = tempfile::tempdir().unwrap();
    let cases: Vec<(&str, Box<Edit>, &str)> = vec![
        (
            "v2.json",
            Box::new(|v| v["format_version"] = 2.into()),
            "version 2",
        ),
        (
            "v0.json",
            Box::new(|v| v["format_version"] = 0.into()),
            "version 0",
        ),
        (
            "negative.json",
            Box::new(|v| v["scenarios"][0]["cells"][0]["throughput_bytes_per_sec"] = (-5.0).into()),
            "scenarios[0].cells[0].throughput_bytes_per_sec",
        ),
        (
            "huge.json",
            Box::new(|v| v["scenarios"][0]["cells"][1]["throughput_bytes_per_sec"] = 1e308.into()),
            "scenarios[0].cells[1].throughput_bytes_per_sec",
        ),
        (
            "counter.json",
            Box::new(|v| v["scenarios"][0]["cells"][0]["counters"]["read_calls"] = u64::MAX.into()),
            "scenarios[0].cells[0].counters.read_calls",
        ),
        (
            "twice.json",
            Box::new(|v| {
                let first = v["scenarios"][0]["cells"][0].clone();
                v["scenarios"][0]["cells"]
                    .as_array_mut()
                    .unwrap()
                    .push(first);
            }),
            "label",
        ),
    ];
    for (name, edit, field) in cases {
        let path = edited_results(temp.path(), name, edit);
        let out = temp.path().join(format!("out-{name}"));
        mmap_lab()
            .arg("report")
            .arg(&path)
            .arg("--out")
            .arg(&out)
            .assert()
            .code(2)
            .stderr(contains(path.display().to_string()))
            .stderr(contains(field));
        mmap_lab()
            .arg("compare")
            .arg("tests/fixtures/run-a.json")
            .arg(&path)
            .arg("--out")
            .arg(&out)
            .assert()
            .code(2)
            .stderr(contains(field));
        assert!(!out.exists(), "{name}: a refused file made --out");
    }
    // The one version so far still loads.
    let same = edited_results(temp.path(), "v1.json", |v| v["format_version"] = 1.into());
    mmap_lab()
        .arg("report")
        .arg(&same)
        .arg("--out")
        .arg(temp.path().join("ok"))
        .assert()
        .success();
}

#[test]
fn hand_edited_labels_cannot_split_markdown_rows_or_put_escape_codes_in_reports() {
    let temp = tempfile::tempdir().unwrap();
    let hostile = "y\nfilename=/etc/passwd\nrw=write\u{1b}[31m|";
    let path = edited_results(temp.path(), "labels.json", |v| {
        v["scenarios"][0]["cells"][0]["label"] = hostile.into();
        v["scenarios"][0]["about"] = "about\nwith\u{1b}[2J a break".into();
    });
    let out = temp.path().join("out");
    mmap_lab()
        .arg("report")
        .arg(&path)
        .arg("--out")
        .arg(&out)
        .assert()
        .success();
    let summary = std::fs::read_to_string(out.join("summary.md")).unwrap();
    let html = std::fs::read_to_string(out.join("index.html")).unwrap();
    assert!(!summary.contains('\u{1b}') && !html.contains('\u{1b}'));
    assert!(
        !summary
            .lines()
            .any(|l| l.starts_with("filename=") || l.starts_with("rw=")),
        "a label split a line of summary.md"
    );
    // The paragraph names the label too; its table row keeps its cells.
    let row = summary
        .lines()
        .find(|l| l.starts_with("| ") && l.contains("filename=/etc/passwd"))
        .expect("the label's row");
    assert!(row.ends_with('|') && row.contains("\\|"), "{row}");
}

#[test]
fn a_fio_job_file_carries_every_label_on_its_comment_line() {
    let temp = tempfile::tempdir().unwrap();
    let path = scenario(
        temp.path(),
        "\"4 KiB\"",
        r#"{"method": "positioned", "chunk": "4 KiB"}"#,
    );
    let mut scenario = mmap_lab::scenario::load(&path).unwrap();
    // As a hand-built scenario (or a future path around check) could hold it.
    scenario.methods[0].label = "y\nfilename=/etc/passwd\nrw=write".to_string();
    let text = mmap_lab::fio::job_file(&scenario, &scenario.sizes, Path::new(""));
    let options: Vec<&str> = text
        .lines()
        .filter(|l| !l.starts_with(';') && !l.starts_with('[') && !l.is_empty())
        .collect();
    assert!(!options.is_empty());
    assert!(
        !options.contains(&"rw=write") && !options.contains(&"filename=/etc/passwd"),
        "{text}"
    );
}

#[test]
fn out_and_work_dir_mistakes_exit_2_with_the_true_reason_and_create_nothing() {
    let temp = tempfile::tempdir().unwrap();
    let file = write(temp.path(), "a-file", "x");
    let tiny = scenario(temp.path(), "\"4 KiB\"", r#"{"method": "mmap"}"#);
    for command in [
        vec!["report", "tests/fixtures/run-a.json"],
        vec![
            "compare",
            "tests/fixtures/run-a.json",
            "tests/fixtures/run-b-nosyscalls.json",
        ],
    ] {
        mmap_lab()
            .args(&command)
            .arg("--out")
            .arg(&file)
            .assert()
            .code(2)
            .stderr(contains("exists and is not a directory"));
    }
    let out = temp.path().join("out");
    mmap_lab()
        .args(["run", "--quick", "--out"])
        .arg(&out)
        .arg("--work-dir")
        .arg(&file)
        .arg(&tiny)
        .assert()
        .code(2)
        .stderr(contains("exists and is not a directory"));
    assert!(!out.exists(), "a refused --work-dir left --out behind");
    mmap_lab()
        .args(["run", "--quick", "--out"])
        .arg(&out)
        .arg("--work-dir")
        .arg(temp.path().join("missing"))
        .arg(&tiny)
        .assert()
        .code(2)
        .stderr(contains("no such directory"));
    assert!(!out.exists());
}

#[test]
fn a_read_only_work_dir_is_refused_as_read_only() {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        eprintln!("skipped: mounting a read-only file system needs root");
        return;
    }
    let temp = tempfile::tempdir().unwrap();
    let ro = temp.path().join("ro");
    std::fs::create_dir(&ro).unwrap();
    let mounted = std::process::Command::new("mount")
        .args(["-t", "tmpfs", "-o", "ro,size=1m", "tmpfs"])
        .arg(&ro)
        .status()
        .is_ok_and(|s| s.success());
    if !mounted {
        eprintln!("skipped: cannot mount a read-only tmpfs here");
        return;
    }
    let tiny = scenario(temp.path(), "\"4 KiB\"", r#"{"method": "mmap"}"#);
    let out = temp.path().join("out");
    let assert = mmap_lab()
        .args(["run", "--quick", "--out"])
        .arg(&out)
        .arg("--work-dir")
        .arg(&ro)
        .arg(&tiny)
        .assert();
    let _ = std::process::Command::new("umount").arg(&ro).status();
    assert.code(2).stderr(contains("Read-only file system"));
    assert!(!out.exists());
}

#[test]
fn a_one_byte_chunk_costs_a_bounded_number_of_calls_in_the_unit_cost_step() {
    let work = mmap_lab::workdir::WorkDir::create(None).unwrap();
    let mut book = mmap_lab::model::CostBook::new(work.path(), true, None).unwrap();
    book.ensure_copy(1, 0, 16 << 20, mmap_lab::fill::CacheFill::OneWrite)
        .unwrap();
    let copy = book
        .costs()
        .iter()
        .find(|c| c.name == "copy" && c.chunk == Some(1))
        .unwrap();
    let calls: u64 = copy
        .how
        .split(", less ")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no call count in {:?}", copy.how));
    assert!(
        calls <= mmap_lab::model::MAX_CALLS_PER_MEASUREMENT,
        "{calls} calls: {}",
        copy.how
    );
    assert!(copy.value.is_finite() && copy.value >= 0.0);
}

/// A fake `fio` in `temp/bin` that runs `version_body` for `--version` and
/// `job_body` for a job; returns the PATH that finds it first.
fn fake_fio(temp: &Path, version_body: &str, job_body: &str) -> std::ffi::OsString {
    use std::os::unix::fs::PermissionsExt;
    let bin = temp.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let fake = bin.join("fio");
    std::fs::write(
        &fake,
        format!("#!/bin/sh\nif [ \"$1\" = --version ]; then {version_body}; fi\n{job_body}\n"),
    )
    .unwrap();
    std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755)).unwrap();
    let mut path = std::ffi::OsString::from(bin.as_os_str());
    path.push(":");
    path.push(std::env::var_os("PATH").unwrap_or_default());
    path
}

#[test]
fn a_fio_that_hangs_on_version_or_floods_its_output_cannot_hold_the_run() {
    let temp = tempfile::tempdir().unwrap();
    let tiny = write(
        temp.path(),
        "peer.json",
        r#"{"name": "p", "operation": "sequential_read", "sizes": ["4 KiB"], "samples": 2, "peers": ["fio"], "methods": [{"method": "positioned", "chunk": "4 KiB"}]}"#,
    );
    let cases = [
        ("exec sleep 300", "exit 1", "fio --version: killed after"),
        (
            "echo fio-3.33; exit 0",
            "head -c 100000000 /dev/zero; exit 0",
            "printed more than 16 MiB",
        ),
    ];
    for (version, job, said) in cases {
        let case = tempfile::tempdir_in(temp.path()).unwrap();
        let path = fake_fio(case.path(), version, job);
        mmap_lab()
            .env("PATH", path)
            .args(["run", "--quick", "--out"])
            .arg(case.path().join("out"))
            .arg("--work-dir")
            .arg(case.path())
            .arg(&tiny)
            .assert()
            .success()
            .stderr(contains(said));
    }
}

#[test]
fn as_nobody_an_unwritable_work_dir_or_out_is_refused_as_such() {
    use std::os::unix::fs::PermissionsExt;
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 || !Path::new("/usr/bin/setpriv").exists() {
        eprintln!("skipped: needs root and setpriv to run as nobody");
        return;
    }
    let temp = tempfile::tempdir().unwrap();
    std::fs::set_permissions(temp.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let tiny = scenario(temp.path(), "\"4 KiB\"", r#"{"method": "mmap"}"#);
    std::fs::set_permissions(&tiny, std::fs::Permissions::from_mode(0o644)).unwrap();
    let as_nobody = |args: &[&std::ffi::OsStr]| {
        std::process::Command::new("/usr/bin/setpriv")
            .args(["--reuid=nobody", "--regid=nogroup", "--clear-groups"])
            .arg(assert_cmd::cargo::cargo_bin!("mmap-lab"))
            .args(args)
            .output()
            .unwrap()
    };
    let out = temp.path().join("out");
    let refused = as_nobody(&[
        "run".as_ref(),
        "--quick".as_ref(),
        "--out".as_ref(),
        out.as_os_str(),
        "--work-dir".as_ref(),
        temp.path().as_os_str(),
        tiny.as_os_str(),
    ]);
    let said = String::from_utf8_lossy(&refused.stderr);
    assert_eq!(refused.status.code(), Some(2), "{said}");
    assert!(
        said.contains("--work-dir") && said.contains("Permission denied"),
        "{said}"
    );
    let refused = as_nobody(&[
        "report".as_ref(),
        std::fs::canonicalize("tests/fixtures/run-a.json")
            .unwrap()
            .as_os_str(),
        "--out".as_ref(),
        out.as_os_str(),
    ]);
    let said = String::from_utf8_lossy(&refused.stderr);
    assert_eq!(refused.status.code(), Some(2), "{said}");
    assert!(
        said.contains("--out") && said.contains("Permission denied"),
        "{said}"
    );
    assert!(!out.exists());
}
