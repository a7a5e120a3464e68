//! The `uring` lesson, in a test binary of its own (its rings and their
//! kernel workers stay out of the other lessons' counts). It runs the lesson
//! on a 16 MiB file and checks what it counted against what io_uring,
//! pread and O_DIRECT must do, asks this machine on its own whether it can
//! run io_uring and O_DIRECT at all, and checks that every sentence chosen
//! from the numbers is the one printed.

use mmap_lab::demo::Steps;
use mmap_lab::demo::uring::{
    self, COUNT, DEPTH, DIRECT, DIRECT_RING, PREAD, RECORD, RING_1, RING_DEEP, UringFacts,
};
use mmap_lab::fill::CacheFill;
use mmap_lab::fixture::{Fixture, VerifyError};
use mmap_lab::method::{Direct, MethodKind, Unavailable, Uring};
use mmap_lab::operation::{Operation, RandomRead};
use mmap_lab::vocab::Cache;
use mmap_lab::workdir::WorkDir;

/// The file the test reads: small, but large enough for 1,000 records.
const SIZE: u64 = 16 << 20;

/// Runs the lesson laid out for an 80-column terminal; checks every line fits.
fn run() -> (UringFacts, String) {
    let mut output = Vec::new();
    let facts = uring::run_sized(&mut Steps::new(&mut output).with_width(Some(80)), SIZE, 1)
        .expect("the lesson runs to completion");
    let output = String::from_utf8(output).expect("lesson output is UTF-8");
    for line in output.lines() {
        assert!(
            line.chars().count() <= 80,
            "wider than an 80-column terminal: {line:?}"
        );
    }
    (facts, output)
}

/// Text with every run of white space (and the result arrows) made one
/// space, so prose matches however it was wrapped.
fn one_line(text: &str) -> String {
    text.split_whitespace()
        .filter(|word| *word != "→")
        .collect::<Vec<_>>()
        .join(" ")
}

/// Why this machine cannot run `kind` on a file in a fresh work directory
/// (where the lesson makes its own), or `None` when it can: asked here, not
/// taken from the lesson.
fn refusal(kind: MethodKind) -> Option<String> {
    let work = WorkDir::create(None).unwrap();
    let operation = Operation::RandomRead(RandomRead {
        count: 4,
        record: RECORD,
        threads: 1,
    });
    let fixture = Fixture::new(
        operation,
        Cache::Warm,
        CacheFill::OneWrite,
        1,
        1 << 20,
        work.path(),
    )
    .unwrap();
    match fixture.verify_method(kind.io()) {
        Ok(_) => None,
        Err(VerifyError::Io(e)) => Some(
            Unavailable::reason_of(&e).unwrap_or_else(|| panic!("{kind:?} failed otherwise: {e}")),
        ),
        Err(e) => panic!("{kind:?} read wrongly: {e}"),
    }
}

#[test]
fn uring_counts_what_each_way_must_do_and_says_what_it_measured() {
    let (facts, output) = run();
    let prose = one_line(&output);
    assert_eq!(facts.ways.len(), 5);
    assert_eq!(facts.payload(), COUNT * RECORD);
    // The closing paragraph does not say a cold fault is a read at depth
    // 1 (a fault reads around the page), and the counts table holds
    // counters only (what the CPU copied is mmap-lab's own tally).
    assert!(!prose.contains("like a read at depth 1"), "{output}");
    assert!(prose.contains("Cold, a fault is not a 4 KiB read at depth 1"));
    for header in output.lines().filter(|l| l.contains("requests")) {
        assert!(!header.contains("copied"), "{header}");
    }

    // pread: one read call per record, warm and cold.
    for cold in [false, true] {
        let pread = facts.cell(PREAD, cold).expect("pread always runs");
        assert_eq!(pread.counters.read_calls, COUNT);
        assert_eq!(pread.counters.ring_enters, 0);
        assert_eq!(pread.counters.bytes_to_user, facts.payload());
        if let Some(calls) = pread.counters.syscalls {
            assert!((COUNT..COUNT + 5).contains(&calls), "pread: {calls} calls");
        }
    }

    // io_uring: the machine is asked first whether it can run a ring.
    let ring = MethodKind::Uring(Uring {
        chunk: RECORD as usize,
        depth: DEPTH,
        fixed: false,
        direct: false,
    });
    match refusal(ring) {
        Some(reason) => {
            // No ring here: the lesson must say why, not pass in silence.
            for label in [RING_1, RING_DEEP, DIRECT_RING] {
                let way = facts.way(label).unwrap();
                assert!(way.unavailable.is_some(), "{label} cannot have run");
                assert!(way.warm.is_none() && way.cold.is_none());
            }
            assert!(
                prose.contains(&format!("{RING_DEEP} skipped")),
                "the lesson says it skipped the ring:\n{output}"
            );
            assert!(
                prose.contains(&one_line(&reason)),
                "the lesson prints why io_uring was skipped ({reason}):\n{output}"
            );
        }
        None => {
            let deep = facts.cell(RING_DEEP, false).expect("the ring ran warm");
            let c = &deep.counters;
            assert!(
                c.ring_enters <= COUNT / u64::from(DEPTH) + 4,
                "depth {DEPTH}: {} enters for {COUNT} reads",
                c.ring_enters
            );
            assert_eq!(c.read_calls, 0, "a ring makes no read calls");
            assert_eq!(c.ring_requests, COUNT);
            assert_eq!(c.ring_completions, COUNT);
            assert_eq!(c.ring_bytes, facts.payload());
            if let Some(calls) = c.syscalls {
                assert!(calls <= c.ring_enters + 4, "{calls} calls in all");
            }
            let cold = facts.cell(RING_DEEP, true).expect("the ring ran cold");
            assert_eq!(cold.counters.read_calls, 0);
            assert_eq!(cold.counters.ring_requests, COUNT);
            let one = facts.cell(RING_1, false).expect("depth 1 ran warm");
            assert_eq!(one.counters.ring_enters, COUNT, "depth 1: one enter a read");
        }
    }

    // O_DIRECT: asked of the machine the same way.
    let direct = MethodKind::Direct(Direct {
        chunk: RECORD as usize,
    });
    match refusal(direct) {
        Some(reason) => {
            assert!(facts.way(DIRECT).unwrap().unavailable.is_some());
            assert!(
                prose.contains(&format!("{DIRECT} skipped")),
                "the lesson says it skipped O_DIRECT:\n{output}"
            );
            assert!(
                prose.contains(&one_line(&reason)),
                "the lesson prints why O_DIRECT was skipped ({reason}):\n{output}"
            );
        }
        None => {
            let warm = facts.cell(DIRECT, false).expect("O_DIRECT ran warm");
            assert_eq!(warm.counters.read_calls, COUNT);
            assert_eq!(
                warm.counters.bytes_to_user,
                facts.payload(),
                "rchar counts what O_DIRECT reads return"
            );
            assert_eq!(
                warm.counters.bytes_copied,
                Some(0),
                "but the CPU copied none"
            );
            if !facts.memory_backed {
                assert_eq!(
                    warm.counters.disk_read_bytes,
                    facts.payload(),
                    "O_DIRECT reads a warm file from the device"
                );
                let cold = facts.cell(DIRECT, true).expect("O_DIRECT ran cold");
                assert_eq!(cold.counters.disk_read_bytes, facts.payload());
                assert_eq!(
                    cold.resident_after,
                    Some(0.0),
                    "O_DIRECT leaves a cold file uncached"
                );
                let pread = facts.cell(PREAD, true).unwrap();
                assert!(
                    pread.resident_after.unwrap() > 0.0,
                    "pread caches what it read"
                );
            }
        }
    }

    // Every sentence chosen from the numbers is the one printed.
    for said in [
        uring::calls_sentence(&facts),
        uring::warm_sentence(&facts),
        uring::cold_sentence(&facts),
        uring::direct_sentence(&facts),
        uring::answers(&facts),
    ] {
        assert!(prose.contains(&one_line(&said)), "{said:?} in:\n{output}");
    }
    if !facts.syscalls_counted {
        assert!(
            prose.contains(&one_line(&facts.syscall_source)),
            "without syscall counts the lesson says how to get them:\n{output}"
        );
    }
}
