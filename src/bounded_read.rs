//! Reading a file the user names, with a ceiling: a scenario or results
//! file larger than its documented bound, or a device such as /dev/zero,
//! is refused before it can take the machine's memory.

use std::io::{self, Read};
use std::path::Path;

/// Largest scenario file `check`, `run` and `fio-job` read (1 MiB).
pub const MAX_SCENARIO_FILE: u64 = 1 << 20;
/// Largest results file `report` and `compare` read (256 MiB).
pub const MAX_RESULTS_FILE: u64 = 256 << 20;

/// Reads `path` as UTF-8 text of at most `limit` bytes; `what` names the
/// kind of file in the refusal. Directories, devices and sockets are
/// refused by their type (a FIFO is read, up to the limit).
pub fn read_text(path: &Path, limit: u64, what: &str) -> io::Result<String> {
    let kind = std::fs::metadata(path)?.file_type();
    use std::os::unix::fs::FileTypeExt;
    if kind.is_dir() {
        return Err(io::Error::other(format!(
            "is a directory, not a {what} file"
        )));
    }
    if !(kind.is_file() || kind.is_fifo()) {
        return Err(io::Error::other(format!(
            "is not a regular file (a device or socket), not a {what} file"
        )));
    }
    let mut bytes = Vec::new();
    open_without_waiting(path, kind.is_fifo())?
        .take(limit + 1)
        .read_to_end(&mut bytes)?;
    if bytes.len() as u64 > limit {
        return Err(io::Error::other(format!(
            "is larger than {} ({what} files are at most that large)",
            crate::units::ExactSize(limit)
        )));
    }
    String::from_utf8(bytes).map_err(|e| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!("is not UTF-8 text (byte {})", e.utf8_error().valid_up_to()),
        )
    })
}

/// Opens `path` for reading; a FIFO is opened without waiting for a
/// writer (one with none reads as empty instead of hanging), then read
/// normally.
fn open_without_waiting(path: &Path, fifo: bool) -> io::Result<std::fs::File> {
    use std::os::fd::AsRawFd;
    use std::os::unix::fs::OpenOptionsExt;
    if !fifo {
        return std::fs::File::open(path);
    }
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)?;
    let fd = file.as_raw_fd();
    // SAFETY: fcntl on a descriptor we own; F_GETFL/F_SETFL take an int.
    let cleared = unsafe {
        let flags = libc::fcntl(fd, libc::F_GETFL);
        flags >= 0 && libc::fcntl(fd, libc::F_SETFL, flags & !libc::O_NONBLOCK) == 0
    };
    if !cleared {
        return Err(io::Error::last_os_error());
    }
    Ok(file)
}

/// Reads at most `limit` bytes from `source` (a child's output) and drains
/// the rest without keeping it; returns what was kept and whether anything
/// was dropped.
pub fn read_capped(mut source: impl Read, limit: u64) -> io::Result<(Vec<u8>, bool)> {
    let mut kept = Vec::new();
    (&mut source).take(limit).read_to_end(&mut kept)?;
    let dropped = io::copy(&mut source, &mut io::sink())?;
    Ok((kept, dropped > 0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_device_is_refused_without_reading_it() {
        let error = read_text(Path::new("/dev/zero"), 1024, "scenario").unwrap_err();
        assert!(error.to_string().contains("not a regular file"), "{error}");
    }

    #[test]
    fn a_file_over_the_limit_is_refused_and_one_at_it_is_read() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f.json");
        std::fs::write(&path, "x".repeat(100)).unwrap();
        assert_eq!(read_text(&path, 100, "scenario").unwrap().len(), 100);
        let error = read_text(&path, 99, "scenario").unwrap_err();
        assert!(error.to_string().contains("larger than 99 B"), "{error}");
    }

    #[test]
    fn a_fifo_with_no_writer_reads_as_empty_instead_of_hanging() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("fifo.json");
        let c_path = std::ffi::CString::new(path.to_str().unwrap()).unwrap();
        // SAFETY: a valid path string.
        assert_eq!(unsafe { libc::mkfifo(c_path.as_ptr(), 0o600) }, 0);
        assert_eq!(read_text(&path, 100, "scenario").unwrap(), "");
    }

    #[test]
    fn capped_output_keeps_the_head_and_says_it_dropped_the_rest() {
        let (kept, dropped) = read_capped(io::repeat(7).take(5000), 100).unwrap();
        assert_eq!((kept.len(), dropped), (100, true));
        let (kept, dropped) = read_capped(&b"short"[..], 100).unwrap();
        assert_eq!((kept.as_slice(), dropped), (&b"short"[..], false));
    }
}
