//! Ceilings per file size: how fast this machine copies (memcpy) and
//! consumes (the fold of `src/checksum.rs`) bytes that sit in the cache
//! level a file of that size falls in (L1d, L2, L3, or memory), and which
//! of the two bounds a cell: a method whose CPU copies the bytes (a read
//! into a buffer, any write) cannot beat memcpy; one that copies nothing (a
//! map read, O_DIRECT into our buffer) can at best consume them, so its
//! ceiling is the scan.

use crate::checksum::checksum;
use crate::results::{Caches, Cell, LevelLimits, Limits};
use std::hint::black_box;
use std::time::Instant;

/// Bytes each timing of a level's limit covers (the buffer passed over
/// again and again), so that a pass over an L1-sized buffer is not lost in
/// the clock's resolution.
const BYTES_PER_TIMING: usize = 8 << 20;

/// Timings per limit; the fastest is kept (a ceiling).
const TIMINGS: usize = 5;

/// Which limit bounds a cell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Work {
    /// The CPU copies every byte: memcpy bounds it.
    Copy,
    /// Nothing is copied by the CPU, only consumed: the scan bounds it.
    Scan,
}

impl Work {
    /// The word the report uses: `memcpy` or `scan`.
    pub fn name(self) -> &'static str {
        match self {
            Work::Copy => "memcpy",
            Work::Scan => "scan",
        }
    }
}

/// The ceiling of one cell.
#[derive(Debug, Clone, PartialEq)]
pub struct Ceiling {
    /// Bytes per second.
    pub bytes_per_sec: f64,
    /// Copy or scan.
    pub work: Work,
    /// The cache level its size falls in (`L1d`, `L2`, `L3`, `memory`), or
    /// `memory` for files without per-level limits.
    pub level: String,
}

/// What bounds `cell`: memcpy when the CPU copied bytes or the operation
/// writes, else the scan.
pub fn work_of(cell: &Cell, writes: bool) -> Work {
    if writes || cell.counters.copied() > 0 {
        Work::Copy
    } else {
        Work::Scan
    }
}

/// The ceiling of `cell` at its size, from the run's `limits`.
pub fn of(limits: &Limits, cell: &Cell, writes: bool) -> Ceiling {
    let work = work_of(cell, writes);
    let (memcpy, scan, level) = match level_for(limits, cell.size) {
        Some(l) => (
            l.memcpy_bytes_per_sec,
            l.scan_bytes_per_sec,
            l.level.clone(),
        ),
        None => (
            limits.memcpy_bytes_per_sec,
            limits.scan_bytes_per_sec,
            "memory".to_string(),
        ),
    };
    Ceiling {
        bytes_per_sec: match work {
            Work::Copy => memcpy,
            Work::Scan => scan,
        },
        work,
        level,
    }
}

/// The level limits a file of `size` bytes falls under: the first level
/// whose size holds it, else the last (memory); `None` in files without
/// per-level limits.
pub fn level_for(limits: &Limits, size: u64) -> Option<&LevelLimits> {
    limits
        .levels
        .iter()
        .find(|l| l.up_to_bytes.is_some_and(|up| size <= up))
        .or_else(|| limits.levels.last())
}

/// How many bytes one copy of the memcpy limit moves: the source is
/// copied piece by piece into one destination of this size, again and
/// again, as `read()` copies the page cache into a program's buffer, which
/// stays in the CPU's caches.
pub const COPY_CHUNK: usize = 64 << 10;

/// Measures memcpy and scan for each cache level this machine reports
/// (over a source half the level's size), then for memory (over
/// `memory.buffer_bytes`, the run's limit buffers); memcpy copies the
/// source in [`COPY_CHUNK`] pieces into one reused destination, scan folds
/// the source, which sits in transparent huge pages where the kernel
/// allows (so TLB misses do not hold the fold back). For memory the scan
/// is the run's own ([`crate::machine::measure_limits`], over the same
/// size in huge pages), and its memcpy counts where it is higher: a
/// ceiling is the most a method could reach.
pub fn measure(caches: &Caches, memory: &Limits) -> std::io::Result<Vec<LevelLimits>> {
    let mut levels = Vec::new();
    for (name, size) in [("L1d", caches.l1d), ("L2", caches.l2), ("L3", caches.l3)] {
        if let Some(size) = size {
            let bytes = (size as usize / 2).max(4096);
            levels.push(measure_level(name, Some(size), bytes, true)?);
        }
    }
    // The run's memory limits already scanned this much memory in huge
    // pages; only the chunked copy is new.
    let mut memory_level = measure_level("memory", None, memory.buffer_bytes as usize, false)?;
    memory_level.memcpy_bytes_per_sec = memory_level
        .memcpy_bytes_per_sec
        .max(memory.memcpy_bytes_per_sec);
    memory_level.scan_bytes_per_sec = memory.scan_bytes_per_sec;
    levels.push(memory_level);
    Ok(levels)
}

/// memcpy (and, with `scan`, the scan; else 0) over a source of `bytes`
/// bytes, for the level of `size` bytes (`None`: memory).
fn measure_level(
    name: &str,
    size: Option<u64>,
    bytes: usize,
    scan: bool,
) -> std::io::Result<LevelLimits> {
    let mut source = memmap2::MmapMut::map_anon(bytes)?;
    // Only a hint: without THP the buffer still works, in small pages.
    let _ = source.advise(memmap2::Advice::HugePage);
    // Neither the copy nor the fold depends on the values: any bytes do.
    source.fill(0x5a);
    let mut target = vec![1u8; COPY_CHUNK.min(bytes)];
    let memcpy = fastest_rate(bytes, || {
        for piece in source.chunks(target.len()) {
            target[..piece.len()].copy_from_slice(black_box(piece));
            black_box(&target);
        }
    });
    let scan = if scan {
        fastest_rate(bytes, || {
            black_box(checksum(black_box(&source)));
        })
    } else {
        0.0
    };
    Ok(LevelLimits {
        level: name.to_string(),
        up_to_bytes: size,
        buffer_bytes: bytes as u64,
        memcpy_bytes_per_sec: memcpy,
        scan_bytes_per_sec: scan,
    })
}

/// Bytes per second of `pass` over `bytes` bytes: passes repeated to
/// cover [`BYTES_PER_TIMING`], the fastest of [`TIMINGS`] timings.
fn fastest_rate(bytes: usize, mut pass: impl FnMut()) -> f64 {
    let passes = (BYTES_PER_TIMING / bytes.max(1)).max(1);
    pass();
    let best = (0..TIMINGS)
        .map(|_| {
            let start = Instant::now();
            for _ in 0..passes {
                pass();
            }
            start.elapsed().as_nanos().max(1) as f64
        })
        .fold(f64::INFINITY, f64::min);
    (passes * bytes) as f64 / best * 1e9
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::cell_of;

    fn limits() -> Limits {
        let level = |name: &str, up: Option<u64>, memcpy: f64, scan: f64| LevelLimits {
            level: name.to_string(),
            up_to_bytes: up,
            buffer_bytes: up.unwrap_or(256 << 20) / 2,
            memcpy_bytes_per_sec: memcpy,
            scan_bytes_per_sec: scan,
        };
        Limits {
            memcpy_bytes_per_sec: 20e9,
            scan_bytes_per_sec: 40e9,
            buffer_bytes: 256 << 20,
            levels: vec![
                level("L1d", Some(48 << 10), 200e9, 150e9),
                level("L2", Some(2 << 20), 100e9, 90e9),
                level("L3", Some(32 << 20), 50e9, 60e9),
                level("memory", None, 20e9, 40e9),
            ],
        }
    }

    #[test]
    fn each_size_falls_in_the_first_level_that_holds_it() {
        let l = limits();
        let level = |size| level_for(&l, size).unwrap().level.as_str();
        assert_eq!(level(4096), "L1d");
        assert_eq!(level(48 << 10), "L1d");
        assert_eq!(level(64 << 10), "L2");
        assert_eq!(level(16 << 20), "L3");
        assert_eq!(level(256 << 20), "memory");
    }

    #[test]
    fn a_map_is_bounded_by_the_scan_and_a_read_by_memcpy() {
        let l = limits();
        let map = cell_of(16 << 20, 0);
        let read = cell_of(16 << 20, 16 << 20);
        assert_eq!(of(&l, &map, false).work, Work::Scan);
        assert_eq!(of(&l, &map, false).bytes_per_sec, 60e9);
        assert_eq!(of(&l, &read, false).bytes_per_sec, 50e9);
        // Writing through a map copies the bytes in.
        assert_eq!(of(&l, &map, true).work, Work::Copy);
    }

    #[test]
    fn files_without_levels_use_the_run_limits() {
        let mut l = limits();
        l.levels.clear();
        let c = of(&l, &cell_of(4096, 0), false);
        assert_eq!((c.bytes_per_sec, c.level.as_str()), (40e9, "memory"));
    }

    #[test]
    fn measured_levels_end_with_memory() {
        let caches = Caches {
            l1d: Some(32 << 10),
            l2: None,
            l3: Some(1 << 20),
        };
        let memory = Limits {
            buffer_bytes: 4 << 20,
            ..limits()
        };
        let levels = measure(&caches, &memory).unwrap();
        let names: Vec<&str> = levels.iter().map(|l| l.level.as_str()).collect();
        assert_eq!(names, ["L1d", "L3", "memory"]);
        assert!(
            levels
                .iter()
                .all(|l| l.memcpy_bytes_per_sec > 0.0 && l.scan_bytes_per_sec > 0.0)
        );
        let buffers: Vec<u64> = levels.iter().map(|l| l.buffer_bytes).collect();
        assert_eq!(buffers, [16 << 10, 512 << 10, 4 << 20]);
        assert_eq!(levels[2].up_to_bytes, None);
        // Memory's memcpy is at least the run's own, its scan the run's.
        assert!(levels[2].memcpy_bytes_per_sec >= memory.memcpy_bytes_per_sec);
        assert_eq!(levels[2].scan_bytes_per_sec, memory.scan_bytes_per_sec);
    }
}
