//! The file a run that lasts reads: too large to keep a copy in memory, so
//! its bytes are a function of their offset (each 8-byte word is a hash of
//! the seed and its index) and any record's reference is computed on
//! demand. A sparse file is all zeros: the kernel caches and evicts its
//! pages but never reads them from the disk.

use std::fs::File;
use std::io::{self, Write};
use std::path::Path;

/// Bytes written per call when generating.
const BLOCK: usize = 8 << 20;

/// What a file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Content {
    /// Real data on disk, generated from the seed.
    Data {
        /// The seed.
        seed: u64,
    },
    /// A hole the size of the file: every byte 0, nothing on disk.
    Sparse,
}

/// splitmix64: a fast, well-mixed hash of one word.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

impl Content {
    /// Fills `out` with the bytes at `offset`; both multiples of 8.
    pub fn fill(&self, offset: u64, out: &mut [u8]) {
        match self {
            Content::Sparse => out.fill(0),
            Content::Data { seed } => {
                let first = offset / 8;
                for (i, word) in out.chunks_exact_mut(8).enumerate() {
                    let value = mix(seed ^ mix(first + i as u64));
                    word.copy_from_slice(&value.to_le_bytes());
                }
            }
        }
    }

    /// Creates `path` with `size` bytes of this content (a multiple of 8),
    /// flushed to disk so that its pages are clean and can be evicted.
    pub fn create(&self, path: &Path, size: u64) -> io::Result<()> {
        let named = |e: io::Error| io::Error::new(e.kind(), format!("{}: {e}", path.display()));
        let mut file = File::create(path).map_err(named)?;
        match self {
            Content::Sparse => file.set_len(size).map_err(named)?,
            Content::Data { .. } => {
                let mut block = vec![0u8; BLOCK];
                let mut offset = 0u64;
                while offset < size {
                    let len = (size - offset).min(BLOCK as u64) as usize;
                    self.fill(offset, &mut block[..len]);
                    file.write_all(&block[..len]).map_err(named)?;
                    offset += len as u64;
                }
            }
        }
        file.sync_all().map_err(named)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_is_the_same_wherever_it_is_computed_from() {
        let content = Content::Data { seed: 7 };
        let mut whole = vec![0u8; 64 << 10];
        content.fill(0, &mut whole);
        let mut part = vec![0u8; 4096];
        content.fill(8192, &mut part);
        assert_eq!(part, whole[8192..12288]);
        let mut other = vec![0u8; 4096];
        Content::Data { seed: 8 }.fill(8192, &mut other);
        assert_ne!(part, other);
        assert!(part.iter().filter(|&&b| b == 0).count() < 100);
    }

    #[test]
    fn files_hold_their_content_and_sparse_ones_no_blocks() {
        use std::os::unix::fs::MetadataExt;
        let dir = tempfile::tempdir_in("/var/tmp").unwrap();
        let (data, sparse) = (dir.path().join("data"), dir.path().join("sparse"));
        let size = (BLOCK + 4096 * 3) as u64;
        Content::Data { seed: 1 }.create(&data, size).unwrap();
        Content::Sparse.create(&sparse, size).unwrap();
        let bytes = std::fs::read(&data).unwrap();
        let mut expected = vec![0u8; size as usize];
        Content::Data { seed: 1 }.fill(0, &mut expected);
        assert!(bytes == expected);
        let meta = std::fs::metadata(&sparse).unwrap();
        assert_eq!(meta.len(), size);
        assert_eq!(meta.blocks(), 0);
    }
}
