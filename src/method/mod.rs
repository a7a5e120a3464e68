//! The ways of doing I/O, one file each, behind one trait.
//!
//! Each method implements the calls operations make ([`Io`], declared with
//! the operations) and what it says about itself ([`IoMethod`]).
//!
//! A method's options are the fields of its struct (in its own file), read
//! from scenario files and written to results.json by serde; adding an
//! option means adding a field there (and a line in docs/scenario-format.md).

mod buffered;
mod chunked;
mod direct;
mod facts;
mod mmap;
mod positioned;
mod unbuffered;
mod uring;
mod whole;

use crate::buffer::{PlacedBuffer, note_copy_buffer};
use crate::checksum::Fold;
use crate::counters::Counters;
use crate::operation::Operation;
use crate::units::to_usize;
use crate::vocab::MethodName;
use std::io;
use std::path::Path;

pub use crate::operation::Io;
pub use buffered::Buffered;
pub use chunked::ChunkedCalls;
pub use direct::{DIRECT_ALIGN, Direct};
pub use facts::{CallSize, ConsumeFrom, MethodFacts, Placement};
pub use mmap::{Mapped, memmap_advice};
pub use positioned::Positioned;
pub use unbuffered::Unbuffered;
pub use uring::{RingTally, Uring, ring_tally};
pub use whole::Whole;

/// Why a method cannot carry out a scenario's operation: the field at
/// fault (the method's own, or the operation's) and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Misfit {
    /// The field at fault: `method`, `chunk`... in the method entry, or
    /// `record`, `range`, `offset`, `len` of the operation.
    pub field: &'static str,
    /// True when `field` is the operation's, not the method entry's.
    pub of_operation: bool,
    /// Why it does not fit.
    pub message: String,
}

impl Misfit {
    /// The method itself does not fit (its `method` field is at fault).
    pub fn method(message: impl Into<String>) -> Misfit {
        Misfit {
            field: "method",
            of_operation: false,
            message: message.into(),
        }
    }

    /// The operation's `field` has a value this method cannot take.
    pub fn operation(field: &'static str, message: impl Into<String>) -> Misfit {
        Misfit {
            field,
            of_operation: true,
            message: message.into(),
        }
    }
}

/// A method this machine or file system cannot run (O_DIRECT refused,
/// io_uring disabled): its cells are skipped, with this reason, and the
/// run goes on. Carried inside an [`io::Error`] of kind `Unsupported`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Unavailable(pub String);

impl Unavailable {
    /// An I/O error carrying `reason`.
    pub fn error(reason: impl Into<String>) -> io::Error {
        io::Error::new(io::ErrorKind::Unsupported, Unavailable(reason.into()))
    }

    /// The reason, when `error` says a method is unavailable here.
    pub fn reason_of(error: &io::Error) -> Option<String> {
        error
            .get_ref()?
            .downcast_ref::<Unavailable>()
            .map(|unavailable| unavailable.0.clone())
    }
}

/// One way of reading and writing files: the calls operations make
/// ([`Io`]) and what the method says about itself.
pub trait IoMethod: Io {
    /// The label used when a scenario gives none, e.g. `unbuffered 4 KiB`.
    fn label(&self) -> String;

    /// Checks option values that serde cannot: returns the offending field
    /// and why.
    fn check(&self) -> Result<(), (&'static str, String)> {
        Ok(())
    }

    /// Where the method wants the data it writes placed (bytes past a page
    /// boundary); methods whose buffer std places return 0.
    fn write_source_offset(&self) -> usize {
        0
    }

    /// Whether this method can carry out `operation` as configured; the
    /// default takes every operation but copy_on_write, which needs a
    /// private writable view of the file (a map, or the whole file read
    /// into memory).
    fn fits(&self, operation: &Operation) -> Result<(), Misfit> {
        fits_without_private_copy(operation)
    }

    /// Checks that this machine can run the method on files in `dir`:
    /// an error carrying [`Unavailable`] says why it cannot (a file system
    /// that refuses O_DIRECT, io_uring switched off). Cheap, and it creates
    /// nothing that stays, so a caller can ask before generating files.
    fn check_available(&self, dir: &Path) -> io::Result<()> {
        let _ = dir;
        Ok(())
    }

    /// What the method is and does, recorded in every cell it makes.
    fn facts(&self) -> MethodFacts;

    /// Its options that are buffer sizes, by name, each with whether it is
    /// also the bytes one call moves (a read call, or a piece handed to
    /// BufReader): the run allocates them, and small ones mean many calls.
    fn sized_options(&self) -> Vec<SizedOption> {
        Vec::new()
    }

    /// What this method's counters cannot show, or show differently, for
    /// results.json and the report (`None` when they are the usual ones).
    fn counters_note(&self) -> Option<&'static str> {
        None
    }

    /// Bytes the CPU copied between the kernel and user space in an
    /// operation that left these counters. Usually what the read and write
    /// calls moved (`rchar` plus `wchar`); a method whose calls move bytes
    /// without a CPU copy (O_DIRECT) or move them without read and write
    /// calls (io_uring) says so here.
    fn bytes_copied(&self, counters: &Counters) -> u64 {
        counters.bytes_to_user + counters.bytes_from_user
    }
}

/// An option of a method that is a size in bytes (see
/// [`IoMethod::sized_options`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SizedOption {
    /// The option's name in scenario files (`chunk`, `capacity`, `piece`).
    pub field: &'static str,
    /// Its value in bytes.
    pub bytes: u64,
    /// True when one call moves at most this many bytes.
    pub per_call: bool,
}

impl SizedOption {
    /// A buffer of `bytes` that is also what one call moves.
    pub fn per_call(field: &'static str, bytes: usize) -> SizedOption {
        SizedOption {
            field,
            bytes: bytes as u64,
            per_call: true,
        }
    }
}

/// Declares [`MethodKind`], one variant per [`MethodName`], each holding
/// its method's options struct, with the few functions that dispatch on it.
macro_rules! method_kinds {
    ($($name:ident => $options:ident,)+) => {
        /// One way of doing I/O, with its options.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum MethodKind {
            $(
                #[doc = concat!("See [`", stringify!($options), "`].")]
                $name($options),
            )+
        }

        impl MethodKind {
            /// The method's name.
            pub fn name(&self) -> MethodName {
                match self {
                    $( MethodKind::$name(_) => MethodName::$name, )+
                }
            }

            /// The implementation, configured with these options.
            pub fn io(&self) -> &dyn IoMethod {
                match self {
                    $( MethodKind::$name(options) => options, )+
                }
            }

            /// The method `name` with every option at its default.
            pub fn default_for(name: MethodName) -> MethodKind {
                match name {
                    $( MethodName::$name => MethodKind::$name($options::default()), )+
                }
            }

            /// The method `name` with the options in `fields` (a JSON object);
            /// errors carry the path of the field that is wrong.
            pub fn from_options(
                name: MethodName,
                fields: serde_json::Value,
            ) -> Result<MethodKind, serde_path_to_error::Error<serde_json::Error>> {
                Ok(match name {
                    $( MethodName::$name => MethodKind::$name(serde_path_to_error::deserialize(fields)?), )+
                })
            }

            /// The options as a JSON object, for results.json.
            pub fn params_json(&self) -> serde_json::Value {
                let value = match self {
                    $( MethodKind::$name(options) => serde_json::to_value(options), )+
                };
                value.expect("method options are plain data")
            }
        }
    };
}

method_kinds! {
    Mmap => Mapped,
    Positioned => Positioned,
    Unbuffered => Unbuffered,
    Buffered => Buffered,
    Whole => Whole,
    Direct => Direct,
    Uring => Uring,
}

impl MethodKind {
    /// The option names this method takes, from its defaults.
    pub fn option_names(name: MethodName) -> Vec<String> {
        match MethodKind::default_for(name).params_json() {
            serde_json::Value::Object(fields) => fields.keys().cloned().collect(),
            _ => Vec::new(),
        }
    }

    /// The label used when the scenario gives none.
    pub fn default_label(&self) -> String {
        self.io().label()
    }

    /// What the method is and does (see [`IoMethod::facts`]).
    pub fn facts(&self) -> MethodFacts {
        self.io().facts()
    }

    /// Whether this method can carry out `operation` (see [`IoMethod::fits`]).
    pub fn fits(&self, operation: &Operation) -> Result<(), Misfit> {
        self.io().fits(operation)
    }
}

thread_local! {
    /// The program's own read buffers, one per page offset, kept between
    /// operations.
    static READ_BUFFERS: std::cell::RefCell<Vec<PlacedBuffer>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Lends `f` a buffer of `len` bytes starting `offset` bytes past a page
/// boundary, kept between operations as a program reading many files keeps
/// its buffer. Allocating (and zeroing, and faulting in) a fresh 1 MiB
/// buffer for each operation would measure the allocator, not the I/O; it
/// is paid once, in the untimed verification pass. One buffer is kept per
/// offset, so methods that alternate offsets do not evict each other's.
pub(crate) fn with_buffer<R>(len: usize, offset: usize, f: impl FnOnce(&mut [u8]) -> R) -> R {
    READ_BUFFERS.with(|cell| {
        let mut kept = cell.borrow_mut();
        let index = match kept.iter().position(|b| b.offset() == offset) {
            Some(index) => {
                if kept[index].len() < len {
                    kept[index] = PlacedBuffer::new(len, offset);
                }
                index
            }
            None => {
                kept.push(PlacedBuffer::new(len, offset));
                kept.len() - 1
            }
        };
        f(&mut kept[index].as_mut_slice()[..len])
    })
}

/// [`with_buffer`] for a buffer the kernel copies into, with its place
/// noted for results.json.
pub(crate) fn with_copy_buffer<R>(len: usize, offset: usize, f: impl FnOnce(&mut [u8]) -> R) -> R {
    with_buffer(len, offset, |buffer| {
        note_copy_buffer(buffer);
        f(buffer)
    })
}

/// Takes every operation but one that needs a private, writable view of
/// the file (copy_on_write: a map, or the whole file read into memory).
pub(crate) fn fits_without_private_copy(operation: &Operation) -> Result<(), Misfit> {
    if operation.needs_private_copy() {
        return Err(Misfit::method(
            "a private copy needs a map (mmap) or the whole file in memory (whole)",
        ));
    }
    Ok(())
}

/// Consumes bytes through `read` until it returns 0 at the end of the file;
/// `read` is called with the buffer and the count consumed so far.
pub(crate) fn consume_to_end(
    buffer: &mut [u8],
    fold: &mut Fold,
    mut read: impl FnMut(&mut [u8], u64) -> io::Result<usize>,
) -> io::Result<()> {
    let mut done = 0u64;
    loop {
        match read(buffer, done) {
            Ok(0) => return Ok(()),
            Ok(got) => {
                fold.update(&buffer[..got]);
                done += got as u64;
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
}

/// Folds `record` bytes at each offset of a file already in memory (a map,
/// or the whole file read into a buffer).
pub(crate) fn fold_records(bytes: &[u8], offsets: &[u64], record: u64, fold: &mut Fold) {
    let record = to_usize(record);
    for &offset in offsets {
        let start = to_usize(offset);
        fold.update(&bytes[start..start + record]);
    }
}

/// Writes `data` at `offset` into a private view of a file, then folds the
/// whole view: the copy-on-write operation once the view exists.
pub(crate) fn change_and_fold(view: &mut [u8], offset: u64, data: &[u8], fold: &mut Fold) {
    let start = to_usize(offset);
    view[start..start + data.len()].copy_from_slice(data);
    fold.update(view);
}

/// Consumes exactly `len` bytes through `read`, which is called with a
/// buffer of at most `buffer.len()` bytes and the count already consumed;
/// a read of 0 before the end means the file is shorter than expected.
pub(crate) fn consume_exactly(
    path: &Path,
    len: u64,
    buffer: &mut [u8],
    fold: &mut Fold,
    mut read: impl FnMut(&mut [u8], u64) -> io::Result<usize>,
) -> io::Result<()> {
    let mut done = 0u64;
    while done < len {
        let want = (buffer.len() as u64).min(len - done) as usize;
        match read(&mut buffer[..want], done) {
            Ok(0) => return Err(ended_early(path, len, done)),
            Ok(got) => {
                fold.update(&buffer[..got]);
                done += got as u64;
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// Consumes `record` bytes at each offset of `file` with positioned reads
/// (pread) into `buffer`, in order.
pub(crate) fn consume_records_at(
    file: &std::fs::File,
    path: &Path,
    offsets: &[u64],
    record: u64,
    buffer: &mut [u8],
    fold: &mut Fold,
) -> io::Result<()> {
    use std::os::unix::fs::FileExt;
    for &offset in offsets {
        consume_exactly(path, record, buffer, fold, |b, done| {
            file.read_at(b, offset + done)
        })?;
    }
    Ok(())
}

/// An error for a file that ended before the bytes asked for.
fn ended_early(path: &Path, wanted: u64, got: u64) -> io::Error {
    io::Error::new(
        io::ErrorKind::UnexpectedEof,
        format!(
            "{} ended early: wanted {wanted} bytes, got {got}",
            path.display()
        ),
    )
}
