//! One scenario as one criterion group: ids are `method label/size`, and the
//! throughput is the operation's payload, so criterion prints GB/s.
//!
//! A size's files are generated on first use, so a benchmark the filter
//! skips costs nothing. Every method is verified against the in-memory
//! reference before it is timed. Only the operation is timed: set-up
//! (restoring an overwritten range, removing a file to be created, evicting
//! the cache for cold runs) happens between iterations, outside the clock.

use crate::counters;
use anyhow::Context;
use criterion::{AxisScale, BenchmarkId, Criterion, PlotConfiguration, Throughput};
use mmap_lab::fixture::Fixture;
use mmap_lab::method::{self, IoMethod};
use mmap_lab::probe::Probe;
use mmap_lab::runner::space_needed;
use mmap_lab::scenario::{Cache, Scenario};
use mmap_lab::units::ExactSize;
use mmap_lab::workdir::WorkDir;
use std::fmt::Display;
use std::hint::black_box;
use std::time::{Duration, Instant};

/// Benchmarks every method of `scenario` at each of `sizes`.
pub fn bench_scenario(
    criterion: &mut Criterion,
    scenario: &Scenario,
    sizes: &[u64],
    work: &WorkDir,
    probe: &mut Probe,
) -> anyhow::Result<()> {
    let methods: Vec<(&str, Box<dyn IoMethod>)> = scenario
        .methods
        .iter()
        .map(|spec| (spec.label.as_str(), method::for_kind(&spec.kind)))
        .collect();
    let mut group = criterion.benchmark_group(&scenario.name);
    group.plot_config(PlotConfiguration::default().summary_scale(AxisScale::Logarithmic));
    for &size in sizes {
        group.throughput(Throughput::Bytes(scenario.operation.payload_bytes(size)));
        let mut fixture: Option<Fixture> = None;
        for (label, method) in &methods {
            let cell = Cell {
                scenario,
                size,
                label,
            };
            let mut ran = false;
            group.bench_function(BenchmarkId::new(*label, ExactSize(size)), |bencher| {
                let fixture = fixture.get_or_insert_with(|| cell.generate(work));
                if !ran {
                    cell.verify(fixture, method.as_ref());
                    ran = true;
                }
                bencher.iter_custom(|iters| cell.time(fixture, method.as_ref(), iters));
            });
            if let (true, Some(fixture)) = (ran, &fixture) {
                let (counted, resident) = cell.count(fixture, method.as_ref(), probe)?;
                println!("{}", counters::describe(&counted, resident));
            }
        }
        if let Some(fixture) = fixture {
            let at = format!("scenario {:?}, size {}", scenario.name, ExactSize(size));
            fixture
                .verify_files_after_samples(&scenario.operation)
                .map_err(anyhow::Error::msg)
                .with_context(|| format!("{at}: the files after timing"))?;
            fixture
                .remove()
                .with_context(|| format!("{at}: removing files"))?;
        }
    }
    group.finish();
    Ok(())
}

/// One method at one size of one scenario.
struct Cell<'a> {
    scenario: &'a Scenario,
    size: u64,
    label: &'a str,
}

impl Cell<'_> {
    /// Generates the size's files; inside criterion's closure, so it panics on error.
    fn generate(&self, work: &WorkDir) -> Fixture {
        let needed = space_needed(self.scenario, &[self.size]);
        self.expect(
            "checking free space",
            work.ensure_space(needed, "the benchmark's files"),
        );
        self.expect(
            "generating files",
            Fixture::generate(self.scenario, self.size, work.path()),
        )
    }

    /// Runs the operation once, untimed, and checks it against the reference.
    fn verify(&self, fixture: &Fixture, method: &dyn IoMethod) {
        let op = &self.scenario.operation;
        self.expect("preparing", fixture.prepare(self.scenario, Cache::Warm));
        let outcome = self.expect("verifying", fixture.execute(op, method));
        self.expect("verifying", fixture.verify(op, outcome));
    }

    /// Total time of `iters` operations, each after its own untimed set-up.
    fn time(&self, fixture: &Fixture, method: &dyn IoMethod, iters: u64) -> Duration {
        let op = &self.scenario.operation;
        let mut total = Duration::ZERO;
        for _ in 0..iters {
            self.expect(
                "preparing",
                fixture.prepare(self.scenario, self.scenario.cache),
            );
            let start = Instant::now();
            let outcome = fixture.execute(op, method);
            total += start.elapsed();
            black_box(self.expect("running", outcome));
        }
        total
    }

    /// Counters of one more operation, prepared as the timed ones were, and
    /// the resident fraction of the inputs before it (cold runs only).
    fn count(
        &self,
        fixture: &Fixture,
        method: &dyn IoMethod,
        probe: &mut Probe,
    ) -> anyhow::Result<(mmap_lab::results::Counters, Option<f64>)> {
        let resident = fixture
            .prepare(self.scenario, self.scenario.cache)
            .with_context(|| self.at("preparing the counted run"))?;
        let (outcome, _, counted) = probe
            .measure(|| fixture.execute(&self.scenario.operation, method))
            .with_context(|| self.at("reading counters"))?;
        outcome.with_context(|| self.at("the counted run"))?;
        Ok((counted, resident))
    }

    fn at(&self, doing: &str) -> String {
        format!(
            "scenario {:?}, size {}, method {:?}: {doing}",
            self.scenario.name,
            ExactSize(self.size),
            self.label
        )
    }

    /// Unwraps, or panics naming the cell: criterion's closures cannot return errors.
    fn expect<T, E: Display>(&self, doing: &str, result: Result<T, E>) -> T {
        result.unwrap_or_else(|e| panic!("{}: {e}", self.at(doing)))
    }
}
