//! One reading of every system counter a timeline follows, and the places
//! they are read from (found once: the work directory's disk, kswapd's
//! threads, the clock tick).

use super::procfs::{self, MemoryPressure, VmStat};
use crate::pressure::meminfo::{self, MemInfo};
use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::Path;

/// Where the counters come from, found once before sampling.
#[derive(Debug, Clone)]
pub struct Sources {
    /// The work directory's device (`major`, `minor`) if `/proc/diskstats`
    /// lists it; `Err` says why not.
    pub disk: Result<(u32, u32), String>,
    /// kswapd threads' pids (`kswapd0`, one per memory node).
    pub kswapd: Vec<u32>,
    /// Clock ticks per second (`sysconf(_SC_CLK_TCK)`).
    pub ticks_per_sec: u64,
}

impl Sources {
    /// Finds the device holding `dir` and kswapd's threads.
    pub fn find(dir: &Path) -> Sources {
        Sources {
            disk: disk_of(dir),
            kswapd: kswapd_pids(),
            // SAFETY: sysconf has no preconditions.
            ticks_per_sec: u64::try_from(unsafe { libc::sysconf(libc::_SC_CLK_TCK) })
                .unwrap_or(100)
                .max(1),
        }
    }
}

fn disk_of(dir: &Path) -> Result<(u32, u32), String> {
    let dev = fs::metadata(dir)
        .map_err(|e| format!("cannot stat {}: {e}", dir.display()))?
        .dev();
    let (major, minor) = (libc::major(dev), libc::minor(dev));
    let text = fs::read_to_string("/proc/diskstats")
        .map_err(|e| format!("cannot read /proc/diskstats: {e}"))?;
    procfs::parse_sectors_read(&text, major, minor)
        .map(|_| (major, minor))
        .ok_or_else(|| {
            format!(
                "{} is on device {major}:{minor}, which /proc/diskstats does not list (a virtual or overlay file system)",
                dir.display()
            )
        })
}

fn kswapd_pids() -> Vec<u32> {
    let Ok(entries) = fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            fs::read_to_string(format!("/proc/{pid}/comm"))
                .is_ok_and(|comm| comm.trim_end().starts_with("kswapd"))
        })
        .collect()
}

/// Every counter at one moment.
#[derive(Debug, Clone, Copy, Default)]
pub struct Snapshot {
    /// Reclaim and major faults, every process.
    pub vmstat: VmStat,
    /// `/proc/meminfo` figures.
    pub meminfo: MemInfo,
    /// TLB shootdowns summed over CPUs, where `/proc/interrupts` has the row.
    pub tlb_shootdowns: Option<u64>,
    /// Memory stall, where the kernel has PSI.
    pub pressure: Option<MemoryPressure>,
    /// Sectors read by the work directory's device.
    pub sectors_read: Option<u64>,
    /// kswapd's CPU time in clock ticks, summed over its threads.
    pub kswapd_ticks: Option<u64>,
    /// This process's minor and major faults.
    pub faults: (u64, u64),
}

impl Snapshot {
    /// Reads every counter now; one that cannot be read is `None` (or 0).
    pub fn read(sources: &Sources) -> Snapshot {
        let text = |path: &str| fs::read_to_string(path).ok();
        let sectors_read = match (&sources.disk, text("/proc/diskstats")) {
            (Ok((major, minor)), Some(t)) => procfs::parse_sectors_read(&t, *major, *minor),
            _ => None,
        };
        let kswapd_ticks = if sources.kswapd.is_empty() {
            None
        } else {
            sources
                .kswapd
                .iter()
                .map(|pid| procfs::parse_cpu_ticks(&text(&format!("/proc/{pid}/stat"))?))
                .sum()
        };
        Snapshot {
            vmstat: text("/proc/vmstat")
                .map(|t| procfs::parse_vmstat(&t))
                .unwrap_or_default(),
            meminfo: meminfo::read().unwrap_or_default(),
            tlb_shootdowns: text("/proc/interrupts").and_then(|t| procfs::parse_tlb_shootdowns(&t)),
            pressure: text("/proc/pressure/memory").and_then(|t| procfs::parse_pressure(&t)),
            sectors_read,
            kswapd_ticks,
            faults: text("/proc/self/stat")
                .and_then(|t| procfs::parse_faults(&t))
                .unwrap_or_default(),
        }
    }
}
