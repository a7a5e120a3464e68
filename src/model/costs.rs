//! Unit costs, measured in the run on the measuring thread with no counter
//! open: what one system call, one byte copied from the page cache, one
//! page fault, one map call and one byte consumed cost on this machine.
//! [`CostBook::new`] measures the fixed ones; copy costs are measured per
//! chunk size and buffer placement the run uses ([`CostBook::ensure_copy`]).

use crate::buffer::PlacedBuffer;
use crate::checksum::Fold;
use crate::results::UnitCost;
use crate::workload::file_contents;
use std::fs::File;
use std::hint::black_box;
use std::io::{self, Write};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Bytes of the scratch file the costs are measured on (larger than the
/// last-level cache of common machines, so "beyond the caches" is memory),
/// and the smaller one a quick measurement uses.
const SCRATCH_BYTES: u64 = 64 << 20;
const QUICK_SCRATCH_BYTES: u64 = 16 << 20;
/// Bytes of the source used for "in cache" per-byte costs.
const IN_CACHE_BYTES: u64 = 256 << 10;
/// Bytes read between timed folds of a file too large for the caches, to
/// evict it as the run's other methods do between samples.
const EVICT_BYTES: usize = 96 << 20;
/// Repetitions of each measurement; the median is kept, as the cells keep
/// the median of their samples.
const REPEATS: usize = 7;
/// Seed of the scratch file's contents.
const SEED: u64 = 77;

/// The run's unit costs, measured once each, and the scratch file they are
/// measured on (removed when the book is dropped).
pub struct CostBook {
    costs: Vec<UnitCost>,
    scratch: PathBuf,
    scratch_bytes: u64,
    in_cache_limit: u64,
}

impl CostBook {
    /// Writes a scratch file in `dir` and measures the fixed unit costs;
    /// `quick` uses a smaller scratch file (for tests), which may sit in a
    /// large last-level cache.
    /// `in_cache_limit` is the largest file (all files of an operation
    /// together) whose bytes count as coming from the CPU's caches.
    pub fn new(dir: &Path, quick: bool, in_cache_limit: u64) -> io::Result<CostBook> {
        let scratch_bytes = if quick {
            QUICK_SCRATCH_BYTES
        } else {
            SCRATCH_BYTES
        };
        let scratch = dir.join("unit-costs.bin");
        let mut file = File::create(&scratch).map_err(|e| with_path(e, &scratch))?;
        file.write_all(&file_contents(SEED, 0, scratch_bytes))
            .and_then(|_| file.sync_data())
            .map_err(|e| with_path(e, &scratch))?;
        drop(file);
        let mut book = CostBook {
            costs: Vec::new(),
            scratch,
            scratch_bytes,
            in_cache_limit,
        };
        book.measure_fixed()
            .map_err(|e| with_path(e, &book.scratch))?;
        Ok(book)
    }

    /// A book of given costs, for tests of the arithmetic.
    #[cfg(test)]
    pub(crate) fn from_costs(costs: Vec<UnitCost>, in_cache_limit: u64) -> CostBook {
        CostBook {
            costs,
            scratch: PathBuf::from("/nonexistent/unit-costs.bin"),
            scratch_bytes: SCRATCH_BYTES,
            in_cache_limit,
        }
    }

    /// Every unit cost measured so far.
    pub fn costs(&self) -> &[UnitCost] {
        &self.costs
    }

    /// The largest operation input that counts as coming from the caches.
    pub fn in_cache_limit(&self) -> u64 {
        self.in_cache_limit
    }

    /// A named cost (`in_cache` for per-byte costs), if measured.
    pub fn get(&self, name: &str, in_cache: Option<bool>) -> Option<f64> {
        self.costs
            .iter()
            .find(|c| c.name == name && c.in_cache == in_cache && c.chunk.is_none())
            .map(|c| c.value)
    }

    /// The copy cost per byte for calls of `chunk` bytes into a buffer at
    /// `offset`, from memory in or beyond the caches.
    pub fn copy(&self, chunk: u64, offset: u64, in_cache: bool) -> Option<f64> {
        self.costs
            .iter()
            .find(|c| {
                c.name == "copy"
                    && c.chunk == Some(chunk)
                    && c.buffer_page_offset == Some(offset)
                    && c.in_cache == Some(in_cache)
            })
            .map(|c| c.value)
    }

    /// Measures the copy cost for `chunk`-byte reads into a buffer at
    /// `offset`, in and beyond the caches, unless already measured.
    pub fn ensure_copy(&mut self, chunk: u64, offset: u64) -> io::Result<()> {
        if self.copy(chunk, offset, true).is_some() {
            return Ok(());
        }
        let call = self.get("read_call", None).unwrap_or(0.0);
        let file = File::open(&self.scratch).map_err(|e| with_path(e, &self.scratch))?;
        for in_cache in [true, false] {
            let source = if in_cache {
                IN_CACHE_BYTES.max(chunk)
            } else {
                self.scratch_bytes
            };
            let chunk_len = chunk.min(source) as usize;
            let mut buffer = PlacedBuffer::new(chunk_len, offset as usize);
            let passes = (self.scratch_bytes / source).max(1);
            let calls = passes * source.div_ceil(chunk_len as u64);
            let time = median_time(|| {
                for _ in 0..passes {
                    let mut at = 0;
                    while at < source {
                        let got = file.read_at(buffer.as_mut_slice(), at)?;
                        at += got.max(1) as u64;
                    }
                }
                Ok(())
            })?;
            let bytes = (passes * source) as f64;
            let value = ((time.as_nanos() as f64 - calls as f64 * call) / bytes).max(0.0);
            self.costs.push(UnitCost {
                name: "copy".to_string(),
                chunk: Some(chunk),
                buffer_page_offset: Some(offset),
                in_cache: Some(in_cache),
                value,
                unit: "ns per byte".to_string(),
                how: format!(
                    "pread of {chunk} bytes per call into a buffer {offset} bytes past a page boundary, over {} of a warm file, {} times; the median of {REPEATS}, less {calls} x read_call, per byte",
                    human(source),
                    passes
                ),
            });
        }
        Ok(())
    }

    /// The cost of a minor fault on a warm file of `size` bytes, written as
    /// the run writes its files (one write), with its share of unmapping.
    pub fn file_fault(&self, size: u64) -> Option<f64> {
        let size = size.min(self.scratch_bytes);
        self.costs
            .iter()
            .find(|c| c.name == "file_fault" && c.chunk == Some(size))
            .map(|c| c.value)
    }

    /// The consume step's cost per byte over a faulted-in map of a warm
    /// file of `size` bytes (sizes above the scratch file's use its figure).
    pub fn consume_map(&self, size: u64) -> Option<f64> {
        let size = size.min(self.scratch_bytes);
        self.costs
            .iter()
            .find(|c| c.name == "consume_map" && c.chunk == Some(size))
            .map(|c| c.value)
    }

    /// Measures [`CostBook::file_fault`] (and [`CostBook::consume_map`]) for files of `size` bytes (sizes
    /// above the scratch file's use its figure), unless already measured.
    /// How many pages one fault maps depends on the file's size and on how
    /// the page cache holds it (fault-around, large folios), and so does the
    /// cost of a fault.
    pub fn ensure_fault(&mut self, size: u64) -> io::Result<()> {
        let size = size.min(self.scratch_bytes);
        if self.file_fault(size).is_some() {
            return Ok(());
        }
        let path = self
            .scratch
            .with_file_name(format!("unit-costs-{size}.bin"));
        let measured = measure_file_fault(&path, size, self.in_cache_limit);
        let _ = std::fs::remove_file(&path);
        let (value, faults, rounds, fold) = measured.map_err(|e| with_path(e, &path))?;
        self.costs.push(UnitCost {
            name: "consume_map".to_string(),
            chunk: Some(size),
            buffer_page_offset: None,
            in_cache: None,
            value: fold,
            unit: "ns per byte".to_string(),
            how: format!(
                "the fold over a map of a warm {} file written in one write, already faulted in, {rounds} times, the median of {REPEATS}; files larger than the in-cache limit are evicted from the CPU's caches before each timing",
                human(size)
            ),
        });
        self.costs.push(UnitCost {
            name: "file_fault".to_string(),
            chunk: Some(size),
            buffer_page_offset: None,
            in_cache: None,
            value,
            unit: "ns per fault".to_string(),
            how: format!(
                "map a warm {} file written in one write, read one byte per page, unmap, {rounds} times: the time beyond an untouched map and unmap, per minor fault ({faults} per map; one fault may map many pages)",
                human(size)
            ),
        });
        Ok(())
    }

    fn measure_fixed(&mut self) -> io::Result<()> {
        let file = File::open(&self.scratch)?;
        // Warm the whole file.
        let mut buffer = PlacedBuffer::new(1 << 20, 0);
        let mut at = 0;
        while at < self.scratch_bytes {
            at += file.read_at(buffer.as_mut_slice(), at)?.max(1) as u64;
        }

        const CALLS: u32 = 20_000;
        let mut one = PlacedBuffer::new(1, 0);
        let read_call = per(
            median_time(|| {
                for _ in 0..CALLS {
                    black_box(file.read_at(one.as_mut_slice(), 0)?);
                }
                Ok(())
            })?,
            CALLS.into(),
        );
        self.push("read_call", None, read_call, "ns per call", format!("pread of 1 byte from a warm file, {CALLS} calls, the median of {REPEATS} batches: the fixed cost of a read or write call"));

        let fd = std::os::fd::AsRawFd::as_raw_fd(&file);
        let other_call = per(
            median_time(|| {
                for _ in 0..CALLS {
                    // SAFETY: a valid descriptor; seeking a regular file has no other effect.
                    black_box(unsafe { libc::lseek(fd, 0, libc::SEEK_SET) });
                }
                Ok(())
            })?,
            CALLS.into(),
        );
        self.push("other_call", None, other_call, "ns per call", format!("lseek on a warm file, {CALLS} calls, the median of {REPEATS} batches: the cost of a call that moves no data (lseek, statx...)"));

        const OPENS: u32 = 2_000;
        let open_close = per(
            median_time(|| {
                for _ in 0..OPENS {
                    drop(File::open(&self.scratch)?);
                }
                Ok(())
            })?,
            OPENS.into(),
        );
        self.push(
            "open_close",
            None,
            open_close,
            "ns per file",
            format!("File::open and close of a warm file, {OPENS} times, the median of {REPEATS}"),
        );

        self.measure_consume()?;
        self.measure_faults(&file)?;
        Ok(())
    }

    /// The consume step's cost per byte over a buffer in the caches and over
    /// one beyond them, and a user-space copy in the caches (what
    /// `BufReader` adds: buffer to the program's piece).
    fn measure_consume(&mut self) -> io::Result<()> {
        let small = file_contents(SEED, 1, IN_CACHE_BYTES);
        let rounds = (self.scratch_bytes / IN_CACHE_BYTES).max(1);
        let in_cache = median_time(|| {
            for _ in 0..rounds {
                let mut fold = Fold::new();
                fold.update(black_box(&small));
                black_box(fold.finish());
            }
            Ok(())
        })?;
        let bytes = (rounds * IN_CACHE_BYTES) as f64;
        self.push(
            "consume",
            Some(true),
            in_cache.as_nanos() as f64 / bytes,
            "ns per byte",
            format!(
                "the fold over a {} buffer, {rounds} times, the median of {REPEATS}",
                human(IN_CACHE_BYTES)
            ),
        );
        let big = file_contents(SEED, 2, self.scratch_bytes);
        let beyond = median_time(|| {
            let mut fold = Fold::new();
            fold.update(black_box(&big));
            black_box(fold.finish());
            Ok(())
        })?;
        self.push(
            "consume",
            Some(false),
            beyond.as_nanos() as f64 / self.scratch_bytes as f64,
            "ns per byte",
            format!(
                "the fold over a {} heap buffer once, the median of {REPEATS}",
                human(self.scratch_bytes)
            ),
        );
        let mut target = vec![0u8; 512];
        let copy = median_time(|| {
            for _ in 0..rounds {
                for piece in small.chunks(512) {
                    target[..piece.len()].copy_from_slice(black_box(piece));
                    black_box(&target);
                }
            }
            Ok(())
        })?;
        self.push("user_copy", Some(true), copy.as_nanos() as f64 / bytes, "ns per byte", format!("copy_from_slice in 512-byte pieces out of a {} buffer, {rounds} times, the median of {REPEATS}: BufReader's copy from its buffer to the program", human(IN_CACHE_BYTES)));
        Ok(())
    }

    /// A map call, and a fault on fresh anonymous memory.
    fn measure_faults(&mut self, file: &File) -> io::Result<()> {
        let len = self.scratch_bytes as usize;
        let page = crate::buffer::page_size();
        // SAFETY: the scratch file is private to this run and not truncated.
        let untouched = median_time(|| {
            let map = unsafe { memmap2::Mmap::map(file)? };
            drop(black_box(map));
            Ok(())
        })?;
        self.push(
            "map_call",
            None,
            untouched.as_nanos() as f64 / 2.0,
            "ns per call",
            format!(
                "mmap and munmap of a warm {} file, untouched, the median of {REPEATS}, halved",
                human(self.scratch_bytes)
            ),
        );
        let mut anon_faults = 0;
        let anon = median_time(|| {
            let before = minor_faults()?;
            // Fresh anonymous memory, as glibc maps a large Vec's block.
            let mut fresh = memmap2::MmapMut::map_anon(len)?;
            for at in (0..len).step_by(page) {
                fresh[at] = 1;
            }
            black_box(&fresh);
            drop(fresh);
            anon_faults = minor_faults()? - before;
            Ok(())
        })?;
        self.push("anon_fault", None, anon.as_nanos() as f64 / anon_faults.max(1) as f64, "ns per fault", format!("fresh anonymous memory ({}), one byte written per page, unmapped: per minor fault ({anon_faults} faults), zeroing included (what fs::read's vector pays when malloc maps it fresh)", human(self.scratch_bytes)));
        Ok(())
    }

    fn push(&mut self, name: &str, in_cache: Option<bool>, value: f64, unit: &str, how: String) {
        self.costs.push(UnitCost {
            name: name.to_string(),
            chunk: None,
            buffer_page_offset: None,
            in_cache,
            value,
            unit: unit.to_string(),
            how,
        });
    }
}

impl Drop for CostBook {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.scratch);
    }
}

/// Per-fault cost of mapping, touching every page of and unmapping a warm
/// file of `size` bytes at `path`: (nanoseconds, faults per map, maps per run).
/// Also measures the consume step over such a map once it is faulted in
/// (per byte): a file's page cache may be mapped in large folios, which
/// a heap buffer of the same size is not, and the fold runs at a different
/// speed over each. Returns (fault ns, faults per map, maps per run, fold ns
/// per byte).
fn measure_file_fault(
    path: &Path,
    size: u64,
    in_cache_limit: u64,
) -> io::Result<(f64, u64, u64, f64)> {
    let mut file = File::create(path)?;
    file.write_all(&file_contents(SEED, 3, size))?;
    file.sync_data()?;
    drop(file);
    let file = File::open(path)?;
    let rounds = (SCRATCH_BYTES / size).clamp(1, 1000);
    let page = crate::buffer::page_size();
    // SAFETY: the file is private to this run and not truncated.
    let untouched = median_time(|| {
        for _ in 0..rounds {
            drop(black_box(unsafe { memmap2::Mmap::map(&file)? }));
        }
        Ok(())
    })?;
    let mut faults = 0;
    let touched = median_time(|| {
        let before = minor_faults()?;
        for _ in 0..rounds {
            // SAFETY: as above.
            let map = unsafe { memmap2::Mmap::map(&file)? };
            let mut sum = 0u8;
            for at in (0..map.len()).step_by(page) {
                sum = sum.wrapping_add(map[at]);
            }
            black_box(sum);
        }
        faults = (minor_faults()? - before) / rounds;
        Ok(())
    })?;
    let extra = touched.saturating_sub(untouched).as_nanos() as f64 / rounds as f64;
    // SAFETY: as above.
    let map = unsafe { memmap2::Mmap::map(&file)? };
    // A file too large for the caches is, in a run, evicted from them by
    // the other methods between samples: fold it after evicting it here too.
    let evict = (size > in_cache_limit).then(|| vec![1u8; EVICT_BYTES]);
    let mut times = Vec::with_capacity(REPEATS);
    for _ in 0..REPEATS {
        if let Some(other) = &evict {
            black_box(crate::checksum::checksum(black_box(other)));
        }
        let start = Instant::now();
        for _ in 0..rounds {
            let mut fold = Fold::new();
            fold.update(black_box(&map));
            black_box(fold.finish());
        }
        times.push(start.elapsed());
    }
    let fold = crate::stats::median(&times).expect("REPEATS is not zero");
    let fold_per_byte = fold.as_nanos() as f64 / (rounds * size) as f64;
    Ok((extra / faults.max(1) as f64, faults, rounds, fold_per_byte))
}

/// The median of [`REPEATS`] timed runs of `work`, after one untimed run.
fn median_time(mut work: impl FnMut() -> io::Result<()>) -> io::Result<Duration> {
    work()?;
    let mut times = Vec::with_capacity(REPEATS);
    for _ in 0..REPEATS {
        let start = Instant::now();
        work()?;
        times.push(start.elapsed());
    }
    Ok(crate::stats::median(&times).expect("REPEATS is not zero"))
}

fn per(time: Duration, count: u64) -> f64 {
    time.as_nanos() as f64 / count as f64
}

/// Minor faults of the calling thread so far (read outside any clock).
fn minor_faults() -> io::Result<u64> {
    // SAFETY: rusage is plain data; getrusage fills it.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: the pointer is valid for one rusage.
    if unsafe { libc::getrusage(libc::RUSAGE_THREAD, &mut usage) } != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(usage.ru_minflt as u64)
}

fn human(bytes: u64) -> String {
    crate::units::ExactSize(bytes).to_string()
}

fn with_path(e: io::Error, path: &Path) -> io::Error {
    io::Error::new(e.kind(), format!("{}: {e}", path.display()))
}
