//! fio beside mmap-lab: parsing a real fio output, the job for every method
//! and operation, the skip paths (fio missing, fio failing) and, only where
//! fio is installed, a run end to end.

use assert_cmd::Command;
use mmap_lab::fio::{self, Direction, Fio, parse_output};
use mmap_lab::operation::{ManyFiles, Operation, RandomRead};
use mmap_lab::results::Results;
use mmap_lab::scenario::{self, Scenario};
use mmap_lab::vocab::OperationKind;
use predicates::str::contains;
use std::path::{Path, PathBuf};

/// Every method, with options that change the job.
const METHODS: &str = r#"[
    {"method": "mmap"},
    {"method": "mmap", "advice": "random"},
    {"method": "positioned", "chunk": "64 KiB"},
    {"method": "positioned", "chunk": "1 MiB", "buffer_offset": 16},
    {"method": "unbuffered", "chunk": "4 KiB"},
    {"method": "buffered"},
    {"method": "whole"}
]"#;

/// copy_on_write takes only a map or the whole file.
const COPY_METHODS: &str = r#"[{"method": "mmap"}, {"method": "whole"}]"#;

fn scenario_for(operation: &str, fields: &str, cache: &str) -> Scenario {
    let methods = if operation == "copy_on_write" {
        COPY_METHODS
    } else {
        METHODS
    };
    let text = format!(
        r#"{{"name": "t", "operation": "{operation}", "cache": "{cache}", "sizes": ["1 MiB"], {fields} "methods": {methods}}}"#
    );
    scenario::from_json(&text, Path::new("t.json")).unwrap()
}

fn option<'a>(job: &'a fio::Job, key: &str) -> Option<&'a str> {
    job.options
        .iter()
        .find(|(k, _)| *k == key)
        .map(|(_, v)| v.as_str())
}

#[test]
fn a_checked_in_fio_output_parses() {
    let text = std::fs::read_to_string("tests/fixtures/fio-3.33-psync-64k.json").unwrap();
    let figures = parse_output(&text, Direction::Read).unwrap();
    assert_eq!(figures.version, "fio-3.33");
    assert_eq!(figures.io_bytes, 209_715_200);
    assert_eq!(figures.runtime_ms, 25);
    assert_eq!(figures.throughput_bytes_per_sec, 209_715_200.0 / 0.025);
    assert_eq!(figures.iops, 128_000.0);
    assert_eq!(figures.latency_ns["p50"], 3056);
    assert!(figures.latency_ns.contains_key("p99.9"));
    // A write job has no bytes in this output.
    assert!(parse_output(&text, Direction::Write).is_err());
}

#[test]
fn every_method_and_operation_gets_its_job_or_none() {
    let cases = [
        ("sequential_read", "", Some("read")),
        (
            "random_read",
            r#""count": 100, "record": "4 KiB","#,
            Some("randread"),
        ),
        ("slice", r#""range": [0, 4096],"#, None),
        (
            "overwrite",
            r#""len": "64 KiB", "sync": true,"#,
            Some("write"),
        ),
        ("sequential_write", "", Some("write")),
        ("copy_on_write", r#""len": "4 KiB","#, None),
        ("many_files", r#""files": 3,"#, Some("read")),
    ];
    for (operation, fields, rw) in cases {
        for cache in ["warm", "cold"] {
            if cache == "cold" && operation == "sequential_write" {
                continue;
            }
            let scenario = scenario_for(operation, fields, cache);
            let files: Vec<PathBuf> = (0..scenario.operation.input_files())
                .map(|i| PathBuf::from(format!("/w/input-{i}.bin")))
                .collect();
            for spec in &scenario.methods {
                let job = fio::job_for(&scenario, spec, 1 << 20, &files, Path::new("/w/o.bin"), 7);
                let expected = rw.filter(|_| fio::engine_for(&spec.kind).is_some());
                assert_eq!(
                    job.as_ref().and_then(|j| option(j, "rw")),
                    expected,
                    "{operation} {}",
                    spec.label
                );
                let Some(job) = job else { continue };
                let engine = option(&job, "ioengine").unwrap();
                assert_eq!(engine, job.engine);
                assert_eq!(
                    engine,
                    match spec.kind.name().name() {
                        "mmap" => "mmap",
                        "positioned" => "psync",
                        "unbuffered" => "sync",
                        other => panic!("{other} has no fio engine"),
                    }
                );
                let align = if spec.label.ends_with("+16") {
                    "16"
                } else {
                    "4096"
                };
                assert_eq!(option(&job, "iomem_align"), Some(align), "{}", spec.label);
                let invalidate = if cache == "cold" { "1" } else { "0" };
                assert_eq!(option(&job, "invalidate"), Some(invalidate));
                assert!(job.command("fio").starts_with("fio --name="));
                assert!(
                    job.section()
                        .contains(&format!("; cell: {} at 1 MiB", spec.label))
                );
                check_operation(&scenario, &job);
            }
        }
    }
}

/// The bytes, offsets and files of a job match the operation.
fn check_operation(scenario: &Scenario, job: &fio::Job) {
    match scenario.operation {
        Operation::SequentialRead(_) => {
            assert_eq!(option(job, "size"), Some("1048576"));
            assert_eq!(option(job, "loops"), Some("7"));
        }
        Operation::RandomRead(RandomRead { count, record, .. }) => {
            assert_eq!(option(job, "bs"), Some(record.to_string().as_str()));
            assert_eq!(
                option(job, "io_size"),
                Some((count * record * 7).to_string().as_str())
            );
            assert!(job.notes.iter().any(|n| n.contains("offsets")));
        }
        Operation::ManyFiles(ManyFiles { files }) => {
            assert_eq!(
                option(job, "filename").unwrap().split(':').count() as u64,
                files
            );
            assert_eq!(option(job, "file_service_type"), Some("sequential"));
        }
        Operation::Overwrite(_) => {
            assert_eq!(option(job, "offset"), Some("0"));
            assert_eq!(option(job, "size"), Some("65536"));
            assert!(option(job, "fdatasync").is_some());
            assert_eq!(job.direction, Direction::Write);
        }
        Operation::SequentialWrite(_) => {
            assert_eq!(option(job, "filename"), Some("/w/o.bin"));
            assert_eq!(job.created, [PathBuf::from("/w/o.bin")]);
        }
        Operation::Slice(_) | Operation::CopyOnWrite(_) => {
            panic!("{} has no fio job", scenario.operation.kind())
        }
    }
    assert!(matches!(
        scenario.operation.kind(),
        OperationKind::SequentialRead
            | OperationKind::RandomRead
            | OperationKind::ManyFiles
            | OperationKind::Overwrite
            | OperationKind::SequentialWrite
    ));
}

#[test]
fn a_block_larger_than_the_file_is_cut_to_the_file() {
    let scenario = scenario::from_json(
        r#"{"name": "t", "operation": "sequential_read", "sizes": ["4 KiB"], "methods": [{"method": "positioned", "chunk": "1 MiB"}]}"#,
        Path::new("t.json"),
    )
    .unwrap();
    let job = fio::job_for(
        &scenario,
        &scenario.methods[0],
        4096,
        &[PathBuf::from("/w/a.bin")],
        Path::new("/w/o.bin"),
        1,
    )
    .unwrap();
    assert_eq!(option(&job, "bs"), Some("4096"));
}

#[test]
fn loops_make_a_job_last_long_enough() {
    use std::time::Duration;
    assert_eq!(fio::loops_for(Duration::from_millis(1)), 250);
    assert_eq!(fio::loops_for(Duration::from_secs(1)), 1);
    assert_eq!(fio::loops_for(Duration::ZERO), fio::MAX_LOOPS);
}

const TINY: &str = r#"{
  "name": "tiny-fio",
  "operation": "sequential_read",
  "sizes": ["1 MiB"],
  "samples": 3,
  "peers": ["fio"],
  "methods": [{"method": "mmap"}, {"method": "positioned", "chunk": "64 KiB"}, {"method": "whole"}]
}"#;

/// Runs `mmap-lab run --quick` on TINY with PATH set to `path`.
fn run_tiny(path: &std::ffi::OsStr) -> (assert_cmd::assert::Assert, Results, tempfile::TempDir) {
    let temp = tempfile::tempdir().unwrap();
    let scenario = temp.path().join("tiny.json");
    std::fs::write(&scenario, TINY).unwrap();
    let out = temp.path().join("out");
    let work = temp.path().join("work");
    std::fs::create_dir(&work).unwrap();
    let assert = Command::cargo_bin("mmap-lab")
        .unwrap()
        .env("PATH", path)
        .args(["run", "--quick", "--out"])
        .arg(&out)
        .arg("--work-dir")
        .arg(&work)
        .arg(&scenario)
        .assert();
    let results = Results::load(&out.join("results.json")).unwrap();
    (assert, results, temp)
}

#[test]
fn without_fio_on_path_the_run_says_so_once_and_succeeds() {
    let empty = tempfile::tempdir().unwrap();
    let (assert, results, _temp) = run_tiny(empty.path().as_os_str());
    let assert = assert
        .success()
        .stderr(contains("peer lines skipped: fio is not on PATH"));
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).to_string();
    assert_eq!(stderr.matches("peer lines skipped").count(), 1);
    assert!(results.scenarios[0].peers.is_empty());
    assert!(matches!(
        Fio::at(empty.path().join("fio")),
        Err(fio::FioError::Failed { .. })
    ));
}

#[test]
fn a_failing_fio_leaves_its_cells_without_peers_and_the_run_succeeds() {
    use std::os::unix::fs::PermissionsExt;
    let bin = tempfile::tempdir().unwrap();
    let fake = bin.path().join("fio");
    std::fs::write(
        &fake,
        "#!/bin/sh\nif [ \"$1\" = --version ]; then echo fio-3.33; exit 0; fi\necho 'fio: broken on purpose' >&2\nexit 1\n",
    )
    .unwrap();
    std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755)).unwrap();
    let (assert, results, _temp) = run_tiny(bin.path().as_os_str());
    assert
        .success()
        .stderr(contains("peer line skipped for tiny-fio 1 MiB mmap"))
        .stderr(contains("broken on purpose"));
    assert!(results.scenarios[0].peers.is_empty());
}

#[test]
fn an_unknown_peer_exits_2_naming_the_file_and_field() {
    let temp = tempfile::tempdir().unwrap();
    let scenario = temp.path().join("bad.json");
    std::fs::write(&scenario, TINY.replace(r#"["fio"]"#, r#"["foo"]"#)).unwrap();
    Command::cargo_bin("mmap-lab")
        .unwrap()
        .arg("check")
        .arg(&scenario)
        .assert()
        .code(2)
        .stderr(contains("bad.json"))
        .stderr(contains("peers[0]"));
    Command::cargo_bin("mmap-lab")
        .unwrap()
        .args(["run", "--peers", "foo"])
        .arg(&scenario)
        .assert()
        .code(2)
        .stderr(contains("unknown peer"));
    Command::cargo_bin("mmap-lab")
        .unwrap()
        .args(["fio-job", "--size", "2 MiB"])
        .arg(temp.path().join("bad.json"))
        .assert()
        .code(2);
}

#[test]
fn fio_job_prints_a_section_per_cell_with_an_equivalent() {
    let temp = tempfile::tempdir().unwrap();
    let scenario = temp.path().join("tiny.json");
    std::fs::write(&scenario, TINY).unwrap();
    Command::cargo_bin("mmap-lab")
        .unwrap()
        .args(["fio-job", "--size", "1 MiB"])
        .arg(&scenario)
        .assert()
        .success()
        .stdout(contains("; cell: mmap at 1 MiB\n"))
        .stdout(contains("; cell: positioned 64 KiB at 1 MiB\n"))
        .stdout(contains("ioengine=psync\n"))
        .stdout(contains("iomem_align=4096\n"))
        .stdout(contains("; no fio equivalent: whole at 1 MiB"));
    Command::cargo_bin("mmap-lab")
        .unwrap()
        .args(["fio-job", "--size", "3 MiB"])
        .arg(&scenario)
        .assert()
        .code(2)
        .stderr(contains("tiny.json"))
        .stderr(contains("field `sizes`"));
}

#[test]
fn with_fio_installed_every_equivalent_cell_gets_a_peer_line() {
    let Ok(found) = Fio::find() else {
        eprintln!("fio not found on PATH: skipping the end-to-end peer test");
        return;
    };
    let _ = found;
    let path = std::env::var_os("PATH").unwrap_or_default();
    let (assert, results, _temp) = run_tiny(&path);
    assert.success().stdout(contains("vs fio"));
    let peers = &results.scenarios[0].peers;
    let labels: Vec<&str> = peers.iter().map(|p| p.label.as_str()).collect();
    assert_eq!(labels, ["mmap", "positioned 64 KiB"]);
    for peer in peers {
        assert!(peer.throughput_bytes_per_sec > 0.0 && peer.ratio > 0.0);
        assert!(peer.command.contains("--output-format=json"));
        assert!(peer.fio_version.starts_with("fio-"));
        assert!(peer.latency_ns.contains_key("p50"));
    }
}

#[test]
fn direct_and_uring_jobs_carry_o_direct_depth_and_fixed_buffers() {
    let scenario = scenario::from_json(
        r#"{"name": "t", "operation": "random_read", "count": 100, "record": "4 KiB", "sizes": ["1 MiB"], "methods": [
            {"method": "direct", "chunk": "4 KiB"},
            {"method": "uring", "chunk": "4 KiB", "depth": 16, "fixed": true, "direct": true},
            {"method": "uring", "chunk": "4 KiB", "depth": 1}
        ]}"#,
        Path::new("t.json"),
    )
    .unwrap();
    let job = |index: usize| {
        fio::job_for(
            &scenario,
            &scenario.methods[index],
            1 << 20,
            &[PathBuf::from("/w/a.bin")],
            Path::new("/w/o.bin"),
            1,
        )
        .unwrap()
    };
    let direct = job(0);
    assert_eq!(direct.engine, "psync");
    assert_eq!(option(&direct, "direct"), Some("1"));
    assert_eq!(option(&direct, "iodepth"), None);
    let ring = job(1);
    assert_eq!(ring.engine, "io_uring");
    assert_eq!(option(&ring, "direct"), Some("1"));
    assert_eq!(option(&ring, "iodepth"), Some("16"));
    assert_eq!(option(&ring, "fixedbufs"), Some("1"));
    assert_eq!(option(&ring, "iomem_align"), Some("4096"));
    let shallow = job(2);
    assert_eq!(option(&shallow, "direct"), None);
    assert_eq!(option(&shallow, "iodepth"), Some("1"));
    assert_eq!(option(&shallow, "fixedbufs"), None);
}
