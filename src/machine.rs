//! What machine this is, and its ceilings: memcpy bandwidth and the speed of
//! the consume step over bytes already in memory.

use crate::checksum::checksum;
use crate::results::{Caches, Limits, Machine};
use std::fs;
use std::hint::black_box;
use std::path::Path;
use std::time::Instant;

/// Repetitions when measuring a limit; the median is kept.
const LIMIT_REPEATS: usize = 7;

/// The CPU flags results.json records when the CPU has them, in this order.
/// erms and fsrm decide how the kernel copies a read into your buffer (a bare
/// `rep movsb` with fsrm); fzrm, fsrs and fsrc are the newer fast short
/// `rep stosb`, `rep cmpsb` and `rep scasb`; rep_good is the kernel's own
/// verdict that rep string copies are fast here; avx2 and avx512f are the
/// widest registers a user-space memcpy may use; sha_ni helps tell CPU
/// generations apart.
pub const FLAGS_OF_INTEREST: &[&str] = &[
    "erms", "fsrm", "fzrm", "fsrs", "fsrc", "rep_good", "avx2", "avx512f", "sha_ni",
];

/// Where CPU 0 describes its caches, one `index*` directory per cache.
const CACHE_DIR: &str = "/sys/devices/system/cpu/cpu0/cache";

/// The page size in bytes.
pub fn page_size() -> u64 {
    // SAFETY: sysconf has no preconditions.
    let size = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    if size > 0 { size as u64 } else { 4096 }
}

/// Describes this machine; `filesystem` is the work directory's.
pub fn describe(filesystem: &str, work_dir: &Path) -> Machine {
    Machine {
        cpu: cpu_model(),
        cores: std::thread::available_parallelism().map_or(1, |n| n.get() as u32),
        kernel: kernel_release(),
        page_size: page_size(),
        thp: thp_mode(),
        filesystem: filesystem.to_string(),
        memory_bytes: memory_bytes(),
        cpu_vendor: cpu_vendor(),
        cpu_flags: cpu_flags(),
        caches: caches(),
        microcode: cpuinfo_value("microcode"),
        thp_shmem: bracketed_choice("/sys/kernel/mm/transparent_hugepage/shmem_enabled"),
        read_ahead_kb: read_ahead_kb(work_dir),
        large_folios: crate::folio::large_folios_in(work_dir).ok(),
    }
}

/// The device read-ahead, in KiB, of the block device holding `dir`
/// (`/sys/dev/block/MAJ:MIN/queue/read_ahead_kb`, or its disk's for a
/// partition); `None` when there is no block device (tmpfs, overlay).
pub fn read_ahead_kb(dir: &Path) -> Option<u64> {
    use std::os::unix::fs::MetadataExt;
    let dev = fs::metadata(dir).ok()?.dev();
    let (major, minor) = (libc::major(dev), libc::minor(dev));
    let device = format!("/sys/dev/block/{major}:{minor}");
    ["queue/read_ahead_kb", "../queue/read_ahead_kb"]
        .iter()
        .find_map(|tail| fs::read_to_string(format!("{device}/{tail}")).ok())
        .and_then(|text| text.trim().parse().ok())
}

/// The CPU vendor, e.g. `AuthenticAMD` or `GenuineIntel` (`unknown` when
/// /proc/cpuinfo does not say).
pub fn cpu_vendor() -> String {
    cpuinfo_value("vendor_id")
}

/// Which of [`FLAGS_OF_INTEREST`] this CPU has, in that order.
pub fn cpu_flags() -> Vec<String> {
    fs::read_to_string("/proc/cpuinfo")
        .map(|text| flags_of_interest(&text))
        .unwrap_or_default()
}

/// The CPU model name (`unknown` when /proc/cpuinfo does not say).
pub fn cpu_model() -> String {
    cpuinfo_value("model name")
}

/// The first value of `key` in /proc/cpuinfo, or `unknown`.
fn cpuinfo_value(key: &str) -> String {
    fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|text| cpuinfo_field(&text, key).map(str::to_string))
        .unwrap_or_else(|| "unknown".to_string())
}

/// The value on the first `key : value` line of /proc/cpuinfo text whose key
/// is exactly `key` (so `model` does not match `model name`).
fn cpuinfo_field<'a>(cpuinfo: &'a str, key: &str) -> Option<&'a str> {
    cpuinfo.lines().find_map(|line| {
        let (name, value) = line.split_once(':')?;
        (name.trim() == key).then(|| value.trim())
    })
}

/// Which of [`FLAGS_OF_INTEREST`] the first `flags` line lists.
fn flags_of_interest(cpuinfo: &str) -> Vec<String> {
    let flags: Vec<&str> = cpuinfo_field(cpuinfo, "flags")
        .map(|line| line.split_whitespace().collect())
        .unwrap_or_default();
    FLAGS_OF_INTEREST
        .iter()
        .filter(|wanted| flags.contains(wanted))
        .map(|flag| flag.to_string())
        .collect()
}

/// CPU 0's cache sizes, from the level, type and size files of each
/// `index*` directory under /sys/devices/system/cpu/cpu0/cache.
pub fn caches() -> Caches {
    let Ok(entries) = fs::read_dir(CACHE_DIR) else {
        return Caches::default();
    };
    let mut found = Vec::new();
    for entry in entries.flatten() {
        if !entry.file_name().to_string_lossy().starts_with("index") {
            continue;
        }
        let read = |name: &str| fs::read_to_string(entry.path().join(name)).ok();
        if let (Some(level), Some(kind), Some(size)) = (read("level"), read("type"), read("size")) {
            found.push((level, kind, size));
        }
    }
    caches_from(&found)
}

/// The data caches among (level, type, size) texts as sysfs writes them:
/// level 1 of type `Data`, levels 2 and 3 of type `Unified` (or `Data`).
/// Instruction caches and anything unparsable are left out.
fn caches_from(entries: &[(String, String, String)]) -> Caches {
    let mut caches = Caches::default();
    for (level, kind, size) in entries {
        let (Ok(level), Some(size)) = (level.trim().parse::<u32>(), parse_cache_size(size)) else {
            continue;
        };
        let slot = match (level, kind.trim()) {
            (1, "Data") => &mut caches.l1d,
            (2, "Data" | "Unified") => &mut caches.l2,
            (3, "Data" | "Unified") => &mut caches.l3,
            _ => continue,
        };
        slot.get_or_insert(size);
    }
    caches
}

/// A cache size as sysfs writes it (`512K`, `32768K`, `1M`, or plain bytes).
fn parse_cache_size(text: &str) -> Option<u64> {
    let text = text.trim();
    let (number, factor) = match text.char_indices().last()? {
        (at, 'K' | 'k') => (&text[..at], 1 << 10),
        (at, 'M' | 'm') => (&text[..at], 1 << 20),
        (at, 'G' | 'g') => (&text[..at], 1 << 30),
        _ => (text, 1),
    };
    number.trim().parse::<u64>().ok()?.checked_mul(factor)
}

/// The running kernel's release (uname -r).
pub fn kernel_release() -> String {
    fs::read_to_string("/proc/sys/kernel/osrelease")
        .map(|s| s.trim().to_string())
        .unwrap_or_else(|_| "unknown".to_string())
}

/// The bracketed choice in /sys/kernel/mm/transparent_hugepage/enabled.
fn thp_mode() -> String {
    bracketed_choice("/sys/kernel/mm/transparent_hugepage/enabled")
}

/// The bracketed choice in a sysfs file such as `always [madvise] never`.
fn bracketed_choice(path: &str) -> String {
    fs::read_to_string(path)
        .ok()
        .and_then(|text| {
            let start = text.find('[')?;
            let end = text[start..].find(']')? + start;
            Some(text[start + 1..end].to_string())
        })
        .unwrap_or_else(|| "unknown".to_string())
}

/// The machine's memory (MemTotal in /proc/meminfo), 0 when unknown.
pub fn memory_bytes() -> u64 {
    fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|text| {
            let line = text.lines().find(|l| l.starts_with("MemTotal:"))?;
            let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
            Some(kib * 1024)
        })
        .unwrap_or(0)
}

/// Measures the two ceilings over `bytes`-byte warm buffers: memcpy between
/// two ordinary heap buffers (what a program's own copy gets, the yardstick
/// for the kernel's copies in `read`), and the consume step over a buffer in
/// transparent huge pages where the kernel allows (the fastest the fold can
/// go, free of TLB misses, so a file mapped in large folios cannot beat it).
pub fn measure_limits(bytes: usize) -> std::io::Result<Limits> {
    let source = crate::workload::file_contents(1, 0, bytes as u64);
    crate::stop::check()?;
    let mut target = vec![1u8; bytes];
    let memcpy_ns = median_ns(|| {
        target.copy_from_slice(black_box(&source));
        black_box(&target);
    });
    drop(target);
    crate::stop::check()?;
    let mut scanned = memmap2::MmapMut::map_anon(bytes)?;
    // Only a hint: without THP the buffer still works, in small pages.
    let _ = scanned.advise(memmap2::Advice::HugePage);
    scanned.copy_from_slice(&source);
    let scan_ns = median_ns(|| {
        black_box(checksum(black_box(&scanned)));
    });
    let per_sec = |ns: f64| bytes as f64 / ns * 1e9;
    Ok(Limits {
        memcpy_bytes_per_sec: per_sec(memcpy_ns),
        scan_bytes_per_sec: per_sec(scan_ns),
        buffer_bytes: bytes as u64,
        levels: Vec::new(),
    })
}

fn median_ns(mut work: impl FnMut()) -> f64 {
    work();
    let times: Vec<f64> = (0..LIMIT_REPEATS)
        .map(|_| {
            let start = Instant::now();
            work();
            start.elapsed().as_nanos() as f64
        })
        .collect();
    crate::stats::median(&times).expect("LIMIT_REPEATS is not zero")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The start of one processor's entry in /proc/cpuinfo on an AMD EPYC.
    const CPUINFO: &str = "processor\t: 0
vendor_id\t: AuthenticAMD
cpu family\t: 25
model\t\t: 17
model name\t: AMD EPYC 9B14 96-Core Processor
stepping\t: 1
microcode\t: 0xa101148
cpu MHz\t\t: 2599.998
cache size\t: 1024 KB
flags\t\t: fpu vme de pse tsc msr sse2 ht syscall rep_good nopl sse4_2 avx2 erms avx512f sha_ni clzero fsrm
bugs\t\t: sysret_ss_attrs spectre_v1

processor\t: 1
vendor_id\t: AuthenticAMD
flags\t\t: fpu
";

    #[test]
    fn reads_fields_of_the_first_processor_by_exact_key() {
        assert_eq!(cpuinfo_field(CPUINFO, "vendor_id"), Some("AuthenticAMD"));
        assert_eq!(cpuinfo_field(CPUINFO, "microcode"), Some("0xa101148"));
        assert_eq!(cpuinfo_field(CPUINFO, "model"), Some("17"));
        assert_eq!(
            cpuinfo_field(CPUINFO, "model name"),
            Some("AMD EPYC 9B14 96-Core Processor")
        );
        assert_eq!(cpuinfo_field(CPUINFO, "nosuch"), None);
        assert_eq!(cpuinfo_field("", "vendor_id"), None);
    }

    #[test]
    fn keeps_the_flags_of_interest_in_their_own_order() {
        assert_eq!(
            flags_of_interest(CPUINFO),
            ["erms", "fsrm", "rep_good", "avx2", "avx512f", "sha_ni"]
        );
        let intel = "flags\t\t: fpu sse2 avx2 erms fsrm fzrm fsrs\n";
        assert_eq!(
            flags_of_interest(intel),
            ["erms", "fsrm", "fzrm", "fsrs", "avx2"]
        );
        assert!(flags_of_interest("flags\t: fpu sse2 ermsx\n").is_empty());
        assert!(flags_of_interest("vendor_id : ARM\n").is_empty());
    }

    #[test]
    fn parses_cache_sizes_as_sysfs_writes_them() {
        assert_eq!(parse_cache_size("512K\n"), Some(512 << 10));
        assert_eq!(parse_cache_size("32768K"), Some(32 << 20));
        assert_eq!(parse_cache_size("1M"), Some(1 << 20));
        assert_eq!(parse_cache_size("4096"), Some(4096));
        assert_eq!(parse_cache_size(""), None);
        assert_eq!(parse_cache_size("K"), None);
        assert_eq!(parse_cache_size("big"), None);
    }

    #[test]
    fn picks_the_data_caches_by_level_and_type() {
        let entry = |level: &str, kind: &str, size: &str| {
            (level.to_string(), kind.to_string(), size.to_string())
        };
        let caches = caches_from(&[
            entry("1\n", "Instruction\n", "64K\n"),
            entry("1\n", "Data\n", "32K\n"),
            entry("2\n", "Unified\n", "1024K\n"),
            entry("3\n", "Unified\n", "32768K\n"),
        ]);
        assert_eq!(
            caches,
            Caches {
                l1d: Some(32 << 10),
                l2: Some(1 << 20),
                l3: Some(32 << 20),
            }
        );
        let partial = caches_from(&[entry("2", "Unified", "512K"), entry("x", "Data", "1K")]);
        assert_eq!(
            partial,
            Caches {
                l1d: None,
                l2: Some(512 << 10),
                l3: None,
            }
        );
    }
}
