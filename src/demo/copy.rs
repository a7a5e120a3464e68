//! Lesson `copy`: a private copy-on-write map (Python's ACCESS_COPY, memmap2's
//! `map_copy`): writes change this process's copy of a page, never the file.

use super::sandbox::{open_read, read_back};
use super::{Sandbox, Steps, byte_literal};
use crate::probe::Probe;
use anyhow::Context;
use memmap2::MmapOptions;

/// This file: the code its steps show ([`super::shown`]).
pub const SOURCE: &str = include_str!("copy.rs");

/// The file's text; it must come out of the lesson unchanged.
pub const TEXT: &str = "The file keeps these words, whatever the private copy says.\n";
/// What the lesson writes into its private copy.
pub const CHANGE: &[u8] = b"A PRIVATE";

/// What the lesson saw.
#[derive(Debug, Clone)]
pub struct CopyFacts {
    /// The map's bytes after the change.
    pub map_after: Vec<u8>,
    /// The file's bytes after the change and a flush, read with `fs::read`.
    pub file_after: Vec<u8>,
    /// Page faults the first write took (the page being copied).
    pub write_faults: u64,
}

/// Runs the lesson.
pub fn run(steps: &mut Steps) -> anyhow::Result<CopyFacts> {
    let sandbox = Sandbox::new()?;
    steps.step("Make a file with one line of text.")?;
    steps.show(SOURCE, "make")?;
    // lesson:make begin
    // std::fs::write, in the lesson's private directory
    let path = sandbox.file("keep.txt", TEXT.as_bytes())?;
    // lesson:make end
    steps.result(TEXT.trim_end())?;

    steps.step("Open it read-only and make a private, writable map of it.")?;
    steps.show(SOURCE, "map")?;
    // lesson:map begin
    let file = open_read(&path)?; // File::open: read-only is enough
    // SAFETY: the file is private to this lesson and nothing truncates it.
    // MAP_PRIVATE, writable:
    let map = unsafe { MmapOptions::new().map_copy(&file) };
    let mut map = map.context("cannot map copy-on-write")?;
    // lesson:map end
    steps.result(&format!("a writable map of {} bytes", map.len()))?;
    steps.say(
        "Python: mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_COPY). Both ask the\n\
         kernel for MAP_PRIVATE: until we write, the map shares the cached file's\n\
         pages; our writes are never carried back to the file.",
    )?;

    steps.step("Change the first bytes of the map, counting page faults.")?;
    steps.show(SOURCE, "change")?;
    // lesson:change begin
    let mut probe = Probe::counting()?; // counts; times nothing
    let change = || map[..CHANGE.len()].copy_from_slice(CHANGE);
    let (_, _, counters) = probe.measure(change)?;
    // lesson:change end
    let map_after = map.to_vec();
    steps.result(&format!(
        "map:  {}",
        String::from_utf8_lossy(&map_after).trim_end()
    ))?;
    steps.result(&format!(
        "page faults during the write: {}",
        counters.minor_faults
    ))?;
    steps.say(&format!(
        "The first write to a page traps into the kernel, which copies that one\n\
         page ({} bytes) into memory of our own and lets the write go there. The\n\
         rest of the file is still shared, uncopied. That is copy-on-write.\n\
         \n\
         It follows that a private map is not a snapshot: a page not yet\n\
         written is still the file's cached page, so another program's write to\n\
         the file shows through it; only written pages are this process's own.\n\
         Lesson share shows it with two processes.",
        crate::machine::page_size()
    ))?;

    steps.step("Flush, then read the file the ordinary way.")?;
    steps.show(SOURCE, "flush")?;
    // lesson:flush begin
    // nothing to send: the copy is ours
    map.flush().context("cannot flush the map")?;
    let file_after = read_back(&path)?; // std::fs::read
    // lesson:flush end
    steps.result(&format!("file: {}", byte_literal(&file_after)))?;
    steps.result(&format!(
        "file unchanged, byte for byte: {}",
        file_after == TEXT.as_bytes()
    ))?;
    anyhow::ensure!(
        file_after == TEXT.as_bytes(),
        "the file changed under a private map"
    );

    steps.step("Drop the map: the private copy is gone.")?;
    steps.show(SOURCE, "drop")?;
    // lesson:drop begin
    drop(map); // the changed page is freed; the file never knew
    // lesson:drop end
    drop(file);
    steps.result("dropped")?;
    steps.say(
        "Use a private map as scratch space shaped like the file: patch it, parse\n\
         it in place, and leave the original alone. ACCESS_WRITE (lesson write)\n\
         changes the file; ACCESS_COPY changes only your copy.",
    )?;

    Ok(CopyFacts {
        map_after,
        file_after,
        write_faults: counters.minor_faults,
    })
}
