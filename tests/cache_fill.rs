//! How a file came into the page cache: each fill lays out the folios it
//! says, the layout is read back truly, and every method reads the same
//! bytes under every fill.

use mmap_lab::fill::CacheFill;
use mmap_lab::folio::CacheLayout;
use mmap_lab::workdir::WorkDir;
use mmap_lab::workload::file_contents;

const SIZE: u64 = 16 << 20;

/// Lays out a file of [`SIZE`] bytes under `fill` and reads its layout.
fn layout_under(work: &WorkDir, fill: CacheFill) -> CacheLayout {
    let path = work.path().join("probe.bin");
    fill.lay_out(&path, &file_contents(9, 0, SIZE)).unwrap();
    let layout = CacheLayout::of(&[&path]).unwrap();
    std::fs::remove_file(&path).unwrap();
    layout
}

#[test]
fn folio_sizes_sum_to_the_file_and_follow_the_fill() {
    let work = WorkDir::create(None).unwrap();
    let one = layout_under(&work, CacheFill::OneWrite);
    let small = layout_under(&work, CacheFill::Writes(4096));
    let read_back = layout_under(&work, CacheFill::ReadBack);
    // The probe works for everyone: a warm file is wholly resident.
    let (one_faults, small_faults) = (
        one.faults_per_mib.expect("a warm file is probed"),
        small.faults_per_mib.expect("a warm file is probed"),
    );
    assert!(small_faults > 0.0 && one_faults > 0.0);
    let Some(histogram) = &one.folio_bytes else {
        let reason = one.unreadable.expect("a reason when unreadable");
        assert!(!reason.is_empty());
        eprintln!("skipped the folio checks: {reason}");
        return;
    };
    for layout in [&one, &small, &read_back] {
        let sum: u64 = layout.folio_bytes.as_ref().unwrap().values().sum();
        assert_eq!(sum, SIZE, "{layout:?}");
    }
    let page = mmap_lab::buffer::page_size() as u64;
    if histogram.keys().all(|&size| size == page) {
        eprintln!(
            "skipped the large-folio checks: this file system gave a one-write file only {page}-byte folios"
        );
        return;
    }
    // One write: mostly large folios; 4 KiB writes: mostly single pages.
    assert!(one.large_share().unwrap() > 0.5, "{one:?}");
    assert!(small.large_share().unwrap() < 0.5, "{small:?}");
    // A map faults once per folio (or fault-around's 16 pages): at least
    // 8 times as many faults per MiB over 4 KiB pages.
    assert!(
        small_faults >= 8.0 * one_faults,
        "{small_faults} vs {one_faults}"
    );
}

#[test]
fn every_method_reads_the_reference_under_every_fill() {
    use mmap_lab::fixture::{Fixture, VerifyError};
    use mmap_lab::method::{MethodKind, Unavailable};
    use mmap_lab::operation::{Operation, RandomRead, SequentialRead};
    use mmap_lab::vocab::{Cache, MethodName};
    let work = WorkDir::create(None).unwrap();
    let operations = [
        Operation::SequentialRead(SequentialRead::default()),
        Operation::RandomRead(RandomRead {
            count: 50,
            record: 4096,
            threads: 1,
        }),
    ];
    for fill in CacheFill::EXAMPLES {
        for operation in operations {
            let fixture =
                Fixture::new(operation, Cache::Warm, fill, 7, 1 << 20, work.path()).unwrap();
            let layout = fixture.layout().unwrap();
            assert!(
                layout.faults_per_mib.is_some(),
                "{fill}: the inputs are warm"
            );
            for &name in MethodName::ALL {
                let kind = MethodKind::default_for(name);
                match fixture.verify_method(kind.io()) {
                    Ok(_) => {}
                    Err(VerifyError::Io(e)) if Unavailable::reason_of(&e).is_some() => {}
                    Err(e) => panic!("{name} under {fill}: {e}"),
                }
            }
            fixture.remove().unwrap();
        }
    }
}

#[test]
fn an_unprivileged_run_records_why_folios_are_unreadable_and_still_probes_faults() {
    // As root, run a tiny scenario as `nobody` (uid 65534) through setpriv.
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        eprintln!("skipped: needs root to become nobody");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o777)).unwrap();
    let scenario = dir.path().join("t.json");
    std::fs::write(
        &scenario,
        r#"{"name": "t", "operation": "sequential_read", "sizes": ["1 MiB"], "samples": 2, "methods": [{"method": "mmap"}]}"#,
    )
    .unwrap();
    let out = dir.path().join("out");
    let status = std::process::Command::new("setpriv")
        .args(["--reuid=65534", "--regid=65534", "--clear-groups"])
        .arg(env!("CARGO_BIN_EXE_mmap-lab"))
        .arg("run")
        .arg("--quick")
        .arg(&scenario)
        .arg("--out")
        .arg(&out)
        .arg("--work-dir")
        .arg(dir.path())
        .output();
    let output = match status {
        Ok(output) if output.status.code() == Some(0) => output,
        Ok(output) => {
            let stderr = String::from_utf8_lossy(&output.stderr);
            if output.status.code().is_some_and(|c| c == 126 || c == 127)
                || stderr.contains("Permission denied")
            {
                eprintln!("skipped: nobody cannot run the binary here: {stderr}");
                return;
            }
            panic!("the run failed as nobody: {stderr}");
        }
        Err(e) => {
            eprintln!("skipped: no setpriv ({e})");
            return;
        }
    };
    assert!(output.status.success());
    let results = mmap_lab::results::Results::load(&out.join("results.json")).unwrap();
    let layout = results.scenarios[0].cells[0]
        .layout_before
        .as_ref()
        .expect("a warm cell records its layout");
    assert!(layout.folio_bytes.is_none());
    let reason = layout.unreadable.as_deref().unwrap();
    assert!(reason.contains("root"), "{reason}");
    assert!(layout.faults_per_mib.is_some_and(|f| f > 0.0));
}
