//! Page cache control: evicting a file's pages for cold runs and asking how
//! much of it is resident (mincore).

use std::fs::File;
use std::io;
use std::os::fd::AsRawFd;
use std::path::Path;

/// Attempts at eviction before settling for what stayed resident.
const EVICT_ATTEMPTS: usize = 3;

/// Drops the file's pages from the page cache: flush dirty pages first
/// (dirty pages cannot be dropped), then `posix_fadvise(DONTNEED)`. Returns
/// the fraction still resident afterwards (0.0 when it worked).
pub fn evict(path: &Path) -> io::Result<f64> {
    let file = File::open(path).map_err(|e| with_path(e, path))?;
    let mut resident = 1.0;
    for _ in 0..EVICT_ATTEMPTS {
        file.sync_data().map_err(|e| with_path(e, path))?;
        // SAFETY: a valid descriptor; offset 0 and length 0 mean the whole file.
        let rc = unsafe { libc::posix_fadvise(file.as_raw_fd(), 0, 0, libc::POSIX_FADV_DONTNEED) };
        if rc != 0 {
            return Err(with_path(io::Error::from_raw_os_error(rc), path));
        }
        resident = resident_fraction(path)?;
        if resident == 0.0 {
            break;
        }
    }
    Ok(resident)
}

/// The fraction of the file's pages in the page cache, from mincore over a
/// temporary read-only map (which itself faults nothing in).
pub fn resident_fraction(path: &Path) -> io::Result<f64> {
    let file = File::open(path).map_err(|e| with_path(e, path))?;
    let len = file.metadata().map_err(|e| with_path(e, path))?.len();
    if len == 0 {
        return Ok(0.0);
    }
    // SAFETY: the file is private to this run and not truncated while mapped.
    let map = unsafe { memmap2::Mmap::map(&file) }.map_err(|e| with_path(e, path))?;
    let page = crate::machine::page_size();
    let pages = len.div_ceil(page) as usize;
    let mut vector = vec![0u8; pages];
    // SAFETY: the map is page-aligned and `vector` has one byte per page.
    let rc = unsafe {
        libc::mincore(
            map.as_ptr() as *mut libc::c_void,
            map.len(),
            vector.as_mut_ptr(),
        )
    };
    if rc != 0 {
        return Err(with_path(io::Error::last_os_error(), path));
    }
    let resident = vector.iter().filter(|&&v| v & 1 == 1).count();
    Ok(resident as f64 / pages as f64)
}

fn with_path(e: io::Error, path: &Path) -> io::Error {
    io::Error::new(e.kind(), format!("{}: {e}", path.display()))
}
