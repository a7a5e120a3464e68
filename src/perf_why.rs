//! Why system calls cannot be counted here, found by asking the kernel:
//! is tracefs mounted (/proc/mounts), can this user read it (stat, its
//! mode and owner), what does `perf_event_paranoid` allow, and what errno
//! did `perf_event_open` give. Each reason ends with the exact remedy.

use std::io;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

const PARANOID: &str = "/proc/sys/kernel/perf_event_paranoid";

/// Where tracefs lives, mounted on first access when the kernel
/// automounts it (so /proc/mounts may not list it yet).
const USUAL_TRACEFS: &str = "/sys/kernel/tracing";

/// Why tracefs cannot be reached when /proc/mounts lists none, from what
/// listing `usual` (the usual mount point) gave: refused there, tracefs
/// may well be mounted on first access, which this user cannot make; only
/// a missing directory or an empty listing says it is not mounted.
fn unlisted_reason(usual: &Path, listing: Option<io::Error>, note: &str) -> String {
    match listing {
        Some(e) if e.kind() == io::ErrorKind::PermissionDenied => format!(
            "{} exists but this user (uid {}) may not open it ({}: {e}), so tracefs, mounted there on first access, cannot be reached; {}{note}",
            usual.display(),
            euid(),
            mode_and_owner(usual),
            share_remedy(usual)
        ),
        _ => format!(
            "tracefs is not mounted (no tracefs in /proc/mounts); as root: mount -t tracefs nodev {}{note}",
            usual.display()
        ),
    }
}

/// The reason tracefs's events cannot be reached (called when no tracefs
/// directory with readable events was found).
pub fn tracefs_unreachable() -> String {
    let mounts = tracefs_mounts();
    let Some(first) = mounts.first() else {
        let usual = Path::new(USUAL_TRACEFS);
        return unlisted_reason(usual, std::fs::read_dir(usual).err(), &paranoid_note());
    };
    for dir in &mounts {
        match std::fs::metadata(dir.join("events")) {
            Ok(m) if m.is_dir() => continue,
            Err(e) if e.kind() == io::ErrorKind::PermissionDenied => {
                return format!(
                    "tracefs is mounted at {} but this user (uid {}) may not read it ({}: {e}); {}{}",
                    dir.display(),
                    euid(),
                    mode_and_owner(dir),
                    share_remedy(dir),
                    paranoid_note()
                );
            }
            _ => {}
        }
    }
    format!(
        "tracefs is mounted at {} but has no events/ directory: this kernel was built without tracing (CONFIG_FTRACE_SYSCALLS)",
        first.display()
    )
}

/// The reason `perf_event_open` refused the syscall tracepoint with `error`.
pub fn open_refused(error: &io::Error) -> String {
    match error.raw_os_error() {
        Some(libc::EACCES) | Some(libc::EPERM) => match paranoid() {
            Some(level) => format!(
                "perf_event_open refused the syscall tracepoint ({error}): {PARANOID} is {level}, and tracepoint counters need -1 for a user without CAP_PERFMON; run as root, or as root: sysctl kernel.perf_event_paranoid=-1"
            ),
            None => format!(
                "perf_event_open refused the syscall tracepoint ({error}); run as root or give the program CAP_PERFMON"
            ),
        },
        Some(libc::ENOENT) | Some(libc::ENODEV) | Some(libc::ENOSYS) | Some(libc::EOPNOTSUPP) => {
            format!(
                "perf_event_open cannot count the syscall tracepoint here ({error}): the kernel has no perf events or no syscall tracepoints (a container or VM may hide them)"
            )
        }
        _ => format!("perf_event_open refused the syscall tracepoint ({error})"),
    }
}

/// Where tracefs is mounted, from /proc/mounts (tracefs itself, and the
/// `tracing` folder of a mounted debugfs).
fn tracefs_mounts() -> Vec<PathBuf> {
    let text = crate::bounded_read::read_text(Path::new("/proc/mounts"), 1 << 20, "mounts")
        .unwrap_or_default();
    let mut found = Vec::new();
    for line in text.lines() {
        let fields: Vec<&str> = line.split_whitespace().collect();
        match fields.as_slice() {
            [_, dir, "tracefs", ..] => found.push(PathBuf::from(unescape(dir))),
            [_, dir, "debugfs", ..] => found.push(Path::new(&unescape(dir)).join("tracing")),
            _ => {}
        }
    }
    found
}

/// /proc/mounts writes a space in a path as `\040`.
fn unescape(field: &str) -> String {
    field.replace("\\040", " ").replace("\\011", "\t")
}

/// How to let this user read tracefs at `dir`: root, or remounting it
/// with `mode=0750` (its root is 0700) and `gid=` this user's group (its
/// files are 0440 and keep no bits for others; `gid=` gives them that
/// group). Tried on Linux 6.18: nobody then reads the ids, and the reason
/// becomes the paranoid level.
pub fn share_remedy(dir: &Path) -> String {
    // SAFETY: getegid has no preconditions.
    let gid = unsafe { libc::getegid() };
    format!(
        "run as root, or as root: mount -o remount,mode=0750,gid={gid} {} (tracefs then lets this user's group, gid {gid}, into its root and read every file)",
        dir.display()
    )
}

fn mode_and_owner(dir: &Path) -> String {
    match std::fs::metadata(dir) {
        Ok(m) => format!("mode {:04o}, owner uid {}", m.mode() & 0o7777, m.uid()),
        Err(e) => format!("cannot stat it: {e}"),
    }
}

fn euid() -> u32 {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() }
}

/// The current `perf_event_paranoid` level.
fn paranoid() -> Option<i32> {
    std::fs::read_to_string(PARANOID).ok()?.trim().parse().ok()
}

/// What the paranoid level adds for a user who is not root: even with
/// tracefs readable, tracepoint counters need -1.
fn paranoid_note() -> String {
    match paranoid() {
        Some(level) if level > -1 && euid() != 0 => format!(
            "; and then {PARANOID} is {level}: tracepoint counters need -1 without CAP_PERFMON (as root: sysctl kernel.perf_event_paranoid=-1)"
        ),
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refusal_names_the_paranoid_level_and_the_remedy() {
        let why = open_refused(&io::Error::from_raw_os_error(libc::EACCES));
        match paranoid() {
            Some(level) => assert!(why.contains(&format!("is {level}")), "{why}"),
            None => assert!(why.contains("CAP_PERFMON"), "{why}"),
        }
        let why = open_refused(&io::Error::from_raw_os_error(libc::ENOENT));
        assert!(why.contains("no perf events"), "{why}");
    }

    #[test]
    fn a_refused_tracing_directory_is_not_called_unmounted() {
        let denied = io::Error::from_raw_os_error(libc::EACCES);
        let why = unlisted_reason(Path::new("/sys/kernel/tracing"), Some(denied), "");
        assert!(
            why.starts_with("/sys/kernel/tracing exists but this user"),
            "{why}"
        );
        assert!(!why.contains("not mounted"), "{why}");
        let missing = io::Error::from_raw_os_error(libc::ENOENT);
        let why = unlisted_reason(Path::new("/nonexistent"), Some(missing), "");
        assert!(why.starts_with("tracefs is not mounted"), "{why}");
    }

    #[test]
    fn mount_points_with_spaces_are_read_back() {
        assert_eq!(unescape("/a\\040b"), "/a b");
    }
}
