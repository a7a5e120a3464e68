//! The report of `mmap-lab pressure`: `index.html` (self-contained, a
//! timeline chart per run) and `summary.md`, rendered from the saved
//! `<name>.json` files of one output directory. [`figures`] reads a run's
//! numbers, [`findings`] decides what they show, [`words`] says it,
//! [`chart`] draws the timelines, [`page`] lays out both outputs.

mod chart;
mod figures;
mod findings;
mod page;
mod words;

use crate::lasting::command::PressureResults;
use anyhow::Context;
use std::path::{Path, PathBuf};

/// The largest pressure results file read back.
pub const MAX_RESULTS_FILE: u64 = 256 << 20;

/// Writes `index.html` and `summary.md` of `results` into `out_dir`.
pub fn write_report(results: &[PressureResults], out_dir: &Path) -> anyhow::Result<()> {
    super::create_dir(out_dir)?;
    super::write_atomic(&out_dir.join("index.html"), &page::html(results)?)?;
    super::write_atomic(&out_dir.join("summary.md"), &page::markdown(results))
}

/// What the counters of one scenario show, in the report's words (the
/// paragraph of its section).
pub(crate) fn paragraph(results: &PressureResults) -> String {
    words::paragraph(&findings::findings(results))
}

/// The pressure results files in `dir` (`*.json` that hold a pressure
/// scenario's results), in name order.
pub fn results_files(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("cannot read {}", dir.display()))?
        .filter_map(|e| Some(e.ok()?.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    Ok(files)
}

/// Reads one saved `<name>.json`; the error names the file.
pub fn load(path: &Path) -> anyhow::Result<PressureResults> {
    let text = crate::bounded_read::read_text(path, MAX_RESULTS_FILE, "pressure results")
        .with_context(|| format!("cannot read {}", path.display()))?;
    crate::strict_json::check(&text)
        .map_err(|e| anyhow::anyhow!("{}: {}", path.display(), e.message))?;
    serde_json::from_str(&text).with_context(|| {
        format!(
            "{} is not the results of a pressure scenario (mmap-lab pressure writes them)",
            path.display()
        )
    })
}
