//! Lesson `slice`: take bytes 9..98 from a map as a slice, and the same bytes
//! with seek + read, and count the system calls each way takes.

use super::sandbox::open_read;
use super::{Sandbox, Steps, byte_literal};
use crate::probe::Probe;
use crate::results::Counters;
use anyhow::Context;
use memmap2::Mmap;
use std::io::{Read, Seek, SeekFrom};

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
    steps.code(
        "let file = File::open(&path)?;\n\
         let map = unsafe { Mmap::map(&file)? };",
    )?;
    let path = sandbox.file("sentences.txt", TEXT.as_bytes())?;
    let mut file = open_read(&path)?;
    // SAFETY: the file is private to this lesson and nothing truncates it.
    let map =
        unsafe { Mmap::map(&file) }.with_context(|| format!("cannot map {}", path.display()))?;
    steps.result(&format!("{} bytes mapped", map.len()))?;

    let mut probe = Probe::counting()?; // counts; times nothing
    let counted = probe.syscall_counting().available;

    steps.step("Take bytes 9..98 from the map (Python: mmap_object[9:98]).")?;
    steps
        .code("let by_map: Vec<u8> = map[9..98].to_vec();   // &map[9..98] alone copies nothing")?;
    let (by_map, _, map_counters) = probe.measure(|| map[RANGE].to_vec())?;
    steps.result(&byte_literal(&by_map))?;
    steps.say(
        "Ranges are half-open in both languages: 9..98 is 89 bytes, from byte 9\n\
         up to but not including byte 98.",
    )?;

    steps.step("The same bytes with seek + read on the open file.")?;
    steps.code(
        "file.seek(SeekFrom::Start(9))?;\n\
         let mut by_read = vec![0u8; 89];\n\
         file.read_exact(&mut by_read)?;",
    )?;
    let (by_read, _, read_counters) = probe.measure(|| -> std::io::Result<Vec<u8>> {
        file.seek(SeekFrom::Start(RANGE.start as u64))?;
        let mut buffer = vec![0u8; RANGE.len()];
        file.read_exact(&mut buffer)?;
        Ok(buffer)
    })?;
    let by_read = by_read.with_context(|| format!("cannot read {}", path.display()))?;
    steps.result(&byte_literal(&by_read))?;
    steps.result(&format!("same bytes both ways: {}", by_map == by_read))?;
    anyhow::ensure!(by_map == by_read, "the map and seek + read disagree");

    steps.step("What steps 2 and 3 cost, as the kernel counted them.")?;
    steps.code(
        "// the counters were read around steps 2 and 3 as they ran:\n\
         let (by_map, _, map_counters) = probe.measure(|| map[9..98].to_vec())?;\n\
         let (by_read, _, read_counters) = probe.measure(|| { seek; read })?;",
    )?;
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
            "Total system calls cannot be counted here:\n  {}\n\
             The read-family count shows the read; lseek is one more call that this\n\
             counter does not see, so seek + read is two calls. The slice makes none;\n\
             its first touch of a page may take a page fault instead.",
            probe.syscall_counting().source
        ))?;
    }

    steps.step("But the map itself is not free: count making and dropping one.")?;
    steps.code("probe.measure(|| drop(unsafe { Mmap::map(&file) }))?;")?;
    let (made, _, setup_counters) = probe.measure(|| {
        // SAFETY: as above.
        unsafe { Mmap::map(&file) }.map(drop)
    })?;
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
        "For one small range, pread (read_at) is a single call and wins. A map\n\
         pays off when you take many slices, or jump around a large file.",
    )?;

    steps.step("A map behaves like a byte string: search it, compare it.")?;
    steps.code(
        "map.starts_with(b\"A map\")\n\
         map.windows(6).position(|w| w == b\"kernel\")   // Python: map.find(b\"kernel\")\n\
         map.get(9..5000)                               // past the end: None",
    )?;
    let found = map.windows(6).position(|w| w == b"kernel");
    steps.result(&format!("{}", map.starts_with(b"A map")))?;
    steps.result(&format!("{found:?}"))?;
    steps.result(&format!("{:?}", map.get(9..5000).map(<[u8]>::len)))?;
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
