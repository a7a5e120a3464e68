//! Who made a work directory, so that directories left by a killed run
//! can be found and removed by the next run or by `mmap-lab clean`, and no
//! others: each one holds an `owner` file with the pid of the process that
//! made it and that process's start time (from /proc/PID/stat, so a reused
//! pid is not taken for the owner). A directory is stale when it is named
//! `mmap-lab-*`, belongs to this user, holds an owner file, and its owner
//! is gone.

use std::io;
use std::path::{Path, PathBuf};

/// The file inside a work directory that names its owner.
pub const OWNER_FILE: &str = "owner";
/// The prefix of every work directory's name.
pub const PREFIX: &str = "mmap-lab-";

/// Writes the owner file of this process into `dir`.
pub fn record(dir: &Path) -> io::Result<()> {
    let pid = std::process::id();
    let start = start_time(pid).unwrap_or(0);
    let path = dir.join(OWNER_FILE);
    std::fs::write(&path, format!("{pid} {start}\n"))
        .map_err(|e| io::Error::new(e.kind(), format!("cannot write {}: {e}", path.display())))
}

/// A process's start time in clock ticks after boot (field 22 of
/// /proc/PID/stat), or `None` when there is no such process.
fn start_time(pid: u32) -> Option<u64> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name may hold spaces and parentheses: count from the last ')'.
    let after = &text[text.rfind(')')? + 1..];
    after.split_whitespace().nth(19)?.parse().ok()
}

/// Whether the owner recorded in `dir` is gone; `None` when `dir` has no
/// readable owner record (not one of ours, or made by an older version).
fn owner_gone(dir: &Path) -> Option<bool> {
    let text = std::fs::read_to_string(dir.join(OWNER_FILE)).ok()?;
    let mut fields = text.split_whitespace();
    let pid: u32 = fields.next()?.parse().ok()?;
    let start: u64 = fields.next()?.parse().ok()?;
    Some(match start_time(pid) {
        None => true,
        Some(now) => start != 0 && now != start,
    })
}

/// The work directories directly in `parent` whose owner is gone.
pub fn stale_in(parent: &Path) -> Vec<PathBuf> {
    use std::os::unix::fs::MetadataExt;
    // SAFETY: geteuid has no preconditions.
    let me = unsafe { libc::geteuid() };
    let Ok(entries) = std::fs::read_dir(parent) else {
        return Vec::new();
    };
    let mut stale: Vec<PathBuf> = entries
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with(PREFIX))
        .map(|e| e.path())
        .filter(|p| {
            std::fs::symlink_metadata(p).is_ok_and(|m| m.is_dir() && m.uid() == me)
                && owner_gone(p) == Some(true)
        })
        .collect();
    stale.sort();
    stale
}

/// Removes the stale work directories in each of `parents`; returns each
/// one with the bytes it held, or why it could not be removed.
pub fn remove_stale(parents: &[PathBuf]) -> Vec<(PathBuf, io::Result<u64>)> {
    let mut seen = Vec::new();
    let mut removed = Vec::new();
    for parent in parents {
        let key = parent.canonicalize().unwrap_or_else(|_| parent.clone());
        if seen.contains(&key) {
            continue;
        }
        seen.push(key);
        for dir in stale_in(parent) {
            let bytes = bytes_in(&dir);
            let outcome = std::fs::remove_dir_all(&dir).map(|()| bytes);
            removed.push((dir, outcome));
        }
    }
    removed
}

/// Bytes of the files directly inside `dir` (work directories are flat).
fn bytes_in(dir: &Path) -> u64 {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok()?.metadata().ok())
                .filter(|m| m.is_file())
                .map(|m| m.len())
                .sum()
        })
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_directory_whose_owner_is_gone_is_stale_and_a_live_or_foreign_one_is_not() {
        let parent = tempfile::tempdir().unwrap();
        let live = parent.path().join("mmap-lab-live");
        std::fs::create_dir(&live).unwrap();
        record(&live).unwrap();
        let dead = parent.path().join("mmap-lab-dead");
        std::fs::create_dir(&dead).unwrap();
        // A child that has exited and been reaped: its pid is gone.
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let pid = child.id();
        child.wait().unwrap();
        std::fs::write(dead.join(OWNER_FILE), format!("{pid} 1\n")).unwrap();
        let reused = parent.path().join("mmap-lab-reused");
        std::fs::create_dir(&reused).unwrap();
        // This process's pid, with another start time: a reused pid.
        let mine = start_time(std::process::id()).unwrap();
        std::fs::write(
            reused.join(OWNER_FILE),
            format!("{} {}\n", std::process::id(), mine + 1),
        )
        .unwrap();
        let foreign = parent.path().join("mmap-lab-foreign");
        std::fs::create_dir(&foreign).unwrap();
        let other = parent.path().join("other-dir");
        std::fs::create_dir(&other).unwrap();
        std::fs::write(other.join(OWNER_FILE), format!("{pid} 1\n")).unwrap();
        assert_eq!(stale_in(parent.path()), vec![dead.clone(), reused.clone()]);
        let removed = remove_stale(&[parent.path().to_path_buf()]);
        assert_eq!(removed.len(), 2);
        assert!(!dead.exists() && !reused.exists());
        assert!(live.exists() && foreign.exists() && other.exists());
    }
}
