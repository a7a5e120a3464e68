//! The results.json record: what `mmap-lab run` writes and what the report,
//! the comparison and the benches read. One flat, documented format.

use crate::vocab::{Cache, MethodName, OperationKind};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// Version of the results.json layout; bumped when a field changes meaning.
pub const FORMAT_VERSION: u32 = 1;

/// Everything one `mmap-lab run` measured.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Results {
    /// Layout version ([`FORMAT_VERSION`]).
    pub format_version: u32,
    /// The mmap-lab version that measured.
    pub tool_version: String,
    /// When the run started, RFC 3339 in UTC.
    pub started_at: String,
    /// Whether `--quick` shortened the run.
    pub quick: bool,
    /// The machine the numbers come from.
    pub machine: Machine,
    /// This machine's ceilings, measured in the same run.
    pub limits: Limits,
    /// How system calls were counted, or why they could not be.
    pub syscall_counting: SyscallCounting,
    /// What counting costs: a minimal system call with and without the
    /// syscall tracepoints open, measured in the same run. Absent in files
    /// from versions that timed with the counters open.
    #[serde(default)]
    pub observer: Option<Observer>,
    /// The unit costs the cost model multiplies counters by, measured in
    /// this run on the measuring thread (absent in older files).
    #[serde(default)]
    pub unit_costs: Vec<UnitCost>,
    /// What may have made the numbers noisy (load, other processes,
    /// governor, THP, hypervisor, swap), with warnings; absent in older
    /// files.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub environment: Option<crate::environment::Environment>,
    /// One entry per scenario, in run order; grows as the run goes.
    pub scenarios: Vec<ScenarioResult>,
}

/// The machine and filesystem the run used.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Machine {
    /// CPU model name.
    pub cpu: String,
    /// Online logical CPUs.
    pub cores: u32,
    /// Kernel release (`uname -r`).
    pub kernel: String,
    /// Page size in bytes.
    pub page_size: u64,
    /// Transparent huge page mode (`always`, `madvise` or `never`).
    pub thp: String,
    /// Filesystem type of the work directory (ext4, xfs, tmpfs...).
    pub filesystem: String,
    /// Total memory in bytes.
    pub memory_bytes: u64,
    /// CPU vendor (`vendor_id` in /proc/cpuinfo, e.g. `AuthenticAMD`);
    /// empty in files written before it was recorded.
    #[serde(default)]
    pub cpu_vendor: String,
    /// Which of [`crate::machine::FLAGS_OF_INTEREST`] the CPU has (erms,
    /// fsrm...: they decide how the kernel copies memory), in that order.
    #[serde(default)]
    pub cpu_flags: Vec<String>,
    /// Data cache sizes of CPU 0; each null where unknown.
    #[serde(default)]
    pub caches: Caches,
    /// Microcode revision (`microcode` in /proc/cpuinfo, e.g. `0xa101148`);
    /// empty in files written before it was recorded.
    #[serde(default)]
    pub microcode: String,
}

/// Sizes in bytes of the caches data passes through, from
/// /sys/devices/system/cpu/cpu0/cache; null where the system does not say.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq)]
pub struct Caches {
    /// Level 1 data cache.
    #[serde(default)]
    pub l1d: Option<u64>,
    /// Level 2 cache.
    #[serde(default)]
    pub l2: Option<u64>,
    /// Level 3 cache.
    #[serde(default)]
    pub l3: Option<u64>,
}

/// Ceilings no file method can beat, measured on the same bytes in the same run.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Limits {
    /// Bytes per second of a user-space memcpy between two warm buffers.
    pub memcpy_bytes_per_sec: f64,
    /// Bytes per second of the consume step over a warm in-memory buffer.
    pub scan_bytes_per_sec: f64,
    /// Size of the buffers the limits were measured on.
    pub buffer_bytes: u64,
    /// The same two limits for each cache level a file's size may fall in
    /// (`L1d`, `L2`, `L3`, then `memory`, the figures above), so a file is
    /// held against the limit for its size (see [`crate::ceiling`]); empty
    /// in older files.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub levels: Vec<LevelLimits>,
}

/// memcpy and scan speed over buffers that fit one cache level.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct LevelLimits {
    /// `L1d`, `L2`, `L3` or `memory`.
    pub level: String,
    /// The level's size: files up to this many bytes fall in it (null for
    /// memory, which takes the rest).
    pub up_to_bytes: Option<u64>,
    /// The source passed over: half the level, or the memory buffer (memcpy
    /// copies it in 64 KiB pieces into one reused buffer).
    pub buffer_bytes: u64,
    /// Bytes per second of memcpy within the level.
    pub memcpy_bytes_per_sec: f64,
    /// Bytes per second of the consume step within the level.
    pub scan_bytes_per_sec: f64,
}

/// Whether the total system call count and map-family calls could be read.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct SyscallCounting {
    /// True when `syscalls` and `map_calls` hold counts; false when they are null.
    pub available: bool,
    /// Where the counts come from, or why they are missing.
    pub source: String,
}

/// The observer effect: what an open syscall tracepoint does to the cost
/// of every system call. Timed samples run with none open; this says how
/// much the counted ones paid.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Observer {
    /// The system call timed (one that does no work of its own).
    pub syscall: String,
    /// Nanoseconds per call with no tracepoint open.
    pub syscall_ns: f64,
    /// Nanoseconds per call with the counters' tracepoints open; null where
    /// they cannot be opened.
    pub syscall_ns_counted: Option<f64>,
    /// How the figures were taken.
    pub how: String,
}

/// One measured unit cost: what one event (a call, a byte copied, a fault)
/// costs on this machine, and how that was measured.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct UnitCost {
    /// What is costed: `read_call`, `other_call`, `open_close`, `copy`,
    /// `user_copy`, `consume`, `consume_map`, `file_fault`, `anon_fault`,
    /// `map_call`.
    pub name: String,
    /// Bytes per call, for `copy`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chunk: Option<u64>,
    /// Where the destination buffer started (address modulo page size),
    /// for `copy`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub buffer_page_offset: Option<u64>,
    /// For per-byte costs and faults: the size of the file or buffer the
    /// bytes came from, read again and again (whether it fits the CPU's
    /// caches decides the cost).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_bytes: Option<u64>,
    /// The cost.
    pub value: f64,
    /// Its unit: `ns per call`, `ns per byte`, `ns per fault`...
    pub unit: String,
    /// How it was measured.
    pub how: String,
}

/// Where one cell's time went, by the cost model: each term is a count of
/// the cell (in `counts`) times a unit cost of the run.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct CellModel {
    /// Nanoseconds per term: `syscalls` (read and write calls), `copies`,
    /// `user_copies`, `faults`, `consume`, `map`, `open_close`, `other_calls`.
    pub terms_ns: std::collections::BTreeMap<String, f64>,
    /// The sum of the terms.
    pub explained_ns: f64,
    /// The median minus the explained time: what the model misses (signed).
    pub residual_ns: f64,
    /// The counts the terms multiply, by term.
    pub counts: std::collections::BTreeMap<String, f64>,
    /// False where the model leaves out the main cost (writes that wait for
    /// the disk, cold reads); `note` says what.
    pub fits: bool,
    /// What the model leaves out or assumes for this cell.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// One scenario's cells.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ScenarioResult {
    /// Scenario name.
    pub name: String,
    /// One-line description from the scenario file.
    pub about: String,
    /// Operation name (`sequential_read`, `random_read`, ...).
    pub operation: OperationKind,
    /// `warm` or `cold`.
    pub cache: Cache,
    /// The operation's own parameters (record size, range, offset...).
    pub operation_params: serde_json::Value,
    /// The scenario file it came from.
    pub file: String,
    /// One cell per size and method.
    pub cells: Vec<Cell>,
    /// Figures from another tool (fio) on the same files in the same run,
    /// one per cell that has an equivalent; empty unless peers were asked for.
    #[serde(default)]
    pub peers: Vec<PeerLine>,
    /// Cells this machine could not measure (a file system that refuses
    /// O_DIRECT, io_uring switched off), with the reason; the run went on
    /// without them.
    #[serde(default)]
    pub skipped: Vec<SkippedCell>,
}

/// A cell that was not measured, and why.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct SkippedCell {
    /// The method's name.
    pub method: MethodName,
    /// The cell's label.
    pub label: String,
    /// File size in bytes.
    pub size: u64,
    /// Why the method could not run here.
    pub reason: String,
}

/// What fio measured beside one mmap-lab cell, on the same generated file,
/// after that size's timed samples.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct PeerLine {
    /// The mmap-lab cell it stands beside (its label).
    pub label: String,
    /// File size in bytes.
    pub size: u64,
    /// fio's I/O engine (`psync`, `sync`, `mmap`...).
    pub engine: String,
    /// The job's options as fio spells them, e.g. `{"bs": "65536"}`.
    pub options: serde_json::Map<String, serde_json::Value>,
    /// The exact command line run; runnable by hand (fio lays out a
    /// missing file itself).
    pub command: String,
    /// `fio --version`, e.g. `fio-3.33`.
    pub fio_version: String,
    /// Times the job repeated the cell's operation so that it lasted long
    /// enough for fio's millisecond runtime; the figures are per byte and
    /// per I/O, so they need no dividing.
    pub loops: u64,
    /// Bytes fio moved divided by its runtime, in the run with the median
    /// throughput of `runs_bytes_per_sec`.
    pub throughput_bytes_per_sec: f64,
    /// The throughput of each run of the job, in run order (the job runs
    /// a few times; empty in files that recorded one run).
    #[serde(default)]
    pub runs_bytes_per_sec: Vec<f64>,
    /// fio's I/Os per second (one I/O is one `bs`-sized call).
    pub iops: f64,
    /// fio's completion-latency percentiles in nanoseconds, keyed `p50`,
    /// `p99`, `p99.9`...
    pub latency_ns: std::collections::BTreeMap<String, u64>,
    /// mmap-lab's throughput for the cell divided by fio's.
    pub ratio: f64,
    /// Where the fio job differs from the cell (empty when it does not).
    pub notes: String,
}

/// One method at one size: its timings, verification and counters.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Cell {
    /// Method name: mmap, buffered, unbuffered, positioned or whole.
    pub method: MethodName,
    /// The method's options as an object, e.g. `{"chunk": 4096}`.
    pub params: serde_json::Value,
    /// A short human label unique within the scenario, e.g. `unbuffered 4 KiB`.
    pub label: String,
    /// File size in bytes.
    pub size: u64,
    /// Payload bytes moved by one operation (what throughput is computed from).
    pub bytes: u64,
    /// Wall time of each timed operation, in nanoseconds, in run order.
    /// Timed operations run with no counter open.
    pub samples_ns: Vec<u64>,
    /// Wall time of each counted operation (the counters come from these):
    /// the difference from `samples_ns` is the cost of counting.
    #[serde(default)]
    pub counted_samples_ns: Vec<u64>,
    /// Back-to-back operations each timed sample took (its time is their
    /// mean): operations shorter than 200 µs are timed in bursts, as
    /// criterion times them.
    #[serde(default = "one")]
    pub operations_per_sample: u32,
    /// Median of `samples_ns`.
    pub median_ns: u64,
    /// Fastest sample.
    pub min_ns: u64,
    /// Slowest sample.
    pub max_ns: u64,
    /// `bytes` divided by the median time.
    pub throughput_bytes_per_sec: f64,
    /// True when the method's output matched the in-memory reference.
    pub verified: bool,
    /// Counters for one operation (median over the counted operations).
    pub counters: Counters,
    /// Where the buffer the kernel copied into or out of started: its
    /// address modulo the page size (median over the timed samples). Null
    /// for a map, which copies through no buffer.
    #[serde(default)]
    pub buffer_page_offset: Option<u64>,
    /// For cold cells: fraction of the file's pages resident before each
    /// operation (median), from mincore. Null for warm cells.
    pub resident_before: Option<f64>,
    /// For cold cells: fraction of the file's pages resident right after
    /// each timed operation (median), from mincore: a buffered read leaves
    /// the file cached, O_DIRECT leaves it as it was. Null for warm cells
    /// and in older files.
    #[serde(default)]
    pub resident_after: Option<f64>,
    /// What this method's counters cannot show or show differently (ring
    /// I/O makes no read calls; O_DIRECT's bytes are not copied by the CPU).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub counters_note: Option<String>,
    /// Where the time went, by the cost model (absent in older files).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<CellModel>,
    /// How many timed samples the cell took and why it stopped, the 95%
    /// interval of its median, its spread, and whether it was unstable
    /// (absent in older files).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spread: Option<crate::sampling::Spread>,
}

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
        /// measured on the measuring thread alone and calibrated so an empty
        /// operation reads zero.
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

impl Cell {
    /// True when the cell's files were opened with O_DIRECT (the `direct`
    /// method, or `uring` with `direct`): its reads and writes bypass the
    /// page cache and go to the device every time.
    pub fn bypasses_cache(&self) -> bool {
        self.method == MethodName::Direct
            || (self.method == MethodName::Uring
                && self.params.get("direct").and_then(|v| v.as_bool()) == Some(true))
    }
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

fn one() -> u32 {
    1
}

impl Results {
    /// Reads a results.json file; errors carry the path and, for bad JSON, line and column.
    pub fn load(path: &Path) -> anyhow::Result<Results> {
        use anyhow::Context;
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        serde_json::from_str(&text)
            .with_context(|| format!("{} is not a valid mmap-lab results file", path.display()))
    }

    /// Writes the results to `path` atomically: a temporary file in the same
    /// directory, renamed over the old one, so a reader never sees half a file.
    pub fn save(&self, path: &Path) -> anyhow::Result<()> {
        let text = serde_json::to_string_pretty(self)?;
        write_atomically(path, text.as_bytes())
    }
}

/// Writes `bytes` to `path` through a temporary file in the same directory
/// and a rename; on error nothing is left at `path` that was not there before.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    use anyhow::Context;
    use std::io::Write;
    let dir = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let mut temp = tempfile::NamedTempFile::new_in(dir)
        .with_context(|| format!("cannot create a temporary file in {}", dir.display()))?;
    temp.write_all(bytes)
        .and_then(|_| temp.as_file().sync_data())
        .with_context(|| format!("cannot write {}", temp.path().display()))?;
    // Outputs are for reading: the usual file mode, not the temporary file's 0600.
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(temp.path(), std::fs::Permissions::from_mode(0o644))
        .with_context(|| format!("cannot set permissions on {}", temp.path().display()))?;
    temp.persist(path)
        .with_context(|| format!("cannot rename into {}", path.display()))?;
    Ok(())
}
