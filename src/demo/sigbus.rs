//! Lesson `sigbus`: a file shrinks under a map; touching the vanished pages
//! raises SIGBUS. A forked child process takes the hit, the lesson survives
//! to report it, and explains why memmap2's constructors are `unsafe`.

use super::raw::wait_for;
use super::sandbox::open_read_write;
use super::{Sandbox, Steps};
use crate::machine::page_size;
use anyhow::Context;
use memmap2::Mmap;
use std::io;
use std::os::unix::process::ExitStatusExt;
use std::process::ExitStatus;

/// This file: the code its steps show ([`super::shown`]).
pub const SOURCE: &str = include_str!("sigbus.rs");

/// What the lesson saw.
#[derive(Debug, Clone)]
pub struct SigbusFacts {
    /// The signal that ended the child, if one did.
    pub child_signal: Option<i32>,
    /// The child's exit code, if it exited instead.
    pub child_exit_code: Option<i32>,
    /// The map's length after the file was cut to 0 bytes.
    pub map_len_after_truncate: usize,
    /// The length the file was grown back to, inside its second page.
    pub tail_len: usize,
    /// How a child that read the bytes at `tail_len` and at the end of
    /// that page ended: the signal, if one ended it.
    pub tail_signal: Option<i32>,
}

/// Runs the lesson.
pub fn run(steps: &mut Steps) -> anyhow::Result<SigbusFacts> {
    let sandbox = Sandbox::new()?;
    let len = 2 * page_size() as usize;
    steps.step("Make a file of two pages and map it.")?;
    steps.show(SOURCE, "map")?;
    // lesson:map begin
    let path = sandbox.file("shrinking.txt", &vec![b'x'; len])?;
    let file = open_read_write(&path)?;
    // SAFETY: not upheld on purpose: this lesson truncates the file while
    // it is mapped, and only a forked child touches the map afterwards.
    // The `unsafe` is you promising what the compiler cannot check.
    let map = unsafe { Mmap::map(&file) }.context("cannot map it")?;
    // lesson:map end
    steps.result(&format!(
        "map.len() = {}, map[0] = {:?}",
        map.len(),
        map[0] as char
    ))?;

    steps.step("Another program cuts the file to 0 bytes (played here by this one).")?;
    steps.show(SOURCE, "cut")?;
    // lesson:cut begin
    // ftruncate(fd, 0), as `: > file` in a shell would
    file.set_len(0).context("cannot truncate it")?;
    // lesson:cut end
    let map_len_after_truncate = map.len();
    steps.result(&format!(
        "the file has 0 bytes; the map still says map.len() = {map_len_after_truncate}"
    ))?;
    steps.say(
        "The map's addresses are still there, but no page of the file stands\n\
         behind them any more. Touching one now ends the process that touches it,\n\
         so a child process will do it and this one will watch.",
    )?;

    steps.step("A child process reads map[0].")?;
    steps.show(SOURCE, "touch")?;
    steps.show(SOURCE, "child")?;
    // lesson:touch begin
    let status = touch_in_child(&map, &[0]).context("cannot fork")?;
    let child_signal = status.signal(); // Some(7) is SIGBUS
    // lesson:touch end
    let child_exit_code = status.code();
    match child_signal {
        Some(signal) => steps.result(&format!(
            "the child was killed by signal {signal} ({}); this process carries on",
            signal_name(signal)
        ))?,
        None => steps.result(&format!(
            "the child exited normally with code {child_exit_code:?} (no SIGBUS)"
        ))?,
    }
    steps.say(
        "SIGBUS (\"bus error\") is how the kernel says: this address is mapped,\n\
         but no page of the file stands behind it: the touched byte's page lies\n\
         wholly past the file's end. No Result comes back and no Python\n\
         exception is raised; the default action of the signal ends the\n\
         process, as here. A signal handler can catch it and recover (the JVM\n\
         turns it into an InternalError; Go crashes too, unless the program\n\
         called debug.SetPanicOnFault, which makes it a panic), but that takes\n\
         care few programs need. SIGBUS also comes from an I/O error while\n\
         reading a page in, and from writing through a map into a hole of a\n\
         sparse file when the disk is full (lesson share).",
    )?;

    let tail_len = len / 2 + 904;
    steps.step(&format!(
        "Grow the file back to {tail_len} bytes: its second page is now its \
         last, part file and part past the end. A child reads byte {tail_len} \
         (the first past the end) and byte {} (the page's last).",
        len - 1
    ))?;
    steps.show(SOURCE, "tail")?;
    // lesson:tail begin
    file.set_len(tail_len as u64).context("cannot grow it")?;
    let touched = [tail_len, len - 1];
    let status = touch_in_child(&map, &touched).context("cannot fork")?;
    let tail_signal = status.signal();
    // lesson:tail end
    drop(map);
    match tail_signal {
        None => steps.result(&format!(
            "the child read both bytes and exited with code {:?}: no signal",
            status.code()
        ))?,
        Some(signal) => steps.result(&format!(
            "the child was killed by signal {signal} ({})",
            signal_name(signal)
        ))?,
    }
    if tail_signal.is_none() {
        steps.say(
            "The kernel maps whole pages: bytes past the end of a file but inside\n\
             its last page read as 0, with no signal (and what is written there\n\
             never reaches the file). Only a page wholly past the end raises\n\
             SIGBUS.",
        )?;
    }

    steps.step("Why memmap2 marks Mmap::map as unsafe.")?;
    steps.say(
        "A &[u8] in Rust promises its bytes stay put and unchanged while you hold\n\
         it. Behind a map, another process can change them (a write) or remove\n\
         them (a truncate, as here), and no compiler can see other processes.\n\
         So `unsafe` is you promising it will not happen: map files you own, in\n\
         a private directory (mmap-lab uses a 0700 temporary one), or read\n\
         shared files with read(2), which copies and cannot fault like this.",
    )?;

    Ok(SigbusFacts {
        child_signal,
        child_exit_code,
        map_len_after_truncate,
        tail_len,
        tail_signal,
    })
}

/// Forks a child that reads the bytes of `map` at `offsets` and exits 0 if it lives;
/// returns how the child ended. Between fork and exit the child makes only
/// async-signal-safe calls, so forking a multi-threaded process is sound.
fn touch_in_child(map: &Mmap, offsets: &[usize]) -> io::Result<ExitStatus> {
    let address = map.as_ptr();
    if offsets.iter().any(|&at| at >= map.len()) {
        return Err(io::Error::other("a byte to touch lies past the map"));
    }
    // lesson:child begin
    // SAFETY: the child only makes async-signal-safe calls (prctl,
    // setrlimit, signal, _exit) and reads memory, then exits.
    let child = unsafe { libc::fork() };
    if child < 0 {
        return Err(io::Error::last_os_error());
    }
    if child == 0 {
        // SAFETY: as for the fork.
        unsafe {
            crash_quietly(); // no core dump; SIGBUS's default action
            for &at in offsets {
                std::ptr::read_volatile(address.add(at));
            }
            libc::_exit(0);
        }
    }
    wait_for(child) // waitpid
    // lesson:child end
}

/// In a child about to crash on purpose: no core dump, and the default
/// action for SIGBUS (Rust's runtime installs a handler).
///
/// # Safety
/// Only async-signal-safe calls: fine between fork and exit.
unsafe fn crash_quietly() {
    let no_core = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: plain system calls on this process.
    unsafe {
        libc::prctl(libc::PR_SET_DUMPABLE, 0, 0, 0, 0);
        libc::setrlimit(libc::RLIMIT_CORE, &no_core);
        libc::signal(libc::SIGBUS, libc::SIG_DFL);
    }
}

/// The C name of a few signals.
fn signal_name(signal: i32) -> &'static str {
    match signal {
        libc::SIGBUS => "SIGBUS",
        libc::SIGSEGV => "SIGSEGV",
        libc::SIGKILL => "SIGKILL",
        _ => "another signal",
    }
}
