//! System counters over time: parsers for the procfs files ([`procfs`]),
//! one reading of them all ([`snapshot`]), and a thread that records a
//! point every interval ([`sampler`]) for a run that lasts. Most series are
//! system-wide: [`SERIES`] says which, and what can blur them.

pub mod procfs;
pub mod sampler;
pub mod snapshot;

pub use sampler::{Progress, Sampler};
pub use snapshot::{Snapshot, Sources};

/// One interval of a timeline: counts are what happened in the interval,
/// gauges (`cached`, `mapped`, `mem_available`, `*_avg10`) their value at
/// its end.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Point {
    /// Milliseconds from the start of the run to the end of the interval.
    pub t_ms: u64,
    /// Accesses (records or chunks) the run's threads completed.
    pub accesses: u64,
    /// Bytes those accesses used (records, or one byte per page touched
    /// counts the page it stands for).
    pub useful_bytes: u64,
    /// Bytes the work directory's disk read (sectors x 512).
    pub disk_read_bytes: Option<u64>,
    /// This process's minor faults.
    pub minor_faults: u64,
    /// This process's major faults.
    pub major_faults: u64,
    /// TLB shootdown interrupts, every CPU.
    pub tlb_shootdowns: Option<u64>,
    /// Pages scanned for reclaim (kswapd + direct).
    pub pgscan: u64,
    /// Pages reclaimed (kswapd + direct).
    pub pgsteal: u64,
    /// Times a task entered direct reclaim.
    pub allocstall: u64,
    /// File pages read again soon after eviction.
    pub refaults: u64,
    /// kswapd's CPU time, milliseconds.
    pub kswapd_cpu_ms: Option<u64>,
    /// `Cached` at the end of the interval, bytes.
    pub cached: u64,
    /// `Mapped` at the end of the interval, bytes.
    pub mapped: u64,
    /// `MemAvailable` at the end of the interval, bytes.
    pub mem_available: u64,
    /// Memory stall `some` in the interval, microseconds.
    pub stall_some_us: Option<u64>,
    /// Memory stall `full` in the interval, microseconds.
    pub stall_full_us: Option<u64>,
}

/// A series of a [`Point`], how far it reaches and what can blur it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Series {
    /// The field of [`Point`].
    pub field: &'static str,
    /// Where it comes from.
    pub source: &'static str,
    /// True when it counts the whole machine, not only this run.
    pub system_wide: bool,
    /// What besides this run can move it, or what it can miss.
    pub blurred_by: &'static str,
}

const OTHERS: &str =
    "every other process on the machine (compilers, the page-cache helper growing or giving back)";

/// Every series of a [`Point`], for results.json.
pub const SERIES: &[Series] = &[
    Series {
        field: "accesses",
        source: "the run's threads",
        system_wide: false,
        blurred_by: "nothing: counted by the threads themselves",
    },
    Series {
        field: "useful_bytes",
        source: "the run's threads",
        system_wide: false,
        blurred_by: "nothing: counted by the threads themselves",
    },
    Series {
        field: "disk_read_bytes",
        source: "/proc/diskstats, the work directory's device",
        system_wide: true,
        blurred_by: "other processes reading the same device; null when the device is not listed",
    },
    Series {
        field: "minor_faults",
        source: "/proc/self/stat",
        system_wide: false,
        blurred_by: "this process's other threads (the sampler's own reads are few)",
    },
    Series {
        field: "major_faults",
        source: "/proc/self/stat",
        system_wide: false,
        blurred_by: "this process's other threads",
    },
    Series {
        field: "tlb_shootdowns",
        source: "/proc/interrupts TLB row, summed over CPUs",
        system_wide: true,
        blurred_by: "other processes' unmaps and migrations; in a VM a paravirtual TLB flush (KVM PV flush, Hyper-V) skips the IPI to preempted vCPUs and undercounts; with 2 CPUs a shootdown reaches at most one other CPU",
    },
    Series {
        field: "pgscan",
        source: "/proc/vmstat pgscan_kswapd + pgscan_direct",
        system_wide: true,
        blurred_by: OTHERS,
    },
    Series {
        field: "pgsteal",
        source: "/proc/vmstat pgsteal_kswapd + pgsteal_direct",
        system_wide: true,
        blurred_by: OTHERS,
    },
    Series {
        field: "allocstall",
        source: "/proc/vmstat allocstall_* summed",
        system_wide: true,
        blurred_by: OTHERS,
    },
    Series {
        field: "refaults",
        source: "/proc/vmstat workingset_refault_file",
        system_wide: true,
        blurred_by: OTHERS,
    },
    Series {
        field: "kswapd_cpu_ms",
        source: "/proc/<kswapd pid>/stat utime + stime",
        system_wide: true,
        blurred_by: "reclaim for any process; clock-tick resolution (10 ms at 100 Hz)",
    },
    Series {
        field: "cached",
        source: "/proc/meminfo Cached",
        system_wide: true,
        blurred_by: "other processes' files and tmpfs/shmem (counted in Cached, not reclaimable without swap)",
    },
    Series {
        field: "mapped",
        source: "/proc/meminfo Mapped",
        system_wide: true,
        blurred_by: "other processes' mapped files (libraries, executables)",
    },
    Series {
        field: "mem_available",
        source: "/proc/meminfo MemAvailable",
        system_wide: true,
        blurred_by: OTHERS,
    },
    Series {
        field: "stall_some_us",
        source: "/proc/pressure/memory some total",
        system_wide: true,
        blurred_by: "every task's stalls; null without PSI",
    },
    Series {
        field: "stall_full_us",
        source: "/proc/pressure/memory full total",
        system_wide: true,
        blurred_by: "every task's stalls; null without PSI",
    },
];

fn all_series() -> &'static [Series] {
    SERIES
}

/// A run's timeline: a point per interval and what its series mean.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Timeline {
    /// The sampling interval, milliseconds.
    pub interval_ms: u64,
    /// One point per interval, in order.
    pub points: Vec<Point>,
    /// Why `disk_read_bytes` is null, when it is.
    pub disk_note: Option<String>,
    /// Each series' source, scope and what can blur it (always
    /// [`SERIES`]: a saved file's copy is not read back).
    #[serde(skip_deserializing, default = "all_series")]
    pub series: &'static [Series],
}

impl Timeline {
    /// The sum of one count over every point.
    pub fn total(&self, count: impl Fn(&Point) -> u64) -> u64 {
        self.points.iter().map(count).sum()
    }

    /// The largest `Cached` any point saw.
    pub fn max_cached(&self) -> u64 {
        self.points.iter().map(|p| p.cached).max().unwrap_or(0)
    }
}
