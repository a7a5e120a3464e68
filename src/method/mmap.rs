//! Memory maps (memmap2): the file's pages become part of the address space,
//! and touching them is the read; no bytes are copied into a buffer of ours.
//!
//! Safety of every map here: the files belong to this run, live in a private
//! (0700) directory and are never truncated while mapped, so the bytes behind
//! a map cannot vanish (which would raise SIGBUS).

use super::{
    CallSize, ConsumeFrom, Io, IoMethod, MethodFacts, Misfit, change_and_fold, fold_records,
};
use crate::checksum::Fold;
use crate::operation::{Operation, run_parts};
use crate::units::to_usize;
use crate::vocab::Advice;
use crate::vocab::MethodName;
use memmap2::{Mmap, MmapMut, MmapOptions};
use serde::{Deserialize, Serialize};
use std::fs::{File, OpenOptions};
use std::io;
use std::path::Path;

/// Reads and writes through a memory map. The fields are the method's
/// options in scenario files and results.json.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Mapped {
    /// Ask the kernel to fault in every page while mapping (MAP_POPULATE).
    pub populate: bool,
    /// `madvise` advice given right after mapping.
    pub advice: Option<Advice>,
}

impl Mapped {
    fn options(&self) -> MmapOptions {
        let mut options = MmapOptions::new();
        if self.populate {
            options.populate();
        }
        options
    }

    fn memmap_advice(&self) -> Option<memmap2::Advice> {
        self.advice.map(memmap_advice)
    }

    /// Maps the whole file read-only, with the configured options and advice.
    fn map_read(&self, path: &Path) -> io::Result<Mmap> {
        let file = File::open(path)?;
        // SAFETY: see the module comment: the file is private to this run.
        let map = unsafe { self.options().map(&file)? };
        if let Some(advice) = self.memmap_advice() {
            map.advise(advice)?;
        }
        Ok(map)
    }

    /// Maps the whole file for writing (changes reach the file).
    fn map_write(&self, file: &File) -> io::Result<MmapMut> {
        // SAFETY: see the module comment: the file is private to this run.
        let map = unsafe { self.options().map_mut(file)? };
        if let Some(advice) = self.memmap_advice() {
            map.advise(advice)?;
        }
        Ok(map)
    }
}

impl IoMethod for Mapped {
    fn facts(&self) -> MethodFacts {
        MethodFacts {
            bypasses_page_cache: false,
            calls: CallSize::NoCalls,
            consumes_from: ConsumeFrom::Map,
            copies_twice: false,
            placement: None,
            unmodelled: None,
        }
    }

    fn label(&self) -> String {
        let mut label = MethodName::Mmap.to_string();
        if self.populate {
            label.push_str(" populate");
        }
        if let Some(advice) = self.advice {
            label.push_str(&format!(" advice={advice}"));
        }
        label
    }

    fn fits(&self, _: &Operation) -> Result<(), Misfit> {
        Ok(())
    }
}

impl Io for Mapped {
    fn read_file(&self, path: &Path, fold: &mut Fold) -> io::Result<()> {
        let map = self.map_read(path)?;
        fold.update(&map);
        Ok(())
    }

    fn read_records(
        &self,
        path: &Path,
        offsets: &[u64],
        record: u64,
        fold: &mut Fold,
    ) -> io::Result<()> {
        let map = self.map_read(path)?;
        fold_records(&map, offsets, record, fold);
        Ok(())
    }

    /// One mapping shared by every thread, as a database keeps one.
    fn read_ranges_in_threads(&self, path: &Path, ranges: &[(u64, u64)]) -> io::Result<Vec<Fold>> {
        let map = self.map_read(path)?;
        run_parts(ranges.len(), |index, fold| {
            let (start, end) = ranges[index];
            fold.update(&map[to_usize(start)..to_usize(end)]);
            Ok(())
        })
    }

    /// One mapping shared by every thread, as a database keeps one.
    fn read_records_in_threads(
        &self,
        path: &Path,
        parts: &[&[u64]],
        record: u64,
    ) -> io::Result<Vec<Fold>> {
        let map = self.map_read(path)?;
        run_parts(parts.len(), |index, fold| {
            fold_records(&map, parts[index], record, fold);
            Ok(())
        })
    }

    fn read_range(&self, path: &Path, start: u64, end: u64, fold: &mut Fold) -> io::Result<()> {
        let map = self.map_read(path)?;
        fold.update(&map[to_usize(start)..to_usize(end)]);
        Ok(())
    }

    fn overwrite(&self, path: &Path, offset: u64, data: &[u8], sync: bool) -> io::Result<()> {
        let file = OpenOptions::new().read(true).write(true).open(path)?;
        let mut map = self.map_write(&file)?;
        let start = to_usize(offset);
        map[start..start + data.len()].copy_from_slice(data);
        if sync {
            map.flush_range(start, data.len())?;
        }
        Ok(())
    }

    fn create(&self, path: &Path, data: &[u8], sync: bool) -> io::Result<()> {
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .open(path)?;
        if data.is_empty() {
            return Ok(());
        }
        // A map cannot make a file longer: give it its length first.
        file.set_len(data.len() as u64)?;
        let mut map = self.map_write(&file)?;
        map.copy_from_slice(data);
        if sync {
            map.flush()?;
        }
        Ok(())
    }

    fn change_private_copy(
        &self,
        path: &Path,
        offset: u64,
        data: &[u8],
        fold: &mut Fold,
    ) -> io::Result<()> {
        let file = File::open(path)?;
        // SAFETY: see the module comment. A private map: writes stay in this
        // process's copies of the touched pages and never reach the file.
        let mut map = unsafe { self.options().map_copy(&file)? };
        if let Some(advice) = self.memmap_advice() {
            map.advise(advice)?;
        }
        change_and_fold(&mut map, offset, data, fold);
        Ok(())
    }
}

/// memmap2's spelling of an [`Advice`].
pub fn memmap_advice(advice: Advice) -> memmap2::Advice {
    match advice {
        Advice::Normal => memmap2::Advice::Normal,
        Advice::Sequential => memmap2::Advice::Sequential,
        Advice::Random => memmap2::Advice::Random,
        Advice::WillNeed => memmap2::Advice::WillNeed,
        Advice::HugePage => memmap2::Advice::HugePage,
    }
}
