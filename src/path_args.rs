//! Checks of the directories named on the command line (`--out`,
//! `--work-dir`), made before anything is created or measured, so that a
//! mistake in them is the user's to fix (exit 2) with a true message.

use crate::error::AppError;
use std::io;
use std::path::Path;

/// Refuses `--out DIR` (as `flag`) when it exists and is not a directory,
/// or when its nearest existing ancestor cannot be written; creates nothing.
pub fn check_out_dir(flag: &str, dir: &Path) -> Result<(), AppError> {
    let refuse = |why: String| AppError::Usage(format!("{flag} {}: {why}", dir.display()));
    if dir.exists() && !dir.is_dir() {
        return Err(refuse("exists and is not a directory".to_string()));
    }
    let existing = dir
        .ancestors()
        .find(|a| !a.as_os_str().is_empty() && a.exists())
        .unwrap_or(Path::new("."));
    if !existing.is_dir() {
        return Err(refuse(format!("{} is not a directory", existing.display())));
    }
    writable(existing).map_err(|e| refuse(format!("cannot write in {} ({e})", existing.display())))
}

/// Creates `--out DIR` (as `flag`) after [`check_out_dir`]; a failure is
/// still the user's to fix.
pub fn create_out_dir(flag: &str, dir: &Path) -> Result<(), AppError> {
    std::fs::create_dir_all(dir)
        .map_err(|e| AppError::Usage(format!("{flag} {}: cannot create it ({e})", dir.display())))
}

/// Refuses `--work-dir DIR` that is missing, not a directory, or not
/// writable (read-only file system, no permission), saying which.
pub fn check_work_dir(dir: &Path) -> Result<(), AppError> {
    let refuse = |why: String| AppError::Usage(format!("--work-dir {}: {why}", dir.display()));
    match std::fs::metadata(dir) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            Err(refuse("no such directory".to_string()))
        }
        Err(e) => Err(refuse(format!("cannot reach it ({e})"))),
        Ok(m) if !m.is_dir() => Err(refuse("exists and is not a directory".to_string())),
        Ok(_) => writable(dir).map_err(|e| refuse(format!("cannot write there ({e})"))),
    }
}

/// Whether this process may create files in `dir`: access(2) with W_OK|X_OK
/// (which also says EROFS for a read-only file system).
fn writable(dir: &Path) -> io::Result<()> {
    use std::os::unix::ffi::OsStrExt;
    let c_path = std::ffi::CString::new(dir.as_os_str().as_bytes())
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "the path holds a NUL byte"))?;
    // SAFETY: c_path is a valid NUL-terminated string.
    if unsafe { libc::access(c_path.as_ptr(), libc::W_OK | libc::X_OK) } != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}
