//! Lesson `slice`: take bytes 9..98 from a map as a slice, and the same bytes
//! with seek + read, and count the system calls each way takes.

use super::sandbox::open_read;
use super::{Sandbox, Steps, byte_literal};
use crate::probe::Probe;
use crate::results::Counters;
use anyhow::Context;
use memmap2::Mmap;
use std::io::{Read, Seek, SeekFrom};

/// This file: the code its steps show ([`super::shown`]).
pub const SOURCE: &str = include_str!("slice.rs");

/// The file the lesson slices (more than 98 bytes).
pub const TEXT: &str = "A map can be sliced like any byte array: take a range, search it, \
compare it, and only the pages you touch are brought in. Seek and read ask the kernel \
to copy the range for you instead.\n";
/// The range taken, as Python's `[9:98]`.
pub const RANGE: std::ops::Range<usize> = 9..98;

/// What the lesson saw.
#[derive(Debug, Clone)]
pub struct SliceFacts {
    /// Bytes 9..98 through the map.
    pub by_map: Vec<u8>,
    /// Bytes 9..98 through seek + read.
    pub by_read: Vec<u8>,
    /// Counters of taking the slice from an existing map.
    pub map_counters: Counters,
    /// Counters of seek + read on an open file.
    pub read_counters: Counters,
    /// Counters of making and dropping the map.
    pub setup_counters: Counters,
    /// True when system calls could be counted here.
    pub syscalls_counted: bool,
}

/// Runs the lesson.
pub fn run(steps: &mut Steps) -> anyhow::Result<SliceFacts> {
    let sandbox = Sandbox::new()?;
    steps.step("Make a file of a few sentences and map it.")?;
    steps.show(SOURCE, "map")?;
    // lesson:map begin
    let path = sandbox.file("sentences.txt", TEXT.as_bytes())?;
    let mut file = open_read(&path)?; // File::open
    // SAFETY: the file is private to this lesson and nothing truncates it.
    let map = unsafe { Mmap::map(&file) }.context("cannot map it")?;
    // lesson:map end
    steps.result(&format!("{} bytes mapped", map.len()))?;

    let mut probe = Probe::counting()?; // counts; times nothing
    let counted = probe.syscall_counting().available;

    steps.step("Take bytes 9..98 from the map (Python: mmap_object[9:98]).")?;
    steps.show(SOURCE, "slice")?;
    // lesson:slice begin
    // RANGE is 9..98; &map[RANGE] alone copies nothing
    let (by_map, _, map_counters) = probe.measure(|| map[RANGE].to_vec())?;
    // lesson:slice end
    steps.result(&byte_literal(&by_map))?;
    steps.say(
        "Ranges are half-open in both languages: 9..98 is 89 bytes, from byte 9\n\
         up to but not including byte 98.",
    )?;

    steps.step("The same bytes with seek + read on the open file.")?;
    steps.show(SOURCE, "seek-read")?;
    // lesson:seek-read begin
    let seek_and_read = || -> std::io::Result<Vec<u8>> {
        file.seek(SeekFrom::Start(RANGE.start as u64))?;
        let mut buffer = vec![0u8; RANGE.len()];
        file.read_exact(&mut buffer)?;
        Ok(buffer)
    };
    let (by_read, _, read_counters) = probe.measure(seek_and_read)?;
    // lesson:seek-read end
    let by_read = by_read.with_context(|| format!("cannot read {}", path.display()))?;
    steps.result(&byte_literal(&by_read))?;
    steps.result(&format!("same bytes both ways: {}", by_map == by_read))?;
    anyhow::ensure!(by_map == by_read, "the map and seek + read disagree");

    steps.step("What steps 2 and 3 cost, as the kernel counted them.")?;
    steps.say("The counters were read around steps 2 and 3 as they ran.")?;
    steps.result(&cost_table(&map_counters, &read_counters, counted))?;
    steps.say(
        "\"kernel copied\" is what read calls copied out of the kernel. The\n\
         slice's to_vec() copied 89 bytes too, inside this program: ordinary\n\
         memory work, which no kernel counter sees.",
    )?;
    if counted {
        steps.say(
            "seek + read is two system calls (lseek, then read) and a copy of 89\n\
             bytes out of the kernel. The slice is ordinary memory access: no call.\n\
             Its first touch of a page may take a page fault instead.",
        )?;
    } else {
        steps.say(&format!(
            "Total system calls cannot be counted here:\n  {}.\n\
             The read-family count shows the read; lseek is one more call that this\n\
             counter does not see, so seek + read is two calls. The slice makes none;\n\
             its first touch of a page may take a page fault instead.",
            probe.syscall_counting().source
        ))?;
    }

    steps.step("But the map itself is not free: count making and dropping one.")?;
    steps.show(SOURCE, "setup")?;
    // lesson:setup begin
    let (made, _, setup_counters) = probe.measure(|| {
        // SAFETY: as above.
        unsafe { Mmap::map(&file) }.map(drop)
    })?;
    // lesson:setup end
    made.with_context(|| format!("cannot map {}", path.display()))?;
    match (setup_counters.syscalls, setup_counters.map_calls) {
        (Some(all), Some(map_calls)) => steps.result(&format!(
            "{all} system calls: {map_calls} mmap/munmap, the rest statx (memmap2 asks the file's length)"
        ))?,
        _ => {
            steps.result("mmap + munmap (and a statx to learn the length): not countable here")?
        }
    }
    steps.say(
        "For one small range, pread (read_at) is a single call and sets up no\n\
         map (this lesson counted calls; it did not time them: lesson why\n\
         does). A map pays off when you take many slices, or jump around a\n\
         large file.",
    )?;

    steps.step("A map behaves like a byte string: search it, compare it.")?;
    steps.show(SOURCE, "search")?;
    // lesson:search begin
    let starts = map.starts_with(b"A map");
    // Python: map.find(b"kernel")
    let found = map.windows(6).position(|w| w == b"kernel");
    let past_end = map.get(9..5000); // past the end: None
    // lesson:search end
    steps.result(&format!("{starts}"))?;
    steps.result(&format!("{found:?}"))?;
    steps.result(&format!("{:?}", past_end.map(<[u8]>::len)))?;
    steps.say(
        "Python's slice quietly stops at the end of the map; in Rust, map[9..5000]\n\
         would panic, and map.get(9..5000) returns None for you to handle.",
    )?;

    Ok(SliceFacts {
        by_map,
        by_read,
        map_counters,
        read_counters,
        setup_counters,
        syscalls_counted: counted,
    })
}

/// Side-by-side counters for the two ways.
fn cost_table(by_map: &Counters, by_read: &Counters, counted: bool) -> String {
    let calls = |c: &Counters| c.syscalls.map_or("-".to_string(), |n| n.to_string());
    let mut table = format!(
        "{:<14}{:>14}{:>12}{:>15}{:>13}\n",
        "", "system calls", "read calls", "kernel copied", "page faults"
    );
    for (name, c) in [("map slice", by_map), ("seek + read", by_read)] {
        table.push_str(&format!(
            "{:<14}{:>14}{:>12}{:>15}{:>13}\n",
            name,
            if counted { calls(c) } else { "-".to_string() },
            c.read_calls,
            c.bytes_to_user,
            c.minor_faults + c.major_faults
        ));
    }
    table
}
