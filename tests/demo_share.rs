//! The `share` lesson, in a test binary of its own: it forks (see
//! tests/demo_sigbus.rs for why that must not share a process with lessons
//! that count page faults). What it asserts is what Linux promises for
//! shared and private maps, and each sentence it printed is the one its own
//! measurements call for.

use mmap_lab::demo::{self, Steps, share};

fn run() -> (share::ShareFacts, String) {
    let mut output = Vec::new();
    let facts =
        share::run(&mut Steps::new(&mut output).with_width(Some(80))).expect("the lesson runs");
    let output = String::from_utf8(output).unwrap();
    for line in output.lines() {
        assert!(
            line.chars().count() <= 80,
            "wider than 80 columns: {line:?}"
        );
    }
    (facts, output)
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[test]
fn share_shows_shared_and_private_maps_crashes_and_flushes_twice_in_a_row() {
    // A class runs it twice: the second run must see the same.
    for _ in 0..2 {
        let (facts, output) = run();
        assert!(
            facts.child_saw_parent,
            "MAP_SHARED: the child sees our write"
        );
        assert!(
            facts.parent_saw_child,
            "MAP_SHARED: we see the child's write"
        );
        assert_eq!(
            facts.private_page0_before,
            vec![b'.'; share::CHILD_NOTE.len()]
        );
        assert_eq!(
            facts.private_page0_after,
            share::CHILD_NOTE,
            "an unwritten page of a private map shows others' writes"
        );
        assert!(
            facts.private_page1_after.starts_with(share::PRIVATE_NOTE),
            "a written page of a private map keeps its own bytes"
        );
        assert_eq!(facts.crash_signal, Some(libc::SIGKILL));
        assert!(
            facts.crash_write_kept,
            "the page cache outlives the process"
        );
        assert!(facts.dirty.after_write > 0);
        assert_eq!(
            facts.dirty.after_flush, 0,
            "msync(MS_SYNC) cleans every page"
        );
        let prose = one_line(&output);
        assert!(prose.contains(&one_line(&share::flush_sentence(&facts.dirty))));
        assert!(prose.contains(&one_line(&share::allocation_sentence(
            facts.sparse_allocated,
            &facts.fallocated
        ))));
        if let Ok(bytes) = facts.fallocated {
            assert!(bytes >= facts.file_len, "fallocate reserved the whole file");
        }
        assert!(demo::find("share").is_some());
    }
}
