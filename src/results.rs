//! The results.json record: what `mmap-lab run` writes and what the report,
//! the comparison and the benches read. One flat, documented format.

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
}

/// Whether the total system call count and map-family calls could be read.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct SyscallCounting {
    /// True when `syscalls` and `map_calls` hold counts; false when they are null.
    pub available: bool,
    /// Where the counts come from, or why they are missing.
    pub source: String,
}

/// One scenario's cells.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ScenarioResult {
    /// Scenario name.
    pub name: String,
    /// One-line description from the scenario file.
    pub about: String,
    /// Operation name (`sequential_read`, `random_read`, ...).
    pub operation: String,
    /// `warm` or `cold`.
    pub cache: String,
    /// The operation's own parameters (record size, range, offset...).
    pub operation_params: serde_json::Value,
    /// The scenario file it came from.
    pub file: String,
    /// One cell per size and method.
    pub cells: Vec<Cell>,
}

/// One method at one size: its timings, verification and counters.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Cell {
    /// Method name: mmap, buffered, unbuffered, positioned or whole.
    pub method: String,
    /// The method's options as an object, e.g. `{"chunk": 4096}`.
    pub params: serde_json::Value,
    /// A short human label unique within the scenario, e.g. `unbuffered 4 KiB`.
    pub label: String,
    /// File size in bytes.
    pub size: u64,
    /// Payload bytes moved by one operation (what throughput is computed from).
    pub bytes: u64,
    /// Wall time of each timed operation, in nanoseconds, in run order.
    pub samples_ns: Vec<u64>,
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
    /// Counters for one operation (median over the samples).
    pub counters: Counters,
    /// For cold cells: fraction of the file's pages resident before each
    /// operation (median), from mincore. Null for warm cells.
    pub resident_before: Option<f64>,
}

/// What one operation cost the kernel and the CPU, per operation, measured on
/// the measuring thread alone and calibrated so an empty operation reads zero.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq)]
pub struct Counters {
    /// read-family calls (read, pread64, readv...): `syscr`.
    pub read_calls: u64,
    /// write-family calls (write, pwrite64, writev...): `syscw`.
    pub write_calls: u64,
    /// mmap, munmap, madvise, msync and mremap calls; null when not countable.
    pub map_calls: Option<u64>,
    /// Every system call; null when not countable.
    pub syscalls: Option<u64>,
    /// Bytes read-family calls copied from the kernel to user space: `rchar`.
    pub bytes_to_user: u64,
    /// Bytes write-family calls copied from user space to the kernel: `wchar`.
    pub bytes_from_user: u64,
    /// Page faults served without disk I/O.
    pub minor_faults: u64,
    /// Page faults that waited for disk I/O.
    pub major_faults: u64,
    /// Bytes this thread caused to be read from the block device.
    pub disk_read_bytes: u64,
    /// Bytes this thread caused to be written (dirtied) toward the block device.
    pub disk_write_bytes: u64,
    /// Voluntary and involuntary context switches.
    pub ctx_switches: u64,
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
