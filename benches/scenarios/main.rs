//! Criterion benchmarks of every method × operation in the scenario files,
//! calling the library's own methods over files the library generates.
//!
//! Run with: cargo bench --bench scenarios
//!
//! Full sweep (every size, criterion's default sample counts):
//! `MMAP_LAB_BENCH_FULL=1 cargo bench --bench scenarios`. Counters are printed
//! under each benchmark's timing. See docs/benchmarking.md.

mod counters;
mod group;
mod plan;
mod settings;
mod source;

use criterion::Criterion;
use mmap_lab::probe::Probe;
use mmap_lab::workdir::{self, WorkDir};
use settings::Settings;

fn main() -> anyhow::Result<()> {
    mmap_lab::buffer::fix_heap_threshold();
    let settings = Settings::from_env();
    let scenarios = source::load()?;
    let work = WorkDir::create(None)?;
    workdir::clean_up_on_interrupt(false);
    // Created here, on the thread criterion runs every benchmark on.
    let mut probe = Probe::new()?;
    let mut criterion = settings
        .configure(Criterion::default())
        .configure_from_args();
    for scenario in &scenarios {
        let sizes = settings.sizes(scenario);
        group::bench_scenario(&mut criterion, scenario, &sizes, &work, &mut probe)?;
    }
    criterion.final_summary();
    Ok(())
}
