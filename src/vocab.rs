//! The names that travel between layers: operation, method, cache state and
//! madvise advice. Each is a plain enum whose on-disk spelling is written
//! once, here; scenario files, results.json and the report all use these
//! types, so a new variant fails to compile until every `match` handles it.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Defines a fieldless enum whose variants have one spelling each, used by
/// serde (scenario files, results.json) and by [`fmt::Display`].
macro_rules! vocabulary {
    (
        $(#[$meta:meta])*
        $name:ident {
            $( $(#[$variant_meta:meta])* $variant:ident = $text:literal, )+
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        pub enum $name {
            $( $(#[$variant_meta])* #[serde(rename = $text)] $variant, )+
        }

        impl $name {
            /// Every variant, in declaration order.
            pub const ALL: &'static [$name] = &[ $( $name::$variant, )+ ];

            /// The spelling used in scenario files and results.json.
            pub fn name(self) -> &'static str {
                match self {
                    $( $name::$variant => $text, )+
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.name())
            }
        }
    };
}

vocabulary! {
    /// What one timed operation does (its parameters live in
    /// [`crate::operation::Operation`]).
    OperationKind {
        /// Consume every byte, front to back.
        SequentialRead = "sequential_read",
        /// Consume records at offsets drawn from the seed.
        RandomRead = "random_read",
        /// Consume one byte range.
        Slice = "slice",
        /// Write a range of an existing file in place.
        Overwrite = "overwrite",
        /// Create a file from nothing and fill it.
        SequentialWrite = "sequential_write",
        /// Change a private copy of the file, then consume the copy.
        CopyOnWrite = "copy_on_write",
        /// Consume many files, each whole.
        ManyFiles = "many_files",
    }
}

vocabulary! {
    /// The ways of doing I/O, in legend order: maps first, then the
    /// read()-style methods.
    MethodName {
        /// A memory map (memmap2).
        Mmap = "mmap",
        /// `read_at`/`write_at` (pread/pwrite).
        Positioned = "positioned",
        /// `File::read`/`write`.
        Unbuffered = "unbuffered",
        /// `BufReader`/`BufWriter`.
        Buffered = "buffered",
        /// `fs::read`/`fs::write`.
        Whole = "whole",
        /// `pread`/`pwrite` on a file opened with O_DIRECT: no page cache.
        Direct = "direct",
        /// io_uring: many reads or writes in flight, submitted in batches.
        Uring = "uring",
    }
}

impl MethodName {
    /// True for the memory map.
    pub fn is_map(self) -> bool {
        self == MethodName::Mmap
    }
}

vocabulary! {
    /// The page cache state before each timed operation.
    #[derive(Default)]
    Cache {
        /// The file's pages are in memory (it was just written or read).
        #[default]
        Warm = "warm",
        /// The file's pages were evicted (fsync, then posix_fadvise DONTNEED).
        Cold = "cold",
    }
}

vocabulary! {
    /// Another tool run beside mmap-lab on the same generated files, in the
    /// same run (`--peers`, or `"peers"` in a scenario file).
    Peer {
        /// fio, with the engine equivalent to each method (see [`crate::fio`]).
        Fio = "fio",
    }
}

vocabulary! {
    /// `madvise` advice given to a map right after it is made.
    Advice {
        /// MADV_NORMAL.
        Normal = "normal",
        /// MADV_SEQUENTIAL: read ahead aggressively, drop pages behind.
        Sequential = "sequential",
        /// MADV_RANDOM: no read-ahead.
        Random = "random",
        /// MADV_WILLNEED: start reading the whole range now.
        WillNeed = "willneed",
        /// MADV_HUGEPAGE: ask for transparent huge pages.
        HugePage = "hugepage",
    }
}

vocabulary! {
    /// Why the cost model leaves a cell out: time it has no term for.
    Unmodelled {
        /// O_DIRECT: every call waits for the device.
        Device = "device",
        /// io_uring: requests are not read calls, and have no unit cost.
        Ring = "ring",
        /// A cold cache: the wait for the disk.
        Disk = "disk",
        /// A write: page-cache allocation, dirtying, the wait for the disk.
        Write = "write",
        /// Several threads share each operation: their costs overlap in
        /// time, and the model adds them as if one thread paid them all.
        Threads = "threads",
    }
}

impl Unmodelled {
    /// What the model leaves out, as a cell's model note says it.
    pub fn note(self) -> &'static str {
        match self {
            Unmodelled::Device => {
                "O_DIRECT: every call waits for the device, warm or cold; the model has no device term"
            }
            Unmodelled::Ring => {
                "io_uring: the model has no cost for a ring request, and its calls are not read calls"
            }
            Unmodelled::Disk => "cold: time spent waiting for the disk is not in the model",
            Unmodelled::Write => {
                "a write: page-cache allocation, dirtying and any wait for the disk are not in the model"
            }
            Unmodelled::Threads => {
                "several threads shared each operation: the model adds every thread's costs as if one thread paid them, while the wall time overlaps them"
            }
        }
    }

    /// What the model leaves out, in a few words ("not modelled: ...").
    pub fn left_out(self) -> &'static str {
        match self {
            Unmodelled::Device => "O_DIRECT's wait for the device",
            Unmodelled::Ring => "the cost of io_uring requests",
            Unmodelled::Disk => "the wait for the disk",
            Unmodelled::Write => "a write's page cache and disk work",
            Unmodelled::Threads => "how threads overlap their costs",
        }
    }
}

vocabulary! {
    /// The cost model's terms: where a cell's time goes. Declared in
    /// alphabetical order, the order results.json lists them in.
    CostTerm {
        /// Folding every byte consumed.
        Consume = "consume",
        /// Bytes copied between the page cache and the program.
        Copies = "copies",
        /// Page faults.
        Faults = "faults",
        /// mmap, munmap and madvise calls.
        Map = "map",
        /// Opening and closing files.
        OpenClose = "open_close",
        /// Calls that move no data, such as lseek.
        OtherCalls = "other_calls",
        /// Read and write calls.
        Syscalls = "syscalls",
        /// BufReader's copy from its buffer to the program.
        UserCopies = "user_copies",
    }
}

impl CostTerm {
    /// Its name in prose: `open_close` is "open close".
    pub fn words(self) -> String {
        self.name().replace('_', " ")
    }

    /// What it counts, in a few words.
    pub fn meaning(self) -> &'static str {
        match self {
            CostTerm::Syscalls => "read and write calls",
            CostTerm::OtherCalls => "calls that move no data, such as lseek",
            CostTerm::Copies => "bytes copied between the page cache and the program",
            CostTerm::UserCopies => "BufReader's copy from its buffer to the program",
            CostTerm::Faults => "page faults",
            CostTerm::Map => "mmap, munmap and madvise calls",
            CostTerm::OpenClose => "opening and closing files",
            CostTerm::Consume => "folding every byte",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_through_serde() {
        for kind in OperationKind::ALL {
            let json = serde_json::to_string(kind).unwrap();
            assert_eq!(json, format!("\"{}\"", kind.name()));
            assert_eq!(serde_json::from_str::<OperationKind>(&json).unwrap(), *kind);
        }
        for method in MethodName::ALL {
            let json = serde_json::to_string(method).unwrap();
            assert_eq!(serde_json::from_str::<MethodName>(&json).unwrap(), *method);
        }
        assert_eq!(
            serde_json::to_string(&Advice::WillNeed).unwrap(),
            "\"willneed\""
        );
        assert_eq!(Cache::default(), Cache::Warm);
    }
}
