//! Lesson `read`: map a file and read it whole, as bytes and as text, and see
//! that a map is a range of addresses onto the file's cached pages, not a copy.

use super::sandbox::open_read;
use super::{Sandbox, Steps, byte_literal};
use crate::checksum::checksum;
use crate::machine::page_size;
use crate::probe::Probe;
use anyhow::Context;
use memmap2::Mmap;
use std::fs;

/// This file: the code its steps show ([`super::shown`]).
pub const SOURCE: &str = include_str!("read.rs");

/// The file the lesson maps.
pub const TEXT: &str = "Every byte of this file is reachable through a memory map.\n";

/// What the lesson saw.
#[derive(Debug, Clone)]
pub struct ReadFacts {
    /// The bytes read through the map.
    pub bytes: Vec<u8>,
    /// Those bytes decoded as UTF-8.
    pub text: String,
    /// True when the map started on a page boundary.
    pub page_aligned: bool,
    /// read-family calls and bytes copied to user space by mapping and reading.
    pub map_reads: (u64, u64),
    /// The same for `fs::read`.
    pub file_reads: (u64, u64),
    /// The first byte, read through the map after the file was closed.
    pub first_byte_after_close: u8,
}

/// Runs the lesson.
pub fn run(steps: &mut Steps) -> anyhow::Result<ReadFacts> {
    let sandbox = Sandbox::new()?;
    steps.step("Make a small file to map (in a private temporary directory).")?;
    steps.show(SOURCE, "make")?;
    // lesson:make begin
    // std::fs::write, in the lesson's private directory
    let path = sandbox.file("sample.txt", TEXT.as_bytes())?;
    // lesson:make end
    steps.result(&format!("sample.txt holds {} bytes", TEXT.len()))?;

    steps.step("Open it and map all of it, read-only.")?;
    steps.show(SOURCE, "map")?;
    // lesson:map begin
    let file = open_read(&path)?; // File::open, its error naming the file
    // SAFETY: the file is private to this lesson and nothing truncates it
    // (lesson sigbus shows what happens when a mapped file shrinks).
    let map = unsafe { Mmap::map(&file) }.context("cannot map it")?;
    // lesson:map end
    steps.result(&format!("map.len() = {} bytes: the whole file", map.len()))?;
    steps.say(
        "Python: mmap.mmap(f.fileno(), length=0, access=mmap.ACCESS_READ).\n\
         Mmap::map always maps the whole file, as Python's length=0 does;\n\
         MmapOptions::new().len(n) maps only the first n bytes.",
    )?;

    steps.step("Read it whole, as bytes.")?;
    steps.show(SOURCE, "bytes")?;
    // lesson:bytes begin
    let bytes: &[u8] = &map[..]; // a Mmap derefs to a byte slice
    // lesson:bytes end
    let bytes = bytes.to_vec();
    steps.result(&byte_literal(&bytes))?;
    steps.result(&format!("as numbers: {:?} ...", &bytes[..6]))?;
    steps.say(
        "Python's mmap_object.read() returns a bytes object, printed b'...'.\n\
         Rust has no separate read(): the map already is the bytes.",
    )?;

    steps.step("Decode the bytes as text.")?;
    steps.show(SOURCE, "text")?;
    // lesson:text begin
    // Python: txt.decode()
    let text: &str = std::str::from_utf8(&map).context("not UTF-8")?;
    // lesson:text end
    let text = text.to_string();
    steps.result(text.trim_end())?;
    steps.say("from_utf8 checks the bytes and fails on invalid UTF-8, as decode() raises.")?;

    steps.step("What is the map? A range of addresses in this process.")?;
    steps.show(SOURCE, "addresses")?;
    // lesson:addresses begin
    let start = map.as_ptr() as usize;
    let page_aligned = start as u64 % page_size() == 0;
    // lesson:addresses end
    steps.result(&format!(
        "{start:#x}..{:#x}   (a different address every run)",
        start + map.len()
    ))?;
    steps.result(&format!(
        "start % {} == 0: {page_aligned}   (a map always begins on a page boundary)",
        page_size()
    ))?;
    steps.say(
        "These are virtual addresses. The kernel points them at the page cache:\n\
         the pages of RAM that already hold the file. Nothing was copied. The\n\
         first touch of a page traps into the kernel (a page fault), which fills\n\
         in the page table; after that the CPU reads the cached file directly.\n\
         If memory runs short the kernel can drop these pages and read them\n\
         again later: the file itself is their backing store, not swap.",
    )?;

    steps.step("The evidence: count what the kernel did, map versus fs::read.")?;
    steps.show(SOURCE, "count")?;
    // lesson:count begin
    let mut probe = Probe::counting()?; // mmap-lab's counters; times nothing
    let (mapped_sum, _, by_map) = probe.measure(|| -> std::io::Result<u64> {
        // SAFETY: as above.
        let map = unsafe { Mmap::map(&file)? };
        Ok(checksum(&map)) // touch every byte
    })?;
    let (read_back, _, by_read) = probe.measure(|| fs::read(&path))?;
    // lesson:count end
    let read_back = read_back.with_context(|| format!("cannot read {}", path.display()))?;
    anyhow::ensure!(
        mapped_sum? == checksum(&read_back),
        "the map and fs::read disagree"
    );
    for (name, c) in [("map:     ", &by_map), ("fs::read:", &by_read)] {
        steps.result(&format!(
            "{name} read calls {}, bytes copied to us {}, page faults {}",
            c.read_calls,
            c.bytes_to_user,
            c.minor_faults + c.major_faults
        ))?;
    }
    steps.say(
        "fs::read asks the kernel to copy the bytes into a new buffer (one read\n\
         for the data, one more that returns 0 to confirm the end). The map asks\n\
         for nothing to be copied: its cost shows up as page faults instead.",
    )?;

    steps.step("Close the file: the map lives on until it is dropped.")?;
    steps.show(SOURCE, "close")?;
    // lesson:close begin
    drop(file); // close(2)
    let first_byte_after_close = map[0]; // still readable
    drop(map); // munmap(2): Python's mmap_object.close()
    // lesson:close end
    steps.result(&format!(
        "map[0] after close = {first_byte_after_close} ({:?})",
        first_byte_after_close as char
    ))?;
    steps.say(
        "The map holds its own reference to the file; closing the descriptor does not unmap.",
    )?;

    Ok(ReadFacts {
        bytes,
        text,
        page_aligned,
        map_reads: (by_map.read_calls, by_map.bytes_to_user),
        file_reads: (by_read.read_calls, by_read.bytes_to_user),
        first_byte_after_close,
    })
}
