//! `BufReader`/`BufWriter`: the program asks for small pieces, and the buffer
//! turns them into one system call per `capacity` bytes. Each byte is copied
//! twice: kernel to buffer, then buffer to the program's piece.

use super::{
    CallSize, ConsumeFrom, Io, IoMethod, MethodFacts, SizedOption, consume_exactly, consume_to_end,
    with_buffer,
};
use crate::buffer::note_copy_buffer;
use crate::checksum::Fold;
use crate::units::ExactSize;
use crate::vocab::MethodName;
use serde::{Deserialize, Serialize};
use std::fs::{File, OpenOptions};
use std::io::{self, BufRead, BufReader, BufWriter, Read, Seek, SeekFrom, Write};
use std::path::Path;

/// `piece` when a scenario does not say.
const DEFAULT_PIECE: usize = 512;

/// A std buffered reader or writer of `capacity` bytes, used `piece` bytes at a time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Buffered {
    /// The buffer's size (std's default is 8 KiB).
    #[serde(deserialize_with = "crate::units::deserialize_size")]
    pub capacity: usize,
    /// Bytes the program reads or writes per call.
    #[serde(deserialize_with = "crate::units::deserialize_size")]
    pub piece: usize,
}

impl Default for Buffered {
    fn default() -> Self {
        Buffered {
            capacity: 8 * 1024,
            piece: DEFAULT_PIECE,
        }
    }
}

impl Buffered {
    /// A reader with its first buffer-full read, so the buffer std
    /// allocated can be noted (its first `read` would fill it anyway).
    fn reader(&self, path: &Path) -> io::Result<BufReader<File>> {
        let mut reader = BufReader::with_capacity(self.capacity, File::open(path)?);
        reader.fill_buf()?;
        note_copy_buffer(reader.buffer());
        Ok(reader)
    }

    /// A writer, with the buffer std allocated for it noted.
    fn writer(&self, file: File) -> BufWriter<File> {
        let writer = BufWriter::with_capacity(self.capacity, file);
        note_copy_buffer(writer.buffer());
        writer
    }

    /// Hands `data` to the writer one piece at a time, then flushes and
    /// (with `sync`) waits for the disk.
    fn write_pieces(&self, mut writer: BufWriter<File>, data: &[u8], sync: bool) -> io::Result<()> {
        for piece in data.chunks(self.piece) {
            writer.write_all(piece)?;
        }
        let file = writer.into_inner().map_err(|e| e.into_error())?;
        if sync {
            file.sync_data()?;
        }
        Ok(())
    }
}

impl IoMethod for Buffered {
    fn sized_options(&self) -> Vec<SizedOption> {
        vec![
            SizedOption {
                field: "capacity",
                bytes: self.capacity as u64,
                per_call: false,
            },
            SizedOption::per_call("piece", self.piece),
        ]
    }

    fn facts(&self) -> MethodFacts {
        MethodFacts {
            bypasses_page_cache: false,
            calls: CallSize::Fill(self.capacity as u64),
            consumes_from: ConsumeFrom::Chunk,
            copies_twice: true,
            placement: None,
            unmodelled: None,
        }
    }

    fn label(&self) -> String {
        let capacity = ExactSize(self.capacity as u64);
        if self.piece == DEFAULT_PIECE {
            format!("{} {capacity}", MethodName::Buffered)
        } else {
            format!(
                "{} {capacity} by {}",
                MethodName::Buffered,
                ExactSize(self.piece as u64)
            )
        }
    }
}

impl Io for Buffered {
    fn read_file(&self, path: &Path, fold: &mut Fold) -> io::Result<()> {
        let mut reader = self.reader(path)?;
        with_buffer(self.piece, 0, |piece| {
            consume_to_end(piece, fold, |b, _| reader.read(b))
        })
    }

    fn read_records(
        &self,
        path: &Path,
        offsets: &[u64],
        record: u64,
        fold: &mut Fold,
    ) -> io::Result<()> {
        let mut reader = self.reader(path)?;
        with_buffer(self.piece, 0, |piece| {
            let mut position = 0u64;
            for &offset in offsets {
                // seek_relative keeps the buffer when the target is already in it.
                reader.seek_relative(offset as i64 - position as i64)?;
                consume_exactly(path, record, piece, fold, |b, _| reader.read(b))?;
                position = offset + record;
            }
            Ok(())
        })
    }

    fn read_range(&self, path: &Path, start: u64, end: u64, fold: &mut Fold) -> io::Result<()> {
        let mut reader = self.reader(path)?;
        with_buffer(self.piece, 0, |piece| {
            reader.seek(SeekFrom::Start(start))?;
            consume_exactly(path, end - start, piece, fold, |b, _| reader.read(b))
        })
    }

    fn overwrite(&self, path: &Path, offset: u64, data: &[u8], sync: bool) -> io::Result<()> {
        let mut file = OpenOptions::new().write(true).open(path)?;
        file.seek(SeekFrom::Start(offset))?;
        self.write_pieces(self.writer(file), data, sync)
    }

    fn create(&self, path: &Path, data: &[u8], sync: bool) -> io::Result<()> {
        let file = File::create(path)?;
        self.write_pieces(self.writer(file), data, sync)
    }
}
