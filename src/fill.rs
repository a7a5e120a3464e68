//! How a file's pages come into the page cache before anything is timed:
//! its folio layout. On file systems with large folios (ext4 since Linux
//! 6.16, xfs, tmpfs with huge pages) a buffered write allocates folios
//! sized to the write, and read-ahead and faults allocate their own sizes,
//! so the same bytes can sit in 2 MiB folios or in 4 KiB pages, and a map
//! of them takes one fault per folio: 512 times as many faults, and a warm
//! map several times slower, for the same file.

use crate::cache;
use crate::units::ExactSize;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::fs::File;
use std::io::{self, Read, Write};
use std::path::Path;

/// Smallest write size a `writes` fill may use: smaller writes lay out
/// the same 4 KiB pages as page-sized ones, and take far longer.
pub const MIN_WRITE: u64 = 512;

/// Bytes each read() asks for when a file is read back (what `cat` uses).
const READ_BACK_CHUNK: usize = 128 << 10;

/// How a file's pages enter the page cache before a warm operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CacheFill {
    /// The whole file in one `write`: the largest folios the file system
    /// makes (what mmap-lab always did).
    #[default]
    OneWrite,
    /// Written front to back in writes of this many bytes (a database
    /// writes pages of 4-16 KiB).
    Writes(#[serde(deserialize_with = "crate::units::deserialize_byte_count")] u64),
    /// Written in one write, evicted, then read back with read() in
    /// 128 KiB calls: the folios read-ahead makes (a file copied in, or
    /// read by `cat`).
    ReadBack,
    /// Written in one write, evicted, then faulted back through a map
    /// touching one byte per page: the folios fault-around and read-around
    /// make.
    MapBack,
}

impl CacheFill {
    /// Every kind, with 4 KiB and 64 KiB writes, for lessons and tests.
    pub const EXAMPLES: [CacheFill; 5] = [
        CacheFill::OneWrite,
        CacheFill::Writes(64 << 10),
        CacheFill::Writes(4 << 10),
        CacheFill::ReadBack,
        CacheFill::MapBack,
    ];

    /// Refuses a write size below [`MIN_WRITE`].
    pub fn check(&self) -> Result<(), String> {
        match *self {
            CacheFill::Writes(size) if size < MIN_WRITE => Err(format!(
                "writes of {size} bytes: use at least {MIN_WRITE} bytes (smaller writes lay out the same 4 KiB pages, far more slowly)"
            )),
            _ => Ok(()),
        }
    }

    /// Writes `bytes` to a new file at `path` as this fill says and waits
    /// until they are on disk (so the kernel's background writeback of
    /// fresh files does not run, taking memory bandwidth and a core, while
    /// later operations are timed), leaving the file's pages in the page
    /// cache.
    pub fn lay_out(&self, path: &Path, bytes: &[u8]) -> io::Result<()> {
        let write_size = match *self {
            CacheFill::Writes(size) => size as usize,
            _ => bytes.len().max(1),
        };
        let mut file = File::create(path)?;
        for piece in bytes.chunks(write_size) {
            file.write_all(piece)?;
        }
        file.sync_data()?;
        drop(file);
        match self {
            CacheFill::OneWrite | CacheFill::Writes(_) => Ok(()),
            CacheFill::ReadBack => {
                cache::evict(path)?;
                let mut file = File::open(path)?;
                let mut buffer = vec![0u8; READ_BACK_CHUNK];
                while file.read(&mut buffer)? > 0 {}
                Ok(())
            }
            CacheFill::MapBack => {
                cache::evict(path)?;
                if bytes.is_empty() {
                    return Ok(());
                }
                let file = File::open(path)?;
                // SAFETY: the file is private to this run and not truncated while mapped.
                let map = unsafe { memmap2::Mmap::map(&file)? };
                let page = crate::buffer::page_size();
                let mut sum = 0u8;
                for at in (0..map.len()).step_by(page) {
                    sum = sum.wrapping_add(map[at]);
                }
                std::hint::black_box(sum);
                Ok(())
            }
        }
    }
}

impl fmt::Display for CacheFill {
    /// How the file came into the cache, in words: "written in one write".
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CacheFill::OneWrite => f.write_str("written in one write"),
            CacheFill::Writes(size) => write!(f, "written in {} writes", ExactSize(*size)),
            CacheFill::ReadBack => f.write_str("evicted and read back by read()"),
            CacheFill::MapBack => f.write_str("evicted and faulted back through a map"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fills_read_and_write_their_json_spelling() {
        let cases = [
            ("\"one_write\"", CacheFill::OneWrite),
            ("{\"writes\": \"4 KiB\"}", CacheFill::Writes(4096)),
            ("{\"writes\": 65536}", CacheFill::Writes(65536)),
            ("\"read_back\"", CacheFill::ReadBack),
            ("\"map_back\"", CacheFill::MapBack),
        ];
        for (json, fill) in cases {
            assert_eq!(serde_json::from_str::<CacheFill>(json).unwrap(), fill);
            let again = serde_json::to_string(&fill).unwrap();
            assert_eq!(serde_json::from_str::<CacheFill>(&again).unwrap(), fill);
        }
        assert!(CacheFill::Writes(100).check().is_err());
        assert!(CacheFill::Writes(4096).check().is_ok());
    }

    #[test]
    fn every_fill_leaves_the_bytes_and_the_file_cached() {
        let dir = tempfile::tempdir().unwrap();
        let bytes = crate::workload::file_contents(5, 0, 300_000);
        for fill in CacheFill::EXAMPLES {
            let path = dir.path().join("f.bin");
            fill.lay_out(&path, &bytes).unwrap();
            assert_eq!(cache::resident_fraction(&path).unwrap(), 1.0, "{fill}");
            assert_eq!(std::fs::read(&path).unwrap(), bytes, "{fill}");
        }
    }
}
