//! `fs::read` and `fs::write`: the whole file in one buffer. Few calls, one
//! copy of every byte, and memory for all of it at once.

use super::{
    CallSize, ConsumeFrom, Io, IoMethod, MethodFacts, Misfit, change_and_fold, fold_records,
};
use crate::buffer::note_copy_buffer;
use crate::checksum::Fold;
use crate::operation::Operation;
use crate::units::to_usize;
use crate::vocab::MethodName;
use serde::{Deserialize, Serialize};
use std::fs::{self, File};
use std::io::{self, Write};
use std::path::Path;

/// Whole-file reads and writes; no options.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Whole {}

/// Writes the whole buffer to a new file, the way `fs::write` does, then
/// (with `sync`) waits for the disk.
fn write_whole(path: &Path, data: &[u8], sync: bool) -> io::Result<()> {
    note_copy_buffer(data);
    let mut file = File::create(path)?;
    file.write_all(data)?;
    if sync {
        file.sync_data()?;
    }
    Ok(())
}

/// `fs::read`, with where its vector landed noted.
fn read_whole(path: &Path) -> io::Result<Vec<u8>> {
    let bytes = fs::read(path)?;
    note_copy_buffer(&bytes);
    Ok(bytes)
}

impl IoMethod for Whole {
    fn facts(&self) -> MethodFacts {
        MethodFacts {
            bypasses_page_cache: false,
            calls: CallSize::Whole,
            consumes_from: ConsumeFrom::WholeBuffer,
            copies_twice: false,
            placement: None,
            unmodelled: None,
        }
    }

    fn label(&self) -> String {
        MethodName::Whole.to_string()
    }

    fn fits(&self, operation: &Operation) -> Result<(), Misfit> {
        if operation.threads() > 1 {
            return Err(Misfit::operation(
                "threads",
                "whole reads the whole file in one call (fs::read): threads cannot share that call, and each reading the whole file would not be sharing the work",
            ));
        }
        Ok(())
    }
}

impl Io for Whole {
    fn read_file(&self, path: &Path, fold: &mut Fold) -> io::Result<()> {
        fold.update(&read_whole(path)?);
        Ok(())
    }

    fn read_records(
        &self,
        path: &Path,
        offsets: &[u64],
        record: u64,
        fold: &mut Fold,
    ) -> io::Result<()> {
        fold_records(&read_whole(path)?, offsets, record, fold);
        Ok(())
    }

    fn read_range(&self, path: &Path, start: u64, end: u64, fold: &mut Fold) -> io::Result<()> {
        let bytes = read_whole(path)?;
        fold.update(&bytes[to_usize(start)..to_usize(end)]);
        Ok(())
    }

    fn overwrite(&self, path: &Path, offset: u64, data: &[u8], sync: bool) -> io::Result<()> {
        let mut bytes = read_whole(path)?;
        let start = to_usize(offset);
        bytes[start..start + data.len()].copy_from_slice(data);
        write_whole(path, &bytes, sync)
    }

    fn create(&self, path: &Path, data: &[u8], sync: bool) -> io::Result<()> {
        write_whole(path, data, sync)
    }

    fn change_private_copy(
        &self,
        path: &Path,
        offset: u64,
        data: &[u8],
        fold: &mut Fold,
    ) -> io::Result<()> {
        change_and_fold(&mut read_whole(path)?, offset, data, fold);
        Ok(())
    }
}
