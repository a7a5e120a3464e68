//! One size of one scenario made real: the generated input files, the data
//! to write, the offsets to read, and the reference every method's output is
//! checked against. It owns its operation and cache state, and offers the
//! things every door of the suite does with a method: verify it
//! ([`Fixture::verify_method`]), time it with no counter open
//! ([`Fixture::timed_sample`], [`Fixture::time`]) and count it
//! ([`Fixture::counted_sample`]). The runner, the criterion benches, the
//! lessons and the tests all go through these.

use crate::buffer::{PlacedBuffer, take_noted_offset};
use crate::cache;
use crate::checksum::Fold;
use crate::fill::CacheFill;
use crate::folio::CacheLayout;
use crate::method::IoMethod;
use crate::operation::{Files, Operation, Plan, ThreadPart};
use crate::probe::Probe;
use crate::results::Counters;
use crate::scenario::Scenario;
use crate::vocab::Cache;
use crate::workload::InputFiles;
use std::cell::RefCell;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::time::{Duration, Instant};

/// Why a method failed verification.
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    /// The operation itself failed.
    #[error("{0}")]
    Io(#[from] io::Error),
    /// It ran, but its output differs from the reference.
    #[error("{0}")]
    Mismatch(String),
}

/// One measured operation.
#[derive(Debug, Clone, Copy)]
pub struct Sample {
    /// Wall time of the operation alone.
    pub elapsed: Duration,
    /// What it cost, on the measuring thread (and the threads it shared
    /// the operation with); `None` for a timed sample, which runs with no
    /// counter open.
    pub counters: Option<Counters>,
    /// For cold runs, the fraction of the inputs still resident before it.
    pub resident_before: Option<f64>,
    /// For cold runs, the fraction of the inputs resident right after it.
    pub resident_after: Option<f64>,
    /// Where the buffer the kernel copied into or out of started (address
    /// modulo page size); `None` when nothing was copied through one (a map).
    pub buffer_page_offset: Option<u64>,
}

/// Everything one size of one scenario needs: files, reference, expectations.
pub struct Fixture {
    operation: Operation,
    cache: Cache,
    inputs: InputFiles,
    output: PathBuf,
    /// The operation's offsets and the data it writes.
    plan: Plan,
    /// Copies of the plan's data placed where methods asked (by page
    /// offset), made on first use.
    placed: RefCell<Vec<(usize, Rc<PlacedBuffer>)>>,
    /// The checksum a correct read produces; `None` for writes.
    expected_checksum: Option<u64>,
}

impl Fixture {
    /// Generates the input files of one size of `scenario` in `dir` and
    /// computes the reference.
    pub fn generate(scenario: &Scenario, size: u64, dir: &Path) -> io::Result<Fixture> {
        Fixture::new(
            scenario.operation,
            scenario.cache,
            scenario.cache_fill,
            scenario.seed,
            size,
            dir,
        )
    }

    /// Generates the input files for `operation` on files of `size` bytes
    /// from `seed` in `dir`, their pages brought into the page cache as
    /// `fill` says, and computes the reference; `cache` is the state each
    /// operation starts from.
    pub fn new(
        operation: Operation,
        cache: Cache,
        fill: CacheFill,
        seed: u64,
        size: u64,
        dir: &Path,
    ) -> io::Result<Fixture> {
        let inputs = InputFiles::generate(dir, seed, size, operation.input_files(), fill)?;
        let mut fixture = Fixture {
            operation,
            cache,
            inputs,
            output: dir.join("output.bin"),
            plan: operation.plan(seed, size),
            placed: RefCell::new(Vec::new()),
            expected_checksum: None,
        };
        fixture.expected_checksum = operation.reference(&fixture.files(), &fixture.plan);
        Ok(fixture)
    }

    /// The files the operation works on.
    fn files(&self) -> Files<'_> {
        Files {
            inputs: &self.inputs,
            output: &self.output,
        }
    }

    /// Sets the cache state later samples prepare (a lesson alternates them).
    pub fn set_cache(&mut self, cache: Cache) {
        self.cache = cache;
    }

    /// How the files the operation touches sit in the page cache now: the
    /// inputs, or the file it creates.
    pub fn layout(&self) -> io::Result<CacheLayout> {
        let paths: Vec<&Path> = if self.inputs.paths.is_empty() {
            vec![self.output.as_path()]
        } else {
            self.inputs.paths.iter().map(PathBuf::as_path).collect()
        };
        CacheLayout::of(&paths)
    }

    /// Brings the input files back into the page cache as `fill` says
    /// (rewriting them for the write fills, evicting and reading them back
    /// otherwise), so what follows reads that layout whatever the last
    /// operation left.
    pub fn refill(&self, fill: CacheFill) -> io::Result<()> {
        for (path, bytes) in self.inputs.paths.iter().zip(&self.inputs.contents) {
            fill.lay_out(path, bytes)?;
        }
        Ok(())
    }

    /// How threads share each operation, one entry per thread; `None`
    /// for one thread.
    pub fn split(&self) -> Option<Vec<ThreadPart>> {
        let size = self.inputs.contents.first().map_or(0, |c| c.len() as u64);
        self.operation.split(&self.plan, size)
    }

    /// The generated input files, in index order.
    pub fn input_paths(&self) -> &[PathBuf] {
        &self.inputs.paths
    }

    /// Runs `method` once on a warm cache, untimed, and checks its output
    /// and the files it touched against the reference. Returns the checksum
    /// of what it consumed (0 for pure writes).
    pub fn verify_method(&self, method: &dyn IoMethod) -> Result<u64, VerifyError> {
        self.prepare(Cache::Warm)?;
        let outcome = self.execute(method, &self.placed_data(method.write_source_offset()))?;
        self.verify(outcome).map_err(VerifyError::Mismatch)?;
        Ok(outcome)
    }

    /// Times a burst of `burst` back-to-back operations, each after its own
    /// untimed preparation (the cache state the scenario asks for), with no
    /// counter open. The sample's time is their mean: for operations of a
    /// few microseconds one clock reading per operation would measure the
    /// machine's state after other methods ran more than the operation.
    pub fn timed_sample(&self, method: &dyn IoMethod, burst: u32) -> io::Result<Sample> {
        take_noted_offset();
        let burst = burst.max(1);
        let (total, residency) = self.run_timed(method, burst.into())?;
        Ok(Sample {
            elapsed: total / burst,
            counters: None,
            resident_before: residency.map(|(before, _)| before),
            resident_after: residency.map(|(_, after)| after),
            buffer_page_offset: take_noted_offset(),
        })
    }

    /// Prepares as [`Fixture::timed_sample`] does, then runs `method` once
    /// under `probe`: the sample (whose time includes what counting costs)
    /// and its counters.
    pub fn counted_sample(
        &self,
        method: &dyn IoMethod,
        probe: &mut Probe,
    ) -> io::Result<(Sample, Counters)> {
        let data = self.placed_data(method.write_source_offset());
        let resident_before = self.prepare(self.cache)?;
        take_noted_offset();
        let (outcome, elapsed, mut counters) = probe.measure(|| self.execute(method, &data))?;
        self.check_checksum(outcome?)?;
        counters.bytes_copied = Some(method.bytes_copied(&counters));
        let sample = Sample {
            elapsed,
            counters: Some(counters),
            resident_before,
            resident_after: self.resident_after(resident_before)?,
            buffer_page_offset: take_noted_offset(),
        };
        Ok((sample, counters))
    }

    /// Total wall time of `iterations` operations, each after its own
    /// untimed preparation (criterion's `iter_custom`).
    pub fn time(&self, method: &dyn IoMethod, iterations: u64) -> io::Result<Duration> {
        Ok(self.run_timed(method, iterations)?.0)
    }

    /// Runs `method` `iterations` times, each after its own untimed
    /// preparation, timing the operations alone: their total time, and for
    /// cold runs the resident fraction before and after the last one.
    fn run_timed(
        &self,
        method: &dyn IoMethod,
        iterations: u64,
    ) -> io::Result<(Duration, Option<(f64, f64)>)> {
        let data = self.placed_data(method.write_source_offset());
        let mut resident_before = None;
        let mut total = Duration::ZERO;
        for _ in 0..iterations {
            resident_before = self.prepare(self.cache)?;
            let start = Instant::now();
            let outcome = self.execute(method, &data);
            total += start.elapsed();
            self.check_checksum(outcome?)?;
        }
        let after = self.resident_after(resident_before)?;
        Ok((total, resident_before.zip(after)))
    }

    /// For a cold run (one that measured `resident_before`), the resident
    /// fraction of the inputs now, after the operation.
    fn resident_after(&self, resident_before: Option<f64>) -> io::Result<Option<f64>> {
        if resident_before.is_none() {
            return Ok(None);
        }
        let mut resident = 0.0;
        for path in &self.inputs.paths {
            resident += cache::resident_fraction(path)?;
        }
        Ok(Some(resident / self.inputs.paths.len() as f64))
    }

    /// Untimed set-up before one operation: undo the last overwrite, remove
    /// the file to be created, and for cold runs evict the inputs. Returns the
    /// resident fraction of the inputs for cold runs.
    fn prepare(&self, cache: Cache) -> io::Result<Option<f64>> {
        self.operation.reset(&self.files(), &self.plan)?;
        if cache == Cache::Warm || self.inputs.paths.is_empty() {
            return Ok(None);
        }
        let mut resident = 0.0;
        for path in &self.inputs.paths {
            resident += cache::evict(path)?;
        }
        Ok(Some(resident / self.inputs.paths.len() as f64))
    }

    /// Runs the operation once, writing from `data` (looked up before any
    /// clock starts); returns the checksum of what a read consumed (0 for
    /// pure writes).
    fn execute(&self, method: &dyn IoMethod, data: &PlacedBuffer) -> io::Result<u64> {
        let mut fold = Fold::new();
        self.operation.execute(
            method,
            &self.files(),
            &self.plan,
            data.as_slice(),
            &mut fold,
        )?;
        Ok(fold.finish())
    }

    /// The data to write, starting `offset` bytes past a page boundary, so
    /// every write method copies out of a buffer placed alike (or as asked).
    fn placed_data(&self, offset: usize) -> Rc<PlacedBuffer> {
        let mut placed = self.placed.borrow_mut();
        if let Some((_, data)) = placed.iter().find(|(at, _)| *at == offset) {
            return Rc::clone(data);
        }
        let data = Rc::new(PlacedBuffer::copy_of(&self.plan.data, offset));
        placed.push((offset, Rc::clone(&data)));
        data
    }

    /// Checks one operation's outcome (the checksum of what it consumed,
    /// for a read) and the files it touched.
    fn verify(&self, outcome: u64) -> Result<(), String> {
        self.checksum_mismatch(outcome).map_or(Ok(()), Err)?;
        self.verify_files_after_samples()
    }

    /// Checks the checksum of a timed or counted operation against the
    /// reference after its clock stopped (a comparison of two numbers):
    /// every run is checked, threaded or not.
    fn check_checksum(&self, outcome: u64) -> io::Result<()> {
        match self.checksum_mismatch(outcome) {
            Some(mismatch) => Err(io::Error::other(mismatch)),
            None => Ok(()),
        }
    }

    /// Why `outcome` is not the reference checksum, if it is not.
    fn checksum_mismatch(&self, outcome: u64) -> Option<String> {
        let expected = self.expected_checksum?;
        (outcome != expected).then(|| {
            format!(
                "checksum of the consumed bytes is {outcome:#018x}, the reference is {expected:#018x}"
            )
        })
    }

    /// Checks the files on disk: an overwritten file holds the patch and
    /// nothing else changed; a created file holds exactly its data; a file
    /// read through a private copy is unchanged.
    pub fn verify_files_after_samples(&self) -> Result<(), String> {
        self.operation.check_files(&self.files(), &self.plan)
    }

    /// Removes the generated and created files.
    pub fn remove(self) -> io::Result<()> {
        match fs::remove_file(&self.output) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
            _ => {}
        }
        self.inputs.remove()
    }
}
