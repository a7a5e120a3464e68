//! Reports rendered from results: a self-contained `index.html` with charts,
//! `summary.md` with the same tables, and a comparison of two runs.
//!
//! ```no_run
//! use mmap_lab::results::Results;
//! use std::path::Path;
//!
//! let results = Results::load(Path::new("reports/results.json"))?;
//! mmap_lab::report::write_report(&results, Path::new("reports"))?;
//! # Ok::<(), anyhow::Error>(())
//! ```

mod charts;
pub mod compare;
mod findings;
pub(crate) mod format;
pub mod glance;
mod html;
mod layout;
mod markdown;
mod metrics;
mod narrative;
mod palette;
pub mod pressure;
mod table;

use crate::results::{Results, write_atomically};
use anyhow::Context;
pub(crate) use format::count as format_count;
pub(crate) use layout::{faults_text, histogram};
use std::path::{Path, PathBuf};

/// Where criterion puts its HTML report, relative to the current directory.
const CRITERION_REPORT: &str = "target/criterion/report/index.html";

/// Writes `index.html` and `summary.md` for a run into `out_dir` (created if missing).
pub fn write_report(results: &Results, out_dir: &Path) -> anyhow::Result<()> {
    let criterion = criterion_report();
    let page = html::report(results, criterion.as_deref())?;
    create_dir(out_dir)?;
    write_atomic(&out_dir.join("index.html"), &page)?;
    write_atomic(&out_dir.join("summary.md"), &markdown::summary(results))
}

/// Writes `compare.html` and `compare.md` of a judged comparison of two
/// runs into `out_dir`.
pub fn write_comparison(comparison: &compare::Comparison, out_dir: &Path) -> anyhow::Result<()> {
    let page = comparison.html()?;
    create_dir(out_dir)?;
    write_atomic(&out_dir.join("compare.html"), &page)?;
    write_atomic(&out_dir.join("compare.md"), &comparison.markdown())
}

/// criterion's report as an absolute path, when it exists under the current directory.
fn criterion_report() -> Option<PathBuf> {
    let path = Path::new(CRITERION_REPORT);
    path.is_file()
        .then(|| std::fs::canonicalize(path).ok())
        .flatten()
}

fn create_dir(dir: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))
}

/// Reports are written like results: whole or not at all.
fn write_atomic(path: &Path, contents: &str) -> anyhow::Result<()> {
    write_atomically(path, contents.as_bytes())
}
