//! Lesson `offset`: mapping part of a file from an offset. mmap(2) wants the
//! offset to be a multiple of the page size; memmap2 rounds it down for you
//! and points into the map where you asked.

use super::raw::{RawMap, errno_name};
use super::sandbox::{open_read_write, read_back};
use super::{Sandbox, Steps, byte_literal};
use crate::machine::page_size;
use anyhow::Context;
use memmap2::MmapOptions;

/// This file: the code its steps show ([`super::shown`]).
pub const SOURCE: &str = include_str!("offset.rs");

/// The unaligned offset the lesson asks for.
pub const OFFSET: u64 = 100;
/// Bytes mapped from the offset.
pub const LEN: usize = 40;
/// What the lesson writes through a map that starts one page in.
pub const EDIT: &[u8] = b"EDITED";

/// What the lesson saw.
#[derive(Debug, Clone)]
pub struct OffsetFacts {
    /// The page size here.
    pub page_size: u64,
    /// The OS error of mmap(2) with offset 100, if it failed.
    pub unaligned_errno: Option<i32>,
    /// True when mmap(2) accepted an offset of one page.
    pub aligned_ok: bool,
    /// The bytes memmap2 mapped from offset 100.
    pub memmap2_bytes: Vec<u8>,
    /// The file's bytes 100..140, read the ordinary way.
    pub file_bytes: Vec<u8>,
    /// How far past a page boundary memmap2's pointer was.
    pub pointer_into_page: u64,
    /// True when a write through a map at offset one page left page 0 alone.
    pub first_page_kept: bool,
    /// True when the write landed at byte `page_size` of the file.
    pub edit_landed: bool,
}

/// The file's contents: 20-byte records that say where they start.
pub fn contents(len: u64) -> Vec<u8> {
    let mut bytes: Vec<u8> = (0..len.div_ceil(20))
        .flat_map(|i| format!("[byte {:>6}] -----\n", i * 20).into_bytes())
        .collect();
    bytes.truncate(len as usize);
    bytes
}

/// Runs the lesson.
pub fn run(steps: &mut Steps) -> anyhow::Result<OffsetFacts> {
    let sandbox = Sandbox::new()?;
    steps.step("What is the page size here?")?;
    steps.show(SOURCE, "page")?;
    // lesson:page begin
    // page_size() asks libc::sysconf(libc::_SC_PAGESIZE)
    let page = page_size();
    // lesson:page end
    steps.result(&format!("{page} bytes"))?;
    steps.say(
        "The kernel maps files in whole pages. Python calls this number\n\
         mmap.ALLOCATIONGRANULARITY (mmap.PAGESIZE on Linux is the same).",
    )?;

    steps.step("Make a file of three pages, in 20-byte records that say where they start.")?;
    steps.show(SOURCE, "make")?;
    // lesson:make begin
    // "[byte      0] -----\n[byte     20] -----\n..."
    let original = contents(3 * page);
    let path = sandbox.file("pages.txt", &original)?; // std::fs::write
    // lesson:make end
    steps.result(&format!(
        "{} bytes; bytes 100..120 are {}",
        original.len(),
        byte_literal(&original[100..120])
    ))?;

    steps.step("Ask mmap(2) for 40 bytes from offset 100, through libc.")?;
    steps.show(SOURCE, "unaligned")?;
    // lesson:unaligned begin
    let file = open_read_write(&path)?;
    // libc::mmap(null, LEN, PROT_READ, MAP_SHARED, fd, OFFSET): 40 from 100
    let unaligned = RawMap::map(&file, LEN, OFFSET);
    // lesson:unaligned end
    let unaligned_errno = unaligned.as_ref().err().and_then(|e| e.raw_os_error());
    match &unaligned {
        Err(e) => steps.result(&format!("MAP_FAILED, errno = {}", errno_name(e)))?,
        Ok(_) => steps.result("it worked (unexpected on Linux)")?,
    }
    drop(unaligned);
    steps.say(
        "100 is not a multiple of the page size. The EINVAL comes from glibc,\n\
         not the kernel: glibc's mmap() checks the offset itself and fails\n\
         without making the system call. See it: strace -f -e trace=mmap\n\
         mmap-lab demo offset shows no mmap call with offset 100 (0x64).\n\
         Python calls the same mmap(), so mmap.mmap(fd, 40, offset=100) raises\n\
         OSError: [Errno 22] from glibc too.",
    )?;

    steps.step(&format!(
        "The same with offset {page}, a whole page: accepted."
    ))?;
    steps.show(SOURCE, "aligned")?;
    // lesson:aligned begin
    let aligned = RawMap::map(&file, LEN, page);
    // lesson:aligned end
    let aligned_ok = aligned.is_ok();
    match &aligned {
        Ok(map) => steps.result(&byte_literal(&map.bytes()[..20]))?,
        Err(e) => steps.result(&format!("MAP_FAILED, errno = {}", errno_name(e)))?,
    }
    drop(aligned);

    steps.step("Ask memmap2 for 40 bytes from offset 100.")?;
    steps.show(SOURCE, "memmap2")?;
    // lesson:memmap2 begin
    let options = MmapOptions::new().offset(OFFSET).len(LEN).clone();
    // SAFETY: the file is private to this lesson and nothing truncates it.
    let map = unsafe { options.map(&file) }.context("cannot map it")?;
    let memmap2_bytes = map.to_vec();
    let pointer_into_page = map.as_ptr() as u64 % page;
    // lesson:memmap2 end
    drop(map);
    let file_bytes = original[OFFSET as usize..OFFSET as usize + LEN].to_vec();
    steps.result(&format!(
        "map[..20] = {}",
        byte_literal(&memmap2_bytes[..20])
    ))?;
    steps.result(&format!(
        "same as the file's bytes 100..140: {}",
        memmap2_bytes == file_bytes
    ))?;
    steps.result(&format!("into_page = {pointer_into_page}"))?;
    steps.say(
        "memmap2 rounded 100 down to a page boundary (0), mapped from there, and\n\
         handed back a slice that starts 100 bytes in. The pointer is 100 bytes\n\
         past a page boundary: the proof of the rounding.",
    )?;

    steps.step("Write through a map that starts one page in: the start of the file is kept.")?;
    steps.show(SOURCE, "edit")?;
    // lesson:edit begin
    // SAFETY: as above.
    let map = unsafe { MmapOptions::new().offset(page).map_mut(&file) };
    let mut map = map.context("cannot map it writable")?;
    map[..EDIT.len()].copy_from_slice(EDIT);
    map.flush().context("cannot flush the map")?;
    drop(map);
    // lesson:edit end
    let after = read_back(&path)?;
    let page_start = page as usize;
    let first_page_kept = after[..page_start] == original[..page_start];
    let edit_landed = after[page_start..].starts_with(EDIT);
    steps.result(&format!("first page unchanged: {first_page_kept}"))?;
    steps.result(&format!(
        "bytes {page}..{}: {}",
        page_start + 20,
        byte_literal(&after[page_start..page_start + 20])
    ))?;
    steps.say(
        "Python's example wrote over the start of the file; to keep it, map (or\n\
         write) from an offset. Without .len(), the map runs to the end of the file.",
    )?;

    Ok(OffsetFacts {
        page_size: page,
        unaligned_errno,
        aligned_ok,
        memmap2_bytes,
        file_bytes,
        pointer_into_page,
        first_page_kept,
        edit_landed,
    })
}
