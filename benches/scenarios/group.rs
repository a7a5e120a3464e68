//! One scenario as one criterion group: ids are `method label/size`, and the
//! throughput is the operation's payload, so criterion prints GB/s.
//!
//! A size's files are generated on first use, so a benchmark the filter
//! skips costs nothing. Every method is then verified against the in-memory
//! reference and counted once, all before anything of that size is timed,
//! so no counter is open while criterion's clock runs. Only the operation is timed: set-up
//! (restoring an overwritten range, removing a file to be created, evicting
//! the cache for cold runs) happens between iterations, outside the clock.

use crate::counters;
use anyhow::Context;
use criterion::{AxisScale, BenchmarkId, Criterion, PlotConfiguration, Throughput};
use mmap_lab::fixture::{Fixture, Sample};
use mmap_lab::method::Unavailable;
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
        // Generated on first use, with every method verified and counted
        // then, in one counting session, before anything of this size is
        // timed: closing the counters takes the kernel a few hundred
        // milliseconds, and none may be open while criterion times.
        let mut prepared: Option<(Fixture, Vec<Option<Counted>>)> = None;
        let unavailable = unavailable_methods(scenario, work)?;
        for (index, spec) in scenario.methods.iter().enumerate() {
            let (label, method) = (spec.label.as_str(), spec.kind.io());
            if let Some(reason) = &unavailable[index] {
                println!(
                    "{}/{label}/{}: skipped: {reason}",
                    scenario.name,
                    ExactSize(size)
                );
                continue;
            }
            let cell = Cell {
                scenario,
                size,
                label,
            };
            let mut ran = false;
            group.bench_function(BenchmarkId::new(label, ExactSize(size)), |bencher| {
                let (fixture, _) = prepared.get_or_insert_with(|| {
                    let fixture = cell.generate(work);
                    let counted = cell.expect(
                        "counting",
                        count_all(scenario, &unavailable, &fixture, probe),
                    );
                    (fixture, counted)
                });
                ran = true;
                bencher.iter_custom(|iters| cell.expect("running", fixture.time(method, iters)));
            });
            if let (true, Some((_, counted))) = (ran, &prepared)
                && let Some((sample, counters)) = &counted[index]
            {
                println!("{}", counters::describe(counters, sample.resident_before));
            }
        }
        let fixture = prepared.map(|(fixture, _)| fixture);
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

/// One counted operation: its sample and counters.
type Counted = (Sample, Counters);

/// Why each method of `scenario` cannot run here (`None` for those that
/// can): a file system that refuses O_DIRECT, io_uring switched off.
fn unavailable_methods(scenario: &Scenario, work: &WorkDir) -> anyhow::Result<Vec<Option<String>>> {
    scenario
        .methods
        .iter()
        .map(|spec| match spec.kind.io().check_available(work.path()) {
            Ok(()) => Ok(None),
            Err(e) => match Unavailable::reason_of(&e) {
                Some(reason) => Ok(Some(reason)),
                None => Err(anyhow::Error::new(e).context(format!("checking {:?}", spec.label))),
            },
        })
        .collect()
}

/// Verifies every available method of `scenario` on `fixture`, then
/// counts one operation of each, prepared as the timed ones are, in one
/// counting session; `None` for the unavailable ones.
fn count_all(
    scenario: &Scenario,
    unavailable: &[Option<String>],
    fixture: &Fixture,
    probe: &mut Probe,
) -> anyhow::Result<Vec<Option<Counted>>> {
    let available: Vec<_> = scenario
        .methods
        .iter()
        .zip(unavailable)
        .map(|(spec, reason)| reason.is_none().then_some(spec))
        .collect();
    for spec in available.iter().flatten() {
        fixture
            .verify_method(spec.kind.io())
            .with_context(|| format!("verifying {:?}", spec.label))?;
    }
    probe.start_counting()?;
    let counted: anyhow::Result<Vec<_>> = available
        .iter()
        .map(|spec| {
            spec.map(|spec| {
                fixture
                    .counted_sample(spec.kind.io(), probe)
                    .with_context(|| format!("counting {:?}", spec.label))
            })
            .transpose()
        })
        .collect();
    probe.stop_counting();
    counted
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
