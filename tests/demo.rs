//! The lessons of `mmap-lab demo`: each runs to completion and its facts hold;
//! the lesson list, the CLI and docs/lessons/ stay in sync.

use assert_cmd::Command;
use mmap_lab::demo::{self, LESSONS, Steps};
use predicates::prelude::*;
use std::collections::BTreeSet;
use std::path::Path;

/// Runs a lesson function laid out for an 80-column terminal, with its
/// output captured; checks that every line fits; returns facts and output.
fn capture<T>(lesson: impl FnOnce(&mut Steps) -> anyhow::Result<T>) -> (T, String) {
    let mut buffer = Vec::new();
    let facts = {
        let mut steps = Steps::new(&mut buffer).with_width(Some(80));
        lesson(&mut steps).expect("the lesson runs to completion")
    };
    let text = String::from_utf8(buffer.clone()).expect("lesson output is UTF-8");
    for line in text.lines() {
        assert!(
            line.chars().count() <= 80,
            "wider than an 80-column terminal: {line:?}"
        );
    }
    (
        facts,
        String::from_utf8(buffer).expect("lesson output is UTF-8"),
    )
}

/// The output with every run of white space made one space, so prose can
/// be matched however it was wrapped.
fn one_line(output: &str) -> String {
    output
        .split_whitespace()
        .filter(|word| *word != "→")
        .collect::<Vec<_>>()
        .join(" ")
}

#[test]
fn read_shows_the_file_through_a_map_without_copying() {
    let (facts, output) = capture(demo::read::run);
    assert_eq!(facts.bytes, demo::read::TEXT.as_bytes());
    assert_eq!(facts.text, demo::read::TEXT);
    assert!(facts.page_aligned);
    assert_eq!(
        facts.map_reads,
        (0, 0),
        "a map makes no read calls and copies nothing"
    );
    assert_eq!(facts.file_reads.1, demo::read::TEXT.len() as u64);
    assert_eq!(facts.first_byte_after_close, b'E');
    assert!(output.contains("b\"Every byte of this file"));
}

#[test]
fn write_changes_the_file_exactly_as_described() {
    let (facts, _) = capture(demo::write::run);
    let new = demo::write::NEW_TEXT.as_bytes();
    let old = demo::write::OLD_TEXT.as_bytes();
    let mut expected = new.to_vec();
    expected.extend_from_slice(&old[new.len()..]);
    assert_eq!(facts.after, expected);
    assert_eq!(
        facts.after.len(),
        old.len(),
        "a map never changes the file's length"
    );
    assert!(facts.seen_before_flush);
    assert_eq!(facts.write_only_errno, Some(libc::EACCES));
    assert!(facts.growing_refused);
}

#[test]
fn copy_changes_the_map_and_leaves_the_file_byte_for_byte() {
    let (facts, _) = capture(demo::copy::run);
    assert_eq!(facts.file_after, demo::copy::TEXT.as_bytes());
    assert!(facts.map_after.starts_with(demo::copy::CHANGE));
    assert_ne!(facts.map_after, facts.file_after);
    assert!(facts.write_faults >= 1, "the first write copies the page");
}

#[test]
fn slice_gets_the_same_bytes_both_ways() {
    let (facts, _) = capture(demo::slice::run);
    let expected = &demo::slice::TEXT.as_bytes()[demo::slice::RANGE];
    assert_eq!(facts.by_map, expected);
    assert_eq!(facts.by_read, expected);
    assert_eq!(facts.map_counters.read_calls, 0);
    assert_eq!(facts.map_counters.bytes_to_user, 0);
    assert_eq!(facts.read_counters.read_calls, 1);
    assert_eq!(facts.read_counters.bytes_to_user, 89);
    if facts.syscalls_counted {
        assert_eq!(facts.map_counters.syscalls, Some(0));
        assert_eq!(facts.read_counters.syscalls, Some(2), "lseek + read");
        assert_eq!(facts.setup_counters.map_calls, Some(2), "mmap + munmap");
    }
}

#[test]
fn empty_sees_einval_from_mmap_and_an_empty_map_from_memmap2() {
    let (facts, _) = capture(demo::empty::run);
    assert_eq!(facts.raw_errno, Some(libc::EINVAL));
    assert_eq!(facts.memmap2_len, 0);
    if let Some(calls) = facts.memmap2_map_calls {
        assert_eq!(calls, 1, "memmap2 maps one byte instead of none");
    }
    assert!(facts.no_room_when_empty);
    assert_eq!(facts.final_contents, demo::empty::TEXT);
}

#[test]
fn offset_sees_einval_unaligned_and_memmap2_rounds_down() {
    let (facts, output) = capture(demo::offset::run);
    assert_eq!(facts.page_size, mmap_lab::machine::page_size());
    assert_eq!(facts.unaligned_errno, Some(libc::EINVAL));
    assert!(facts.aligned_ok);
    assert_eq!(facts.memmap2_bytes, facts.file_bytes);
    assert!(facts.memmap2_bytes.starts_with(b"[byte    100]"));
    assert_eq!(facts.pointer_into_page, demo::offset::OFFSET);
    assert!(facts.first_page_kept);
    assert!(facts.edit_landed);
    assert!(
        one_line(&output).contains("The EINVAL comes from glibc, not the kernel"),
        "the errno is glibc's (strace shows no mmap call for offset 100)"
    );
}

#[test]
fn why_measures_every_way_verified_and_says_what_its_times_show() {
    use demo::why::{self, MMAP};
    let big = 2 << 20;
    let (facts, output) = capture(|s| why::run_sized(s, big, 4096));
    for (trials, size) in [(&facts.big, big), (&facts.small, 4096)] {
        let by = |label: &str| {
            trials
                .iter()
                .find(|t| t.label == label)
                .unwrap_or_else(|| panic!("a row for {label}"))
        };
        assert_eq!(trials.len(), 9);
        for chunk in why::CHUNKS {
            let chunk = chunk as u64;
            let name = mmap_lab::units::ExactSize(chunk);
            let read = by(&format!("read() {name}"));
            assert_eq!(read.counters.read_calls, size.div_ceil(chunk) + 1);
            assert_eq!(read.counters.bytes_to_user, size);
            let pread = by(&format!("pread {name}"));
            assert_eq!(pread.counters.bytes_to_user, size);
        }
        assert_eq!(
            by("BufReader 8 KiB").counters.read_calls,
            size.div_ceil(8192) + 1
        );
        assert_eq!(by("fs::read").counters.bytes_to_user, size);
        let mapped = by(MMAP);
        assert_eq!(mapped.counters.read_calls, 0);
        assert_eq!(mapped.counters.bytes_to_user, 0);
        assert!(mapped.counters.minor_faults >= 1);
    }
    // Every sentence that rests on a measurement is the one it calls for.
    let prose = one_line(&output);
    let pages = big / mmap_lab::machine::page_size();
    let faults = why::map_faults(&facts.big);
    assert_eq!(facts.large_folios, why::uses_large_folios(pages, faults));
    assert!(prose.contains(if facts.large_folios {
        "which this page cache held in large folios"
    } else {
        "which this page cache held in single pages"
    }));
    assert!(prose.contains(&one_line(&why::big_sentence(&facts.big))));
    let verdict = why::verdict_sentence(&why::leaders(&facts.big), &why::leaders(&facts.small));
    assert!(
        prose.contains(&one_line(&verdict)),
        "{verdict:?} in:\n{output}"
    );
    assert!(prose.contains(&why::fastest_sentence(&why::leaders(&facts.small))));
}

#[test]
fn faults_are_fewer_than_pages_and_populate_moves_them() {
    use demo::faults;
    let (facts, output) = capture(|s| faults::run_sized(s, 4 << 20));
    let plain = &facts.rows[0];
    // Each sentence about a count is the one that count calls for.
    let prose = one_line(&output);
    for said in [
        faults::mapping_sentence(plain.while_mapping),
        faults::warm_advice_sentence(facts.rows[2].while_reading, plain.while_reading),
        faults::reading_sentence(facts.pages, plain.while_reading),
        faults::populate_cold_sentence(facts.cold[1].major),
        // Reading faults only: the stray fault mmap may take is not the file's.
        faults::cold_count_sentence(facts.cold[0].while_reading, plain.while_reading),
        faults::willneed_cold_sentence(facts.cold[4].while_reading, facts.cold[0].while_reading),
        faults::hugepage_cold_sentence(facts.cold[5].while_reading, facts.cold[0].while_reading),
    ] {
        assert!(prose.contains(&one_line(&said)), "{said:?} in:\n{output}");
    }
    if let Some(tmpfs) = facts.tmpfs.first() {
        let said = faults::reading_sentence(facts.pages, tmpfs.while_reading);
        assert!(prose.contains(&one_line(&said)), "{said:?} in:\n{output}");
    }
    let populate = &facts.rows[1];
    assert!(plain.while_reading >= 1);
    assert!(
        plain.while_reading < facts.pages,
        "fault-around maps many pages per fault"
    );
    assert_eq!(
        populate.while_reading, 0,
        "populate faults everything in at mmap"
    );
    assert_eq!(facts.cold.len(), facts.rows.len());
}

#[test]
fn cold_reads_come_from_disk_and_warm_reads_do_not() {
    let (facts, output) = capture(|s| demo::cold::run_sized(s, 4 << 20));
    assert_eq!(facts.rows.len(), 4);
    // What the lesson says about the cold map against cold read() follows
    // from the two times it measured.
    let (map, read) = (facts.rows[0].time, facts.rows[2].time);
    let verdict = demo::cold::ColdVerdict::of(&facts.rows[0].times, &facts.rows[2].times);
    assert_eq!(facts.rows[0].times.len(), demo::cold::ROUNDS as usize);
    assert_eq!(facts.verdict, verdict);
    let ratio = map.as_secs_f64() / read.as_secs_f64();
    let said = demo::cold::cold_sentence(verdict, ratio);
    assert!(one_line(&output).contains(&said), "{said:?} in:\n{output}");
    // read_ahead_kb is printed, as found; no unmeasured cause and no
    // advice that lesson faults shows does not help.
    assert!(output.contains(&demo::cold::read_ahead_text(facts.read_ahead_kb)));
    assert!(!output.contains("reads a window"), "{output}");
    assert!(
        !one_line(&output).contains("tells the kernel more"),
        "{output}"
    );
    let warm_map = &facts.rows[1].counters;
    let said = demo::cold::warm_again_sentence(
        (4 << 20) / mmap_lab::machine::page_size(),
        warm_map.minor_faults,
        warm_map.disk_read_bytes,
    );
    assert!(
        one_line(&output).contains(&one_line(&said)),
        "{said:?} in:\n{output}"
    );
    for row in &facts.rows {
        if !row.cold {
            assert_eq!(row.counters.disk_read_bytes, 0);
            assert_eq!(row.counters.major_faults, 0);
        } else if !facts.memory_backed {
            assert!(row.resident_before < 0.5, "eviction worked");
        }
    }
}

#[test]
fn align_honours_each_offset_verifies_every_pass_and_says_what_it_measured() {
    use demo::align::{CHUNKS, OFFSETS, Verdict};
    let rounds = 2;
    let (facts, output) = capture(|s| demo::align::run_sized(s, 2 << 20, rounds));
    assert_eq!(facts.rows.len(), CHUNKS.len() * OFFSETS.len());
    for chunk in CHUNKS {
        for offset in OFFSETS {
            let row = facts
                .rows
                .iter()
                .find(|r| r.chunk == chunk && r.offset == offset)
                .expect("a row for every chunk size and offset");
            assert_eq!(
                row.page_offset, offset as u64,
                "the buffer starts where asked"
            );
            assert_eq!(row.verified_passes, rounds, "every timed pass was checked");
            assert!(!row.per_pass.is_zero());
        }
    }
    assert!(output.contains(&format!(
        "all {} timed passes gave checksum {:#018x}, the file's",
        facts.rows.len() * rounds,
        facts.expected_checksum
    )));

    // The verdict, from the measured passes by the one judgement
    // (AlignFacts::outcomes asks crate::judge for each chunk size).
    let time = |chunk: usize, offset: usize| {
        let row = facts
            .rows
            .iter()
            .find(|r| r.chunk == chunk && r.offset == offset);
        row.unwrap().per_pass.as_secs_f64()
    };
    let ratios: Vec<f64> = CHUNKS.iter().map(|&c| time(c, 16) / time(c, 0)).collect();
    let expected = Verdict::of(&facts.outcomes(16));
    assert_eq!(facts.verdict, expected, "ratios {ratios:?}");
    let prose = output.split_whitespace().collect::<Vec<_>>().join(" ");
    let low = ratios.iter().copied().fold(f64::INFINITY, f64::min);
    let high = ratios.iter().copied().fold(0.0, f64::max);
    let said = match expected {
        Verdict::Slower => format!(
            "On this CPU, yes. The buffer 16 bytes past a page boundary took {low:.1}x to {high:.1}x"
        ),
        Verdict::NoPenalty => format!(
            "No difference this run can show. At every chunk size the buffer 16 bytes past a page boundary took {low:.2}x to {high:.2}x"
        ),
        Verdict::Faster => format!(
            "On this CPU the page-aligned buffer was the slow one: the buffer 16 bytes past a page boundary took only {low:.2}x to {high:.2}x"
        ),
        Verdict::Mixed => format!(
            "It depends on the chunk size here. The buffer 16 bytes past a page boundary took {:.2}x with {}",
            ratios[0],
            mmap_lab::units::ExactSize(CHUNKS[0] as u64)
        ),
    };
    assert!(
        prose.contains(&said),
        "the verdict says {said:?}:\n{output}"
    );

    assert_eq!(facts.flags, mmap_lab::machine::cpu_flags());
    for flag in &facts.flags {
        assert!(
            output.contains(&format!(" {flag}")),
            "the output shows {flag}"
        );
    }
    assert_eq!(facts.placements.len(), 4);
    for placement in &facts.placements {
        assert!(output.lines().any(|line| line.contains(placement.label)
            && line.ends_with(&format!("starts at +{}", placement.page_offset))));
    }
    for line in output.lines() {
        assert!(
            line.chars().count() <= 80,
            "wider than 80 columns: {line:?}"
        );
    }
}

#[test]
fn a_lesson_prints_a_heading_and_numbered_steps() {
    let lesson = demo::find("read").expect("read is a lesson");
    let (_, output) = capture(|s| lesson.run(s));
    assert!(output.starts_with("== read: "));
    assert!(output.contains("\n1. Make a small file"));
    assert!(output.contains("\n     | let map = unsafe { Mmap::map(&file) }.context("));
    assert!(!output.contains('\x1b'), "no colour unless asked");
}

#[test]
fn every_lesson_has_a_page_and_every_page_is_a_lesson() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/lessons");
    let lessons: BTreeSet<String> = LESSONS.iter().map(|l| l.name.to_string()).collect();
    let pages: BTreeSet<String> = std::fs::read_dir(&dir)
        .expect("docs/lessons exists")
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|e| e == "md"))
        .map(|path| path.file_stem().unwrap().to_string_lossy().into_owned())
        .filter(|stem| stem != "README")
        .collect();
    assert_eq!(
        lessons, pages,
        "docs/lessons/<name>.md for exactly the lessons"
    );
    let index = std::fs::read_to_string(dir.join("README.md")).expect("docs/lessons/README.md");
    let expected = demo::docs_index();
    assert!(
        index.contains(&expected),
        "docs/lessons/README.md's index must be the registry's (src/demo/mod.rs LESSONS); it should read:\n{expected}"
    );
    let rows = index
        .lines()
        .filter(|l| l.starts_with("| ") && l.contains(".md) |"));
    assert_eq!(
        rows.filter(|l| l
            .split('|')
            .nth(1)
            .is_some_and(|n| n.trim().parse::<usize>().is_ok()))
            .count(),
        LESSONS.len(),
        "the index has no rows beyond the registry's"
    );
}

#[test]
fn cli_lists_every_lesson() {
    let mut list = Command::cargo_bin("mmap-lab").unwrap();
    let assert = list.args(["demo", "--list"]).assert().success();
    let stdout = String::from_utf8(assert.get_output().stdout.clone()).unwrap();
    for lesson in LESSONS {
        assert!(
            stdout
                .lines()
                .any(|l| l.trim_start().starts_with(lesson.name) && l.contains(lesson.summary)),
            "--list shows {}",
            lesson.name
        );
    }
    for line in stdout.lines() {
        assert!(
            line.chars().count() <= 80,
            "--list line over 80 columns: {line}"
        );
    }
}

#[test]
fn cli_runs_one_lesson_without_colour() {
    Command::cargo_bin("mmap-lab")
        .unwrap()
        .args(["demo", "read", "--no-color"])
        .assert()
        .success()
        .stdout(predicate::str::starts_with("== read: "))
        .stdout(predicate::str::contains("\n1. "))
        .stdout(predicate::str::contains("b\"Every byte of this file"))
        .stdout(predicate::str::contains("\x1b").not());
}

#[test]
fn cli_refuses_an_unknown_lesson_with_exit_code_2_and_the_list() {
    Command::cargo_bin("mmap-lab")
        .unwrap()
        .args(["demo", "nosuch"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no lesson called \"nosuch\""))
        .stderr(predicate::str::contains("sigbus"));
}

#[test]
fn cli_pauses_between_steps_when_asked() {
    Command::cargo_bin("mmap-lab")
        .unwrap()
        .args(["demo", "empty", "--pause", "--no-color"])
        .write_stdin("\n".repeat(10))
        .assert()
        .success()
        .stdout(predicate::str::contains("[Enter for step 2]"));
}

#[test]
fn classroom_scenarios_are_valid_and_small() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/classroom");
    let files = mmap_lab::scenario::files_in(&dir).expect("scenarios/classroom exists");
    assert!(files.len() >= 5);
    let scenarios =
        mmap_lab::scenario::load_all(&files).expect("every classroom scenario is valid");
    for scenario in scenarios {
        let largest = scenario.sizes.iter().max().copied().unwrap_or(0);
        assert!(
            largest <= 64 << 20,
            "{}: classroom files stay small",
            scenario.name
        );
        assert!(scenario.samples <= 20, "{}: few samples", scenario.name);
    }
}

#[test]
fn layout_shows_two_layouts_of_one_file_and_says_only_what_its_samples_show() {
    use mmap_lab::demo::layout;
    use mmap_lab::fill::CacheFill;
    let (facts, output) = capture(|s| layout::run_sized(s, 16 << 20));
    let text = one_line(&output);
    assert_eq!(facts.layouts.len(), 2);
    assert_eq!(facts.rows.len(), 4);
    let faults = |i: usize| {
        facts.layouts[i]
            .1
            .faults_per_mib
            .expect("warm files are probed")
    };
    // The sentence about faults follows the probe's counts.
    let sentence = one_line(&layout::folio_sentence(&facts.layouts));
    assert!(text.contains(&sentence), "{sentence}");
    if faults(1) > faults(0) {
        let times = format!("{:.0}x the faults", faults(1) / faults(0));
        assert!(sentence.contains(&times), "{sentence} vs {times}");
    }
    // Each verdict is printed, and each names a winner only where the
    // project's judgement of noise finds one.
    for verdict in layout::verdicts(&facts.rows) {
        assert!(text.contains(&one_line(&verdict)), "{verdict}");
    }
    for fill in layout::FILLS {
        let row = |label: &str| {
            facts
                .rows
                .iter()
                .find(|r| r.fill == fill && r.label == label)
                .unwrap()
        };
        let (map, pread) = (row("mmap"), row("pread 64 KiB"));
        assert!(map.times.len() >= 2 && pread.times.len() >= 2);
        let same = layout::judged(map, pread).is_same();
        let name = if fill == CacheFill::OneWrite {
            "one write"
        } else {
            "4 KiB writes"
        };
        let said_same = text.contains(&format!(
            "Written in {name}: the map and pread took the same time within the noise"
        ));
        assert_eq!(same, said_same, "{name}: {map:?} {pread:?}");
    }
}

#[test]
fn every_page_shows_exactly_the_code_its_lesson_runs() {
    use demo::shown::{page_blocks, page_section, regions};
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/lessons");
    for lesson in LESSONS {
        let found =
            regions(lesson.source).unwrap_or_else(|e| panic!("src/demo/{}.rs: {e}", lesson.name));
        let page = std::fs::read_to_string(dir.join(format!("{}.md", lesson.name))).unwrap();
        let shown: Vec<(String, String)> = found
            .iter()
            .map(|r| (r.name.clone(), r.code.clone()))
            .collect();
        assert!(
            page_blocks(&page) == shown,
            "docs/lessons/{}.md must show the regions of src/demo/{}.rs, in order; its code section should read:\n{}",
            lesson.name,
            lesson.name,
            page_section(&found)
        );
    }
}

#[test]
fn every_region_a_lesson_shows_is_anchored_in_its_source() {
    for lesson in LESSONS {
        let found = demo::shown::regions(lesson.source).unwrap();
        let mut rest = lesson.source;
        while let Some(at) = rest.find("show(SOURCE, \"") {
            rest = &rest[at + "show(SOURCE, \"".len()..];
            let name = &rest[..rest.find('"').unwrap()];
            let region = found.iter().find(|r| r.name == name);
            assert!(
                region.is_some(),
                "src/demo/{}.rs shows region {name:?} but has no `// lesson:{name} begin`/`end`",
                lesson.name
            );
        }
        for region in &found {
            for line in region.code.lines() {
                assert!(
                    line.chars().count() <= 73,
                    "src/demo/{}.rs region {:?}: a shown line fits 80 columns after the bar (73): {line:?}",
                    lesson.name,
                    region.name
                );
            }
        }
    }
}

/// The widest line of `mmap-lab demo ARGS`, run with its output piped
/// (lines of code, which are laid out for 80 columns, left out when
/// `prose_only`).
fn widest_piped_line(args: &[&str], prose_only: bool) -> usize {
    let output = Command::cargo_bin("mmap-lab")
        .unwrap()
        .args(args)
        .env_remove("COLUMNS")
        .output()
        .unwrap();
    assert!(output.status.success(), "{args:?}");
    String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .filter(|l| !(prose_only && l.starts_with("     | ")))
        .map(|l| l.chars().count())
        .max()
        .unwrap_or(0)
}

#[test]
fn piped_lessons_fit_a_handout_and_width_is_honoured() {
    // Piped (not a terminal): 80 columns unless --width says otherwise.
    // slice, offset and sigbus print the longest result lines and paths.
    for lesson in ["slice", "offset", "sigbus", "empty"] {
        let widest = widest_piped_line(&["demo", lesson], false);
        assert!(widest <= 80, "{lesson} piped: a line of {widest} columns");
    }
    // Prose and tables follow --width; code keeps its lines (73 columns
    // at most, checked for every region).
    let widest = widest_piped_line(&["demo", "slice", "--width", "60"], true);
    assert!(widest <= 60, "--width 60: a line of {widest} columns");
    Command::cargo_bin("mmap-lab")
        .unwrap()
        .args(["demo", "read", "--width", "10"])
        .assert()
        .code(2);
}
