//! Generated files and their references: deterministic contents from a seed
//! (PCG-64, a named generator whose output does not change between rand
//! versions), the bytes writes write and the offsets random reads use. The
//! directory they live in is [`crate::workdir`]'s.

use crate::fill::CacheFill;
use rand::{Rng, RngExt, SeedableRng};
use rand_pcg::Pcg64;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

/// Stream numbers that keep the generator's uses apart for one seed.
const PATCH_STREAM: u64 = 0x5041_5443_4800_0000;
const OFFSET_STREAM: u64 = 0x4F46_4653_4554_0000;

/// The generator for one stream of one seed.
fn generator(seed: u64, stream: u64) -> Pcg64 {
    Pcg64::seed_from_u64(seed ^ stream.wrapping_mul(0x9E37_79B9_7F4A_7C15))
}

/// The contents of input file number `index` of `size` bytes.
pub fn file_contents(seed: u64, index: u64, size: u64) -> Vec<u8> {
    let mut bytes = vec![0u8; crate::units::to_usize(size)];
    generator(seed, index).fill_bytes(&mut bytes);
    bytes
}

/// The bytes an overwrite or copy-on-write writes.
pub fn patch_contents(seed: u64, len: u64) -> Vec<u8> {
    file_contents(seed, PATCH_STREAM, len)
}

/// `count` record-aligned offsets in a file of `size` bytes, each with room for
/// a whole `record`.
pub fn record_offsets(seed: u64, size: u64, record: u64, count: u64) -> Vec<u64> {
    let slots = size / record;
    let mut rng = generator(seed, OFFSET_STREAM);
    (0..count)
        .map(|_| rng.random_range(0..slots) * record)
        .collect()
}

/// Input files of one size, written to disk, with their contents kept in
/// memory as the reference.
#[derive(Debug)]
pub struct InputFiles {
    /// Paths, in index order.
    pub paths: Vec<PathBuf>,
    /// Each file's bytes, in the same order.
    pub contents: Vec<Vec<u8>>,
}

impl InputFiles {
    /// Generates `count` files of `size` bytes into `dir`, flushed to disk,
    /// their pages brought into the page cache as `fill` says.
    pub fn generate(
        dir: &Path,
        seed: u64,
        size: u64,
        count: u64,
        fill: CacheFill,
    ) -> io::Result<InputFiles> {
        let mut paths = Vec::new();
        let mut contents = Vec::new();
        for index in 0..count {
            crate::stop::check()?;
            let path = dir.join(format!("input-{index:05}.bin"));
            let bytes = file_contents(seed, index, size);
            fill.lay_out(&path, &bytes).map_err(|e| {
                io::Error::new(e.kind(), format!("cannot write {}: {e}", path.display()))
            })?;
            paths.push(path);
            contents.push(bytes);
        }
        Ok(InputFiles { paths, contents })
    }

    /// Removes the files (the directory stays).
    pub fn remove(self) -> io::Result<()> {
        for path in &self.paths {
            fs::remove_file(path)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contents_are_deterministic_and_differ_by_seed_and_index() {
        assert_eq!(file_contents(42, 0, 1000), file_contents(42, 0, 1000));
        assert_ne!(file_contents(42, 0, 1000), file_contents(43, 0, 1000));
        assert_ne!(file_contents(42, 0, 1000), file_contents(42, 1, 1000));
        // A shorter file is a prefix of a longer one from the same stream.
        assert_eq!(
            file_contents(42, 0, 100)[..],
            file_contents(42, 0, 1000)[..100]
        );
    }

    #[test]
    fn contents_do_not_change_between_versions() {
        // Pinned: if rand_pcg ever changes its output, results stop being comparable.
        let head = &file_contents(42, 0, 8)[..];
        assert_eq!(head, &PINNED_HEAD);
    }

    const PINNED_HEAD: [u8; 8] = [9, 24, 0, 163, 112, 185, 252, 57];

    #[test]
    fn offsets_are_aligned_and_in_range() {
        let offsets = record_offsets(7, 1 << 20, 4096, 500);
        assert_eq!(offsets.len(), 500);
        assert!(offsets.iter().all(|o| o % 4096 == 0 && o + 4096 <= 1 << 20));
        assert_eq!(offsets, record_offsets(7, 1 << 20, 4096, 500));
    }
}
