//! Lesson `share`: two processes and one file. A MAP_SHARED map shows each
//! process the other's writes at once; a MAP_PRIVATE map shows another
//! process's writes only on pages it has not written itself. Then what
//! `flush`, `flush_async` and no flush leave dirty, what survives a crashed
//! process and what a power loss, and why a file should have its blocks
//! (`fallocate`) before it is written through a map.
//!
//! A forked child plays the other process. Between fork and exit it makes
//! only async-signal-safe calls (open, mmap, kill, _exit) and copies bytes,
//! so forking is sound even from a multi-threaded test binary.

use super::raw::wait_for;
use super::sandbox::open_read_write;
use super::{Sandbox, Steps, byte_literal};
use crate::machine::page_size;
use anyhow::Context;
use memmap2::{MmapMut, MmapOptions};
use std::ffi::CString;
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;
use std::os::unix::io::AsRawFd;
use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::ExitStatus;

/// This file: the code its steps show ([`super::shown`]).
pub const SOURCE: &str = include_str!("share.rs");

/// What this process writes into page 1 before the child starts.
pub const PARENT_NOTE: &[u8] = b"parent was here";
/// What the child writes at the start of pages 0 and 1.
pub const CHILD_NOTE: &[u8] = b"child was here";
/// What this process writes into page 1 of its private map.
pub const PRIVATE_NOTE: &[u8] = b"mine alone";
/// What a child writes just before it is killed.
pub const CRASH_NOTE: &[u8] = b"written, then killed";
/// The child's exit code when it found [`PARENT_NOTE`] through its own map.
const SAW_PARENT: i32 = 0;
/// The child's exit code when it did not.
const MISSED_PARENT: i32 = 10;

/// Dirty bytes of one map, as the kernel counts them in /proc/self/smaps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dirty {
    /// Right after writing every byte of the map.
    pub after_write: u64,
    /// After `flush_async` (msync MS_ASYNC).
    pub after_flush_async: u64,
    /// After `flush` (msync MS_SYNC).
    pub after_flush: u64,
}

/// What the lesson saw.
#[derive(Debug, Clone)]
pub struct ShareFacts {
    /// The child, through a map of its own, found what this process wrote
    /// through its shared map (no flush in between).
    pub child_saw_parent: bool,
    /// This process's shared map, read after the child exited, starts with
    /// [`CHILD_NOTE`].
    pub parent_saw_child: bool,
    /// Page 0 of the private map before the child wrote (read, not written).
    pub private_page0_before: Vec<u8>,
    /// Page 0 of the private map after the child wrote there.
    pub private_page0_after: Vec<u8>,
    /// Page 1 of the private map (written by this process) after the child
    /// wrote there too.
    pub private_page1_after: Vec<u8>,
    /// How the crashing child ended (a signal).
    pub crash_signal: Option<i32>,
    /// The file, read with read(2) after the crash, starts with [`CRASH_NOTE`].
    pub crash_write_kept: bool,
    /// Dirty bytes of a written map before and after each flush.
    pub dirty: Dirty,
    /// Bytes the file system had allocated for a file given its length with
    /// `set_len` (a sparse file).
    pub sparse_allocated: u64,
    /// The same after `fallocate`, or the error fallocate gave.
    pub fallocated: Result<u64, i32>,
    /// The length of those files.
    pub file_len: u64,
}

/// Runs the lesson.
pub fn run(steps: &mut Steps) -> anyhow::Result<ShareFacts> {
    let sandbox = Sandbox::new()?;
    let page = page_size() as usize;
    let len = 2 * page;

    steps.step("Make a file of two pages and map it shared (MAP_SHARED).")?;
    steps.show(SOURCE, "shared")?;
    // lesson:shared begin
    let path = sandbox.file("shared.bin", &vec![b'.'; len])?; // dots
    let file = open_read_write(&path)?;
    // SAFETY: the file is private to this lesson; only this process and
    // its child change it, and nothing truncates it.
    let mut shared = unsafe { MmapMut::map_mut(&file) }.context("no map")?;
    // "parent was here" at the start of page 1; no flush
    shared[page..page + PARENT_NOTE.len()].copy_from_slice(PARENT_NOTE);
    // lesson:shared end
    steps.result(&format!(
        "map.len() = {len}; page 1 starts {}",
        byte_literal(&shared[page..page + PARENT_NOTE.len()])
    ))?;

    steps.step("A second process maps the same file, reads page 1 and writes page 0.")?;
    steps.show(SOURCE, "child")?;
    // lesson:child begin
    // run_child forks; the child opens the file, maps it MAP_SHARED with
    // libc::mmap, runs this, and exits (no flush, no munmap)
    let status = run_child(&path, len, |map| {
        // SAFETY: `map` is the child's own writable map of `len` bytes.
        let saw = unsafe { starts_with(map.add(page), PARENT_NOTE) };
        unsafe { put(map, CHILD_NOTE) }; // "child was here" on page 0
        Ending::Exit(if saw { SAW_PARENT } else { MISSED_PARENT })
    })?;
    // lesson:child end
    let child_saw_parent = status.code() == Some(SAW_PARENT);
    let parent_saw_child = shared.starts_with(CHILD_NOTE);
    steps.result(&format!(
        "the child {} \"parent was here\" through its own map",
        if child_saw_parent {
            "found"
        } else {
            "did not find"
        }
    ))?;
    steps.result(&format!(
        "this process's map now starts {}",
        byte_literal(&shared[..CHILD_NOTE.len()])
    ))?;
    if child_saw_parent && parent_saw_child {
        steps.say(
            "Each saw the other's write at once, with no flush and no system call:\n\
             both maps point at the same pages of the page cache, so a store by one\n\
             process is a load away for the other. That is what MAP_SHARED shares:\n\
             the file's cached pages, not a copy of them. (Two processes that need\n\
             to agree on an order still need a lock or an atomic; the map gives\n\
             them the same memory, not synchronisation.)",
        )?;
    } else {
        steps.say(
            "One of the writes did not show: that is not what Linux promises for MAP_SHARED.",
        )?;
    }
    drop(shared);

    steps.step("Now a private map (MAP_PRIVATE): read page 0, write page 1.")?;
    steps.show(SOURCE, "private")?;
    // lesson:private begin
    // first back to dots, so the child's earlier note is gone
    std::fs::write(&path, vec![b'.'; len]).context("cannot rewrite it")?;
    // SAFETY: as above.
    let private = unsafe { MmapOptions::new().map_copy(&file) };
    let mut private = private.context("cannot map it privately")?;
    let private_page0_before = private[..CHILD_NOTE.len()].to_vec();
    // "mine alone" on page 1: this page is copied
    private[page..page + PRIVATE_NOTE.len()].copy_from_slice(PRIVATE_NOTE);
    run_child(&path, len, |map| {
        // SAFETY: `map` is the child's own writable map of `len` bytes.
        unsafe {
            put(map, CHILD_NOTE); // "child was here" on page 0
            put(map.add(page), CHILD_NOTE); // and on page 1
        }
        Ending::Exit(0)
    })?;
    // lesson:private end
    let private_page0_after = private[..CHILD_NOTE.len()].to_vec();
    let private_page1_after = private[page..page + CHILD_NOTE.len()].to_vec();
    drop(private);
    steps.result(&format!(
        "page 0 (only read):   before {}, after {}",
        byte_literal(&private_page0_before),
        byte_literal(&private_page0_after)
    ))?;
    steps.result(&format!(
        "page 1 (written):     after {}",
        byte_literal(&private_page1_after)
    ))?;
    let saw_page0 = private_page0_after == CHILD_NOTE;
    let kept_page1 = private_page1_after.starts_with(PRIVATE_NOTE);
    steps.say(&format!(
        "{}\n{}",
        if saw_page0 {
            "Page 0 changed under the private map: the child's write shows through.\n\
             A private map is not a snapshot. Until this process writes a page, that\n\
             page is the file's cached page, shared read-only, so other programs'\n\
             writes (and write(2) calls) show through it."
        } else {
            "Page 0 did not change under the private map here."
        },
        if kept_page1 {
            "Page 1 kept this process's bytes: the write made a private copy of the\n\
             page (copy-on-write), and from then on the file's changes to that page\n\
             no longer show. Lesson copy counts that copy as a page fault."
        } else {
            "Page 1 did not keep this process's write: that is not what MAP_PRIVATE promises."
        }
    ))?;

    steps.step("A process writes through a map and is killed before any flush.")?;
    steps.show(SOURCE, "crash")?;
    // lesson:crash begin
    std::fs::write(&path, vec![b'.'; len]).context("cannot rewrite it")?;
    let crash = run_child(&path, len, |map| {
        // SAFETY: `map` is the child's own writable map of `len` bytes.
        unsafe { put(map, CRASH_NOTE) };
        Ending::Kill // kill(getpid(), SIGKILL)
    })?;
    let crash_signal = crash.signal();
    let after_crash = std::fs::read(&path).context("cannot read it")?;
    // lesson:crash end
    let crash_write_kept = after_crash.starts_with(CRASH_NOTE);
    steps.result(&format!(
        "the child ended by signal {}; the file starts {}",
        crash_signal.map_or("none".to_string(), |s| s.to_string()),
        byte_literal(&after_crash[..CRASH_NOTE.len()])
    ))?;
    steps.say(if crash_write_kept {
        "The write survived the crash. A store through a shared map lands in the\n\
         page cache, which belongs to the kernel, not to the process: when the\n\
         process dies, the dirty page stays, and the kernel writes it to disk\n\
         later. A crashed process loses nothing it had stored."
    } else {
        "The write did not survive the crash: that is not what Linux does."
    })?;

    steps.step("So what does flush do? Count the map's dirty pages.")?;
    steps.say(&format!(
        "A new file for this: {} KiB of dots, synced to disk first so that no\n\
         page is dirty before the map writes it; a bigger map than the two\n\
         pages above, so the counts are plain to see.",
        (16 * page) >> 10
    ))?;
    steps.show(SOURCE, "flush")?;
    let dirty = flushes(&sandbox, 16 * page)?;
    steps.result(&format!(
        "dirty: {} KiB after writing, {} KiB after flush_async, {} KiB after flush",
        dirty.after_write >> 10,
        dirty.after_flush_async >> 10,
        dirty.after_flush >> 10
    ))?;
    steps.say(&flush_sentence(&dirty))?;
    steps.say(
        "A power loss is different: the page cache is lost with the power, so\n\
         only what reached the disk survives. Dirty pages go to disk when the\n\
         kernel gets round to them (after about 30 seconds: vm.dirty_expire_centisecs)\n\
         or when you flush. So flush() before you tell anyone the data is safe.\n\
         msync covers the map's bytes only: when the file grew, File::sync_all()\n\
         (fsync) makes its new length durable too, and a new file keeps its name\n\
         only once its directory is synced as well.",
    )?;

    steps.step("Give the file its blocks before writing through a map.")?;
    steps.show(SOURCE, "fallocate")?;
    let file_len = 16 * page as u64;
    let sparse_allocated = allocated_after(&sandbox, "sparse.bin", file_len, false)?
        .map_err(|errno| anyhow::anyhow!("errno {errno} without fallocate"))?;
    let fallocated = allocated_after(&sandbox, "reserved.bin", file_len, true)?;
    steps.result(&format!(
        "{} bytes long: {} bytes allocated after set_len, {}",
        file_len,
        sparse_allocated,
        match fallocated {
            Ok(bytes) => format!("{bytes} after fallocate"),
            Err(errno) => format!(
                "fallocate refused ({})",
                io::Error::from_raw_os_error(errno)
            ),
        }
    ))?;
    steps.say(&format!(
        "{}\n\n\
         Writing into a hole through a map makes the file system find a block\n\
         when the page is first written, inside a page fault. If the disk is\n\
         full (or over quota) there, no call can return an error: the process\n\
         gets SIGBUS (lesson sigbus). With the blocks reserved first, by\n\
         fallocate or by writing the file with write(2), a full disk is an\n\
         error you can handle, before anything is mapped.",
        allocation_sentence(sparse_allocated, &fallocated)
    ))?;

    Ok(ShareFacts {
        child_saw_parent,
        parent_saw_child,
        private_page0_before,
        private_page0_after,
        private_page1_after,
        crash_signal,
        crash_write_kept,
        dirty,
        sparse_allocated,
        fallocated,
        file_len,
    })
}

/// The sentence that goes with the dirty counts measured around the flushes.
pub fn flush_sentence(dirty: &Dirty) -> String {
    let async_part = if dirty.after_flush_async == dirty.after_write {
        "flush_async left every page dirty: on Linux, MS_ASYNC only asks for\n\
         write-back the kernel does anyway, and returns at once."
    } else {
        "flush_async was followed by fewer dirty pages: the kernel had started\n\
         writing some back (MS_ASYNC itself only asks for write-back the kernel\n\
         does anyway, and returns at once)."
    };
    let sync_part = if dirty.after_flush == 0 {
        "flush wrote every dirty page to the disk and waited: none is left."
    } else {
        "flush returned with pages still dirty: something wrote to the map again."
    };
    format!("{async_part}\n{sync_part}")
}

/// The sentence that goes with the bytes allocated to the two files.
pub fn allocation_sentence(sparse: u64, fallocated: &Result<u64, i32>) -> String {
    let sparse_part = if sparse == 0 {
        "set_len gave the file its length and no blocks: it is all hole."
    } else {
        "set_len left some blocks allocated here (this file system keeps a few)."
    };
    let reserved_part = match fallocated {
        Ok(_) => "fallocate reserved the blocks before any byte was written.",
        Err(_) => "This file system does not do fallocate; write the file first instead.",
    };
    format!("{sparse_part} {reserved_part}")
}

/// Makes `name` of `len` bytes with `set_len`, then `fallocate` when asked;
/// returns the bytes the file system allocated to it, or the errno with
/// which fallocate refused.
fn allocated_after(
    sandbox: &Sandbox,
    name: &str,
    len: u64,
    reserve: bool,
) -> anyhow::Result<Result<u64, i32>> {
    // lesson:fallocate begin
    let path = sandbox.path(name);
    let file = std::fs::File::create(&path).context("cannot create it")?;
    // a sparse file: a hole, no blocks
    file.set_len(len).context("cannot set its length")?;
    if reserve {
        let fd = file.as_raw_fd();
        // SAFETY: fallocate on an open descriptor of our own file.
        let rc = unsafe { libc::fallocate(fd, 0, 0, len as libc::off_t) };
        if rc != 0 {
            let errno = io::Error::last_os_error().raw_os_error();
            return Ok(Err(errno.unwrap_or(0)));
        }
    }
    let blocks = file.metadata().context("cannot stat it")?.blocks();
    Ok(Ok(blocks * 512)) // bytes allocated
    // lesson:fallocate end
}

/// Writes every byte of a fresh shared map of `len` bytes, then flushes it
/// both ways, reading the map's dirty bytes from /proc/self/smaps each time.
fn flushes(sandbox: &Sandbox, len: usize) -> anyhow::Result<Dirty> {
    // lesson:flush begin
    let path = sandbox.file("flushed.bin", &vec![b'.'; len])?;
    let file = open_read_write(&path)?;
    file.sync_all().context("cannot sync it")?;
    // SAFETY: the file is private to this lesson.
    let mut map = unsafe { MmapMut::map_mut(&file) }.context("no map")?;
    map.fill(b'x'); // dirty every page
    // dirty_bytes: the map's Shared_Dirty + Private_Dirty in smaps
    let after_write = dirty_bytes(map.as_ptr())?;
    map.flush_async().context("msync(MS_ASYNC)")?;
    let after_flush_async = dirty_bytes(map.as_ptr())?;
    // msync(MS_SYNC): write the pages, wait for the disk
    map.flush().context("msync(MS_SYNC)")?;
    let after_flush = dirty_bytes(map.as_ptr())?;
    // lesson:flush end
    Ok(Dirty {
        after_write,
        after_flush_async,
        after_flush,
    })
}

/// Shared_Dirty + Private_Dirty, in bytes, of the mapping that starts at `start`.
fn dirty_bytes(start: *const u8) -> anyhow::Result<u64> {
    let smaps = Path::new("/proc/self/smaps");
    let text = std::fs::read_to_string(smaps)
        .with_context(|| format!("cannot read {}", smaps.display()))?;
    let header = format!("{:x}-", start as usize);
    let block = text
        .split_inclusive('\n')
        .skip_while(|line| !line.starts_with(&header))
        .skip(1)
        .take_while(|line| {
            line.split_whitespace()
                .next()
                .is_some_and(|name| name.ends_with(':'))
        })
        .collect::<String>();
    anyhow::ensure!(
        !block.is_empty(),
        "no mapping at {start:p} in {}",
        smaps.display()
    );
    let kib = |field: &str| {
        block
            .lines()
            .find_map(|line| line.strip_prefix(field))
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|n| n.parse::<u64>().ok())
            .unwrap_or(0)
    };
    Ok((kib("Shared_Dirty:") + kib("Private_Dirty:")) << 10)
}

/// How the child ends.
enum Ending {
    /// `_exit` with this code.
    Exit(i32),
    /// Killed by its own SIGKILL, as a crash would end it.
    Kill,
}

/// Forks a child that maps `path` (`len` bytes, shared, read and write) on
/// its own, runs `work` on the map, and ends as `work` says; returns how it
/// ended. The child makes only async-signal-safe calls.
fn run_child(
    path: &Path,
    len: usize,
    work: impl FnOnce(*mut u8) -> Ending,
) -> anyhow::Result<ExitStatus> {
    let c_path = CString::new(path.as_os_str().as_bytes())
        .with_context(|| format!("{} holds a NUL byte", path.display()))?;
    // SAFETY: the child calls only async-signal-safe functions and exits.
    let child = unsafe { libc::fork() };
    if child < 0 {
        return Err(io::Error::last_os_error()).context("cannot fork the child process");
    }
    if child == 0 {
        // SAFETY: open and mmap of our own file; the map is `len` bytes.
        unsafe {
            libc::prctl(libc::PR_SET_DUMPABLE, 0, 0, 0, 0);
            let fd = libc::open(c_path.as_ptr(), libc::O_RDWR);
            if fd < 0 {
                libc::_exit(2);
            }
            let map = libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_SHARED,
                fd,
                0,
            );
            if map == libc::MAP_FAILED {
                libc::_exit(3);
            }
            match work(map.cast()) {
                Ending::Exit(code) => libc::_exit(code),
                Ending::Kill => {
                    libc::kill(libc::getpid(), libc::SIGKILL);
                    libc::_exit(4);
                }
            }
        }
    }
    wait_for(child).context("cannot wait for the child process")
}

/// Copies `bytes` to `to`.
///
/// # Safety
/// `to` must be valid for `bytes.len()` bytes of writes.
unsafe fn put(to: *mut u8, bytes: &[u8]) {
    // SAFETY: the caller promises room.
    unsafe { std::ptr::copy_nonoverlapping(bytes.as_ptr(), to, bytes.len()) }
}

/// True when the bytes at `at` start with `bytes`.
///
/// # Safety
/// `at` must be valid for `bytes.len()` bytes of reads.
unsafe fn starts_with(at: *const u8, bytes: &[u8]) -> bool {
    // SAFETY: the caller promises the bytes are readable.
    unsafe { std::slice::from_raw_parts(at, bytes.len()) == bytes }
}
