//! Which scenario files are benchmarked: those named by
//! `MMAP_LAB_BENCH_SCENARIOS` (a directory or one file), else the default set
//! in `scenarios/`.

use anyhow::Context;
use mmap_lab::scenario::{self, Scenario};
use std::path::{Path, PathBuf};

/// Names a directory of scenario files, or one file, to benchmark instead.
pub const SCENARIOS_VARIABLE: &str = "MMAP_LAB_BENCH_SCENARIOS";

/// Reads and validates the scenarios to benchmark.
pub fn load() -> anyhow::Result<Vec<Scenario>> {
    let files = match std::env::var_os(SCENARIOS_VARIABLE) {
        Some(path) => named(Path::new(&path))?,
        None => default_files()?,
    };
    Ok(scenario::load_all(&files)?)
}

fn named(path: &Path) -> anyhow::Result<Vec<PathBuf>> {
    if path.is_file() {
        return Ok(vec![path.to_path_buf()]);
    }
    let files = json_files(path)?;
    anyhow::ensure!(
        !files.is_empty(),
        "{}: no *.json scenario files there",
        path.display()
    );
    Ok(files)
}

fn default_files() -> anyhow::Result<Vec<PathBuf>> {
    let defaults = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    named(&defaults)
}

fn json_files(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    scenario::files_in(dir).with_context(|| format!("cannot list {}", dir.display()))
}
