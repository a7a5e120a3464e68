//! `pread`/`pwrite` on a file opened with O_DIRECT: the device moves the
//! bytes straight between the disk and our page-aligned buffer, bypassing
//! the page cache. No copy by the CPU, no read-ahead, and no cache: every
//! operation goes to the device, warm or cold, which is what databases that
//! manage their own cache choose.
//!
//! O_DIRECT needs the file offset, the length and the buffer's address
//! aligned to the file system's logical block size. [`DIRECT_ALIGN`] (4096)
//! covers every common device, so scenarios are checked against it; a file
//! system that refuses O_DIRECT altogether makes the method unavailable
//! (its cells are skipped, with the reason).

use super::chunked::chunked_label;
use super::{
    CallSize, ConsumeFrom, Io, IoMethod, MethodFacts, Misfit, SizedOption, Unavailable,
    consume_records_at, with_buffer,
};
use crate::checksum::Fold;
use crate::counters::Counters;
use crate::operation::Operation;
use crate::vocab::Unmodelled;
use crate::vocab::{MethodName, OperationKind};
use serde::{Deserialize, Serialize};
use std::fs::{File, OpenOptions};
use std::io;
use std::os::unix::fs::{FileExt, OpenOptionsExt};
use std::path::Path;

/// The alignment O_DIRECT offsets, lengths and buffers keep here: 4096
/// bytes, the logical block size of 4Kn devices and a multiple of the
/// 512 bytes of the rest.
pub const DIRECT_ALIGN: u64 = 4096;

/// Positioned O_DIRECT calls of `chunk` bytes into page-aligned buffers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Direct {
    /// Bytes asked for per call; a multiple of [`DIRECT_ALIGN`].
    #[serde(deserialize_with = "crate::units::deserialize_size")]
    pub chunk: usize,
}

impl Default for Direct {
    fn default() -> Self {
        Direct { chunk: 64 * 1024 }
    }
}

impl IoMethod for Direct {
    fn label(&self) -> String {
        chunked_label(MethodName::Direct, self.chunk, 0)
    }

    fn check(&self) -> Result<(), (&'static str, String)> {
        check_direct_chunk(self.chunk)
    }

    fn fits(&self, operation: &Operation) -> Result<(), Misfit> {
        fits_direct(operation, MethodName::Direct)
    }

    fn sized_options(&self) -> Vec<SizedOption> {
        vec![SizedOption::per_call("chunk", self.chunk)]
    }

    fn facts(&self) -> MethodFacts {
        MethodFacts {
            bypasses_page_cache: true,
            calls: CallSize::Chunk(self.chunk as u64),
            consumes_from: ConsumeFrom::Chunk,
            copies_twice: false,
            placement: None,
            unmodelled: Some(Unmodelled::Device),
        }
    }

    fn check_available(&self, dir: &Path) -> io::Result<()> {
        check_direct_in(dir)
    }

    fn counters_note(&self) -> Option<&'static str> {
        Some(
            "O_DIRECT: \"to user\" and \"from user\" count the bytes pread and pwrite returned, but the device moved them by DMA, so the CPU copied none (\"by CPU\" is 0); disk bytes are the payload, warm or cold",
        )
    }

    fn bytes_copied(&self, _: &Counters) -> u64 {
        0
    }
}

impl Io for Direct {
    fn read_file(&self, path: &Path, fold: &mut Fold) -> io::Result<()> {
        let file = open_direct(path, OpenOptions::new().read(true))?;
        let len = file.metadata()?.len();
        with_buffer(self.chunk, 0, |buffer| {
            read_direct(&file, path, 0, len, buffer, fold)
        })
    }

    fn read_records(
        &self,
        path: &Path,
        offsets: &[u64],
        record: u64,
        fold: &mut Fold,
    ) -> io::Result<()> {
        let file = open_direct(path, OpenOptions::new().read(true))?;
        with_buffer(self.chunk, 0, |buffer| {
            consume_records_at(&file, path, offsets, record, buffer, fold)
        })
    }

    fn read_range(&self, path: &Path, start: u64, end: u64, fold: &mut Fold) -> io::Result<()> {
        let file = open_direct(path, OpenOptions::new().read(true))?;
        with_buffer(self.chunk, 0, |buffer| {
            read_direct(&file, path, start, end, buffer, fold)
        })
    }

    fn overwrite(&self, path: &Path, offset: u64, data: &[u8], sync: bool) -> io::Result<()> {
        check_aligned_data(data)?;
        let file = open_direct(path, OpenOptions::new().write(true))?;
        for (index, piece) in data.chunks(self.chunk).enumerate() {
            file.write_all_at(piece, offset + (index * self.chunk) as u64)?;
        }
        if sync {
            file.sync_data()?;
        }
        Ok(())
    }

    fn create(&self, path: &Path, data: &[u8], sync: bool) -> io::Result<()> {
        check_aligned_data(data)?;
        let file = open_direct(
            path,
            OpenOptions::new().write(true).create(true).truncate(true),
        )?;
        let whole_blocks = aligned_down(data.len());
        for (index, piece) in data[..whole_blocks].chunks(self.chunk).enumerate() {
            file.write_all_at(piece, (index * self.chunk) as u64)?;
        }
        write_tail(&file, data, whole_blocks)?;
        if sync {
            file.sync_data()?;
        }
        Ok(())
    }
}

/// Opens `path` with O_DIRECT added to `options`. A file system that
/// refuses O_DIRECT (EINVAL at open, as tmpfs did before Linux 6.6) makes
/// the method [`Unavailable`].
pub(crate) fn open_direct(path: &Path, options: &mut OpenOptions) -> io::Result<File> {
    options
        .custom_flags(libc::O_DIRECT)
        .open(path)
        .map_err(|e| match e.raw_os_error() {
            Some(libc::EINVAL) => Unavailable::error(format!(
                "the file system holding {} refuses O_DIRECT ({e})",
                path.display()
            )),
            _ => io::Error::new(e.kind(), format!("cannot open {}: {e}", path.display())),
        })
}

/// Checks that the file system holding `dir` takes O_DIRECT, by opening
/// a new file there with it (removed again).
pub(crate) fn check_direct_in(dir: &Path) -> io::Result<()> {
    let name = crate::workdir::filesystem_name(dir)?;
    if crate::workdir::is_memory_filesystem(&name) {
        return Err(Unavailable::error(format!(
            "{} is on {name}: its files live in memory with no device behind them, so O_DIRECT has nothing to bypass (Linux 6.6 and later accept the flag there and change nothing; older kernels refuse it)",
            dir.display()
        )));
    }
    let probe = tempfile::Builder::new()
        .prefix(".o_direct-probe")
        .tempfile_in(dir)
        .map_err(|e| {
            io::Error::new(
                e.kind(),
                format!("cannot create a file in {}: {e}", dir.display()),
            )
        })?;
    match OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_DIRECT)
        .open(probe.path())
    {
        Ok(_) => Ok(()),
        Err(e) if e.raw_os_error() == Some(libc::EINVAL) => Err(Unavailable::error(format!(
            "the file system holding {} refuses O_DIRECT ({e})",
            dir.display()
        ))),
        Err(e) => Err(io::Error::new(
            e.kind(),
            format!("cannot open {} with O_DIRECT: {e}", probe.path().display()),
        )),
    }
}

/// Refuses a chunk O_DIRECT cannot use.
pub(crate) fn check_direct_chunk(chunk: usize) -> Result<(), (&'static str, String)> {
    if chunk == 0 || chunk as u64 % DIRECT_ALIGN != 0 {
        return Err((
            "chunk",
            format!("O_DIRECT needs a multiple of {DIRECT_ALIGN} bytes, not {chunk}"),
        ));
    }
    Ok(())
}

/// Whether O_DIRECT calls can carry out `operation`: the operations it
/// takes, with every offset and length a multiple of [`DIRECT_ALIGN`].
pub(crate) fn fits_direct(operation: &Operation, name: MethodName) -> Result<(), Misfit> {
    if !DIRECT_OPERATIONS.contains(&operation.kind()) {
        let names: Vec<&str> = DIRECT_OPERATIONS.iter().map(|k| k.name()).collect();
        let (last, rest) = names.split_last().expect("a list of operations");
        return Err(Misfit::method(format!(
            "{name} takes {} and {last}",
            rest.join(", ")
        )));
    }
    for (field, what, value) in operation.extents() {
        if value % DIRECT_ALIGN != 0 {
            return Err(Misfit::operation(
                field,
                format!(
                    "{what} ({value} bytes) is not a multiple of {DIRECT_ALIGN} bytes, which O_DIRECT needs"
                ),
            ));
        }
    }
    Ok(())
}

/// The operations O_DIRECT calls carry out: whole files and block-aligned
/// records and ranges. A slice is read with its own open and map, and a
/// private copy needs a map or the whole file in memory.
const DIRECT_OPERATIONS: [OperationKind; 5] = [
    OperationKind::SequentialRead,
    OperationKind::RandomRead,
    OperationKind::SequentialWrite,
    OperationKind::Overwrite,
    OperationKind::ManyFiles,
];

/// `len` rounded down to a multiple of [`DIRECT_ALIGN`].
pub(crate) fn aligned_down(len: usize) -> usize {
    len - len % DIRECT_ALIGN as usize
}

/// `len` rounded up to a multiple of [`DIRECT_ALIGN`].
pub(crate) fn aligned_up(len: usize) -> usize {
    len.div_ceil(DIRECT_ALIGN as usize) * DIRECT_ALIGN as usize
}

/// Refuses data O_DIRECT cannot write from: it must start on a page.
pub(crate) fn check_aligned_data(data: &[u8]) -> io::Result<()> {
    if data.as_ptr() as u64 % DIRECT_ALIGN != 0 {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!(
                "O_DIRECT writes from a page-aligned buffer; this one starts {} bytes past a page",
                data.as_ptr() as u64 % DIRECT_ALIGN
            ),
        ));
    }
    Ok(())
}

/// Writes the last, partial block of `data` (from `from`, a block
/// boundary) as a whole block padded with zeros, then cuts the file back
/// to the length of `data`: O_DIRECT cannot write part of a block.
pub(crate) fn write_tail(file: &File, data: &[u8], from: usize) -> io::Result<()> {
    let tail = &data[from..];
    if tail.is_empty() {
        return Ok(());
    }
    with_buffer(DIRECT_ALIGN as usize, 0, |block| {
        block[..tail.len()].copy_from_slice(tail);
        block[tail.len()..].fill(0);
        file.write_all_at(block, from as u64)
    })?;
    file.set_len(data.len() as u64)
}

/// Consumes bytes `[start, end)` of an O_DIRECT file in calls of the
/// buffer's length; the last call asks for whole blocks and uses what the
/// range needs.
fn read_direct(
    file: &File,
    path: &Path,
    start: u64,
    end: u64,
    buffer: &mut [u8],
    fold: &mut Fold,
) -> io::Result<()> {
    let mut at = start;
    while at < end {
        let want = (buffer.len() as u64).min(end - at) as usize;
        let ask = aligned_up(want).min(buffer.len());
        match file.read_at(&mut buffer[..ask], at) {
            Ok(0) => {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    format!(
                        "{} ended early: wanted {} bytes, got {}",
                        path.display(),
                        end - start,
                        at - start
                    ),
                ));
            }
            Ok(got) => {
                let used = got.min(want);
                fold.update(&buffer[..used]);
                at += used as u64;
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}
