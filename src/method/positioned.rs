//! `read_at` and `write_at` (pread/pwrite): like unbuffered calls, but each
//! names its offset, so no seek is needed and the file position never moves.

use super::{
    ChunkedCalls, Io, IoMethod, MethodFacts, SizedOption, consume_exactly, consume_records_at,
    consume_to_end, with_copy_buffer,
};
use crate::buffer::note_copy_buffer;
use crate::checksum::Fold;
use crate::vocab::MethodName;
use serde::{Deserialize, Serialize};
use std::fs::{File, OpenOptions};
use std::io;
use std::os::unix::fs::FileExt;
use std::path::Path;

/// Positioned calls of `chunk` bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Positioned {
    /// Its chunk and buffer placement.
    pub calls: ChunkedCalls,
}

impl IoMethod for Positioned {
    fn label(&self) -> String {
        self.calls.label(MethodName::Positioned)
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
        self.calls.facts(MethodName::Positioned)
    }
}

impl Io for Positioned {
    fn read_file(&self, path: &Path, fold: &mut Fold) -> io::Result<()> {
        let file = File::open(path)?;
        with_copy_buffer(self.calls.chunk, self.calls.buffer_offset, |buffer| {
            consume_to_end(buffer, fold, |b, done| file.read_at(b, done))
        })
    }

    fn read_records(
        &self,
        path: &Path,
        offsets: &[u64],
        record: u64,
        fold: &mut Fold,
    ) -> io::Result<()> {
        let file = File::open(path)?;
        with_copy_buffer(self.calls.chunk, self.calls.buffer_offset, |buffer| {
            consume_records_at(&file, path, offsets, record, buffer, fold)
        })
    }

    fn read_range(&self, path: &Path, start: u64, end: u64, fold: &mut Fold) -> io::Result<()> {
        let file = File::open(path)?;
        with_copy_buffer(self.calls.chunk, self.calls.buffer_offset, |buffer| {
            consume_exactly(path, end - start, buffer, fold, |b, done| {
                file.read_at(b, start + done)
            })
        })
    }

    fn overwrite(&self, path: &Path, offset: u64, data: &[u8], sync: bool) -> io::Result<()> {
        note_copy_buffer(data);
        let file = OpenOptions::new().write(true).open(path)?;
        write_chunks_at(&file, offset, data, self.calls.chunk)?;
        if sync {
            file.sync_data()?;
        }
        Ok(())
    }

    fn create(&self, path: &Path, data: &[u8], sync: bool) -> io::Result<()> {
        note_copy_buffer(data);
        let file = File::create(path)?;
        write_chunks_at(&file, 0, data, self.calls.chunk)?;
        if sync {
            file.sync_data()?;
        }
        Ok(())
    }
}

/// Writes `data` at `offset` in calls of at most `chunk` bytes.
fn write_chunks_at(file: &File, offset: u64, data: &[u8], chunk: usize) -> io::Result<()> {
    let mut at = offset;
    for piece in data.chunks(chunk) {
        file.write_all_at(piece, at)?;
        at += piece.len() as u64;
    }
    Ok(())
}
