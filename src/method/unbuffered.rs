//! `File::read` and `File::write` in fixed-size calls: one system call per
//! chunk, each copying between the kernel's page cache and our buffer.

use super::{IoMethod, consume_exactly, consume_to_end, with_buffer};
use crate::checksum::Fold;
use crate::units::ExactSize;
use crate::vocab::MethodName;
use serde::{Deserialize, Serialize};
use std::fs::{File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::Path;

/// Plain `read`/`write` calls of `chunk` bytes, moving the file position.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Unbuffered {
    /// Bytes asked for per call.
    #[serde(deserialize_with = "crate::units::deserialize_size")]
    pub chunk: usize,
}

impl Default for Unbuffered {
    fn default() -> Self {
        Unbuffered { chunk: 64 * 1024 }
    }
}

impl IoMethod for Unbuffered {
    fn label(&self) -> String {
        format!(
            "{} {}",
            MethodName::Unbuffered,
            ExactSize(self.chunk as u64)
        )
    }

    fn read_file(&self, path: &Path, fold: &mut Fold) -> io::Result<()> {
        let mut file = File::open(path)?;
        with_buffer(self.chunk, |buffer| {
            consume_to_end(buffer, fold, |b, _| file.read(b))
        })
    }

    fn read_records(
        &self,
        path: &Path,
        offsets: &[u64],
        record: u64,
        fold: &mut Fold,
    ) -> io::Result<()> {
        let mut file = File::open(path)?;
        with_buffer(self.chunk, |buffer| {
            for &offset in offsets {
                file.seek(SeekFrom::Start(offset))?;
                consume_exactly(path, record, buffer, fold, |b, _| file.read(b))?;
            }
            Ok(())
        })
    }

    fn read_range(&self, path: &Path, start: u64, end: u64, fold: &mut Fold) -> io::Result<()> {
        let mut file = File::open(path)?;
        with_buffer(self.chunk, |buffer| {
            file.seek(SeekFrom::Start(start))?;
            consume_exactly(path, end - start, buffer, fold, |b, _| file.read(b))
        })
    }

    fn overwrite(&self, path: &Path, offset: u64, data: &[u8], sync: bool) -> io::Result<()> {
        let mut file = OpenOptions::new().write(true).open(path)?;
        file.seek(SeekFrom::Start(offset))?;
        for piece in data.chunks(self.chunk) {
            file.write_all(piece)?;
        }
        if sync {
            file.sync_data()?;
        }
        Ok(())
    }

    fn create(&self, path: &Path, data: &[u8], sync: bool) -> io::Result<()> {
        let mut file = File::create(path)?;
        for piece in data.chunks(self.chunk) {
            file.write_all(piece)?;
        }
        if sync {
            file.sync_data()?;
        }
        Ok(())
    }
}
