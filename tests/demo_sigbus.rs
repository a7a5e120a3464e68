//! The `sigbus` lesson, in a test binary of its own: it forks, and a fork
//! makes every writable page of the parent copy-on-write, so the other
//! lessons' fault counts (measured on their own threads, in parallel) would
//! pick up the copying if they shared this process.

use mmap_lab::demo::{self, Steps};

#[test]
fn sigbus_kills_the_child_and_not_the_parent() {
    let mut output = Vec::new();
    let facts = demo::sigbus::run(&mut Steps::new(&mut output).with_width(Some(80)))
        .expect("the lesson runs");
    assert_eq!(facts.child_signal, Some(libc::SIGBUS));
    assert_eq!(facts.child_exit_code, None);
    assert_eq!(
        facts.map_len_after_truncate,
        2 * mmap_lab::machine::page_size() as usize
    );
    let output = String::from_utf8(output).unwrap();
    for line in output.lines() {
        assert!(
            line.chars().count() <= 80,
            "wider than 80 columns: {line:?}"
        );
    }
    assert!(output.contains("killed by signal 7 (SIGBUS)"));
    // Past the end but inside the file's last page: zeros, no signal, and
    // the lesson says so (not that any byte past the end faults).
    let page = mmap_lab::machine::page_size() as usize;
    assert!(facts.tail_len > page && facts.tail_len < 2 * page);
    assert_eq!(facts.tail_signal, None);
    let prose = output.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(prose.contains("bytes past the end of a file but inside its last page read as 0"));
    assert!(prose.contains("wholly past the file's end"));
    assert!(!prose.contains("the part of the file's last page past its end, or beyond"));
    assert!(prose.contains("debug.SetPanicOnFault"));
}
