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
use mmap_lab::fixture::{Fixture, Sample};
use mmap_lab::method::IoMethod;
use mmap_lab::probe::Probe;
use mmap_lab::results::Counters;
use mmap_lab::runner::space_needed;
use mmap_lab::scenario::Scenario;
use mmap_lab::units::ExactSize;
use mmap_lab::workdir::WorkDir;
use std::fmt::Display;

/// Benchmarks every method of `scenario` at each of `sizes`.
pub fn bench_scenario(
    criterion: &mut Criterion,
    scenario: &Scenario,
    sizes: &[u64],
    work: &WorkDir,
    probe: &mut Probe,
) -> anyhow::Result<()> {
    let mut group = criterion.benchmark_group(&scenario.name);
    group.plot_config(PlotConfiguration::default().summary_scale(AxisScale::Logarithmic));
    for &size in sizes {
        group.throughput(Throughput::Bytes(scenario.operation.payload_bytes(size)));
        let mut fixture: Option<Fixture> = None;
        for spec in &scenario.methods {
            let (label, method) = (spec.label.as_str(), spec.kind.io());
            let cell = Cell {
                scenario,
                size,
                label,
            };
            let mut ran = false;
            group.bench_function(BenchmarkId::new(label, ExactSize(size)), |bencher| {
                let fixture = fixture.get_or_insert_with(|| cell.generate(work));
                if !ran {
                    cell.expect("verifying", fixture.verify_method(method));
                    ran = true;
                }
                bencher.iter_custom(|iters| cell.expect("running", fixture.time(method, iters)));
            });
            if let (true, Some(fixture)) = (ran, &fixture) {
                let (sample, counted) = cell.count(fixture, method, probe)?;
                println!("{}", counters::describe(&counted, sample.resident_before));
            }
        }
        if let Some(fixture) = fixture {
            let at = format!("scenario {:?}, size {}", scenario.name, ExactSize(size));
            fixture
                .verify_files_after_samples()
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

    /// Counters of one more operation, prepared as the timed ones were.
    fn count(
        &self,
        fixture: &Fixture,
        method: &dyn IoMethod,
        probe: &mut Probe,
    ) -> anyhow::Result<(Sample, Counters)> {
        fixture
            .counted_sample(method, probe)
            .with_context(|| self.at("the counted run"))
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
