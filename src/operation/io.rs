//! What an operation asks of a way of doing I/O: the calls it makes. Every
//! method implements them (see [`crate::method::IoMethod`], which adds what
//! a method says about itself); an operation knows only this trait, so the
//! operations sit below the methods and never import them.

use super::run_parts;
use crate::checksum::Fold;
use std::io;
use std::path::{Path, PathBuf};

/// The file I/O calls operations make. Each call opens its file and closes
/// it before returning, so setting up (open, mmap, munmap) is part of what
/// is measured. Reads feed the consumed bytes to a [`Fold`]; writes copy
/// from a slice the caller owns.
///
/// Several threads may share one operation (the `threads` field): the
/// `_in_threads` calls run one part per thread. By default each thread
/// makes the single-thread call on its part, so it opens its own
/// descriptor and uses its own buffer (and ring); a map overrides them
/// to share one mapping.
pub trait Io: Sync {
    /// Consumes every byte of the file, front to back.
    fn read_file(&self, path: &Path, fold: &mut Fold) -> io::Result<()>;

    /// Consumes every byte of each file, in order (many_files).
    fn read_files(&self, paths: &[PathBuf], fold: &mut Fold) -> io::Result<()> {
        for path in paths {
            self.read_file(path, fold)?;
        }
        Ok(())
    }

    /// Consumes `record` bytes at each offset, in order.
    fn read_records(
        &self,
        path: &Path,
        offsets: &[u64],
        record: u64,
        fold: &mut Fold,
    ) -> io::Result<()>;

    /// Consumes the bytes `[start, end)`.
    fn read_range(&self, path: &Path, start: u64, end: u64, fold: &mut Fold) -> io::Result<()>;

    /// Consumes each range `[start, end)` on a thread of its own, into a
    /// fold of its own; returns the folds in range order.
    fn read_ranges_in_threads(&self, path: &Path, ranges: &[(u64, u64)]) -> io::Result<Vec<Fold>> {
        run_parts(ranges.len(), |index, fold| {
            let (start, end) = ranges[index];
            self.read_range(path, start, end, fold)
        })
    }

    /// Consumes `record` bytes at each offset of each part, a thread per
    /// part, into a fold per part; returns the folds in part order.
    fn read_records_in_threads(
        &self,
        path: &Path,
        parts: &[&[u64]],
        record: u64,
    ) -> io::Result<Vec<Fold>> {
        run_parts(parts.len(), |index, fold| {
            self.read_records(path, parts[index], record, fold)
        })
    }

    /// Writes `data` at `offset` into the existing file, in place; with `sync`,
    /// waits until it is on disk.
    fn overwrite(&self, path: &Path, offset: u64, data: &[u8], sync: bool) -> io::Result<()>;

    /// Creates the file (truncating any old one) holding exactly `data`.
    fn create(&self, path: &Path, data: &[u8], sync: bool) -> io::Result<()>;

    /// Makes a private, writable view of the whole file, writes `data` at
    /// `offset` into the view only, then consumes the whole view. The file on
    /// disk must not change.
    fn change_private_copy(
        &self,
        path: &Path,
        offset: u64,
        data: &[u8],
        fold: &mut Fold,
    ) -> io::Result<()> {
        let _ = (path, offset, data, fold);
        Err(io::Error::new(
            io::ErrorKind::Unsupported,
            "this method has no private copy of a file; use mmap or whole",
        ))
    }
}
