//! `File::read` and `File::write` in fixed-size calls: one system call per
//! chunk, each copying between the kernel's page cache and our buffer.

use super::{
    ChunkedCalls, Io, IoMethod, MethodFacts, SizedOption, consume_exactly, consume_to_end,
    with_copy_buffer,
};
use crate::buffer::note_copy_buffer;
use crate::checksum::Fold;
use crate::vocab::MethodName;
use serde::{Deserialize, Serialize};
use std::fs::{File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::Path;

/// Plain `read`/`write` calls of `chunk` bytes, moving the file position.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Unbuffered {
    /// Its chunk and buffer placement.
    pub calls: ChunkedCalls,
}

impl IoMethod for Unbuffered {
    fn label(&self) -> String {
        self.calls.label(MethodName::Unbuffered)
    }

    fn check(&self) -> Result<(), (&'static str, String)> {
        self.calls.check()
    }

    fn write_source_offset(&self) -> usize {
        self.calls.buffer_offset
    }

    fn sized_options(&self) -> Vec<SizedOption> {
        self.calls.sized_options()
    }

    fn facts(&self) -> MethodFacts {
        self.calls.facts(MethodName::Unbuffered)
    }
}

impl Io for Unbuffered {
    fn read_file(&self, path: &Path, fold: &mut Fold) -> io::Result<()> {
        let mut file = File::open(path)?;
        with_copy_buffer(self.calls.chunk, self.calls.buffer_offset, |buffer| {
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
        with_copy_buffer(self.calls.chunk, self.calls.buffer_offset, |buffer| {
            for &offset in offsets {
                file.seek(SeekFrom::Start(offset))?;
                consume_exactly(path, record, buffer, fold, |b, _| file.read(b))?;
            }
            Ok(())
        })
    }

    fn read_range(&self, path: &Path, start: u64, end: u64, fold: &mut Fold) -> io::Result<()> {
        let mut file = File::open(path)?;
        with_copy_buffer(self.calls.chunk, self.calls.buffer_offset, |buffer| {
            file.seek(SeekFrom::Start(start))?;
            consume_exactly(path, end - start, buffer, fold, |b, _| file.read(b))
        })
    }

    fn overwrite(&self, path: &Path, offset: u64, data: &[u8], sync: bool) -> io::Result<()> {
        note_copy_buffer(data);
        let mut file = OpenOptions::new().write(true).open(path)?;
        file.seek(SeekFrom::Start(offset))?;
        for piece in data.chunks(self.calls.chunk) {
            file.write_all(piece)?;
        }
        if sync {
            file.sync_data()?;
        }
        Ok(())
    }

    fn create(&self, path: &Path, data: &[u8], sync: bool) -> io::Result<()> {
        note_copy_buffer(data);
        let mut file = File::create(path)?;
        for piece in data.chunks(self.calls.chunk) {
            file.write_all(piece)?;
        }
        if sync {
            file.sync_data()?;
        }
        Ok(())
    }
}
