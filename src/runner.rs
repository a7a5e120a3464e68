//! Verify, then measure: runs one scenario's cells and returns their results.
//!
//! For each size the input files are generated once. Every method is first
//! run and checked against the in-memory reference (a mismatch stops the run,
//! naming scenario, size and method); then the timed samples go round-robin
//! over the methods, so slow drift in the machine touches all of them alike.
//! Set-up that must not be timed (restoring an overwritten range, removing a
//! file to be created, evicting the cache) happens before the probe starts.

use crate::cache;
use crate::checksum::{Fold, checksum};
use crate::method::{self, IoMethod, to_usize};
use crate::probe::{Probe, median_counters};
use crate::results::{Cell, Counters, ScenarioResult};
use crate::scenario::{Cache, MethodSpec, Operation, Scenario};
use crate::units::ExactSize;
use crate::workdir::WorkDir;
use crate::workload::{InputFiles, file_contents, patch_contents, record_offsets};
use std::fs;
use std::io;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

/// Largest size `--quick` keeps, and the most samples it takes.
pub const QUICK_MAX_SIZE: u64 = 16 << 20;
/// Samples per cell under `--quick`.
pub const QUICK_SAMPLES: u32 = 3;

/// Why a scenario could not be measured.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// A method's output differed from the reference.
    #[error(
        "verification failed in scenario {scenario:?}, size {size}, method {method:?}: {detail}"
    )]
    Verification {
        /// Scenario name.
        scenario: String,
        /// File size, printed.
        size: String,
        /// Method label.
        method: String,
        /// What differed.
        detail: String,
    },
    /// An I/O error, with what was being done.
    #[error("scenario {scenario:?}, size {size}, {doing}: {source}")]
    Io {
        /// Scenario name.
        scenario: String,
        /// File size, printed.
        size: String,
        /// What was being done (a method label or a set-up step).
        doing: String,
        /// The underlying error.
        source: io::Error,
    },
    /// Ctrl-C (or SIGTERM) arrived.
    #[error("interrupted")]
    Interrupted,
}

/// Receives progress: one step per verification and per timed sample.
pub trait Progress {
    /// A scenario starts, with its number of steps.
    fn scenario_started(&self, name: &str, steps: u64);
    /// One step finished; `what` says which cell.
    fn step(&self, what: &str);
}

/// A progress sink that shows nothing.
pub struct NoProgress;

impl Progress for NoProgress {
    fn scenario_started(&self, _: &str, _: u64) {}
    fn step(&self, _: &str) {}
}

/// The sizes and sample count a scenario runs with, after `--quick`.
pub fn effective_plan(scenario: &Scenario, quick: bool) -> (Vec<u64>, u32) {
    if !quick {
        return (scenario.sizes.clone(), scenario.samples);
    }
    let mut sizes: Vec<u64> = scenario
        .sizes
        .iter()
        .copied()
        .filter(|&s| s <= QUICK_MAX_SIZE)
        .collect();
    if sizes.is_empty() {
        sizes.push(
            *scenario
                .sizes
                .iter()
                .min()
                .expect("validated: sizes is not empty"),
        );
    }
    (sizes, scenario.samples.min(QUICK_SAMPLES))
}

/// Disk bytes a scenario needs at its largest size.
pub fn space_needed(scenario: &Scenario, sizes: &[u64]) -> u64 {
    let largest = sizes.iter().copied().max().unwrap_or(0);
    let files = scenario.operation.input_files().max(1);
    largest * files
}

/// Runs scenarios on one thread with one probe, in one work directory.
pub struct Runner<'a> {
    probe: Probe,
    work: &'a WorkDir,
    interrupted: &'a AtomicBool,
}

/// Everything one size of one scenario needs: files, reference, expectations.
struct Fixture {
    inputs: InputFiles,
    output: PathBuf,
    patch: Vec<u8>,
    offsets: Vec<u64>,
    /// What sequential_write puts in the output file.
    write_source: Vec<u8>,
    expected_checksum: u64,
}

impl<'a> Runner<'a> {
    /// A runner measuring on the calling thread.
    pub fn new(probe: Probe, work: &'a WorkDir, interrupted: &'a AtomicBool) -> Runner<'a> {
        Runner {
            probe,
            work,
            interrupted,
        }
    }

    /// The probe, for recording how syscalls were counted.
    pub fn probe(&self) -> &Probe {
        &self.probe
    }

    /// Verifies and measures every cell of `scenario`.
    pub fn run(
        &mut self,
        scenario: &Scenario,
        quick: bool,
        progress: &dyn Progress,
    ) -> Result<ScenarioResult, RunError> {
        let (sizes, samples) = effective_plan(scenario, quick);
        let methods: Vec<(MethodSpec, Box<dyn IoMethod>)> = scenario
            .methods
            .iter()
            .map(|spec| (spec.clone(), method::for_kind(&spec.kind)))
            .collect();
        progress.scenario_started(
            &scenario.name,
            sizes.len() as u64 * methods.len() as u64 * (samples as u64 + 1),
        );
        let mut cells = Vec::new();
        for &size in &sizes {
            let size_text = ExactSize(size).to_string();
            let io_error = |doing: &str, source: io::Error| RunError::Io {
                scenario: scenario.name.clone(),
                size: size_text.clone(),
                doing: doing.to_string(),
                source,
            };
            self.work
                .ensure_space(
                    space_needed(scenario, &[size]),
                    &format!("scenario {}", scenario.name),
                )
                .map_err(|e| io_error("checking free space", e))?;
            let fixture = Fixture::generate(scenario, size, self.work.path())
                .map_err(|e| io_error("generating files", e))?;
            for (spec, method) in &methods {
                self.check_interrupt()?;
                fixture
                    .prepare(scenario, Cache::Warm)
                    .map_err(|e| io_error(&spec.label, e))?;
                let outcome = fixture.execute(&scenario.operation, method.as_ref());
                let outcome = outcome.map_err(|e| io_error(&spec.label, e))?;
                fixture
                    .verify(&scenario.operation, outcome)
                    .map_err(|detail| RunError::Verification {
                        scenario: scenario.name.clone(),
                        size: size_text.clone(),
                        method: spec.label.clone(),
                        detail,
                    })?;
                progress.step(&format!(
                    "{} {size_text} {} verified",
                    scenario.name, spec.label
                ));
            }
            let mut timings = vec![Vec::new(); methods.len()];
            let mut counters = vec![Vec::new(); methods.len()];
            let mut residency = vec![Vec::new(); methods.len()];
            for _ in 0..samples {
                for (index, (spec, method)) in methods.iter().enumerate() {
                    self.check_interrupt()?;
                    let resident = fixture
                        .prepare(scenario, scenario.cache)
                        .map_err(|e| io_error(&format!("preparing {}", spec.label), e))?;
                    let (outcome, elapsed, sample_counters) = self
                        .probe
                        .measure(|| fixture.execute(&scenario.operation, method.as_ref()))
                        .map_err(|e| io_error("reading counters", e))?;
                    outcome.map_err(|e| io_error(&spec.label, e))?;
                    timings[index].push(elapsed.as_nanos() as u64);
                    counters[index].push(sample_counters);
                    if let Some(fraction) = resident {
                        residency[index].push(fraction);
                    }
                    progress.step(&format!("{} {size_text} {}", scenario.name, spec.label));
                }
            }
            // The timed samples must have left the files as verified.
            fixture
                .verify_files_after_samples(&scenario.operation)
                .map_err(|detail| RunError::Verification {
                    scenario: scenario.name.clone(),
                    size: size_text.clone(),
                    method: "(after timed samples)".to_string(),
                    detail,
                })?;
            for (index, (spec, _)) in methods.iter().enumerate() {
                cells.push(make_cell(
                    spec,
                    size,
                    scenario.operation.payload_bytes(size),
                    std::mem::take(&mut timings[index]),
                    median_counters(&counters[index]),
                    median(&residency[index]),
                ));
            }
            fixture
                .remove()
                .map_err(|e| io_error("removing files", e))?;
        }
        Ok(ScenarioResult {
            name: scenario.name.clone(),
            about: scenario.about.clone(),
            operation: scenario.operation.name().to_string(),
            cache: scenario.cache.name().to_string(),
            operation_params: scenario.operation.params_json(),
            file: scenario.file.display().to_string(),
            cells,
        })
    }

    fn check_interrupt(&self) -> Result<(), RunError> {
        if self.interrupted.load(Ordering::SeqCst) {
            Err(RunError::Interrupted)
        } else {
            Ok(())
        }
    }
}

fn make_cell(
    spec: &MethodSpec,
    size: u64,
    bytes: u64,
    samples_ns: Vec<u64>,
    counters: Counters,
    resident_before: Option<f64>,
) -> Cell {
    let mut sorted = samples_ns.clone();
    sorted.sort_unstable();
    let median_ns = sorted[sorted.len() / 2].max(1);
    Cell {
        method: spec.kind.name().to_string(),
        params: spec.kind.params_json(),
        label: spec.label.clone(),
        size,
        bytes,
        median_ns,
        min_ns: sorted[0],
        max_ns: sorted[sorted.len() - 1],
        throughput_bytes_per_sec: bytes as f64 / median_ns as f64 * 1e9,
        samples_ns,
        verified: true,
        counters,
        resident_before,
    }
}

fn median(values: &[f64]) -> Option<f64> {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    sorted.get(sorted.len() / 2).copied()
}

impl Fixture {
    fn generate(scenario: &Scenario, size: u64, dir: &Path) -> io::Result<Fixture> {
        let op = scenario.operation;
        let inputs = InputFiles::generate(dir, scenario.seed, size, op.input_files())?;
        let patch = match op {
            Operation::Overwrite { len, .. } | Operation::CopyOnWrite { len, .. } => {
                patch_contents(scenario.seed, len)
            }
            _ => Vec::new(),
        };
        let offsets = match op {
            Operation::RandomRead { count, record } => {
                record_offsets(scenario.seed, size, record, count)
            }
            _ => Vec::new(),
        };
        let write_source = match op {
            Operation::SequentialWrite { .. } => file_contents(scenario.seed, 0, size),
            _ => Vec::new(),
        };
        let output = dir.join("output.bin");
        let mut fixture = Fixture {
            inputs,
            output,
            patch,
            offsets,
            write_source,
            expected_checksum: 0,
        };
        fixture.expected_checksum = fixture.reference_checksum(&op);
        Ok(fixture)
    }

    /// The checksum a correct read-type method produces, computed in memory.
    fn reference_checksum(&self, op: &Operation) -> u64 {
        let first = self.inputs.contents.first();
        match *op {
            Operation::SequentialRead => checksum(first.expect("one input")),
            Operation::RandomRead { record, .. } => {
                let bytes = first.expect("one input");
                let mut fold = Fold::new();
                for &offset in &self.offsets {
                    fold.update(&bytes[to_usize(offset)..to_usize(offset + record)]);
                }
                fold.finish()
            }
            Operation::Slice { start, end } => {
                checksum(&first.expect("one input")[to_usize(start)..to_usize(end)])
            }
            Operation::CopyOnWrite { offset, .. } => {
                let mut changed = first.expect("one input").clone();
                changed[to_usize(offset)..to_usize(offset) + self.patch.len()]
                    .copy_from_slice(&self.patch);
                checksum(&changed)
            }
            Operation::ManyFiles { .. } => {
                let mut fold = Fold::new();
                for bytes in &self.inputs.contents {
                    fold.update(bytes);
                }
                fold.finish()
            }
            Operation::SequentialWrite { .. } | Operation::Overwrite { .. } => 0,
        }
    }

    /// Untimed set-up before one operation: undo the last overwrite, remove
    /// the file to be created, and for cold runs evict the inputs. Returns the
    /// resident fraction of the inputs for cold runs.
    fn prepare(&self, scenario: &Scenario, cache: Cache) -> io::Result<Option<f64>> {
        match scenario.operation {
            Operation::Overwrite { offset, len, .. } => {
                let original = &self.inputs.contents[0][to_usize(offset)..to_usize(offset + len)];
                fs::OpenOptions::new()
                    .write(true)
                    .open(&self.inputs.paths[0])?
                    .write_all_at(original, offset)?;
            }
            Operation::SequentialWrite { .. } => match fs::remove_file(&self.output) {
                Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
                _ => {}
            },
            _ => {}
        }
        if cache == Cache::Warm || self.inputs.paths.is_empty() {
            return Ok(None);
        }
        let mut resident = 0.0;
        for path in &self.inputs.paths {
            resident += cache::evict(path)?;
        }
        Ok(Some(resident / self.inputs.paths.len() as f64))
    }

    /// Runs the operation once; returns the checksum of what a read consumed
    /// (0 for pure writes).
    fn execute(&self, op: &Operation, method: &dyn IoMethod) -> io::Result<u64> {
        let mut fold = Fold::new();
        let first = self.inputs.paths.first();
        match *op {
            Operation::SequentialRead => method.read_file(first.expect("one input"), &mut fold)?,
            Operation::RandomRead { record, .. } => {
                method.read_records(first.expect("one input"), &self.offsets, record, &mut fold)?
            }
            Operation::Slice { start, end } => {
                method.read_range(first.expect("one input"), start, end, &mut fold)?
            }
            Operation::Overwrite { offset, sync, .. } => {
                method.overwrite(first.expect("one input"), offset, &self.patch, sync)?
            }
            Operation::SequentialWrite { sync } => {
                method.create(&self.output, &self.write_source, sync)?
            }
            Operation::CopyOnWrite { offset, .. } => method.change_private_copy(
                first.expect("one input"),
                offset,
                &self.patch,
                &mut fold,
            )?,
            Operation::ManyFiles { .. } => {
                for path in &self.inputs.paths {
                    method.read_file(path, &mut fold)?;
                }
            }
        }
        Ok(fold.finish())
    }

    /// Checks one operation's outcome and the files it touched.
    fn verify(&self, op: &Operation, outcome: u64) -> Result<(), String> {
        match op {
            Operation::Overwrite { .. } | Operation::SequentialWrite { .. } => {
                self.verify_files_after_samples(op)
            }
            _ => {
                if outcome != self.expected_checksum {
                    return Err(format!(
                        "checksum of the consumed bytes is {outcome:#018x}, the reference is {:#018x}",
                        self.expected_checksum
                    ));
                }
                self.verify_files_after_samples(op)
            }
        }
    }

    /// Checks the files on disk: an overwritten file holds the patch and
    /// nothing else changed; a created file holds exactly its data; a file
    /// read through a private copy is unchanged.
    fn verify_files_after_samples(&self, op: &Operation) -> Result<(), String> {
        let read = |path: &Path| {
            fs::read(path).map_err(|e| format!("cannot read {} back: {e}", path.display()))
        };
        match *op {
            Operation::Overwrite { offset, .. } => {
                let on_disk = read(&self.inputs.paths[0])?;
                let original = &self.inputs.contents[0];
                let (start, end) = (to_usize(offset), to_usize(offset) + self.patch.len());
                if on_disk.len() != original.len() {
                    return Err(format!(
                        "the file is {} bytes, expected {}",
                        on_disk.len(),
                        original.len()
                    ));
                }
                if on_disk[start..end] != self.patch[..] {
                    return Err(format!("bytes {start}..{end} do not hold the data written"));
                }
                if on_disk[..start] != original[..start] || on_disk[end..] != original[end..] {
                    return Err("bytes outside the written range changed".to_string());
                }
                Ok(())
            }
            Operation::SequentialWrite { .. } => {
                let on_disk = read(&self.output)?;
                if on_disk != self.write_source {
                    return Err(format!(
                        "the created file ({} bytes) differs from the data written ({} bytes)",
                        on_disk.len(),
                        &self.write_source[..].len()
                    ));
                }
                Ok(())
            }
            Operation::CopyOnWrite { .. } => {
                if read(&self.inputs.paths[0])? != self.inputs.contents[0] {
                    return Err(
                        "the file on disk changed: a private copy must leave it alone".to_string(),
                    );
                }
                Ok(())
            }
            _ => Ok(()),
        }
    }

    fn remove(self) -> io::Result<()> {
        match fs::remove_file(&self.output) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
            _ => {}
        }
        self.inputs.remove()
    }
}
