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
}

/// Runs the lesson.
pub fn run(steps: &mut Steps) -> anyhow::Result<SigbusFacts> {
    let sandbox = Sandbox::new()?;
    let len = 2 * page_size() as usize;
    steps.step("Make a file of two pages and map it.")?;
    steps.code(
        "let map = unsafe { Mmap::map(&file)? };\n\
         let first = map[0];",
    )?;
    let path = sandbox.file("shrinking.txt", &vec![b'x'; len])?;
    let file = open_read_write(&path)?;
    // SAFETY: not upheld on purpose: this lesson truncates the file while it
    // is mapped, and only a forked child touches the map afterwards.
    let map =
        unsafe { Mmap::map(&file) }.with_context(|| format!("cannot map {}", path.display()))?;
    steps.result(&format!(
        "map.len() = {}, map[0] = {:?}",
        map.len(),
        map[0] as char
    ))?;

    steps.step("Another program cuts the file to 0 bytes (played here by this one).")?;
    steps.code("file.set_len(0)?;   // ftruncate(fd, 0), as `: > file` in a shell would")?;
    file.set_len(0)
        .with_context(|| format!("cannot truncate {}", path.display()))?;
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
    steps.code(
        "match unsafe { libc::fork() } {\n\
         \x20   0 => { unsafe { std::ptr::read_volatile(map.as_ptr()) }; ... }\n\
         \x20   child => { libc::waitpid(child, &mut status, 0); }\n\
         }\n\
         let status = ExitStatus::from_raw(status);\n\
         status.signal()   // Some(7) = SIGBUS",
    )?;
    let status = touch_in_child(&map).context("cannot run the child process")?;
    drop(map);
    let child_signal = status.signal();
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
         but the file has nothing there: the touched byte lies in the part of\n\
         the file's last page past its end, or beyond. No Result comes back and\n\
         no Python exception is raised; the default action of the signal ends\n\
         the process, as here. A signal handler can catch it and recover (the\n\
         JVM and Go do, to turn it into an exception or a panic), but that takes\n\
         care few programs need. SIGBUS also comes from an I/O error while\n\
         reading a page in, and from writing through a map into a hole of a\n\
         sparse file when the disk is full (lesson share).",
    )?;

    steps.step("Why memmap2 marks Mmap::map as unsafe.")?;
    steps.code(
        "let map = unsafe { Mmap::map(&file)? };   // you promise what the compiler cannot check",
    )?;
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
    })
}

/// Forks a child that reads the first byte of `map` and exits 0 if it lives;
/// returns how the child ended. Between fork and exit the child makes only
/// async-signal-safe calls, so forking a multi-threaded process is sound.
fn touch_in_child(map: &Mmap) -> io::Result<ExitStatus> {
    let address = map.as_ptr();
    // SAFETY: the child only calls async-signal-safe functions (prctl,
    // setrlimit, signal, _exit) and reads memory, then exits.
    let child = unsafe { libc::fork() };
    if child < 0 {
        return Err(io::Error::last_os_error());
    }
    if child == 0 {
        // SAFETY: see above. No core dump for an expected crash, and the
        // default action for SIGBUS (Rust's runtime installs a handler).
        unsafe {
            libc::prctl(libc::PR_SET_DUMPABLE, 0, 0, 0, 0);
            let no_core = libc::rlimit {
                rlim_cur: 0,
                rlim_max: 0,
            };
            libc::setrlimit(libc::RLIMIT_CORE, &no_core);
            libc::signal(libc::SIGBUS, libc::SIG_DFL);
            std::ptr::read_volatile(address);
            libc::_exit(0);
        }
    }
    wait_for(child)
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
