//! What one operation cost the kernel and the CPU: the counters every
//! cell carries, declared in one table, with their arithmetic and columns.

use serde::{Deserialize, Serialize};

/// Declares [`Counters`] from one table: each row is a field with its doc,
/// its type (`u64`, or `Option<u64>` for a count that may be unavailable),
/// its unit, its header in the report, its group and name in the report's
/// grouped table and, for the counters `run` prints on the terminal, their
/// place and short header there. The arithmetic and the
/// column lists come from the same table, so a new counter is one row here
/// (and one line where the probe reads it).
macro_rules! counters {
    ($(
        $(#[doc = $doc:literal])*
        $field:ident: $ty:ty, $unit:ident, $header:literal, $group:literal / $part:literal, $terminal:expr;
    )+) => {
        /// What one operation cost the kernel and the CPU, per operation,
        /// measured on the measuring thread alone (summed with the threads
        /// it shared the operation with, when several did) and calibrated
        /// so an empty operation reads zero.
        /// Counters missing from older files read as zero (or null).
        #[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq)]
        #[serde(default)]
        pub struct Counters {
            $( $(#[doc = $doc])* pub $field: $ty, )+
        }

        impl Counters {
            /// Every counter as a column, in results.json order.
            pub const COLUMNS: &'static [CounterColumn] = &[
                $( CounterColumn {
                    name: stringify!($field),
                    header: $header,
                    group: $group,
                    part: $part,
                    unit: CounterUnit::$unit,
                    terminal: $terminal,
                    get: |c| CounterValue::value(&c.$field),
                }, )+
            ];

            /// Applies `f` to each pair of matching counters; a counter that
            /// is missing on either side stays missing.
            pub fn zip_with(self, other: Counters, f: impl Fn(u64, u64) -> u64) -> Counters {
                Counters {
                    $( $field: CounterValue::zip(self.$field, other.$field, &f), )+
                }
            }

            /// The per-counter median of several operations' counters.
            pub fn median(all: &[Counters]) -> Counters {
                Counters {
                    $( $field: CounterValue::median(all.iter().map(|c| c.$field)), )+
                }
            }
        }
    };
}

counters! {
    /// read-family calls (read, pread64, readv...): `syscr`.
    read_calls: u64, Count, "read calls", "calls" / "read", Some((0, "reads"));
    /// write-family calls (write, pwrite64, writev...): `syscw`.
    write_calls: u64, Count, "write calls", "calls" / "write", Some((1, "writes"));
    /// mmap, munmap, madvise, msync and mremap calls; null when not countable.
    map_calls: Option<u64>, Count, "map calls", "calls" / "map", None;
    /// `io_uring_enter` calls, from mmap-lab's ring tally (0 for other methods).
    ring_enters: u64, Count, "ring enters", "calls" / "ring", Some((7, "enters"));
    /// Every system call; null when not countable.
    syscalls: Option<u64>, Count, "all syscalls", "calls" / "all", Some((6, "syscalls"));
    /// Bytes read-family calls copied from the kernel to user space: `rchar`.
    bytes_to_user: u64, Bytes, "to user", "copied" / "to user", Some((2, "to user"));
    /// Bytes write-family calls copied from user space to the kernel: `wchar`.
    bytes_from_user: u64, Bytes, "from user", "copied" / "from user", Some((3, "from user"));
    /// Bytes the CPU copied between kernel and user space, both ways: `to
    /// user` plus `from user` for read and write calls, what the ring's
    /// completions moved for io_uring, and 0 for O_DIRECT, whose bytes the
    /// device moves (see each method's `bytes_copied`); null in older files.
    bytes_copied: Option<u64>, Bytes, "copied by CPU", "copied" / "by CPU", None;
    /// Page faults served without disk I/O.
    minor_faults: u64, Count, "minor faults", "faults" / "minor", Some((4, "minflt"));
    /// Page faults that waited for disk I/O.
    major_faults: u64, Count, "major faults", "faults" / "major", Some((5, "majflt"));
    /// Bytes this thread caused to be read from the block device.
    disk_read_bytes: u64, Bytes, "disk read", "disk" / "read", None;
    /// Bytes this thread caused to be written (dirtied) toward the block device.
    disk_write_bytes: u64, Bytes, "disk write", "disk" / "write", None;
    /// Voluntary and involuntary context switches.
    ctx_switches: u64, Count, "ctx switches", "ctx switches" / "all", None;
    /// Requests queued on the ring (a short read's remainder is another).
    ring_requests: u64, Count, "ring requests", "ring" / "requests", None;
    /// Completions the kernel posted to the ring.
    ring_completions: u64, Count, "ring completions", "ring" / "completions", None;
    /// Bytes the ring's completions report moved.
    ring_bytes: u64, Bytes, "ring bytes", "ring" / "bytes", None;
}

impl Counters {
    /// Bytes the CPU copied between kernel and user space: `bytes_copied`,
    /// or in files older than it, what the read and write calls moved.
    pub fn copied(&self) -> u64 {
        self.bytes_copied
            .unwrap_or(self.bytes_to_user + self.bytes_from_user)
    }
}

/// What a counter counts, for formatting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CounterUnit {
    /// A number of events.
    Count,
    /// A number of bytes.
    Bytes,
}

/// One counter as a table column.
#[derive(Debug, Clone, Copy)]
pub struct CounterColumn {
    /// The field name in results.json.
    pub name: &'static str,
    /// The column header in the report's table.
    pub header: &'static str,
    /// The group the report's table shows it in (`calls`, `copied`...);
    /// a group's counters are adjacent in [`Counters::COLUMNS`].
    pub group: &'static str,
    /// Its name within the group (`read`, `write`...).
    pub part: &'static str,
    /// What it counts.
    pub unit: CounterUnit,
    /// Place and short header in `run`'s terminal table, if shown there.
    pub terminal: Option<(u8, &'static str)>,
    /// The value in a cell's counters; `None` when it could not be counted.
    pub get: fn(&Counters) -> Option<u64>,
}

impl CounterColumn {
    /// The columns `run` prints on the terminal, in their order there.
    pub fn terminal() -> Vec<(&'static str, CounterColumn)> {
        let mut shown: Vec<(u8, &'static str, CounterColumn)> = Counters::COLUMNS
            .iter()
            .filter_map(|c| c.terminal.map(|(place, short)| (place, short, *c)))
            .collect();
        shown.sort_by_key(|(place, ..)| *place);
        shown.into_iter().map(|(_, short, c)| (short, c)).collect()
    }
}

/// The arithmetic one counter type supports: a plain count, or a count that
/// may be unavailable (`None` stays `None`).
trait CounterValue: Copy {
    fn value(&self) -> Option<u64>;
    fn zip(a: Self, b: Self, f: &impl Fn(u64, u64) -> u64) -> Self;
    fn median(values: impl Iterator<Item = Self>) -> Self;
}

impl CounterValue for u64 {
    fn value(&self) -> Option<u64> {
        Some(*self)
    }
    fn zip(a: u64, b: u64, f: &impl Fn(u64, u64) -> u64) -> u64 {
        f(a, b)
    }
    fn median(values: impl Iterator<Item = u64>) -> u64 {
        crate::stats::median(&values.collect::<Vec<_>>()).unwrap_or(0)
    }
}

impl CounterValue for Option<u64> {
    fn value(&self) -> Option<u64> {
        *self
    }
    fn zip(a: Self, b: Self, f: &impl Fn(u64, u64) -> u64) -> Self {
        Some(f(a?, b?))
    }
    fn median(values: impl Iterator<Item = Self>) -> Self {
        let all: Vec<u64> = values.collect::<Option<_>>()?;
        Some(crate::stats::median(&all).unwrap_or(0))
    }
}
