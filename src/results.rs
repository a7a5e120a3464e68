//! The results.json record: what `mmap-lab run` writes and what the report,
//! the comparison and the benches read. One flat, documented format.

pub use crate::counters::{CounterColumn, CounterUnit, Counters};
use crate::fill::CacheFill;
use crate::folio::CacheLayout;
use crate::method::{MethodFacts, MethodKind};
use crate::vocab::{Cache, CostTerm, MethodName, OperationKind};
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
    /// Transparent huge pages for shared memory and tmpfs (`always`,
    /// `within_size`, `advise`, `never`...); empty in older files.
    #[serde(default)]
    pub thp_shmem: String,
    /// The read-ahead of the work directory's block device, in KiB (a
    /// map's fault reads this much around it); null without a block
    /// device and in older files.
    #[serde(default)]
    pub read_ahead_kb: Option<u64>,
    /// Whether the work directory's file system caches a file written in
    /// one write in folios larger than a page; null where the probe could
    /// not run and in older files.
    #[serde(default)]
    pub large_folios: Option<bool>,
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
    /// For the costs of a map of a file (`file_fault`, `consume_map`): how
    /// the file came into the page cache, which sets how many pages one
    /// fault maps. Absent for other costs and in older files.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_fill: Option<CacheFill>,
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
    /// Nanoseconds per term (see [`CostTerm`]).
    pub terms_ns: std::collections::BTreeMap<CostTerm, f64>,
    /// The sum of the terms.
    pub explained_ns: f64,
    /// The median minus the explained time: what the model misses (signed).
    pub residual_ns: f64,
    /// The counts the terms multiply, by term.
    pub counts: std::collections::BTreeMap<CostTerm, f64>,
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
    /// How the input files' pages entered the page cache before the warm
    /// operations (files older than this field were written in one write).
    #[serde(default)]
    pub cache_fill: CacheFill,
    /// The operation's own parameters (record size, range, offset...).
    pub operation_params: serde_json::Value,
    /// Threads that shared each operation (1 in older files and for
    /// operations that take no `threads`); each cell's `split` says what
    /// each thread did, and its throughput is their total.
    #[serde(default = "one", skip_serializing_if = "is_one")]
    pub threads: u32,
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
    /// What the method is and does, recorded when the cell was made (in
    /// older files, filled from `params` when the file is loaded).
    pub facts: MethodFacts,
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
    /// How the files the cell read sat in the page cache just before its
    /// timed samples (warm cells): the layout every method of this size
    /// read. Absent in older files.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub layout_before: Option<CacheLayout>,
    /// How the files sat in the page cache right after this method's last
    /// operation, for cold cells and writes, whose operations make the
    /// layout themselves. Absent otherwise and in older files.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub layout_after: Option<CacheLayout>,
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
    /// When several threads shared each operation: what each thread did,
    /// in part order (its bytes and accesses). Absent for one thread and
    /// in older files.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub split: Option<Vec<crate::operation::ThreadPart>>,
}

impl Cell {
    /// Threads that shared each operation: 1 unless the cell records a split.
    pub fn threads(&self) -> usize {
        self.split.as_ref().map_or(1, Vec::len)
    }
}

impl Cell {
    /// A verified cell of `kind` labelled `label` from its timed samples
    /// (nanoseconds, each `operations_per_sample` operations' mean): the
    /// medians, extremes and throughput worked out once here for `run` and
    /// the lessons alike. Counters, residency and layouts start empty.
    pub fn measured(
        kind: &MethodKind,
        label: String,
        size: u64,
        bytes: u64,
        samples_ns: Vec<u64>,
        operations_per_sample: u32,
    ) -> Cell {
        let median_ns = crate::stats::median(&samples_ns).unwrap_or(0).max(1);
        Cell {
            method: kind.name(),
            params: kind.params_json(),
            facts: kind.facts(),
            label,
            size,
            bytes,
            median_ns,
            min_ns: samples_ns.iter().copied().min().unwrap_or(0),
            max_ns: samples_ns.iter().copied().max().unwrap_or(0),
            throughput_bytes_per_sec: bytes as f64 / median_ns as f64 * 1e9,
            samples_ns,
            operations_per_sample,
            counted_samples_ns: Vec::new(),
            verified: true,
            counters: Counters::default(),
            buffer_page_offset: None,
            resident_before: None,
            resident_after: None,
            layout_before: None,
            layout_after: None,
            counters_note: kind.io().counters_note().map(str::to_string),
            model: None,
            spread: None,
            split: None,
        }
    }
}

fn one() -> u32 {
    1
}

fn is_one(value: &u32) -> bool {
    *value == 1
}

impl Results {
    /// Reads and checks a results.json file ([`crate::results_check::load`]);
    /// errors carry the path and the field, or line and column for bad JSON.
    pub fn load(path: &Path) -> anyhow::Result<Results> {
        crate::results_check::load(path)
    }

    /// Writes the results to `path` atomically: a temporary file in the same
    /// directory, renamed over the old one, so a reader never sees half a file.
    pub fn save(&self, path: &Path) -> anyhow::Result<()> {
        let text = serde_json::to_string_pretty(self)?;
        write_atomically(path, text.as_bytes())
    }
}

/// Fills the `facts` of cells in files written before cells recorded
/// them, from the method's own reading of the `params` it still knows.
pub(crate) fn record_missing_facts(json: &mut serde_json::Value) -> anyhow::Result<()> {
    use anyhow::Context;
    let scenarios = json.get_mut("scenarios").and_then(|s| s.as_array_mut());
    for (s, scenario) in scenarios.into_iter().flatten().enumerate() {
        let cells = scenario.get_mut("cells").and_then(|c| c.as_array_mut());
        for (c, cell) in cells.into_iter().flatten().enumerate() {
            let Some(fields) = cell.as_object_mut() else {
                continue;
            };
            if fields.contains_key("facts") {
                continue;
            }
            let at = || format!("scenarios[{s}].cells[{c}]");
            let method: MethodName =
                serde_json::from_value(fields.get("method").cloned().unwrap_or_default())
                    .with_context(|| format!("{}.method", at()))?;
            // Options an older version had and this one does not know
            // (buffered's `chunk`, now `capacity`) say nothing it can use.
            let known = MethodKind::option_names(method);
            let params: serde_json::Map<String, serde_json::Value> = fields
                .get("params")
                .and_then(|p| p.as_object())
                .into_iter()
                .flatten()
                .filter(|(name, _)| known.contains(name))
                .map(|(name, value)| (name.clone(), value.clone()))
                .collect();
            let kind = MethodKind::from_options(method, serde_json::Value::Object(params))
                .map_err(|e| anyhow::anyhow!("{}.params.{}: {}", at(), e.path(), e.inner()))?;
            fields.insert("facts".to_string(), serde_json::to_value(kind.facts())?);
        }
    }
    Ok(())
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
