//! Lesson `empty`: what Python, mmap(2) and memmap2 each do with an empty
//! file, and why a file needs a length (`set_len`) before it can be mapped
//! for writing.

use super::raw::{RawMap, errno_name};
use super::sandbox::read_back;
use super::{Sandbox, Steps, byte_literal};
use crate::probe::Probe;
use anyhow::Context;
use memmap2::{Mmap, MmapMut};
use std::fs::OpenOptions;

/// This file: the code its steps show ([`super::shown`]).
pub const SOURCE: &str = include_str!("empty.rs");

/// The length the lesson gives the file before mapping it for writing.
pub const ROOM: u64 = 32;
/// What the lesson writes once the file has room.
pub const TEXT: &[u8] = b"Room made by set_len.\n";

/// What the lesson saw.
#[derive(Debug, Clone)]
pub struct EmptyFacts {
    /// The OS error of mmap(2) with length 0, if it failed.
    pub raw_errno: Option<i32>,
    /// The length of memmap2's read-only map of the empty file.
    pub memmap2_len: usize,
    /// mmap-family calls memmap2 made for it, when they could be counted.
    pub memmap2_map_calls: Option<u64>,
    /// True when the writable map of the empty file had no room for 5 bytes.
    pub no_room_when_empty: bool,
    /// The file's bytes after set_len, the write through the map, and trimming.
    pub final_contents: Vec<u8>,
}

/// Runs the lesson.
pub fn run(steps: &mut Steps) -> anyhow::Result<EmptyFacts> {
    let sandbox = Sandbox::new()?;
    let path = sandbox.path("empty.txt");
    steps.step("Make an empty file, as Python's open(path, \"w\") does.")?;
    steps.show(SOURCE, "create")?;
    // lesson:create begin
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(true) // 0 bytes
        .open(&path)
        .context("cannot create it")?;
    let len = file.metadata().context("cannot stat it")?.len();
    // lesson:create end
    steps.result(&format!("file length: {len} bytes"))?;
    steps.say(
        "Opening with \"w\" (or truncate(true)) empties the file. That is the trap\n\
         in Python: open(path, \"w\"), then mmap.mmap(f.fileno(), 0) raises\n\
         ValueError: cannot mmap an empty file. Python checks the size itself.\n\
         \"w\" has a second trap the tutorial misses: it opens the file write-only,\n\
         and a map needs read permission, so even a file with bytes in it cannot\n\
         be mapped through it (lesson write shows the EACCES). Here the file is\n\
         opened for reading and writing, so only its emptiness is in the way.",
    )?;

    steps.step("Ask mmap(2) itself for a map of length 0, through libc.")?;
    steps.show(SOURCE, "raw")?;
    // lesson:raw begin
    // libc::mmap(null, 0, PROT_READ, MAP_SHARED, fd, 0), MAP_FAILED
    // made the errno (src/demo/raw.rs)
    let raw = RawMap::map(&file, 0, 0);
    // lesson:raw end
    let raw_errno = raw.as_ref().err().and_then(|e| e.raw_os_error());
    match &raw {
        Err(e) => steps.result(&format!("MAP_FAILED, errno = {}", errno_name(e)))?,
        Ok(_) => steps.result("it worked (unexpected on Linux)")?,
    }
    drop(raw);
    steps.say("The kernel refuses a mapping of zero bytes: there would be nothing to map.")?;

    steps.step("Ask memmap2 for a map of the empty file, counting map calls.")?;
    steps.show(SOURCE, "memmap2")?;
    // lesson:memmap2 begin
    let mut probe = Probe::counting()?; // counts; times nothing
    // SAFETY: the file is private to this lesson and nothing truncates it.
    let (map, _, counters) = probe.measure(|| unsafe { Mmap::map(&file) })?;
    let map = map.context("cannot map it")?;
    // lesson:memmap2 end
    let memmap2_len = map.len();
    steps.result(&format!(
        "Ok: map.len() = {memmap2_len}, map.is_empty() = {}",
        map.is_empty()
    ))?;
    match counters.map_calls {
        Some(calls) => steps.result(&format!("mmap/munmap calls made: {calls}"))?,
        None => steps.result(&format!(
            "(map calls cannot be counted here: {})",
            probe.syscall_counting().source
        ))?,
    }
    drop(map);
    steps.say(
        "memmap2 does call mmap(2), but for 1 byte instead of 0: a mapping may\n\
         reach past the end of a file. It then shows you a slice of length 0, so\n\
         code that reads \"all of a file\" works for empty files too.",
    )?;

    steps.step("Map the empty file writable: there is no room to write.")?;
    steps.show(SOURCE, "no-room")?;
    // lesson:no-room begin
    // SAFETY: as above.
    let mut map = unsafe { MmapMut::map_mut(&file) }.context("cannot map")?;
    let no_room_when_empty = map.get_mut(0..5).is_none(); // room for 5?
    // lesson:no-room end
    drop(map);
    steps.result(if no_room_when_empty {
        "None: a map of 0 bytes has no bytes to write"
    } else {
        "Some (unexpected)"
    })?;
    steps.say(
        "A map is a window onto bytes the file already has. Writing to it never\n\
         makes the file longer, so a new file must be given its length first.",
    )?;

    steps.step(&format!(
        "Give the file {ROOM} bytes with set_len, then map and write."
    ))?;
    steps.show(SOURCE, "set-len")?;
    // lesson:set-len begin
    file.set_len(ROOM).context("cannot set its length")?; // ftruncate
    // SAFETY: as above; the file is not shrunk until this map is dropped.
    let mut map = unsafe { MmapMut::map_mut(&file) }.context("cannot map")?;
    map[..TEXT.len()].copy_from_slice(TEXT);
    map.flush().context("cannot flush the map")?;
    drop(map); // never shrink a file while it is mapped (lesson sigbus)
    // lesson:set-len end
    let padded = read_back(&path)?;
    steps.result(&byte_literal(&padded))?;
    steps.say(
        "set_len fills the new length with zero bytes (without writing them to\n\
         disk: the file is sparse until pages are dirtied).",
    )?;

    steps.step("Trim the file to what was written, after dropping the map.")?;
    steps.show(SOURCE, "trim")?;
    // lesson:trim begin
    file.set_len(TEXT.len() as u64).context("cannot trim it")?;
    // lesson:trim end
    let final_contents = read_back(&path)?;
    steps.result(&byte_literal(&final_contents))?;

    Ok(EmptyFacts {
        raw_errno,
        memmap2_len,
        memmap2_map_calls: counters.map_calls,
        no_room_when_empty,
        final_contents,
    })
}
