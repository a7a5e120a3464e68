//! What machine this is, and its ceilings: memcpy bandwidth and the speed of
//! the consume step over bytes already in memory.

use crate::checksum::checksum;
use crate::results::{Limits, Machine};
use std::fs;
use std::hint::black_box;
use std::time::Instant;

/// Repetitions when measuring a limit; the median is kept.
const LIMIT_REPEATS: usize = 7;

/// The page size in bytes.
pub fn page_size() -> u64 {
    // SAFETY: sysconf has no preconditions.
    let size = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    if size > 0 { size as u64 } else { 4096 }
}

/// Describes this machine; `filesystem` is the work directory's.
pub fn describe(filesystem: &str) -> Machine {
    Machine {
        cpu: cpu_model(),
        cores: std::thread::available_parallelism().map_or(1, |n| n.get() as u32),
        kernel: kernel_release(),
        page_size: page_size(),
        thp: thp_mode(),
        filesystem: filesystem.to_string(),
        memory_bytes: memory_bytes(),
    }
}

fn cpu_model() -> String {
    fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|text| {
            text.lines()
                .find(|line| line.starts_with("model name"))
                .and_then(|line| line.split_once(':'))
                .map(|(_, model)| model.trim().to_string())
        })
        .unwrap_or_else(|| "unknown".to_string())
}

fn kernel_release() -> String {
    fs::read_to_string("/proc/sys/kernel/osrelease")
        .map(|s| s.trim().to_string())
        .unwrap_or_else(|_| "unknown".to_string())
}

/// The bracketed choice in /sys/kernel/mm/transparent_hugepage/enabled.
fn thp_mode() -> String {
    fs::read_to_string("/sys/kernel/mm/transparent_hugepage/enabled")
        .ok()
        .and_then(|text| {
            let start = text.find('[')?;
            let end = text[start..].find(']')? + start;
            Some(text[start + 1..end].to_string())
        })
        .unwrap_or_else(|| "unknown".to_string())
}

fn memory_bytes() -> u64 {
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
    let mut target = vec![1u8; bytes];
    let memcpy_ns = median_ns(|| {
        target.copy_from_slice(black_box(&source));
        black_box(&target);
    });
    drop(target);
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
