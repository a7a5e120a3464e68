//! The private directory generated files live in: on a disk-backed
//! filesystem when one can be found, created 0700, removed on drop, and
//! registered so a Ctrl-C handler can remove it too.

use std::ffi::CString;
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

pub mod owner;

/// Directories to remove if the process is interrupted.
static LIVE_DIRS: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

/// Bytes kept free beyond what a scenario needs, for the filesystem's own use.
const SPACE_MARGIN: u64 = 64 << 20;

/// A private temporary directory, removed when dropped.
#[derive(Debug)]
pub struct WorkDir {
    dir: tempfile::TempDir,
    filesystem: String,
}

impl WorkDir {
    /// Creates the directory inside `parent`, or, when none is given, inside the
    /// first of $TMPDIR, /var/tmp and the current directory that is disk-backed.
    pub fn create(parent: Option<&Path>) -> io::Result<WorkDir> {
        let parent = match parent {
            Some(dir) => dir.to_path_buf(),
            None => default_parent(),
        };
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::Builder::new()
            .prefix(owner::PREFIX)
            .permissions(std::fs::Permissions::from_mode(0o700))
            .tempdir_in(&parent)
            .map_err(|e| {
                io::Error::new(
                    e.kind(),
                    format!(
                        "cannot create a work directory in {}: {e}",
                        parent.display()
                    ),
                )
            })?;
        // Registered first, so a signal from here on removes it; the owner
        // record next, so a SIGKILL from then on leaves it findable.
        LIVE_DIRS
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(dir.path().to_path_buf());
        let work = WorkDir {
            filesystem: filesystem_name(dir.path())?,
            dir,
        };
        owner::record(work.path())?;
        Ok(work)
    }

    /// The directory's path.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// The filesystem type it lives on (ext4, xfs, tmpfs...).
    pub fn filesystem(&self) -> &str {
        &self.filesystem
    }

    /// True on a filesystem that lives in memory, where the cache can never be cold.
    pub fn is_memory_backed(&self) -> bool {
        is_memory_filesystem(&self.filesystem)
    }

    /// Bytes available to this user on the directory's filesystem.
    pub fn free_bytes(&self) -> io::Result<u64> {
        free_bytes(self.path())
    }

    /// Refuses, with a message saying how much is missing, when fewer than
    /// `needed` bytes (plus a margin) are free.
    pub fn ensure_space(&self, needed: u64, purpose: &str) -> io::Result<()> {
        let free = self.free_bytes()?;
        if free < needed + SPACE_MARGIN {
            return Err(io::Error::new(
                io::ErrorKind::StorageFull,
                format!(
                    "not enough free space in {} for {purpose}: need {} MiB (plus {} MiB spare), have {} MiB; free some space or pass --work-dir on a larger disk",
                    self.path().display(),
                    needed >> 20,
                    SPACE_MARGIN >> 20,
                    free >> 20
                ),
            ));
        }
        Ok(())
    }
}

impl Drop for WorkDir {
    fn drop(&mut self) {
        let mut live = LIVE_DIRS.lock().unwrap_or_else(|p| p.into_inner());
        live.retain(|p| p != self.dir.path());
    }
}

/// Exit code after Ctrl-C or SIGTERM (128 + SIGINT, as shells report it).
pub const INTERRUPTED_EXIT_CODE: i32 = 130;

/// How long a run has, after the first Ctrl-C, to stop at its next step
/// and clean up by itself before the handler kills its children, removes
/// its work directories and exits: well inside the promised 2 seconds.
pub const STOP_GRACE: std::time::Duration = std::time::Duration::from_millis(1500);

/// Installs the one Ctrl-C (and SIGTERM) handler every door of the suite
/// uses. With `cooperative`, the first signal sets [`crate::stop`]'s flag
/// (every phase stops at its next step and cleans up on its way out) and
/// gives the run [`STOP_GRACE`] to do so; a second signal, or the end of
/// the grace, acts at once. Without it, the first acts at once: every
/// child is killed, every live work directory removed and the process
/// exits with [`INTERRUPTED_EXIT_CODE`]. A failure to install is
/// reported, not fatal.
pub fn clean_up_on_interrupt(cooperative: bool) {
    let installed = ctrlc::set_handler(move || {
        if cooperative && !crate::stop::request() {
            eprintln!("\nstopping (Ctrl-C again to stop now)...");
            std::thread::spawn(|| {
                std::thread::sleep(STOP_GRACE);
                exit_now();
            });
            return;
        }
        crate::stop::request();
        exit_now();
    });
    if let Err(e) = installed {
        eprintln!("warning: cannot catch Ctrl-C ({e}); an interrupted run may leave files behind");
    }
}

/// Kills the children, removes the live work directories and exits with
/// [`INTERRUPTED_EXIT_CODE`].
fn exit_now() -> ! {
    crate::stop::kill_children();
    remove_all_live();
    std::process::exit(INTERRUPTED_EXIT_CODE);
}

/// Removes every live work directory; for a signal handler about to exit.
pub fn remove_all_live() {
    let live = LIVE_DIRS.lock().unwrap_or_else(|p| p.into_inner());
    for dir in live.iter() {
        let _ = std::fs::remove_dir_all(dir);
    }
}

/// Where work directories are made when no `--work-dir` is given, in
/// order of preference: $TMPDIR, /var/tmp, the current directory.
pub fn candidate_parents() -> Vec<PathBuf> {
    vec![
        std::env::temp_dir(),
        PathBuf::from("/var/tmp"),
        std::env::current_dir().unwrap_or_else(|_| PathBuf::from(".")),
    ]
}

/// The first disk-backed candidate parent, else the system temp dir.
fn default_parent() -> PathBuf {
    candidate_parents()
        .iter()
        .find(|dir| dir.is_dir() && filesystem_name(dir).is_ok_and(|fs| !is_memory_filesystem(&fs)))
        .cloned()
        .unwrap_or_else(std::env::temp_dir)
}

/// True for a file system whose files live in memory only (tmpfs,
/// ramfs), by its name from [`filesystem_name`].
pub fn is_memory_filesystem(name: &str) -> bool {
    matches!(name, "tmpfs" | "ramfs")
}

fn statfs(path: &Path) -> io::Result<libc::statfs> {
    let c_path = CString::new(path.as_os_str().as_bytes())
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "path holds a NUL byte"))?;
    // SAFETY: statfs is plain data that the call fills.
    let mut stats: libc::statfs = unsafe { std::mem::zeroed() };
    // SAFETY: c_path is a valid C string and stats is valid for writes.
    if unsafe { libc::statfs(c_path.as_ptr(), &mut stats) } != 0 {
        let e = io::Error::last_os_error();
        return Err(io::Error::new(
            e.kind(),
            format!("statfs {}: {e}", path.display()),
        ));
    }
    Ok(stats)
}

/// Names the filesystem holding `path` from its magic number.
pub fn filesystem_name(path: &Path) -> io::Result<String> {
    let magic = statfs(path)?.f_type as u64;
    let name = match magic {
        0xEF53 => "ext4",
        0x0102_1994 => "tmpfs",
        0x8584_58f6 => "ramfs",
        0x5846_5342 => "xfs",
        0x9123_683E => "btrfs",
        0x794C_7630 => "overlay",
        0x6969 => "nfs",
        0x2FC1_2FC1 => "zfs",
        0xF2F5_2010 => "f2fs",
        0x6573_5546 => "fuse",
        _ => return Ok(format!("unknown (magic {magic:#x})")),
    };
    Ok(name.to_string())
}

/// Bytes available to unprivileged users on the filesystem holding `path`.
pub fn free_bytes(path: &Path) -> io::Result<u64> {
    let stats = statfs(path)?;
    Ok(stats.f_bavail as u64 * stats.f_bsize as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn work_dirs_are_private_and_removed_on_drop() {
        use std::os::unix::fs::PermissionsExt;
        let work = WorkDir::create(None).unwrap();
        let path = work.path().to_path_buf();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o700);
        std::fs::write(path.join("file"), b"x").unwrap();
        drop(work);
        assert!(!path.exists());
    }

    #[test]
    fn the_default_is_not_in_memory_when_a_disk_is_available() {
        let work = WorkDir::create(None).unwrap();
        if filesystem_name(Path::new("/var/tmp")).is_ok_and(|fs| !is_memory_filesystem(&fs)) {
            assert!(!work.is_memory_backed(), "{}", work.filesystem());
        }
    }

    #[test]
    fn tmpfs_is_recognised() {
        if Path::new("/dev/shm").is_dir() {
            assert_eq!(filesystem_name(Path::new("/dev/shm")).unwrap(), "tmpfs");
        }
    }

    #[test]
    fn too_little_space_is_refused_with_the_numbers() {
        let work = WorkDir::create(None).unwrap();
        let error = work.ensure_space(u64::MAX / 4, "a test").unwrap_err();
        let message = error.to_string();
        assert!(
            message.contains("not enough free space") && message.contains("--work-dir"),
            "{message}"
        );
        work.ensure_space(1, "a test").unwrap();
    }
}
