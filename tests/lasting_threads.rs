//! Every method of a run that lasts, under several threads, consumes
//! exactly what the content says (checksums per thread against references
//! computed from offsets), for random and sequential reads, the fold and
//! one byte per page, real data and a sparse file; a wrong byte is caught;
//! a run that lasts adds up and its timeline holds its progress.

use mmap_lab::lasting::access::{Consume, Pattern, Way};
use mmap_lab::lasting::content::Content;
use mmap_lab::lasting::run::{Job, Until, run, verify};
use mmap_lab::timeline::Sources;
use mmap_lab::vocab::Advice;
use std::os::unix::fs::FileExt;
use std::path::Path;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

const SIZE: u64 = 8 << 20;

fn ways(path: &Path) -> Vec<Way> {
    let mut ways = vec![
        Way::Mmap {
            advice: Advice::Normal,
        },
        Way::Mmap {
            advice: Advice::Random,
        },
        Way::Positioned {},
    ];
    // O_DIRECT where the file system takes it (not tmpfs before 6.6, some FUSE).
    if std::fs::OpenOptions::new()
        .read(true)
        .custom_flags_direct()
        .open(path)
        .is_ok()
    {
        ways.push(Way::Direct {});
        if io_uring::IoUring::new(4).is_ok() {
            ways.push(Way::Uring { depth: 32 });
            ways.push(Way::Uring { depth: 3 });
        } else {
            eprintln!("io_uring is unavailable here: uring is not verified");
        }
    } else {
        eprintln!("O_DIRECT is refused here: direct is not verified");
    }
    ways
}

trait DirectFlag {
    fn custom_flags_direct(&mut self) -> &mut Self;
}

impl DirectFlag for std::fs::OpenOptions {
    fn custom_flags_direct(&mut self) -> &mut Self {
        use std::os::unix::fs::OpenOptionsExt;
        self.custom_flags(libc::O_DIRECT)
    }
}

fn job(
    path: &Path,
    content: Content,
    way: Way,
    pattern: Pattern,
    consume: Consume,
    threads: u64,
) -> Job<'_> {
    Job {
        path,
        size: SIZE,
        content,
        seed: 42,
        way,
        pattern,
        consume,
        threads,
    }
}

#[test]
fn every_method_verifies_under_threads() {
    let dir = tempfile::tempdir_in("/var/tmp").unwrap();
    for content in [Content::Data { seed: 9 }, Content::Sparse] {
        let path = dir.path().join("data");
        content.create(&path, SIZE).unwrap();
        for way in ways(&path) {
            for pattern in [
                Pattern::Random { record: 4096 },
                Pattern::Sequential { record: 16384 },
            ] {
                for consume in [Consume::Fold, Consume::Touch] {
                    for threads in [1, 2, 3] {
                        let job = job(&path, content, way, pattern, consume, threads);
                        // Sequential: more accesses than the file has, so threads wrap.
                        verify(&job, 700)
                            .unwrap_or_else(|e| panic!("{content:?} {pattern:?} {consume:?}: {e}"));
                    }
                }
            }
        }
    }
}

#[test]
fn a_changed_byte_is_caught_by_every_method() {
    let dir = tempfile::tempdir_in("/var/tmp").unwrap();
    let path = dir.path().join("data");
    let content = Content::Data { seed: 3 };
    content.create(&path, SIZE).unwrap();
    // Change the first byte of every page, so that one byte per page sees it too.
    let file = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
    for page in 0..SIZE / 4096 {
        let mut byte = [0u8; 1];
        file.read_at(&mut byte, page * 4096).ok();
        file.write_at(&[byte[0] ^ 0xFF], page * 4096).unwrap();
    }
    file.sync_all().unwrap();
    drop(file);
    for way in ways(&path) {
        for consume in [Consume::Fold, Consume::Touch] {
            let job = job(
                &path,
                content,
                way,
                Pattern::Random { record: 4096 },
                consume,
                2,
            );
            let error = verify(&job, 50).unwrap_err();
            assert!(
                error.contains("thread") && error.contains("expected"),
                "{error}"
            );
        }
    }
}

#[test]
fn a_run_that_lasts_sums_its_threads_and_its_timeline_holds_its_progress() {
    let dir = tempfile::tempdir_in("/var/tmp").unwrap();
    let path = dir.path().join("data");
    let content = Content::Data { seed: 5 };
    content.create(&path, SIZE).unwrap();
    let job = job(
        &path,
        content,
        Way::Positioned {},
        Pattern::Random { record: 4096 },
        Consume::Fold,
        2,
    );
    let sampling = Some((Sources::find(dir.path()), Duration::from_millis(100)));
    let outcome = run(
        &job,
        Until::Elapsed(Duration::from_millis(600)),
        sampling,
        &AtomicBool::new(false),
    )
    .unwrap();
    assert_eq!(outcome.threads.len(), 2);
    assert!(outcome.threads.iter().all(|t| t.accesses > 0));
    assert_eq!(
        outcome.accesses,
        outcome.threads.iter().map(|t| t.accesses).sum::<u64>()
    );
    assert_eq!(outcome.bytes, outcome.accesses * 4096);
    let latency = outcome.latency.expect("pread accesses are timed");
    assert_eq!(latency.count, outcome.accesses);
    assert!(latency.p50_ns <= latency.p99_ns && latency.p99_ns <= latency.max_ns);
    assert!(latency.p50_ns > 0);
    let elapsed = Duration::from_nanos(outcome.elapsed_ns);
    assert!(
        elapsed >= Duration::from_millis(600) && elapsed < Duration::from_secs(3),
        "{elapsed:?}"
    );
    let timeline = outcome.timeline.unwrap();
    assert!(
        (5..=8).contains(&timeline.points.len()),
        "{}",
        timeline.points.len()
    );
    assert_eq!(timeline.total(|p| p.accesses), outcome.accesses);
    assert!(
        timeline
            .series
            .iter()
            .any(|s| s.field == "tlb_shootdowns" && s.system_wide)
    );
}

#[test]
fn an_interrupted_run_stops_early_and_keeps_what_it_did() {
    let dir = tempfile::tempdir_in("/var/tmp").unwrap();
    let path = dir.path().join("data");
    Content::Sparse.create(&path, SIZE).unwrap();
    let job = job(
        &path,
        Content::Sparse,
        Way::Mmap {
            advice: Advice::Random,
        },
        Pattern::Sequential { record: 4096 },
        Consume::Touch,
        2,
    );
    let interrupted = AtomicBool::new(true);
    let started = std::time::Instant::now();
    let outcome = run(
        &job,
        Until::Elapsed(Duration::from_secs(30)),
        None,
        &interrupted,
    )
    .unwrap();
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!(outcome.threads.len(), 2);
    assert_eq!(outcome.latency, None, "a map's touches are not timed");
}
