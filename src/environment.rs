//! What makes a run's numbers noisy, recorded and warned about as pyperf
//! and google/benchmark do: other work on the machine (the load average,
//! and the CPU time other processes took while the run measured), time the
//! hypervisor stole, the CPU frequency governor, transparent huge pages,
//! and swap.

use serde::{Deserialize, Serialize};
use std::fs;

/// Other processes may take this share of the machine's CPU time during a
/// run before it warns.
pub const BUSY_SHARE: f64 = 0.10;

/// The hypervisor may steal this share before the run warns.
pub const STEAL_SHARE: f64 = 0.02;

/// The conditions a run measured under.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Environment {
    /// 1-, 5- and 15-minute load averages when the run started.
    pub load_average_start: [f64; 3],
    /// The same when the run last saved its results.
    pub load_average_end: [f64; 3],
    /// Share of all CPUs' time that other processes took while the run
    /// measured (/proc/stat busy time less this process's and its
    /// children's); null where /proc/stat cannot be read.
    pub others_cpu_share: Option<f64>,
    /// Share of all CPUs' time the hypervisor stole (/proc/stat `steal`).
    pub steal_share: Option<f64>,
    /// The CPU frequency governor of CPU 0 (`performance`, `powersave`...);
    /// null where there is none (common in virtual machines).
    pub governor: Option<String>,
    /// Transparent huge pages: `enabled` and `defrag` settings.
    pub thp: String,
    /// True when the CPU says it runs under a hypervisor.
    pub hypervisor: bool,
    /// Swap space in bytes, and how much of it was in use at the end.
    pub swap_total_bytes: u64,
    /// Swap in use at the end, in bytes.
    pub swap_used_bytes: u64,
    /// glibc malloc's fixed mmap threshold in bytes (blocks from this size
    /// up get fresh pages from the kernel every time); null when it was
    /// left to adjust itself, as in runs before it was fixed.
    #[serde(default)]
    pub heap_mmap_threshold_bytes: Option<u64>,
    /// What in the above may have made the numbers noisy, one line each.
    #[serde(default)]
    pub warnings: Vec<String>,
}

/// CPU time counters at one moment.
#[derive(Debug, Clone, Copy)]
pub struct Snapshot {
    load: [f64; 3],
    /// Busy, steal and all jiffies of all CPUs, from /proc/stat.
    stat: Option<CpuTimes>,
    /// This process's and its children's CPU time, in jiffies.
    own: u64,
}

impl Snapshot {
    /// The counters now.
    pub fn take() -> Snapshot {
        Snapshot {
            load: load_average(),
            stat: fs::read_to_string("/proc/stat")
                .ok()
                .and_then(|t| cpu_times(&t)),
            own: own_jiffies(),
        }
    }
}

impl Environment {
    /// The conditions since `start`, with their warnings.
    pub fn since(start: &Snapshot) -> Environment {
        let end = Snapshot::take();
        let (others, steal) = match (start.stat, end.stat) {
            (Some(a), Some(b)) => shares(
                b.busy.saturating_sub(a.busy),
                b.steal.saturating_sub(a.steal),
                end.own.saturating_sub(start.own),
                b.all.saturating_sub(a.all),
            ),
            _ => (None, None),
        };
        let meminfo = fs::read_to_string("/proc/meminfo").unwrap_or_default();
        let swap_total = meminfo_bytes(&meminfo, "SwapTotal");
        let mut environment = Environment {
            load_average_start: start.load,
            load_average_end: end.load,
            others_cpu_share: others,
            steal_share: steal,
            governor: read_trimmed("/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor"),
            thp: format!(
                "enabled {}, defrag {}",
                selected("/sys/kernel/mm/transparent_hugepage/enabled"),
                selected("/sys/kernel/mm/transparent_hugepage/defrag")
            ),
            hypervisor: fs::read_to_string("/proc/cpuinfo")
                .map(|t| has_flag(&t, "hypervisor"))
                .unwrap_or(false),
            swap_total_bytes: swap_total,
            swap_used_bytes: swap_total.saturating_sub(meminfo_bytes(&meminfo, "SwapFree")),
            heap_mmap_threshold_bytes: crate::buffer::fixed_heap_threshold(),
            warnings: Vec::new(),
        };
        environment.warnings = environment.warn();
        environment
    }

    /// What may have made the numbers noisy, one line each.
    fn warn(&self) -> Vec<String> {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get()) as f64;
        let mut warnings = Vec::new();
        // The load average counts the run's own thread, and at the start the
        // build `cargo run` just finished: it speaks only where /proc/stat,
        // which tells others' CPU time from this process's, cannot be read.
        let load = self.load_average_end[0] - 1.0;
        if self.others_cpu_share.is_none() && load > cores * 0.5 {
            warnings.push(format!(
                "load average {:.2} on {cores} CPUs with the run's own thread: other work shared the machine",
                self.load_average_end[0]
            ));
        }
        if let Some(share) = self.others_cpu_share.filter(|s| *s > BUSY_SHARE) {
            warnings.push(format!(
                "other processes took {:.0}% of the CPU time while the run measured",
                share * 100.0
            ));
        }
        if self.hypervisor {
            warnings.push(
                "a virtual machine (the CPU flags a hypervisor): other guests can take the CPU, and page faults cost more than on bare metal"
                    .to_string(),
            );
        }
        if let Some(share) = self.steal_share.filter(|s| *s > STEAL_SHARE) {
            warnings.push(format!(
                "the hypervisor stole {:.0}% of the CPU time",
                share * 100.0
            ));
        }
        if let Some(governor) = self.governor.as_deref().filter(|g| *g != "performance") {
            warnings.push(format!(
                "CPU frequency governor {governor}: the clock may change during the run (`performance` keeps it steady)"
            ));
        }
        if self.thp.starts_with("enabled always") {
            warnings.push(
                "transparent huge pages are `always`: khugepaged may collapse pages in the background while the run measures"
                    .to_string(),
            );
        }
        if self.swap_used_bytes > 0 {
            warnings.push(format!(
                "{} MiB of swap in use: memory pressure may page the run's buffers out",
                self.swap_used_bytes >> 20
            ));
        }
        warnings
    }
}

/// Others' and the hypervisor's share of `total` jiffies of all CPUs.
fn shares(busy: u64, steal: u64, own: u64, total: u64) -> (Option<f64>, Option<f64>) {
    if total == 0 {
        return (None, None);
    }
    let total = total as f64;
    (
        Some(busy.saturating_sub(own) as f64 / total),
        Some(steal as f64 / total),
    )
}

/// Jiffies of all CPUs together, from /proc/stat's first line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct CpuTimes {
    /// user, nice, system, irq and softirq.
    busy: u64,
    /// Time the hypervisor gave to others.
    steal: u64,
    /// Every field up to steal, idle and iowait included.
    all: u64,
}

fn cpu_times(stat: &str) -> Option<CpuTimes> {
    let line = stat.lines().find(|l| l.starts_with("cpu "))?;
    let v: Vec<u64> = line
        .split_whitespace()
        .skip(1)
        .filter_map(|x| x.parse().ok())
        .collect();
    let at = |i: usize| v.get(i).copied().unwrap_or(0);
    Some(CpuTimes {
        busy: at(0) + at(1) + at(2) + at(5) + at(6),
        steal: at(7),
        all: (0..8).map(at).sum(),
    })
}

/// This process's and its waited-for children's user and system time, in
/// jiffies.
fn own_jiffies() -> u64 {
    let micros = |who| {
        // SAFETY: getrusage fills the struct it is given.
        let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
        if unsafe { libc::getrusage(who, &mut usage) } != 0 {
            return 0;
        }
        let us = |t: libc::timeval| t.tv_sec as u64 * 1_000_000 + t.tv_usec as u64;
        us(usage.ru_utime) + us(usage.ru_stime)
    };
    let total = micros(libc::RUSAGE_SELF) + micros(libc::RUSAGE_CHILDREN);
    total * clock_ticks() / 1_000_000
}

/// USER_HZ: jiffies per second in /proc/stat.
fn clock_ticks() -> u64 {
    // SAFETY: sysconf has no preconditions.
    let ticks = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    if ticks > 0 { ticks as u64 } else { 100 }
}

fn load_average() -> [f64; 3] {
    let text = fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let mut v = text.split_whitespace().filter_map(|x| x.parse().ok());
    [
        v.next().unwrap_or(0.0),
        v.next().unwrap_or(0.0),
        v.next().unwrap_or(0.0),
    ]
}

fn read_trimmed(path: &str) -> Option<String> {
    fs::read_to_string(path)
        .ok()
        .map(|t| t.trim().to_string())
        .filter(|t| !t.is_empty())
}

/// The bracketed choice of a sysfs setting such as `always [madvise] never`.
fn selected(path: &str) -> String {
    let text = read_trimmed(path).unwrap_or_default();
    text.split_whitespace()
        .find_map(|w| w.strip_prefix('[').and_then(|w| w.strip_suffix(']')))
        .unwrap_or("unknown")
        .to_string()
}

fn has_flag(cpuinfo: &str, flag: &str) -> bool {
    cpuinfo
        .lines()
        .find(|l| l.starts_with("flags"))
        .is_some_and(|l| l.split_whitespace().any(|w| w == flag))
}

fn meminfo_bytes(meminfo: &str, key: &str) -> u64 {
    meminfo
        .lines()
        .find_map(|l| l.strip_prefix(key)?.strip_prefix(':'))
        .and_then(|rest| rest.split_whitespace().next()?.parse::<u64>().ok())
        .map_or(0, |kib| kib * 1024)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_cpu_times_from_proc_stat() {
        let stat = "cpu  100 5 50 1000 20 3 2 7 0 0\ncpu0 50 2 25 500 10 1 1 3 0 0\n";
        assert_eq!(
            cpu_times(stat),
            Some(CpuTimes {
                busy: 160,
                steal: 7,
                all: 1187
            })
        );
        assert_eq!(cpu_times("intr 5"), None);
    }

    #[test]
    fn others_share_is_busy_time_less_our_own() {
        assert_eq!(shares(600, 20, 200, 1000), (Some(0.4), Some(0.02)));
        assert_eq!(shares(100, 0, 200, 1000).0, Some(0.0));
        assert_eq!(shares(1, 1, 1, 0), (None, None));
    }

    fn quiet() -> Environment {
        Environment {
            load_average_start: [0.1, 0.1, 0.1],
            load_average_end: [0.2, 0.1, 0.1],
            others_cpu_share: Some(0.01),
            steal_share: Some(0.0),
            governor: None,
            thp: "enabled madvise, defrag madvise".to_string(),
            hypervisor: false,
            swap_total_bytes: 0,
            swap_used_bytes: 0,
            heap_mmap_threshold_bytes: None,
            warnings: Vec::new(),
        }
    }

    #[test]
    fn a_quiet_machine_gets_no_warning_and_each_noise_source_one() {
        assert!(quiet().warn().is_empty());
        let noisy = Environment {
            load_average_end: [64.0, 1.0, 1.0],
            others_cpu_share: Some(0.5),
            steal_share: Some(0.1),
            governor: Some("powersave".to_string()),
            thp: "enabled always, defrag madvise".to_string(),
            swap_used_bytes: 8 << 20,
            hypervisor: true,
            ..quiet()
        };
        let warnings = noisy.warn();
        assert_eq!(warnings.len(), 6, "{warnings:?}");
        assert!(warnings[0].contains("other processes took 50%"));
        assert!(warnings[1].starts_with("a virtual machine"));
        assert!(warnings[5].starts_with("8 MiB of swap"));
        // Without /proc/stat the load average speaks, less the run's thread.
        let unknown = |load: f64| Environment {
            load_average_end: [load, 1.0, 1.0],
            others_cpu_share: None,
            ..quiet()
        };
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get()) as f64;
        assert!(unknown(1.0 + cores * 0.5 - 0.1).warn().is_empty());
        let busy = unknown(cores + 3.0).warn();
        assert!(busy[0].starts_with("load average"), "{busy:?}");
        // A run's own thread on a quiet 2-core machine is no warning.
        let own = Environment {
            load_average_start: [1.3, 1.4, 2.0],
            load_average_end: [1.05, 1.3, 1.9],
            others_cpu_share: Some(0.0),
            ..quiet()
        };
        assert!(own.warn().is_empty());
    }

    #[test]
    fn reads_settings_and_meminfo() {
        assert!(has_flag("flags\t: fpu hypervisor sse\n", "hypervisor"));
        assert!(!has_flag("flags\t: fpu sse\n", "hypervisor"));
        let meminfo = "MemTotal: 100 kB\nSwapTotal:  2048 kB\nSwapFree: 1024 kB\n";
        assert_eq!(meminfo_bytes(meminfo, "SwapTotal"), 2 << 20);
        assert_eq!(meminfo_bytes(meminfo, "SwapFree"), 1 << 20);
        assert_eq!(meminfo_bytes(meminfo, "Nothing"), 0);
    }
}
