//! What one timed operation does, one file per kind: its fields in a
//! scenario file and their checks, the bytes it moves, the files it needs,
//! its reference, what it resets before each run, the calls it makes and
//! how its result is checked. The scenario and the fixture ask the
//! operation; neither matches on operation kinds.
//!
//! A new operation is a file here with a struct that implements
//! [`Operate`], one line in the `operations!` table below, its name in
//! [`OperationKind`], docs/scenario-format.md and a scenario.

mod copy_on_write;
mod fields;
mod io;
mod many_files;
mod overwrite;
mod random_read;
mod sequential_read;
mod sequential_write;
mod slice;
mod threads;

pub use copy_on_write::CopyOnWrite;
pub use fields::{FieldError, Fields, strip_position};
pub use io::Io;
pub use many_files::ManyFiles;
pub use overwrite::Overwrite;
pub use random_read::RandomRead;
pub use sequential_read::SequentialRead;
pub use sequential_write::SequentialWrite;
pub use slice::Slice;
pub use threads::{
    MAX_THREADS, RANGE_GRANULE, ThreadPart, combine_reference, fold_parts, parse_threads,
    run_parts, split_offsets, split_range,
};

use crate::checksum::Fold;
use crate::vocab::OperationKind;
use crate::workload::InputFiles;
use std::io as stdio;
use std::path::Path;

/// The files one operation works on.
#[derive(Clone, Copy)]
pub struct Files<'a> {
    /// The generated inputs, with their contents (the reference).
    pub inputs: &'a InputFiles,
    /// The file an operation creates (sequential_write).
    pub output: &'a Path,
}

impl Files<'_> {
    /// The first input file: the one single-file operations use.
    pub fn first(&self) -> &Path {
        &self.inputs.paths[0]
    }

    /// The first input file's generated contents.
    pub fn first_contents(&self) -> &[u8] {
        &self.inputs.contents[0]
    }
}

/// What an operation needs made once per size, from the seed: the offsets
/// it reads at and the bytes it writes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Plan {
    /// Record offsets, in reading order (random_read).
    pub offsets: Vec<u64>,
    /// The bytes the operation writes (overwrite, copy_on_write,
    /// sequential_write); copied to where each method wants its write
    /// buffer before anything is timed.
    pub data: Vec<u8>,
    /// The range each thread consumes, in part order, when several share
    /// a sequential read; empty otherwise.
    pub ranges: Vec<(u64, u64)>,
}

/// Which files an operation's I/O goes to, for tools that reproduce it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// The first generated input.
    FirstInput,
    /// Every generated input, one after another.
    AllInputs,
    /// The file the operation creates.
    Output,
}

/// The order of an operation's requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    /// Front to back.
    Sequential,
    /// `count` records of `record` bytes at offsets drawn from the seed.
    Random {
        /// Records per operation.
        count: u64,
        /// Bytes per record.
        record: u64,
    },
}

/// An operation's file I/O as a pattern another tool (fio) can reproduce.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Access {
    /// Where the I/O goes.
    pub target: Target,
    /// The order of the requests.
    pub order: Order,
    /// True for writes.
    pub writes: bool,
    /// Where the region starts, when the operation addresses part of a file.
    pub offset: Option<u64>,
    /// Bytes moved front to back in all (every file together); for random
    /// reads, the size of the file the records are drawn from.
    pub len: u64,
    /// Waits for the disk before returning.
    pub sync: bool,
}

/// Everything one kind of operation is. Each kind's file implements it.
pub trait Operate: Sized {
    /// Its name.
    const KIND: OperationKind;
    /// The scenario fields it takes, beside `operation` itself.
    const FIELDS: &'static [&'static str];
    /// True when it changes a file on disk (copy_on_write only reads the
    /// file: its writes go to a private copy).
    const WRITES: bool;

    /// Reads and checks its fields.
    fn parse(fields: &Fields) -> Result<Self, FieldError>;

    /// Checks that its ranges fit in a file of `size` bytes.
    fn fits_size(&self, size: u64) -> Result<(), FieldError> {
        let _ = size;
        Ok(())
    }

    /// Its parameters as a JSON object, for results.json.
    fn params_json(&self) -> serde_json::Value;

    /// Payload bytes one operation moves for files of `size` bytes.
    fn payload_bytes(&self, size: u64) -> u64;

    /// Files of the scenario's size it needs generated before it runs.
    fn input_files(&self) -> u64 {
        1
    }

    /// Bytes one request can carry at most (a record, a range), when the
    /// operation bounds it below the file.
    fn request_limit(&self) -> Option<u64> {
        None
    }

    /// The offsets and lengths of its requests, by field, with what each
    /// is called: O_DIRECT needs each a multiple of the block size.
    fn extents(&self) -> Vec<(&'static str, &'static str, u64)> {
        Vec::new()
    }

    /// True when it needs a private, writable view of a file.
    fn needs_private_copy(&self) -> bool {
        false
    }

    /// Its offsets and data for files of `size` bytes from `seed`.
    fn plan(&self, seed: u64, size: u64) -> Plan {
        let _ = (seed, size);
        Plan::default()
    }

    /// The checksum a correct read produces, computed in memory; `None`
    /// for an operation whose outcome is its files, not what it consumed.
    fn reference(&self, files: &Files, plan: &Plan) -> Option<u64>;

    /// Untimed set-up before each run: undo what the last run changed.
    fn reset(&self, files: &Files, plan: &Plan) -> stdio::Result<()> {
        let _ = (files, plan);
        Ok(())
    }

    /// Runs once through `io`, writing from `data` (the plan's data, placed
    /// where the method wants it) and folding what it reads into `fold`.
    fn execute<M: Io + ?Sized>(
        &self,
        io: &M,
        files: &Files,
        plan: &Plan,
        data: &[u8],
        fold: &mut Fold,
    ) -> stdio::Result<()>;

    /// Checks the files on disk after runs; `Err` says what is wrong.
    fn check_files(&self, files: &Files, plan: &Plan) -> Result<(), String> {
        let _ = (files, plan);
        Ok(())
    }

    /// Its I/O as a pattern another tool can reproduce on files of `size`
    /// bytes; `None` when none can.
    fn access(&self, size: u64) -> Option<Access>;

    /// Threads that share each operation (the `threads` field; 1 for
    /// operations that do not take it).
    fn threads(&self) -> u32 {
        1
    }

    /// How the work on files of `size` bytes is shared out, one entry per
    /// thread in part order; `None` for one thread.
    fn split(&self, plan: &Plan, size: u64) -> Option<Vec<ThreadPart>> {
        let _ = (plan, size);
        None
    }
}

/// Declares [`Operation`], one variant per [`OperationKind`], each holding
/// its kind's struct, with the functions that dispatch on it.
macro_rules! operations {
    ($($name:ident,)+) => {
        /// One operation with its parameters.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum Operation {
            $(
                #[doc = concat!("See [`", stringify!($name), "`].")]
                $name($name),
            )+
        }

        impl Operation {
            /// Which operation this is, without its parameters.
            pub fn kind(&self) -> OperationKind {
                match self {
                    $( Operation::$name(_) => OperationKind::$name, )+
                }
            }

            /// Reads the operation `kind` from its fields.
            pub fn parse(kind: OperationKind, fields: &Fields) -> Result<Operation, FieldError> {
                Ok(match kind {
                    $( OperationKind::$name => Operation::$name($name::parse(fields)?), )+
                })
            }

            /// See [`Operate::fits_size`].
            pub fn fits_size(&self, size: u64) -> Result<(), FieldError> {
                match self { $( Operation::$name(op) => op.fits_size(size), )+ }
            }

            /// See [`Operate::params_json`].
            pub fn params_json(&self) -> serde_json::Value {
                match self { $( Operation::$name(op) => op.params_json(), )+ }
            }

            /// See [`Operate::payload_bytes`].
            pub fn payload_bytes(&self, size: u64) -> u64 {
                match self { $( Operation::$name(op) => op.payload_bytes(size), )+ }
            }

            /// See [`Operate::input_files`].
            pub fn input_files(&self) -> u64 {
                match self { $( Operation::$name(op) => op.input_files(), )+ }
            }

            /// See [`Operate::request_limit`].
            pub fn request_limit(&self) -> Option<u64> {
                match self { $( Operation::$name(op) => op.request_limit(), )+ }
            }

            /// See [`Operate::extents`].
            pub fn extents(&self) -> Vec<(&'static str, &'static str, u64)> {
                match self { $( Operation::$name(op) => op.extents(), )+ }
            }

            /// See [`Operate::needs_private_copy`].
            pub fn needs_private_copy(&self) -> bool {
                match self { $( Operation::$name(op) => op.needs_private_copy(), )+ }
            }

            /// See [`Operate::plan`].
            pub fn plan(&self, seed: u64, size: u64) -> Plan {
                match self { $( Operation::$name(op) => op.plan(seed, size), )+ }
            }

            /// See [`Operate::reference`].
            pub fn reference(&self, files: &Files, plan: &Plan) -> Option<u64> {
                match self { $( Operation::$name(op) => op.reference(files, plan), )+ }
            }

            /// See [`Operate::reset`].
            pub fn reset(&self, files: &Files, plan: &Plan) -> stdio::Result<()> {
                match self { $( Operation::$name(op) => op.reset(files, plan), )+ }
            }

            /// See [`Operate::execute`].
            pub fn execute<M: Io + ?Sized>(
                &self,
                io: &M,
                files: &Files,
                plan: &Plan,
                data: &[u8],
                fold: &mut Fold,
            ) -> stdio::Result<()> {
                match self { $( Operation::$name(op) => op.execute(io, files, plan, data, fold), )+ }
            }

            /// See [`Operate::check_files`].
            pub fn check_files(&self, files: &Files, plan: &Plan) -> Result<(), String> {
                match self { $( Operation::$name(op) => op.check_files(files, plan), )+ }
            }

            /// See [`Operate::access`].
            pub fn access(&self, size: u64) -> Option<Access> {
                match self { $( Operation::$name(op) => op.access(size), )+ }
            }

            /// See [`Operate::threads`].
            pub fn threads(&self) -> u32 {
                match self { $( Operation::$name(op) => op.threads(), )+ }
            }

            /// See [`Operate::split`].
            pub fn split(&self, plan: &Plan, size: u64) -> Option<Vec<ThreadPart>> {
                match self { $( Operation::$name(op) => op.split(plan, size), )+ }
            }
        }

        /// True when operations of `kind` change a file on disk.
        pub fn writes(kind: OperationKind) -> bool {
            match kind { $( OperationKind::$name => <$name as Operate>::WRITES, )+ }
        }

        /// The scenario fields operations of `kind` take.
        pub fn fields(kind: OperationKind) -> &'static [&'static str] {
            match kind { $( OperationKind::$name => <$name as Operate>::FIELDS, )+ }
        }
    };
}

operations! {
    SequentialRead,
    RandomRead,
    Slice,
    Overwrite,
    SequentialWrite,
    CopyOnWrite,
    ManyFiles,
}

/// A file's bytes read back for checking; the error names the file.
fn read_back(path: &Path) -> Result<Vec<u8>, String> {
    std::fs::read(path).map_err(|e| format!("cannot read {} back: {e}", path.display()))
}

impl Operation {
    /// True when it changes a file on disk.
    pub fn writes(&self) -> bool {
        writes(self.kind())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_overwrite_and_sequential_write_change_files() {
        let writers: Vec<OperationKind> = OperationKind::ALL
            .iter()
            .copied()
            .filter(|&k| writes(k))
            .collect();
        assert_eq!(
            writers,
            [OperationKind::Overwrite, OperationKind::SequentialWrite]
        );
    }
}
