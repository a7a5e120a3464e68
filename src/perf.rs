//! Per-thread system call counts from the kernel's syscall tracepoints, read
//! through one `perf_event_open` counter group.
//!
//! The kernel counts `raw_syscalls:sys_enter` (every system call) and the
//! `syscalls:sys_enter_*` events of the map family for the thread that opened
//! the group, and nothing else. It needs tracefs (to learn the tracepoint ids)
//! and permission (root, CAP_PERFMON, or `perf_event_paranoid` <= -1 for
//! tracepoints); where either is missing the counts are unavailable and say why.
//!
//! An open syscall tracepoint is not free: while any exists, every system
//! call on the machine takes the kernel's tracing slow path (registering one
//! sets the syscall-tracepoint work flag on every thread, `syscall_regfunc`
//! in kernel/tracepoint.c), so a read loop runs measurably slower. The
//! counters are therefore opened for one counted operation and closed right
//! after it ([`SyscallCounter`] closes on drop); timed operations run with
//! none open, which [`open_perf_events`] lets callers check.

use std::fs;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::path::{Path, PathBuf};

/// Places tracefs is usually mounted.
const TRACEFS_DIRS: [&str; 2] = ["/sys/kernel/tracing", "/sys/kernel/debug/tracing"];
/// The map-family calls counted together as `map_calls`.
pub const MAP_SYSCALLS: [&str; 5] = ["mmap", "munmap", "madvise", "msync", "mremap"];

/// `perf_event_attr`, first published layout (64 bytes); later fields stay zero.
#[repr(C)]
#[derive(Default)]
struct PerfEventAttr {
    kind: u32,
    size: u32,
    config: u64,
    sample_period: u64,
    sample_type: u64,
    read_format: u64,
    flags: u64,
    wakeup_events: u32,
    bp_type: u32,
    config1: u64,
}

const PERF_TYPE_TRACEPOINT: u32 = 2;
const PERF_FORMAT_GROUP: u64 = 1 << 3;
const PERF_FLAG_FD_CLOEXEC: libc::c_ulong = 1 << 3;

/// The tracepoint ids the counters need, found once in tracefs.
#[derive(Debug, Clone)]
pub struct Tracepoints {
    all_calls: u64,
    map_family: Vec<(&'static str, u64)>,
}

impl Tracepoints {
    /// Finds tracefs and reads the ids, or explains why it cannot.
    pub fn find() -> Result<Tracepoints, String> {
        let tracefs = find_tracefs()?;
        let all_calls = tracepoint_id(&tracefs, "raw_syscalls", "sys_enter")?;
        let mut map_family = Vec::new();
        for name in MAP_SYSCALLS {
            let id = tracepoint_id(&tracefs, "syscalls", &format!("sys_enter_{name}"))?;
            map_family.push((name, id));
        }
        Ok(Tracepoints {
            all_calls,
            map_family,
        })
    }
}

/// An open counter group on the calling thread: total calls, then map-family
/// calls. Dropping it closes every event.
#[derive(Debug)]
pub struct SyscallCounter {
    leader: OwnedFd,
    _members: Vec<OwnedFd>,
    buffer: Vec<u64>,
    thread: libc::pid_t,
}

/// One reading of the counter group.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SyscallReading {
    /// Every system call entered so far by the thread.
    pub total: u64,
    /// mmap, munmap, madvise, msync and mremap calls entered so far.
    pub map_family: u64,
}

impl SyscallCounter {
    /// Opens the counters on the calling thread, or explains why it cannot.
    pub fn open(tracepoints: &Tracepoints) -> Result<SyscallCounter, String> {
        let leader = open_tracepoint(tracepoints.all_calls, None)
            .map_err(|e| crate::perf_why::open_refused(&e))?;
        let mut members = Vec::new();
        for &(name, id) in &tracepoints.map_family {
            let fd = open_tracepoint(id, Some(&leader))
                .map_err(|e| format!("perf_event_open refused syscalls:sys_enter_{name} ({e})"))?;
            members.push(fd);
        }
        let slots = 1 + 1 + members.len();
        Ok(SyscallCounter {
            leader,
            _members: members,
            buffer: vec![0; slots],
            // SAFETY: gettid has no preconditions.
            thread: unsafe { libc::gettid() },
        })
    }

    /// Reads the group with one `read` call (which itself counts as one call).
    pub fn read(&mut self) -> io::Result<SyscallReading> {
        debug_assert_eq!(
            self.thread,
            // SAFETY: gettid has no preconditions.
            unsafe { libc::gettid() },
            "syscall counters are read from the thread that opened them"
        );
        let bytes = self.buffer.len() * 8;
        // SAFETY: the buffer is valid for `bytes` bytes and outlives the call.
        let got = unsafe {
            libc::read(
                self.leader.as_raw_fd(),
                self.buffer.as_mut_ptr().cast(),
                bytes,
            )
        };
        if got < 0 {
            return Err(io::Error::last_os_error());
        }
        if got as usize != bytes {
            return Err(io::Error::other("short read from perf counter group"));
        }
        Ok(SyscallReading {
            total: self.buffer[1],
            map_family: self.buffer[2..].iter().sum(),
        })
    }
}

/// How many perf events this process has open, from the links in
/// /proc/self/fd (a perf event's reads `anon_inode:[perf_event]`).
pub fn open_perf_events() -> io::Result<usize> {
    let mut open = 0;
    for entry in fs::read_dir("/proc/self/fd")? {
        let Ok(target) = fs::read_link(entry?.path()) else {
            continue; // the directory's own descriptor, closed by now
        };
        if target.as_os_str() == "anon_inode:[perf_event]" {
            open += 1;
        }
    }
    Ok(open)
}

/// Finds a mounted tracefs; as root, mounts it where the kernel expects it (as perf does).
fn find_tracefs() -> Result<PathBuf, String> {
    for dir in TRACEFS_DIRS {
        let dir = Path::new(dir);
        if dir.join("events").is_dir() {
            return Ok(dir.to_path_buf());
        }
    }
    let target = Path::new(TRACEFS_DIRS[0]);
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } == 0 && target.is_dir() {
        let source = c"tracefs";
        let path = c"/sys/kernel/tracing";
        // SAFETY: all pointers are valid NUL-terminated strings; no data argument.
        let rc = unsafe {
            libc::mount(
                source.as_ptr(),
                path.as_ptr(),
                source.as_ptr(),
                0,
                std::ptr::null(),
            )
        };
        if rc == 0 && target.join("events").is_dir() {
            return Ok(target.to_path_buf());
        }
    }
    Err(crate::perf_why::tracefs_unreachable())
}

/// Reads a tracepoint's numeric id from tracefs.
fn tracepoint_id(tracefs: &Path, group: &str, event: &str) -> Result<u64, String> {
    let path = tracefs.join("events").join(group).join(event).join("id");
    let text = fs::read_to_string(&path).map_err(|e| {
        format!(
            "cannot read {} ({e}); {}",
            path.display(),
            crate::perf_why::share_remedy(tracefs)
        )
    })?;
    text.trim()
        .parse()
        .map_err(|_| format!("{} does not hold a number", path.display()))
}

/// Opens one tracepoint counter on the calling thread, any CPU.
fn open_tracepoint(id: u64, leader: Option<&OwnedFd>) -> io::Result<OwnedFd> {
    let attr = PerfEventAttr {
        kind: PERF_TYPE_TRACEPOINT,
        size: std::mem::size_of::<PerfEventAttr>() as u32,
        config: id,
        read_format: PERF_FORMAT_GROUP,
        ..Default::default()
    };
    let group_fd = leader.map_or(-1, |fd| fd.as_raw_fd());
    // SAFETY: attr is a valid perf_event_attr of the declared size; pid 0 and
    // cpu -1 mean "this thread, on any CPU".
    let fd = unsafe {
        libc::syscall(
            libc::SYS_perf_event_open,
            &attr as *const PerfEventAttr,
            0 as libc::pid_t,
            -1 as libc::c_int,
            group_fd,
            PERF_FLAG_FD_CLOEXEC,
        )
    };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: the kernel just returned this descriptor to us.
    Ok(unsafe { OwnedFd::from_raw_fd(fd as i32) })
}
