//! mmap(2) called directly through libc, without memmap2's help, so lessons
//! can show what the system call itself accepts and refuses.

use std::fs::File;
use std::io;
use std::os::fd::AsRawFd;

/// A read-only shared mapping made by a raw `mmap` call; unmapped on drop.
pub struct RawMap {
    address: *mut libc::c_void,
    len: usize,
}

impl RawMap {
    /// `mmap(NULL, len, PROT_READ, MAP_SHARED, fd, offset)`; the OS error on failure.
    pub fn map(file: &File, len: usize, offset: u64) -> io::Result<RawMap> {
        let offset = libc::off_t::try_from(offset)
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "offset too large"))?;
        // SAFETY: a fresh read-only mapping chosen by the kernel overlaps nothing
        // of ours; failure is reported as MAP_FAILED and checked below.
        let address = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ,
                libc::MAP_SHARED,
                file.as_raw_fd(),
                offset,
            )
        };
        if address == libc::MAP_FAILED {
            return Err(io::Error::last_os_error());
        }
        Ok(RawMap { address, len })
    }

    /// The mapped bytes. The lessons' files are private and not shrunk while mapped.
    pub fn bytes(&self) -> &[u8] {
        // SAFETY: the kernel mapped `len` readable bytes at `address`, and they
        // stay mapped until drop.
        unsafe { std::slice::from_raw_parts(self.address.cast::<u8>(), self.len) }
    }
}

impl Drop for RawMap {
    fn drop(&mut self) {
        // SAFETY: exactly the range mmap returned, unmapped once.
        unsafe { libc::munmap(self.address, self.len) };
    }
}

/// An OS error as C code names it, e.g. `EINVAL (Invalid argument)`.
pub fn errno_name(error: &io::Error) -> String {
    let name = match error.raw_os_error() {
        Some(libc::EINVAL) => "EINVAL",
        Some(libc::EACCES) => "EACCES",
        Some(libc::ENODEV) => "ENODEV",
        Some(libc::ENOMEM) => "ENOMEM",
        Some(libc::EBADF) => "EBADF",
        _ => return error.to_string(),
    };
    let text = error.to_string();
    let reason = text.split(" (os error").next().unwrap_or(&text);
    format!("{name} ({reason})")
}

/// Most a lesson's forked child may take before it is killed.
pub const CHILD_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// Waits for the child process `child` (ours, from fork) to end, at most
/// [`CHILD_TIMEOUT`]; a child still running then, or when the user stops,
/// is killed and reaped ([`crate::stop::wait_forked`]).
pub fn wait_for(child: libc::pid_t) -> io::Result<std::process::ExitStatus> {
    crate::stop::wait_forked(child, CHILD_TIMEOUT).map_err(|e| match e {
        crate::stop::ChildError::Io(e) => e,
        other => io::Error::other(format!("the lesson's child process: {other}")),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn maps_at_a_page_offset_and_refuses_length_zero() {
        let page = crate::machine::page_size() as usize;
        let mut file = tempfile::tempfile().unwrap();
        let contents: Vec<u8> = (0..2 * page).map(|i| (i / page) as u8 + b'a').collect();
        file.write_all(&contents).unwrap();
        let map = RawMap::map(&file, 10, page as u64).unwrap();
        assert_eq!(map.bytes(), b"bbbbbbbbbb");
        let empty = RawMap::map(&file, 0, 0).err().unwrap();
        assert_eq!(errno_name(&empty), "EINVAL (Invalid argument)");
    }
}
