//! Unit costs, measured in the run on the measuring thread with no counter
//! open: what one system call, one byte copied from the page cache, one
//! page fault, one map call and one byte consumed cost on this machine.
//!
//! Per-byte costs depend on where the bytes come from: a file or buffer
//! read again and again stays in the CPU's caches when it fits them, and
//! copies and folds from there run several times faster than from memory.
//! So they are measured per source size, the way the run reads its files:
//! the first `source` bytes of a warm file (or a buffer), read again and
//! again. [`CostBook::new`] measures the fixed costs; the others are
//! measured for the chunk sizes, buffer placements and file sizes the
//! run's cells used ([`CostBook::ensure_copy`], [`CostBook::ensure_file`]).

use crate::buffer::PlacedBuffer;
use crate::checksum::Fold;
use crate::fill::CacheFill;
use crate::results::UnitCost;
use crate::workload::file_contents;
use std::fs::File;
use std::hint::black_box;
use std::io::{self, Write};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Bytes of the scratch file the costs are measured on: larger than the
/// last-level cache of common machines, so the largest sources come from
/// memory. Sources larger than this use its figures.
const SCRATCH_BYTES: u64 = 64 << 20;
/// The smaller scratch file of a quick book (tests).
const QUICK_SCRATCH_BYTES: u64 = 16 << 20;
/// The buffer a read()-style method folds right after copying into it is
/// at most this large in the measurement of folding "in the caches".
pub const CHUNK_SOURCE: u64 = 256 << 10;
/// The last-level cache assumed when the machine does not say.
const DEFAULT_LAST_LEVEL_CACHE: u64 = 8 << 20;
/// Repetitions of each measurement; the median is kept, as the cells keep
/// the median of their samples.
const REPEATS: usize = 7;
/// Most calls (reads, folds, maps) one pass set of a measurement makes:
/// what bounds the unit-cost step whatever the run's chunks and sizes. A
/// 1-byte chunk would otherwise mean 67 million one-byte reads per pass
/// over the scratch file; capped, a measurement takes well under a second
/// and its per-call and per-byte figures come from the same calls.
pub const MAX_CALLS_PER_MEASUREMENT: u64 = 1 << 16;
/// Seed of the scratch files' contents.
const SEED: u64 = 77;

/// The run's unit costs, measured once each, and the scratch file they are
/// measured on (removed when the book is dropped).
pub struct CostBook {
    costs: Vec<UnitCost>,
    scratch: PathBuf,
    scratch_bytes: u64,
    /// The scratch file's bytes, for folds over heap memory (and for
    /// evicting other data from the caches).
    heap: Vec<u8>,
    /// The last-level cache's size: sources too large to stay in it while a
    /// run's other methods work are measured evicted (see [`CostBook::evicts`]).
    last_level_cache: u64,
    /// Copies of the scratch file laid out in the page cache otherwise than
    /// in one write, made when a cell read such a layout.
    laid_out: Vec<(CacheFill, PathBuf)>,
}

impl CostBook {
    /// Writes a scratch file in `dir` and measures the fixed unit costs;
    /// `quick` uses a smaller scratch file (for tests). `last_level_cache`
    /// is the CPU's L3 (or largest) cache in bytes, if known.
    pub fn new(dir: &Path, quick: bool, last_level_cache: Option<u64>) -> io::Result<CostBook> {
        let scratch_bytes = if quick {
            QUICK_SCRATCH_BYTES
        } else {
            SCRATCH_BYTES
        };
        let scratch = dir.join("unit-costs.bin");
        let heap = file_contents(SEED, 0, scratch_bytes);
        write_synced(&scratch, &heap).map_err(|e| with_path(e, &scratch))?;
        let mut book = CostBook {
            costs: Vec::new(),
            scratch,
            scratch_bytes,
            heap,
            last_level_cache: last_level_cache.unwrap_or(DEFAULT_LAST_LEVEL_CACHE),
            laid_out: Vec::new(),
        };
        book.measure_fixed()
            .map_err(|e| with_path(e, &book.scratch))?;
        Ok(book)
    }

    /// A book of given costs, for tests of the arithmetic.
    #[cfg(test)]
    pub(crate) fn from_costs(costs: Vec<UnitCost>) -> CostBook {
        CostBook {
            costs,
            scratch: PathBuf::from("/nonexistent/unit-costs.bin"),
            scratch_bytes: SCRATCH_BYTES,
            heap: Vec::new(),
            last_level_cache: DEFAULT_LAST_LEVEL_CACHE,
            laid_out: Vec::new(),
        }
    }

    /// Whether a source of `bytes` is measured evicted from the caches
    /// before each pass: when twice its size (the file, and what the run's
    /// other methods touch between two samples: a vector as large, buffers)
    /// does not fit the last-level cache, a run finds it gone.
    pub fn evicts(&self, bytes: u64) -> bool {
        2 * bytes >= self.last_level_cache
    }

    /// Reads the whole heap buffer, pushing other data out of the caches.
    fn evict_caches(&self) {
        black_box(crate::checksum::checksum(black_box(&self.heap)));
    }

    /// Total time of `passes` runs of `pass`, each after evicting the
    /// caches (not timed) when `evict`; the median of [`REPEATS`] totals.
    fn time_passes(
        &self,
        passes: u64,
        evict: bool,
        mut pass: impl FnMut() -> io::Result<()>,
    ) -> io::Result<Duration> {
        pass()?;
        let mut totals = Vec::with_capacity(REPEATS);
        for _ in 0..REPEATS {
            crate::stop::check()?;
            let mut total = Duration::ZERO;
            for _ in 0..passes {
                if evict {
                    self.evict_caches();
                }
                let start = Instant::now();
                pass()?;
                total += start.elapsed();
            }
            totals.push(total);
        }
        Ok(crate::stats::median(&totals).expect("REPEATS is not zero"))
    }

    /// Every unit cost measured so far.
    pub fn costs(&self) -> &[UnitCost] {
        &self.costs
    }

    /// The source size a cost is measured for: `bytes`, at most the scratch file's.
    pub fn source_for(&self, bytes: u64) -> u64 {
        bytes.clamp(1, self.scratch_bytes)
    }

    /// A cost by name, chunk and source size (`None` where they do not apply).
    pub fn get(&self, name: &str, chunk: Option<u64>, source: Option<u64>) -> Option<f64> {
        self.costs
            .iter()
            .find(|c| c.name == name && c.chunk == chunk && c.source_bytes == source)
            .map(|c| c.value)
    }

    /// The copy cost per byte for calls of `chunk` bytes into a buffer at
    /// `offset` from a warm file of `source` bytes, laid out in the cache
    /// as `fill` says, read again and again.
    pub fn copy(&self, chunk: u64, offset: u64, source: u64, fill: CacheFill) -> Option<f64> {
        let source = self.source_for(source);
        self.costs
            .iter()
            .find(|c| {
                c.name == "copy"
                    && c.chunk == Some(chunk)
                    && c.buffer_page_offset == Some(offset)
                    && c.source_bytes == Some(source)
                    && c.cache_fill.unwrap_or_default() == fill
            })
            .map(|c| c.value)
    }

    /// The scratch file with its pages laid out in the cache as `fill`
    /// says: the one written in one write, or a copy made on first use.
    fn scratch_laid_out(&mut self, fill: CacheFill) -> io::Result<PathBuf> {
        if fill == CacheFill::OneWrite {
            return Ok(self.scratch.clone());
        }
        if let Some((_, path)) = self.laid_out.iter().find(|(f, _)| *f == fill) {
            return Ok(path.clone());
        }
        let path = self
            .scratch
            .with_file_name(format!("unit-costs-layout-{}.bin", self.laid_out.len()));
        fill.lay_out(&path, &self.heap)
            .map_err(|e| with_path(e, &path))?;
        self.laid_out.push((fill, path.clone()));
        Ok(path)
    }

    /// Measures [`CostBook::copy`] for these calls, source and layout,
    /// unless already measured.
    pub fn ensure_copy(
        &mut self,
        chunk: u64,
        offset: u64,
        source: u64,
        fill: CacheFill,
    ) -> io::Result<()> {
        let source = self.source_for(source);
        if self.copy(chunk, offset, source, fill).is_some() {
            return Ok(());
        }
        let call = self.get("read_call", None, None).unwrap_or(0.0);
        let scratch = self.scratch_laid_out(fill)?;
        let file = File::open(&scratch).map_err(|e| with_path(e, &scratch))?;
        let chunk_len = chunk.min(source) as usize;
        let mut buffer = PlacedBuffer::new(chunk_len, offset as usize);
        let (read, passes) = bounded_passes(self.scratch_bytes, source, chunk_len as u64);
        let calls = passes * read.div_ceil(chunk_len as u64);
        let evict = self.evicts(source);
        let time = self
            .time_passes(passes, evict, || {
                let mut at = 0;
                while at < read {
                    let got = file.read_at(buffer.as_mut_slice(), at)?;
                    at += got.max(1) as u64;
                }
                Ok(())
            })
            .map_err(|e| with_path(e, &self.scratch))?;
        let bytes = (passes * read) as f64;
        let value = ((time.as_nanos() as f64 - calls as f64 * call) / bytes).max(0.0);
        self.costs.push(UnitCost {
            name: "copy".to_string(),
            chunk: Some(chunk),
            buffer_page_offset: Some(offset),
            source_bytes: Some(source),
            cache_fill: Some(fill),
            value,
            unit: "ns per byte".to_string(),
            how: format!(
                "pread of {chunk} bytes per call into a buffer {offset} bytes past a page boundary over the first {} of a warm file {fill}{}, {passes} times{}; the median of {REPEATS}, less {calls} x read_call, per byte",
                human(read),
                if read < source {
                    format!(" (of a {} source: at most {MAX_CALLS_PER_MEASUREMENT} calls per measurement)", human(source))
                } else {
                    String::new()
                },
                evicted_note(evict)
            ),
        });
        Ok(())
    }

    /// A cost of a map of a file of `source` bytes whose pages came into
    /// the cache as `fill` says (`file_fault`, `consume_map`).
    pub fn file_cost(&self, name: &str, source: u64, fill: CacheFill) -> Option<f64> {
        self.costs
            .iter()
            .find(|c| {
                c.name == name && c.source_bytes == Some(source) && c.cache_fill == Some(fill)
            })
            .map(|c| c.value)
    }

    /// Measures what a file of `size` bytes costs a map and a whole-file
    /// read, unless already measured: a minor fault on a map of it and the
    /// fold over such a map, on a file laid out in the cache as `fill`
    /// says (one fault maps a whole folio), and the fold over a heap
    /// buffer of its size.
    pub fn ensure_file(&mut self, size: u64, fill: CacheFill) -> io::Result<()> {
        let size = self.source_for(size);
        if self.file_cost("file_fault", size, fill).is_some() {
            return Ok(());
        }
        let path = self
            .scratch
            .with_file_name(format!("unit-costs-{size}.bin"));
        let evict = self.evicts(size);
        let measured = measure_file(&path, size, fill, |passes, pass| {
            self.time_passes(passes, evict, pass)
        });
        let _ = std::fs::remove_file(&path);
        let map = measured.map_err(|e| with_path(e, &path))?;
        let heap_fold = self.fold_cost(size)?;
        let rounds = map.rounds;
        self.push_file("file_fault", size, fill, map.fault_ns, "ns per fault", format!("map a warm {} file {fill}, read one byte per page, unmap, {rounds} times: the time beyond an untouched map and unmap, per minor fault ({} per map; one fault may map many pages)", human(size), map.faults));
        self.push_file("consume_map", size, fill, map.fold_ns_per_byte, "ns per byte", format!("the fold over a map of that warm {} file, already faulted in, {rounds} times, the median of {REPEATS}", human(size)));
        if self.get("consume", None, Some(size)).is_some() {
            return Ok(());
        }
        self.push(
            "consume",
            Some(size),
            heap_fold,
            "ns per byte",
            format!(
                "the fold over a {} heap buffer, again and again, the median of {REPEATS}",
                human(size)
            ),
        );
        Ok(())
    }

    /// The fold's cost per byte over the first `source` bytes of the heap
    /// buffer, read again and again.
    fn fold_cost(&self, source: u64) -> io::Result<f64> {
        let bytes = &self.heap[..source as usize];
        let rounds = (self.scratch_bytes / source).clamp(1, MAX_CALLS_PER_MEASUREMENT);
        let time = self.time_passes(rounds, self.evicts(source), || {
            let mut fold = Fold::new();
            fold.update(black_box(bytes));
            black_box(fold.finish());
            Ok(())
        })?;
        Ok(time.as_nanos() as f64 / (rounds * source) as f64)
    }

    fn measure_fixed(&mut self) -> io::Result<()> {
        let file = File::open(&self.scratch)?;
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

        let chunk_fold = self.fold_cost(CHUNK_SOURCE)?;
        self.push("consume", Some(CHUNK_SOURCE), chunk_fold, "ns per byte", format!("the fold over a {} buffer, again and again, the median of {REPEATS}: what folding a chunk just copied in costs", human(CHUNK_SOURCE)));
        let source = &self.heap[..CHUNK_SOURCE as usize];
        let mut target = vec![0u8; 512];
        let rounds = (self.scratch_bytes / CHUNK_SOURCE).max(1);
        let copy = median_time(|| {
            for _ in 0..rounds {
                for piece in source.chunks(512) {
                    target[..piece.len()].copy_from_slice(black_box(piece));
                    black_box(&target);
                }
            }
            Ok(())
        })?;
        let bytes = (rounds * CHUNK_SOURCE) as f64;
        self.push("user_copy", None, copy.as_nanos() as f64 / bytes, "ns per byte", format!("copy_from_slice in 512-byte pieces out of a {} buffer, {rounds} times, the median of {REPEATS}: BufReader's copy from its buffer to the program", human(CHUNK_SOURCE)));

        self.measure_map_and_anonymous(&file)
    }

    /// A map call, and a fault on fresh anonymous memory.
    fn measure_map_and_anonymous(&mut self, file: &File) -> io::Result<()> {
        let len = self.scratch_bytes as usize;
        let page = crate::buffer::page_size();
        let untouched = median_time(|| {
            // SAFETY: the scratch file is private to this run and not truncated.
            drop(black_box(unsafe { memmap2::Mmap::map(file)? }));
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
        let mut faults = 0;
        let anon = median_time(|| {
            let before = crate::probe::thread_minor_faults()?;
            // Fresh anonymous memory, as glibc maps a large Vec's block.
            let mut fresh = memmap2::MmapMut::map_anon(len)?;
            for at in (0..len).step_by(page) {
                fresh[at] = 1;
            }
            black_box(&fresh);
            drop(fresh);
            faults = crate::probe::thread_minor_faults()? - before;
            Ok(())
        })?;
        self.push("anon_fault", None, anon.as_nanos() as f64 / faults.max(1) as f64, "ns per fault", format!("fresh anonymous memory ({}), one byte written per page, unmapped: per minor fault ({faults} faults), zeroing included (what fs::read's vector pays when malloc maps it fresh)", human(self.scratch_bytes)));
        Ok(())
    }

    fn push(&mut self, name: &str, source: Option<u64>, value: f64, unit: &str, how: String) {
        self.costs.push(UnitCost {
            name: name.to_string(),
            chunk: None,
            buffer_page_offset: None,
            source_bytes: source,
            cache_fill: None,
            value,
            unit: unit.to_string(),
            how,
        });
    }

    /// [`CostBook::push`] for a cost of a map of a file laid out as `fill` says.
    fn push_file(
        &mut self,
        name: &str,
        source: u64,
        fill: CacheFill,
        value: f64,
        unit: &str,
        how: String,
    ) {
        self.push(name, Some(source), value, unit, how);
        if let Some(cost) = self.costs.last_mut() {
            cost.cache_fill = Some(fill);
        }
    }
}

impl Drop for CostBook {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.scratch);
        for (_, path) in &self.laid_out {
            let _ = std::fs::remove_file(path);
        }
    }
}

/// What a map of a warm file costs.
struct MapCosts {
    fault_ns: f64,
    faults: u64,
    rounds: u64,
    fold_ns_per_byte: f64,
}

/// Writes a warm file of `size` bytes at `path`, laid out in the cache as
/// `fill` says (as the cells it stands for read theirs), and measures a map of it: the cost per minor fault of
/// mapping, touching every page and unmapping (beyond an untouched map and
/// unmap), and the fold over the mapped bytes once faulted in.
fn measure_file(
    path: &Path,
    size: u64,
    fill: CacheFill,
    time_passes: impl Fn(u64, &mut dyn FnMut() -> io::Result<()>) -> io::Result<Duration>,
) -> io::Result<MapCosts> {
    fill.lay_out(path, &file_contents(SEED, 3, size))?;
    let file = File::open(path)?;
    let rounds = (SCRATCH_BYTES / size).clamp(1, 1000);
    let page = crate::buffer::page_size();
    let untouched = median_time(|| {
        for _ in 0..rounds {
            // SAFETY: the file is private to this run and not truncated.
            drop(black_box(unsafe { memmap2::Mmap::map(&file)? }));
        }
        Ok(())
    })?;
    let mut faults = 0;
    let touched = median_time(|| {
        let before = crate::probe::thread_minor_faults()?;
        for _ in 0..rounds {
            // SAFETY: as above.
            let map = unsafe { memmap2::Mmap::map(&file)? };
            let mut sum = 0u8;
            for at in (0..map.len()).step_by(page) {
                sum = sum.wrapping_add(map[at]);
            }
            black_box(sum);
        }
        faults = (crate::probe::thread_minor_faults()? - before) / rounds;
        Ok(())
    })?;
    let extra = touched.saturating_sub(untouched).as_nanos() as f64 / rounds as f64;
    // SAFETY: as above.
    let map = unsafe { memmap2::Mmap::map(&file)? };
    let fold = time_passes(rounds, &mut || {
        let mut fold = Fold::new();
        fold.update(black_box(&map));
        black_box(fold.finish());
        Ok(())
    })?;
    Ok(MapCosts {
        fault_ns: extra / faults.max(1) as f64,
        faults,
        rounds,
        fold_ns_per_byte: fold.as_nanos() as f64 / (rounds * size) as f64,
    })
}

/// The bytes one pass of a copy measurement reads and the passes it
/// makes, for calls of `chunk` bytes over a `source` of a `scratch`-byte
/// file: the whole source, as many times as the scratch file holds it,
/// unless that makes more than [`MAX_CALLS_PER_MEASUREMENT`] calls; then
/// fewer passes, and at worst one pass over the first
/// `MAX_CALLS_PER_MEASUREMENT × chunk` bytes.
fn bounded_passes(scratch: u64, source: u64, chunk: u64) -> (u64, u64) {
    let chunk = chunk.max(1);
    let read = source.min(MAX_CALLS_PER_MEASUREMENT * chunk);
    let calls_per_pass = read.div_ceil(chunk);
    let passes = (scratch / read)
        .min(MAX_CALLS_PER_MEASUREMENT / calls_per_pass)
        .max(1);
    (read, passes)
}

/// How a measurement's `how` says the caches were emptied before each pass.
fn evicted_note(evict: bool) -> &'static str {
    if evict {
        ", the caches emptied before each pass (twice this size exceeds the last-level cache, so a run's other methods push it out)"
    } else {
        ""
    }
}

fn write_synced(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut file = File::create(path)?;
    file.write_all(bytes)?;
    file.sync_data()
}

/// The median of [`REPEATS`] timed runs of `work`, after one untimed run.
fn median_time(mut work: impl FnMut() -> io::Result<()>) -> io::Result<Duration> {
    work()?;
    let mut times = Vec::with_capacity(REPEATS);
    for _ in 0..REPEATS {
        crate::stop::check()?;
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
fn human(bytes: u64) -> String {
    crate::units::ExactSize(bytes).to_string()
}

fn with_path(e: io::Error, path: &Path) -> io::Error {
    io::Error::new(e.kind(), format!("{}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_copy_measurement_makes_a_bounded_number_of_calls_whatever_the_chunk() {
        for (source, chunk) in [
            (1, 1),
            (64 << 10, 1),
            (SCRATCH_BYTES, 1),
            (SCRATCH_BYTES, 4096),
            (4096, 4096),
        ] {
            let (read, passes) = bounded_passes(SCRATCH_BYTES, source, chunk);
            let calls = passes * read.div_ceil(chunk);
            assert!(
                calls <= MAX_CALLS_PER_MEASUREMENT,
                "{source} {chunk}: {calls}"
            );
            assert!(
                read <= source && read >= chunk.min(source),
                "{source} {chunk}: {read}"
            );
        }
        // Large chunks still read the whole scratch file's worth of bytes.
        assert_eq!(
            bounded_passes(SCRATCH_BYTES, 1 << 20, 1 << 20),
            (1 << 20, 64)
        );
    }
}
