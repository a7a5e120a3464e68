//! Verify, then measure: runs one scenario's cells and returns their results.
//!
//! For each size the input files are generated once. Every method is first
//! run and checked against the in-memory reference (a mismatch stops the run,
//! naming scenario, size and method); then the timed samples go round-robin
//! over the methods, so slow drift in the machine touches all of them alike.
//! Set-up that must not be timed (restoring an overwritten range, removing a
//! file to be created, evicting the cache) happens before the clock starts.
//! Timed samples run with no counter open; the counters come from separate
//! counted operations afterwards. When asked, fio then runs on the same
//! files (see [`crate::fio`]), with no clock of ours running.

use crate::fio::{self, PeerTool};
use crate::fixture::{Fixture, Sample, VerifyError};
use crate::folio::CacheLayout;
use crate::method::Unavailable;
use crate::perf::open_perf_events;
use crate::probe::Probe;
use crate::results::{Cell, Counters, PeerLine, ScenarioResult, SkippedCell};
use crate::sampling::{Plan, Spread, Stop};
use crate::scenario::{MethodSpec, Scenario};
use crate::stats::median;
use crate::units::ExactSize;
use crate::vocab::Cache;
use crate::workdir::WorkDir;
use std::io;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// Largest size `--quick` keeps, and the most samples it takes.
pub const QUICK_MAX_SIZE: u64 = 16 << 20;
/// Samples per cell under `--quick`.
pub const QUICK_SAMPLES: u32 = 3;
/// Counted operations per cell, after the timed ones; the counters are
/// their medians.
pub const COUNTED_SAMPLES: u32 = 3;
/// Counted operations of a cell whose operation takes longer than
/// [`SLOW_OPERATION`]: one (its counters barely vary, its time is dear).
pub const COUNTED_SAMPLES_SLOW: u32 = 1;
/// An operation this long is counted [`COUNTED_SAMPLES_SLOW`] times.
pub const SLOW_OPERATION: Duration = Duration::from_millis(20);
/// A timed sample lasts at least this long: shorter operations are timed
/// in bursts of back-to-back operations (as criterion does), at most
/// [`MAX_BURST`] of them.
pub const MIN_SAMPLE: Duration = Duration::from_micros(200);
/// Most operations in one timed sample.
pub const MAX_BURST: u32 = 1000;

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
    /// The scenario takes `steps` more steps than announced (a cell took
    /// more samples than its floor).
    fn more_steps(&self, _steps: u64) {}
}

/// A progress sink that shows nothing.
pub struct NoProgress;

impl Progress for NoProgress {
    fn scenario_started(&self, _: &str, _: u64) {}
    fn step(&self, _: &str) {}
}

/// The sizes and sample floor a scenario runs with, after `--quick` (see
/// [`crate::sampling`] for how many samples a cell then takes).
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
    peer_failures: Vec<String>,
}

impl<'a> Runner<'a> {
    /// A runner measuring on the calling thread.
    pub fn new(probe: Probe, work: &'a WorkDir, interrupted: &'a AtomicBool) -> Runner<'a> {
        Runner {
            probe,
            work,
            interrupted,
            peer_failures: Vec::new(),
        }
    }

    /// The peer jobs that failed since the last call, one line each; their
    /// cells have no peer line.
    pub fn take_peer_failures(&mut self) -> Vec<String> {
        std::mem::take(&mut self.peer_failures)
    }

    /// The probe, for recording how syscalls were counted.
    pub fn probe(&self) -> &Probe {
        &self.probe
    }

    /// Verifies and measures every cell of `scenario`; with `peer`, runs
    /// its equivalent job beside every cell that has one, after the size's
    /// samples and before its files are removed.
    pub fn run(
        &mut self,
        scenario: &Scenario,
        quick: bool,
        progress: &dyn Progress,
        peer: Option<&dyn PeerTool>,
    ) -> Result<ScenarioResult, RunError> {
        let (sizes, samples) = effective_plan(scenario, quick);
        let plan = Plan::new(samples, quick);
        progress.scenario_started(
            &scenario.name,
            sizes.len() as u64
                * scenario.methods.len() as u64
                * (samples + COUNTED_SAMPLES + 1) as u64,
        );
        let mut cells = Vec::new();
        let mut peers = Vec::new();
        let mut skipped = Vec::new();
        for &size in &sizes {
            let place = Place::new(scenario, size);
            let fixture = self.generate(&place)?;
            let (active, begun) =
                self.verify_methods(&place, &fixture, samples, &mut skipped, progress)?;
            let series = self.take_samples(&place, &fixture, &active, &plan, begun, progress)?;
            // The timed samples must have left the files as verified.
            fixture
                .verify_files_after_samples()
                .map_err(|detail| place.mismatch("(after timed samples)", detail))?;
            let bytes = scenario.operation.payload_bytes(size);
            let split = fixture.split();
            let sized: Vec<Cell> = active
                .iter()
                .zip(series)
                .map(|(spec, series)| Cell {
                    split: split.clone(),
                    ..series.into_cell(spec, size, bytes)
                })
                .collect();
            if let Some(tool) = peer {
                peers.extend(self.run_peers(&place, &fixture, &active, &sized, tool)?);
            }
            fixture
                .remove()
                .map_err(|e| place.io("removing files", e))?;
            cells.extend(sized);
        }
        Ok(ScenarioResult {
            name: scenario.name.clone(),
            about: scenario.about.clone(),
            operation: scenario.operation.kind(),
            cache: scenario.cache,
            cache_fill: scenario.cache_fill,
            operation_params: scenario.operation.params_json(),
            threads: scenario.operation.threads(),
            file: scenario.file.display().to_string(),
            cells,
            peers,
            skipped,
        })
    }

    /// Runs the fio job equivalent to each of one size's `cells` on the
    /// fixture's files, one after another; a job that fails is noted in
    /// [`Runner::take_peer_failures`] and leaves its cell without a peer.
    fn run_peers(
        &mut self,
        place: &Place,
        fixture: &Fixture,
        methods: &[&MethodSpec],
        cells: &[Cell],
        tool: &dyn PeerTool,
    ) -> Result<Vec<PeerLine>, RunError> {
        let output = self.work.path().join("fio-output.bin");
        let mut lines = Vec::new();
        for (&spec, cell) in methods.iter().zip(cells) {
            self.check_interrupt()?;
            let loops = fio::loops_for(Duration::from_nanos(cell.median_ns));
            let Some(job) = fio::job_for(
                place.scenario,
                spec,
                place.size,
                fixture.input_paths(),
                &output,
                loops,
            ) else {
                continue;
            };
            match run_median(tool, &job) {
                Ok((figures, runs)) => lines.push(PeerLine {
                    label: cell.label.clone(),
                    size: cell.size,
                    engine: job.engine.to_string(),
                    options: job.options_json(),
                    command: tool.command(&job),
                    fio_version: tool.version().to_string(),
                    loops: job.loops,
                    throughput_bytes_per_sec: figures.throughput_bytes_per_sec,
                    runs_bytes_per_sec: runs,
                    iops: figures.iops,
                    latency_ns: figures.latency_ns,
                    ratio: cell.throughput_bytes_per_sec / figures.throughput_bytes_per_sec,
                    notes: job.notes.join("; "),
                }),
                Err(e) => self.peer_failures.push(format!(
                    "peer line skipped for {} {}: {e}",
                    place.name(),
                    spec.label
                )),
            }
        }
        Ok(lines)
    }

    /// Makes room for and generates the files of one size.
    fn generate(&self, place: &Place) -> Result<Fixture, RunError> {
        let scenario = place.scenario;
        self.work
            .ensure_space(
                space_needed(scenario, &[place.size]),
                &format!("scenario {}", scenario.name),
            )
            .map_err(|e| place.io("checking free space", e))?;
        crate::limits::ensure_memory_available(scenario, place.size)
            .map_err(|e| place.io("checking free memory", e))?;
        Fixture::generate(scenario, place.size, self.work.path())
            .map_err(|e| place.io("generating files", e))
    }

    /// Runs every method once against the reference (the first mismatch
    /// stops the run), then times one operation of each to choose its burst:
    /// how many operations one timed sample takes (an operation that needs
    /// no burst keeps that timing as its first sample). A method this
    /// machine cannot run ([`Unavailable`]) is noted in `skipped` and left
    /// out; the methods that run come back with their series begun.
    fn verify_methods<'s>(
        &self,
        place: &Place<'s>,
        fixture: &Fixture,
        samples: u32,
        skipped: &mut Vec<SkippedCell>,
        progress: &dyn Progress,
    ) -> Result<(Vec<&'s MethodSpec>, Vec<Series>), RunError> {
        let mut active = Vec::new();
        let mut begun = Vec::new();
        for spec in &place.scenario.methods {
            self.check_interrupt()?;
            let available = spec.kind.io().check_available(self.work.path());
            match available
                .map_err(VerifyError::Io)
                .and_then(|()| fixture.verify_method(spec.kind.io()))
            {
                Ok(_) => {}
                Err(VerifyError::Io(e)) => match Unavailable::reason_of(&e) {
                    Some(reason) => {
                        skipped.push(SkippedCell {
                            method: spec.kind.name(),
                            label: spec.label.clone(),
                            size: place.size,
                            reason,
                        });
                        // The steps its samples would have taken, so the
                        // progress bar still ends full.
                        for _ in 0..=samples + COUNTED_SAMPLES {
                            progress.step(&format!("{} {} skipped", place.name(), spec.label));
                        }
                        continue;
                    }
                    None => return Err(place.io(&spec.label, e)),
                },
                Err(VerifyError::Mismatch(detail)) => {
                    return Err(place.mismatch(&spec.label, detail));
                }
            }
            let started = Instant::now();
            let once = fixture
                .timed_sample(spec.kind.io(), 1)
                .map_err(|e| place.io(&spec.label, e))?;
            let burst = burst_for(once.elapsed);
            let mut series = Series {
                burst,
                ..Series::default()
            };
            // An operation long enough to be timed alone was just timed
            // as a sample is: keep it as the first one.
            if burst == 1 {
                series.spent = started.elapsed();
                series.push(once);
            }
            begun.push(series);
            active.push(spec);
            progress.step(&format!("{} {} verified", place.name(), spec.label));
        }
        Ok((active, begun))
    }

    /// Takes timed samples of every method in rounds, round-robin so slow
    /// drift in the machine touches all methods alike, each cell until
    /// `plan` says it has enough, with no counter open (checked), the
    /// methods that bypass the page cache in rounds of their own after the
    /// others; then [`COUNTED_SAMPLES`] counted ones, round-robin.
    fn take_samples(
        &mut self,
        place: &Place,
        fixture: &Fixture,
        methods: &[&MethodSpec],
        plan: &Plan,
        mut series: Vec<Series>,
        progress: &dyn Progress,
    ) -> Result<Vec<Series>, RunError> {
        // Every method of this size reads the same layout: record it once,
        // before the clock starts. A cold operation evicts it first, and an
        // operation that creates its file has none to read.
        if place.scenario.cache == Cache::Warm && place.scenario.operation.input_files() > 0 {
            let layout = fixture
                .layout()
                .map_err(|e| place.io("reading the page-cache layout", e))?;
            for one in &mut series {
                one.layout_before = Some(layout.clone());
            }
        }
        let open = open_perf_events().map_err(|e| place.io("listing open perf events", e))?;
        if open > 0 {
            return Err(place.io(
                "timing",
                io::Error::other(format!(
                    "{open} perf event(s) open: timed samples must run with no counter open"
                )),
            ));
        }
        // Methods that wait on the device whatever the cache holds (O_DIRECT)
        // take their samples after the others: interleaved, their long
        // waits slowed the next warm operations by up to 1.9x.
        for device_bound in [false, true] {
            loop {
                let mut sampled = false;
                for (spec, series) in methods.iter().zip(&mut series) {
                    if spec.kind.facts().bypasses_page_cache != device_bound
                        || series.stopped.is_some()
                    {
                        continue;
                    }
                    series.stopped = plan.stop(&series.samples_ns, series.spent);
                    if series.stopped.is_some() {
                        continue;
                    }
                    self.check_interrupt()?;
                    let started = Instant::now();
                    let sample = fixture
                        .timed_sample(spec.kind.io(), series.burst)
                        .map_err(|e| place.io(&spec.label, e))?;
                    series.spent += started.elapsed();
                    series.push(sample);
                    if series.samples_ns.len() as u32 > plan.floor {
                        progress.more_steps(1);
                    }
                    progress.step(&format!("{} {}", place.name(), spec.label));
                    sampled = true;
                }
                if !sampled {
                    break;
                }
            }
        }
        self.probe
            .start_counting()
            .map_err(|e| place.io("opening the counters", e))?;
        let counted = self.take_counted_samples(place, fixture, methods, &mut series, progress);
        self.probe.stop_counting();
        counted?;
        Ok(series)
    }

    /// [`COUNTED_SAMPLES`] counted samples of every method, round-robin, in
    /// the probe's counting session ([`COUNTED_SAMPLES_SLOW`] of a method
    /// whose operation takes longer than [`SLOW_OPERATION`]).
    fn take_counted_samples(
        &mut self,
        place: &Place,
        fixture: &Fixture,
        methods: &[&MethodSpec],
        series: &mut [Series],
        progress: &dyn Progress,
    ) -> Result<(), RunError> {
        // Cold operations and writes make the layout they leave: record it
        // after each method's last operation.
        let leaves_layout =
            place.scenario.cache == Cache::Cold || place.scenario.operation.writes();
        for round in 0..COUNTED_SAMPLES {
            for (spec, series) in methods.iter().zip(series.iter_mut()) {
                if round >= series.counted_rounds() {
                    progress.step(&format!("{} {} counted", place.name(), spec.label));
                    continue;
                }
                self.check_interrupt()?;
                let (sample, _) = fixture
                    .counted_sample(spec.kind.io(), &mut self.probe)
                    .map_err(|e| place.io(&spec.label, e))?;
                series.push(sample);
                if leaves_layout && round + 1 == series.counted_rounds() {
                    series.layout_after = Some(
                        fixture
                            .layout()
                            .map_err(|e| place.io("reading the page-cache layout", e))?,
                    );
                }
                progress.step(&format!("{} {} counted", place.name(), spec.label));
            }
        }
        Ok(())
    }

    fn check_interrupt(&self) -> Result<(), RunError> {
        if self.interrupted.load(Ordering::SeqCst) {
            Err(RunError::Interrupted)
        } else {
            Ok(())
        }
    }
}

/// Runs `job` [`fio::PEER_RUNS`] times; returns the figures of the run
/// with the median throughput (as a cell's time is a median) and every
/// run's throughput, in run order.
fn run_median(
    tool: &dyn PeerTool,
    job: &fio::Job,
) -> Result<(fio::FioFigures, Vec<f64>), fio::FioError> {
    let mut runs = Vec::new();
    for _ in 0..fio::PEER_RUNS {
        runs.push(tool.run(job)?);
    }
    let throughputs: Vec<f64> = runs.iter().map(|r| r.throughput_bytes_per_sec).collect();
    runs.sort_by(|a, b| {
        a.throughput_bytes_per_sec
            .total_cmp(&b.throughput_bytes_per_sec)
    });
    let middle = runs.swap_remove(runs.len() / 2);
    Ok((middle, throughputs))
}

/// Operations per timed sample for an operation that took `once`: enough
/// to last [`MIN_SAMPLE`], at most [`MAX_BURST`].
fn burst_for(once: Duration) -> u32 {
    let once = once.as_nanos().max(1);
    let wanted = MIN_SAMPLE.as_nanos().div_ceil(once);
    wanted.clamp(1, u128::from(MAX_BURST)) as u32
}

/// One size of one scenario, for progress lines and errors.
struct Place<'a> {
    scenario: &'a Scenario,
    size: u64,
    size_text: String,
}

impl<'a> Place<'a> {
    fn new(scenario: &'a Scenario, size: u64) -> Place<'a> {
        Place {
            scenario,
            size,
            size_text: ExactSize(size).to_string(),
        }
    }

    /// `scenario size`, as progress lines show it.
    fn name(&self) -> String {
        format!("{} {}", self.scenario.name, self.size_text)
    }

    fn io(&self, doing: &str, source: io::Error) -> RunError {
        RunError::Io {
            scenario: self.scenario.name.clone(),
            size: self.size_text.clone(),
            doing: doing.to_string(),
            source,
        }
    }

    fn mismatch(&self, method: &str, detail: String) -> RunError {
        RunError::Verification {
            scenario: self.scenario.name.clone(),
            size: self.size_text.clone(),
            method: method.to_string(),
            detail,
        }
    }
}

/// The samples of one method at one size, in run order.
#[derive(Default)]
struct Series {
    burst: u32,
    /// Wall time its timed samples took, preparation included.
    spent: Duration,
    /// Why it took no more timed samples (`None` while it goes on).
    stopped: Option<Stop>,
    samples_ns: Vec<u64>,
    counted_samples_ns: Vec<u64>,
    counters: Vec<Counters>,
    resident_before: Vec<f64>,
    resident_after: Vec<f64>,
    buffer_page_offsets: Vec<u64>,
    layout_before: Option<CacheLayout>,
    layout_after: Option<CacheLayout>,
}

impl Series {
    /// Adds a sample: a counted one to the counted series, a timed one to
    /// the timings, residency and buffer placement.
    fn push(&mut self, sample: Sample) {
        let nanos = sample.elapsed.as_nanos() as u64;
        match sample.counters {
            Some(counters) => {
                self.counted_samples_ns.push(nanos);
                self.counters.push(counters);
            }
            None => {
                self.samples_ns.push(nanos);
                self.resident_before.extend(sample.resident_before);
                self.resident_after.extend(sample.resident_after);
                self.buffer_page_offsets.extend(sample.buffer_page_offset);
            }
        }
    }

    /// How many counted operations it takes: fewer when one is slow.
    fn counted_rounds(&self) -> u32 {
        let slow = median(&self.samples_ns)
            .is_some_and(|ns| Duration::from_nanos(ns) * self.burst > SLOW_OPERATION);
        if slow {
            COUNTED_SAMPLES_SLOW
        } else {
            COUNTED_SAMPLES
        }
    }

    /// The result cell: medians of times, counters and residency.
    fn into_cell(self, spec: &MethodSpec, size: u64, bytes: u64) -> Cell {
        let spread = Spread::of(&self.samples_ns, self.stopped.unwrap_or(Stop::Budget));
        Cell {
            counted_samples_ns: self.counted_samples_ns,
            counters: Counters::median(&self.counters),
            buffer_page_offset: median(&self.buffer_page_offsets),
            resident_before: median(&self.resident_before),
            resident_after: median(&self.resident_after),
            layout_before: self.layout_before,
            layout_after: self.layout_after,
            spread: Some(spread),
            ..Cell::measured(
                &spec.kind,
                spec.label.clone(),
                size,
                bytes,
                self.samples_ns,
                self.burst,
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_operations_are_timed_in_bursts_of_at_least_200_microseconds() {
        assert_eq!(burst_for(Duration::from_micros(1)), 200);
        assert_eq!(burst_for(Duration::from_micros(3)), 67);
        assert_eq!(burst_for(Duration::from_micros(200)), 1);
        assert_eq!(burst_for(Duration::from_millis(5)), 1);
        assert_eq!(burst_for(Duration::from_nanos(10)), MAX_BURST);
        assert_eq!(burst_for(Duration::ZERO), MAX_BURST);
    }
}
