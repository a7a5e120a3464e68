//! Lesson `write`: open a file for reading and writing, map it writable
//! (Python's ACCESS_WRITE), write a sentence at the start, flush, and read the
//! file back with plain std I/O to see that the file itself changed.

use super::raw::errno_name;
use super::sandbox::{open_read_write, read_back};
use super::{Sandbox, Steps, byte_literal};
use anyhow::Context;
use memmap2::MmapMut;
use std::fs::OpenOptions;

/// This file: the code its steps show ([`super::shown`]).
pub const SOURCE: &str = include_str!("write.rs");

/// The file's text before the lesson writes.
pub const OLD_TEXT: &str = "This line was put here the ordinary way, with std::fs::write.\n";
/// The sentence written through the map, over the start of the old text.
pub const NEW_TEXT: &str = "A map wrote this. ";

/// What the lesson saw.
#[derive(Debug, Clone)]
pub struct WriteFacts {
    /// The file's bytes after the map was flushed and dropped, read with `fs::read`.
    pub after: Vec<u8>,
    /// What the lesson says the file should hold: the new sentence, then the
    /// rest of the old text.
    pub expected: Vec<u8>,
    /// True when a plain read saw the change before the flush.
    pub seen_before_flush: bool,
    /// The OS error for mapping a write-only descriptor writable.
    pub write_only_errno: Option<i32>,
    /// True when the map refused a range past the end of the file.
    pub growing_refused: bool,
}

/// Runs the lesson.
pub fn run(steps: &mut Steps) -> anyhow::Result<WriteFacts> {
    let sandbox = Sandbox::new()?;
    steps.step("Make a file with one line of text.")?;
    steps.show(SOURCE, "make")?;
    // lesson:make begin
    // std::fs::write, in the lesson's private directory
    let path = sandbox.file("notes.txt", OLD_TEXT.as_bytes())?;
    // lesson:make end
    steps.result(OLD_TEXT.trim_end())?;

    steps.step("A writable map needs a descriptor opened for reading too.")?;
    steps.show(SOURCE, "write-only")?;
    // lesson:write-only begin
    let write_only = OpenOptions::new().write(true).open(&path);
    let write_only = write_only.context("cannot open it write-only")?;
    // SAFETY: the file is private to this lesson; this is expected to fail.
    let refused = unsafe { MmapMut::map_mut(&write_only) }.err();
    // lesson:write-only end
    drop(write_only);
    let write_only_errno = refused.as_ref().and_then(|e| e.raw_os_error());
    match &refused {
        Some(e) => steps.result(&format!("Err: {}", errno_name(e)))?,
        None => steps.result("Ok (this kernel allowed it)")?,
    }
    steps.say(
        "The kernel fills a map's pages by reading the file, so it wants read\n\
         permission as well. That is why Python's example opens the file \"r+\".",
    )?;

    steps.step("Open for reading and writing, and map it writable (ACCESS_WRITE).")?;
    steps.show(SOURCE, "map")?;
    // lesson:map begin
    // Python's "r+": OpenOptions::new().read(true).write(true).open(&path)
    let file = open_read_write(&path)?;
    // SAFETY: the file is private to this lesson and nothing truncates it.
    // MAP_SHARED, writable:
    let mut map = unsafe { MmapMut::map_mut(&file) }.context("cannot map")?;
    // lesson:map end
    steps.result(&format!("a writable map of {} bytes", map.len()))?;

    steps.step("A map holds bytes, not text: convert the sentence first.")?;
    steps.show(SOURCE, "encode")?;
    // lesson:encode begin
    let new: &[u8] = NEW_TEXT.as_bytes(); // Python: text.encode()
    // lesson:encode end
    steps.result(&format!("{}  ({} bytes)", byte_literal(new), new.len()))?;
    steps.say(&format!(
        "A Rust &str is already UTF-8, so as_bytes() costs nothing. Bytes are not\n\
         letters: \"é\".len() is {}, so count bytes when you index a map.",
        "é".len()
    ))?;

    steps.step("Write the bytes at the start of the map.")?;
    steps.show(SOURCE, "copy-in")?;
    // lesson:copy-in begin
    map[..new.len()].copy_from_slice(new);
    // lesson:copy-in end
    steps.result(&String::from_utf8_lossy(&map).replace('\n', ""))?;
    steps.say(
        "The sentence replaced the first bytes; it did not push the rest along.\n\
         The tail of the old line still follows it. (Python's write() does the\n\
         same from its current position, 0 on a new map.)",
    )?;

    steps.step("A map cannot make the file longer.")?;
    steps.show(SOURCE, "past-end")?;
    // lesson:past-end begin
    let len = map.len();
    let growing_refused = map.get_mut(len - 2..len + 10).is_none();
    // lesson:past-end end
    steps.result(if growing_refused {
        "None: no bytes exist past the end of the map"
    } else {
        "Some (unexpected)"
    })?;
    steps.say(
        "map[60..72] would panic. Python differs in three ways: m[60:72] returns\n\
         the 2 bytes that exist, assigning a slice of the wrong size raises\n\
         IndexError, and only m.write() past the end raises ValueError. To grow\n\
         a file, call file.set_len(new_len) first, then map again.",
    )?;

    steps.step("Before any flush, read the file the ordinary way.")?;
    steps.show(SOURCE, "read-before")?;
    // lesson:read-before begin
    let now = read_back(&path)?; // std::fs::read, its error naming the file
    // lesson:read-before end
    let seen_before_flush = now.starts_with(new);
    steps.result(String::from_utf8_lossy(&now).trim_end())?;
    steps.result(&format!(
        "starts with the new sentence: {seen_before_flush}"
    ))?;
    steps.say(
        "A shared map and read(2) use the very same pages of the page cache, so\n\
         every process sees the change at once. What flush adds is the disk.",
    )?;

    steps.step("Flush to disk, then unmap and close.")?;
    steps.show(SOURCE, "flush")?;
    // lesson:flush begin
    // msync(MS_SYNC): returns once the disk has the change
    map.flush().context("cannot flush the map")?;
    drop(map); // munmap
    drop(file); // close
    // lesson:flush end
    steps.result("flushed")?;

    steps.step("Read the file back with plain std I/O.")?;
    steps.show(SOURCE, "read-after")?;
    // lesson:read-after begin
    let after = read_back(&path)?;
    // lesson:read-after end
    let mut expected = new.to_vec();
    expected.extend_from_slice(&OLD_TEXT.as_bytes()[new.len()..]);
    steps.result(&byte_literal(&after))?;
    steps.result(&format!(
        "new sentence + the old text from byte {}: {}",
        new.len(),
        after == expected
    ))?;
    anyhow::ensure!(after == expected, "the file does not hold what was written");

    Ok(WriteFacts {
        after,
        expected,
        seen_before_flush,
        write_only_errno,
        growing_refused,
    })
}
