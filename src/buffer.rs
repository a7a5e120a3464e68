//! Buffers placed on purpose. Where a read buffer starts changes how fast
//! the kernel copies into it: with FSRM, `copy_to_user` is a bare
//! `rep movsb`, which on some CPUs (AMD Zen among them) runs several times
//! slower when the destination is not page-aligned, and glibc's malloc puts
//! large blocks 16 bytes past a page boundary. So the methods that own their
//! buffer take it from here: page-aligned, then moved `offset` bytes on.

use std::alloc::{self, Layout};
use std::cell::Cell;
use std::ptr::NonNull;
use std::sync::atomic::{AtomicU64, Ordering};

/// From this size up, glibc's malloc takes every block straight from the
/// kernel (mmap) once [`fix_heap_threshold`] has run: 128 KiB, glibc's
/// starting value.
pub const HEAP_MMAP_THRESHOLD: usize = 128 * 1024;

/// The threshold [`fix_heap_threshold`] set, or 0 when it did not.
static FIXED_THRESHOLD: AtomicU64 = AtomicU64::new(0);

/// Holds glibc's malloc to one rule for large blocks: from
/// [`HEAP_MMAP_THRESHOLD`] up, fresh pages from the kernel every time. By
/// default glibc raises its threshold whenever such a block is freed (up
/// to 32 MiB), so whether `fs::read`'s vector came with fresh pages (a
/// page fault per 4 KiB) or reused heap depended on what the process had
/// freed before: 1 MiB whole-file reads ran 1.4-2.3x apart between two
/// runs on this project's VM. Returns the threshold set, or `None` where
/// the C library is not glibc or refused.
pub fn fix_heap_threshold() -> Option<u64> {
    #[cfg(target_env = "gnu")]
    {
        // SAFETY: mallopt only changes malloc's parameters; called before
        // the program's threads start allocating in earnest.
        let ok = unsafe { libc::mallopt(libc::M_MMAP_THRESHOLD, HEAP_MMAP_THRESHOLD as i32) };
        if ok == 1 {
            FIXED_THRESHOLD.store(HEAP_MMAP_THRESHOLD as u64, Ordering::Relaxed);
            return Some(HEAP_MMAP_THRESHOLD as u64);
        }
    }
    None
}

/// The threshold [`fix_heap_threshold`] set in this process, if it did.
pub fn fixed_heap_threshold() -> Option<u64> {
    Some(FIXED_THRESHOLD.load(Ordering::Relaxed)).filter(|&t| t > 0)
}

thread_local! {
    /// Where the last operation's copy buffer started (see [`note_copy_buffer`]).
    static NOTED_OFFSET: Cell<Option<u64>> = const { Cell::new(None) };
}

/// Notes where the buffer the kernel copies into or out of starts, for the
/// operation running on this thread. Methods call it once per operation.
pub fn note_copy_buffer(bytes: &[u8]) {
    NOTED_OFFSET.with(|noted| noted.set(Some(page_offset_of(bytes))));
}

/// Notes on this thread a page offset another thread noted (a thread
/// that shared this operation; they all place their buffers alike).
pub fn note_offset(offset: u64) {
    NOTED_OFFSET.with(|noted| noted.set(Some(offset)));
}

/// The page offset noted since the last call, if any (a map notes none:
/// nothing is copied).
pub fn take_noted_offset() -> Option<u64> {
    NOTED_OFFSET.with(Cell::take)
}

/// The page size in bytes (4096 when the system does not say).
pub fn page_size() -> usize {
    // SAFETY: sysconf has no preconditions.
    let size = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    if size > 0 { size as usize } else { 4096 }
}

/// Where `bytes` starts, as its address modulo the page size.
pub fn page_offset_of(bytes: &[u8]) -> u64 {
    (bytes.as_ptr() as usize % page_size()) as u64
}

/// `len` zeroed bytes starting exactly `offset` bytes past a page boundary.
pub struct PlacedBuffer {
    start: NonNull<u8>,
    layout: Layout,
    offset: usize,
    len: usize,
}

// SAFETY: the buffer owns its allocation outright, like a Vec<u8>.
unsafe impl Send for PlacedBuffer {}

impl PlacedBuffer {
    /// Allocates `len` bytes at `offset` past a page boundary. `offset` must
    /// be below the page size (scenario validation refuses anything else).
    pub fn new(len: usize, offset: usize) -> PlacedBuffer {
        let page = page_size();
        assert!(offset < page, "a buffer offset must be below the page size");
        let size = (offset + len).max(1);
        let layout = Layout::from_size_align(size, page).expect("a valid buffer layout");
        // SAFETY: the layout has a non-zero size.
        let raw = unsafe { alloc::alloc_zeroed(layout) };
        let start = NonNull::new(raw).unwrap_or_else(|| alloc::handle_alloc_error(layout));
        PlacedBuffer {
            start,
            layout,
            offset,
            len,
        }
    }

    /// A buffer holding a copy of `bytes`, at `offset` past a page boundary.
    pub fn copy_of(bytes: &[u8], offset: usize) -> PlacedBuffer {
        let mut buffer = PlacedBuffer::new(bytes.len(), offset);
        buffer.as_mut_slice().copy_from_slice(bytes);
        buffer
    }

    /// Bytes past the page boundary where the buffer starts.
    pub fn offset(&self) -> usize {
        self.offset
    }

    /// Length in bytes.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True for a buffer of no bytes.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The bytes.
    pub fn as_slice(&self) -> &[u8] {
        // SAFETY: offset + len lies inside the zero-initialised allocation.
        unsafe { std::slice::from_raw_parts(self.start.as_ptr().add(self.offset), self.len) }
    }

    /// The bytes, writable.
    pub fn as_mut_slice(&mut self) -> &mut [u8] {
        // SAFETY: as above, and `&mut self` makes the borrow unique.
        unsafe { std::slice::from_raw_parts_mut(self.start.as_ptr().add(self.offset), self.len) }
    }
}

impl Drop for PlacedBuffer {
    fn drop(&mut self) {
        // SAFETY: allocated in `new` with this very layout.
        unsafe { alloc::dealloc(self.start.as_ptr(), self.layout) }
    }
}

impl std::fmt::Debug for PlacedBuffer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PlacedBuffer")
            .field("len", &self.len)
            .field("offset", &self.offset)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buffers_start_where_asked() {
        for offset in [0, 16, 64, 2048, page_size() - 1] {
            let mut buffer = PlacedBuffer::new(10_000, offset);
            assert_eq!(page_offset_of(buffer.as_slice()), offset as u64);
            assert_eq!(buffer.len(), 10_000);
            assert!(buffer.as_slice().iter().all(|&b| b == 0));
            buffer.as_mut_slice()[9_999] = 7;
            assert_eq!(buffer.as_slice()[9_999], 7);
        }
    }

    #[test]
    fn a_copy_holds_the_bytes_at_its_offset() {
        let bytes: Vec<u8> = (0..=255).collect();
        let buffer = PlacedBuffer::copy_of(&bytes, 16);
        assert_eq!(buffer.as_slice(), &bytes[..]);
        assert_eq!(page_offset_of(buffer.as_slice()), 16);
    }
}
