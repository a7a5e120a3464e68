//! `read_at` and `write_at` (pread/pwrite): like unbuffered calls, but each
//! names its offset, so no seek is needed and the file position never moves.

use super::{
    Io, IoMethod, check_buffer_offset, chunked_label, consume_exactly, consume_records_at,
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Positioned {
    /// Bytes asked for per call.
    #[serde(deserialize_with = "crate::units::deserialize_size")]
    pub chunk: usize,
    /// Where the read buffer (and the data written) starts: this many bytes
    /// past a page boundary. 0, page-aligned, is what fio's aligned buffers
    /// and O_DIRECT programs use; malloc puts a large `Vec` at 16.
    pub buffer_offset: usize,
}

impl Default for Positioned {
    fn default() -> Self {
        Positioned {
            chunk: 64 * 1024,
            buffer_offset: 0,
        }
    }
}

impl IoMethod for Positioned {
    fn label(&self) -> String {
        chunked_label(MethodName::Positioned, self.chunk, self.buffer_offset)
    }

    fn check(&self) -> Result<(), (&'static str, String)> {
        check_buffer_offset(self.buffer_offset)
    }

    fn write_source_offset(&self) -> usize {
        self.buffer_offset
    }
}

impl Io for Positioned {
    fn read_file(&self, path: &Path, fold: &mut Fold) -> io::Result<()> {
        let file = File::open(path)?;
        with_copy_buffer(self.chunk, self.buffer_offset, |buffer| {
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
        with_copy_buffer(self.chunk, self.buffer_offset, |buffer| {
            consume_records_at(&file, path, offsets, record, buffer, fold)
        })
    }

    fn read_range(&self, path: &Path, start: u64, end: u64, fold: &mut Fold) -> io::Result<()> {
        let file = File::open(path)?;
        with_copy_buffer(self.chunk, self.buffer_offset, |buffer| {
            consume_exactly(path, end - start, buffer, fold, |b, done| {
                file.read_at(b, start + done)
            })
        })
    }

    fn overwrite(&self, path: &Path, offset: u64, data: &[u8], sync: bool) -> io::Result<()> {
        note_copy_buffer(data);
        let file = OpenOptions::new().write(true).open(path)?;
        write_chunks_at(&file, offset, data, self.chunk)?;
        if sync {
            file.sync_data()?;
        }
        Ok(())
    }

    fn create(&self, path: &Path, data: &[u8], sync: bool) -> io::Result<()> {
        note_copy_buffer(data);
        let file = File::create(path)?;
        write_chunks_at(&file, 0, data, self.chunk)?;
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
