//! What the `run` and `check` commands do, apart from argument parsing.

use crate::console;
use crate::environment::Environment;
use crate::error::AppError;
use crate::fio::{Fio, PeerTool};
use crate::machine;
use crate::model::{self, CostBook};
use crate::probe::Probe;
use crate::results::Results;
use crate::runner::{self, Progress, RunError, Runner};
use crate::scenario::{self, Scenario};
use crate::units::{ExactSize, Rate};
use crate::vocab::Peer;
use crate::workdir::WorkDir;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;

/// Where scenarios are looked for when none are named.
pub const DEFAULT_SCENARIO_DIR: &str = "scenarios";
/// Where results go when `--out` is not given.
pub const DEFAULT_OUT_DIR: &str = "reports/latest";
/// Buffer size for the memcpy and scan limits.
const LIMIT_BUFFER: usize = 256 << 20;
/// Buffer size for the limits under `--quick`.
const QUICK_LIMIT_BUFFER: usize = 64 << 20;

/// Options of `mmap-lab run`.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// Scenario files; empty means every `*.json` in `scenarios/`.
    pub files: Vec<PathBuf>,
    /// Output directory for results.json.
    pub out: PathBuf,
    /// Smaller sizes and fewer samples.
    pub quick: bool,
    /// Parent directory for generated files.
    pub work_dir: Option<PathBuf>,
    /// Tools to run beside every scenario (scenario files may add more).
    pub peers: Vec<Peer>,
}

/// The scenario files to use: the named ones, or the default directory's.
pub fn scenario_files(files: &[PathBuf]) -> Result<Vec<PathBuf>, AppError> {
    if !files.is_empty() {
        return Ok(files.to_vec());
    }
    let dir = Path::new(DEFAULT_SCENARIO_DIR);
    let found = scenario::files_in(dir).map_err(|e| {
        AppError::Usage(format!(
            "cannot list {}/ ({e}); run from the project folder or name scenario files",
            dir.display()
        ))
    })?;
    if found.is_empty() {
        return Err(AppError::Usage(format!(
            "no *.json scenario files in {}/",
            dir.display()
        )));
    }
    Ok(found)
}

/// `mmap-lab check`: validates files; prints one line per good file.
pub fn check(files: &[PathBuf]) -> Result<Vec<Scenario>, AppError> {
    let scenarios = scenario::load_all(&scenario_files(files)?)?;
    Ok(scenarios)
}

/// `mmap-lab fio-job`: the fio job file equivalent to the cells of one
/// scenario, at every size or at `size` (which must be one of its sizes).
pub fn fio_job(path: &Path, size: Option<&str>) -> Result<String, AppError> {
    let scenario = scenario::load(path)?;
    let sizes = match size {
        None => scenario.sizes.clone(),
        Some(text) => {
            let bad = |why: String| {
                AppError::Usage(format!("{}: --size {text:?}: {why}", path.display()))
            };
            let size = crate::units::parse_size(text).map_err(|e| bad(e.to_string()))?;
            if !scenario.sizes.contains(&size) {
                let known: Vec<String> = scenario
                    .sizes
                    .iter()
                    .map(|s| ExactSize(*s).to_string())
                    .collect();
                return Err(bad(format!(
                    "not one of the scenario's sizes (field `sizes`: {})",
                    known.join(", ")
                )));
            }
            vec![size]
        }
    };
    Ok(crate::fio::job_file(&scenario, &sizes, Path::new("")))
}

/// `mmap-lab report`: renders a saved results file into `out` (default: its directory).
pub fn report(results_path: &Path, out: Option<&Path>) -> Result<(), AppError> {
    let results = load_results(results_path)?;
    let out = out
        .map(Path::to_path_buf)
        .unwrap_or_else(|| parent_dir(results_path));
    crate::path_args::check_out_dir("--out", &out)?;
    crate::path_args::create_out_dir("--out", &out)?;
    crate::report::write_report(&results, &out).map_err(|e| AppError::Failed(format!("{e:#}")))?;
    println!("report: {}", out.join("index.html").display());
    Ok(())
}

/// What `mmap-lab compare` prints on standard output.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CompareFormat {
    /// The verdict counts, warnings and significant changes.
    Text,
    /// compare.md in full (for a pull request or a CI summary).
    Markdown,
}

/// Options of `mmap-lab compare`.
#[derive(Debug, Clone)]
pub struct CompareOptions {
    /// The baseline results.json.
    pub first: PathBuf,
    /// The results.json judged against it.
    pub second: PathBuf,
    /// Where compare.html and compare.md go.
    pub out: PathBuf,
    /// What to print.
    pub format: CompareFormat,
    /// Fail ([`crate::error::REGRESSED_EXIT_CODE`]) when a cell regressed
    /// significantly by more than this many percent of its median time.
    pub fail_above: Option<f64>,
}

/// `mmap-lab compare`: judges the second run's cells against the first's,
/// writes compare.html and compare.md into `out`, prints a summary (or the
/// Markdown) and, with `fail_above`, fails when a cell regressed beyond it.
pub fn compare(options: &CompareOptions) -> Result<(), AppError> {
    if let Some(pct) = options.fail_above {
        if !pct.is_finite() || pct < 0.0 {
            return Err(AppError::Usage(format!(
                "--fail-above {pct}: give a percentage of 0 or more"
            )));
        }
    }
    let a = load_results(&options.first)?;
    let b = load_results(&options.second)?;
    crate::path_args::check_out_dir("--out", &options.out)?;
    crate::path_args::create_out_dir("--out", &options.out)?;
    let (a_name, b_name) = (
        options.first.display().to_string(),
        options.second.display().to_string(),
    );
    let comparison = crate::report::compare::Comparison::new(&a, &a_name, &b, &b_name);
    crate::report::write_comparison(&comparison, &options.out)
        .map_err(|e| AppError::Failed(format!("{e:#}")))?;
    match options.format {
        CompareFormat::Text => {
            print!("{}", comparison.text());
            println!("comparison: {}", options.out.join("compare.html").display());
        }
        CompareFormat::Markdown => print!("{}", comparison.markdown()),
    }
    for warning in comparison.warnings() {
        eprintln!("warning: {warning}");
    }
    let Some(pct) = options.fail_above else {
        return Ok(());
    };
    let over = comparison.regressions_above(pct);
    if over.is_empty() {
        return Ok(());
    }
    let cells: Vec<String> = over
        .iter()
        .map(|(scenario, c)| {
            format!(
                "{scenario} {} {} ({:+.1}%)",
                ExactSize(c.a.size),
                c.a.label,
                c.time_change() * 100.0
            )
        })
        .collect();
    Err(AppError::Regressed(format!(
        "{} cell(s) regressed by more than {pct}%: {}",
        cells.len(),
        cells.join(", ")
    )))
}

/// Loads a results file; a missing or malformed file is the user's to fix.
fn load_results(path: &Path) -> Result<Results, AppError> {
    Results::load(path).map_err(|e| AppError::Usage(format!("{e:#}")))
}

fn parent_dir(path: &Path) -> PathBuf {
    match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// `mmap-lab run`: validates everything first, then verifies and measures
/// each scenario, saving results.json after each one. `write_report` is
/// called once with the results and the output directory when the run ends,
/// or stops early with some scenarios measured.
pub fn run(
    options: &RunOptions,
    interrupted: &AtomicBool,
    write_report: &dyn Fn(&Results, &Path) -> anyhow::Result<()>,
) -> Result<Results, AppError> {
    let scenarios = scenario::load_all(&scenario_files(&options.files)?)?;
    let conditions = crate::environment::Snapshot::take();
    let work = prepare_work_dir(options, &scenarios)?;
    let probe = Probe::new().map_err(|e| AppError::Failed(e.to_string()))?;
    let mut results = start_results(options, &work, &probe)?;
    eprintln!("measuring unit costs (a system call, a copied byte, a fault...)...");
    let mut book = CostBook::new(work.path(), false, results.machine.caches.l3)
        .map_err(|e| AppError::Failed(format!("measuring unit costs: {e}")))?;
    let results_path = options.out.join("results.json");
    let progress = TerminalProgress::new();
    let mut runner = Runner::new(probe, &work, interrupted);
    let wants_fio =
        |s: &Scenario| options.peers.contains(&Peer::Fio) || s.peers.contains(&Peer::Fio);
    let fio = if scenarios.iter().any(wants_fio) {
        Fio::find()
            .inspect_err(|e| eprintln!("peer lines skipped: {e}"))
            .ok()
    } else {
        None
    };
    let mut measure = |scenario: &Scenario| -> Result<(), AppError> {
        let peer = fio
            .as_ref()
            .filter(|_| wants_fio(scenario))
            .map(|f| f as &dyn PeerTool);
        let outcome = runner.run(scenario, options.quick, &progress, peer);
        progress.clear();
        for failure in runner.take_peer_failures() {
            eprintln!("{failure}");
        }
        let mut scenario_result = match outcome {
            Ok(result) => result,
            Err(RunError::Interrupted) => return Err(AppError::Interrupted),
            Err(e) => return Err(AppError::Failed(e.to_string())),
        };
        model::attach(&mut book, scenario, &mut scenario_result).map_err(|e| {
            AppError::Failed(format!(
                "scenario {}: measuring unit costs: {e}",
                scenario.name
            ))
        })?;
        results.unit_costs = book.costs().to_vec();
        print!(
            "{}",
            console::render(&scenario_result, crate::layout::terminal_width())
        );
        print!("{}", peer_lines(&scenario_result));
        results.scenarios.push(scenario_result);
        results.environment = Some(Environment::since(&conditions));
        results
            .save(&results_path)
            .map_err(|e| AppError::Failed(format!("{e:#}")))?;
        crate::results::write_atomically(
            &options.out.join(crate::export::SAMPLES_CSV),
            crate::export::samples_csv(&results).as_bytes(),
        )
        .map_err(|e| AppError::Failed(format!("{e:#}")))?;
        Ok(())
    };
    let measured = scenarios.iter().try_for_each(&mut measure);
    // The report is drawn once, at the end (drawn after every scenario it
    // cost up to 2.4 s a time in the default run, 26 s in all), and for
    // what finished when a scenario fails. Ctrl-C must stop at once, so
    // then it only says how to draw it.
    let drawn = match &measured {
        _ if results.scenarios.is_empty() => Ok(()),
        Err(AppError::Interrupted) => {
            eprintln!(
                "the report of what finished: mmap-lab report {}",
                results_path.display()
            );
            Ok(())
        }
        _ => write_report(&results, &options.out).map_err(|e| AppError::Failed(format!("{e:#}"))),
    };
    measured?;
    drawn?;
    print!(
        "{}",
        crate::report::glance::render_text(&results, crate::layout::terminal_width())
    );
    for warning in results.environment.iter().flat_map(|e| &e.warnings) {
        eprintln!("warning: {warning}");
    }
    let unstable = results
        .scenarios
        .iter()
        .flat_map(|s| &s.cells)
        .filter(|c| c.spread.as_ref().is_some_and(|s| !s.unstable.is_empty()))
        .count();
    if unstable > 0 {
        eprintln!(
            "warning: {unstable} cell(s) unstable (standard deviation above {:.0}% of the mean, or a sample far from the median); the report marks them",
            crate::sampling::UNSTABLE_STDDEV * 100.0
        );
    }
    eprintln!("\nresults: {}", results_path.display());
    Ok(results)
}

/// One line per peer figure, for the terminal: the cell, fio's figure and
/// the ratio.
fn peer_lines(scenario: &crate::results::ScenarioResult) -> String {
    let mut text = String::new();
    for peer in &scenario.peers {
        text.push_str(&format!(
            "  vs fio  {} at {}: fio {} {}, mmap-lab / fio = {:.2}\n",
            peer.label,
            ExactSize(peer.size),
            peer.engine,
            Rate(peer.throughput_bytes_per_sec),
            peer.ratio
        ));
    }
    text
}

/// Checks `--work-dir` and `--out`, makes the private work directory with
/// room for the largest scenario, then creates `--out` (nothing is created
/// before both are found usable; a refusal is exit 2).
fn prepare_work_dir(options: &RunOptions, scenarios: &[Scenario]) -> Result<WorkDir, AppError> {
    if let Some(dir) = &options.work_dir {
        crate::path_args::check_work_dir(dir)?;
    }
    crate::path_args::check_out_dir("--out", &options.out)?;
    report_removed(&crate::workdir::owner::remove_stale(&parents(
        options.work_dir.as_deref(),
    )));
    let work =
        WorkDir::create(options.work_dir.as_deref()).map_err(|e| match &options.work_dir {
            Some(dir) => AppError::Usage(format!("--work-dir {}: {e}", dir.display())),
            None => AppError::Failed(e.to_string()),
        })?;
    check_writable(&options.out)?;
    warn_about_memory_filesystem(&work, scenarios);
    let largest = scenarios
        .iter()
        .map(|s| runner::space_needed(s, &runner::effective_plan(s, options.quick).0))
        .max()
        .unwrap_or(0);
    work.ensure_space(largest, "the largest scenario")
        .map_err(|e| AppError::Failed(e.to_string()))?;
    Ok(work)
}

/// Where work directories of killed runs are looked for: `--work-dir`, if
/// given, and every place one is made by default (a killed run may have
/// used either).
fn parents(work_dir: Option<&Path>) -> Vec<PathBuf> {
    work_dir
        .map(Path::to_path_buf)
        .into_iter()
        .chain(crate::workdir::candidate_parents())
        .collect()
}

/// One line per work directory removed (or not) on behalf of a killed run.
fn report_removed(removed: &[(PathBuf, std::io::Result<u64>)]) {
    for (dir, outcome) in removed {
        match outcome {
            Ok(bytes) => eprintln!(
                "removed {} ({}), left by a run that is gone",
                dir.display(),
                crate::units::ApproxSize(*bytes as f64)
            ),
            Err(e) => eprintln!("cannot remove {}: {e}", dir.display()),
        }
    }
}

/// `mmap-lab clean`: removes the work directories (`mmap-lab-*` in
/// `--work-dir`, if given, and in $TMPDIR, /var/tmp and the current
/// directory) whose owning run is gone; directories of live runs and of
/// others stay.
pub fn clean(work_dir: Option<&Path>) -> Result<(), AppError> {
    if let Some(dir) = work_dir {
        crate::path_args::check_work_dir(dir)?;
    }
    let removed = crate::workdir::owner::remove_stale(&parents(work_dir));
    report_removed(&removed);
    if removed.is_empty() {
        eprintln!("no work directories left by killed runs");
    }
    match removed.iter().find(|(_, outcome)| outcome.is_err()) {
        Some((dir, _)) => Err(AppError::Failed(format!(
            "could not remove {}",
            dir.display()
        ))),
        None => Ok(()),
    }
}

/// The run's record before any scenario: the machine, its limits (measured
/// now) and how system calls are counted.
fn start_results(options: &RunOptions, work: &WorkDir, probe: &Probe) -> Result<Results, AppError> {
    let limit_bytes = if options.quick {
        QUICK_LIMIT_BUFFER
    } else {
        LIMIT_BUFFER
    };
    eprintln!(
        "measuring this machine's memcpy and scan speed over {} MiB and within each cache level...",
        limit_bytes >> 20
    );
    let machine = machine::describe(work.filesystem(), work.path());
    let mut limits = machine::measure_limits(limit_bytes)
        .map_err(|e| AppError::Failed(format!("cannot allocate the limit buffers: {e}")))?;
    limits.levels = crate::ceiling::measure(&machine.caches, &limits).map_err(|e| {
        AppError::Failed(format!(
            "cannot allocate the cache-level limit buffers: {e}"
        ))
    })?;
    let results = Results {
        format_version: crate::results::FORMAT_VERSION,
        tool_version: env!("CARGO_PKG_VERSION").to_string(),
        started_at: crate::time::now_rfc3339(),
        quick: options.quick,
        machine,
        limits,
        syscall_counting: probe.syscall_counting(),
        observer: Some(crate::observer::measure()),
        unit_costs: Vec::new(),
        environment: None,
        scenarios: Vec::new(),
    };
    if !results.syscall_counting.available {
        eprintln!(
            "note: total system calls cannot be counted here: {}",
            results.syscall_counting.source
        );
    }
    Ok(results)
}

/// Refuses an output directory that cannot be written before any time is
/// spent measuring (it is created if missing: nothing else is written yet).
fn check_writable(out: &Path) -> Result<(), AppError> {
    let refuse = |why: String| AppError::Usage(format!("--out {}: {why}", out.display()));
    crate::path_args::create_out_dir("--out", out)?;
    tempfile::NamedTempFile::new_in(out)
        .map(drop)
        .map_err(|e| refuse(format!("cannot write there ({e})")))
}

fn warn_about_memory_filesystem(work: &WorkDir, scenarios: &[Scenario]) {
    if work.is_memory_backed() {
        let cold = scenarios
            .iter()
            .filter(|s| s.cache == crate::vocab::Cache::Cold)
            .count();
        eprintln!(
            "warning: {} is on {}, which lives in memory: reads never touch a disk{}; pass --work-dir on a disk-backed filesystem for true figures",
            work.path().display(),
            work.filesystem(),
            if cold > 0 {
                format!(
                    ", and the {cold} cold scenario(s) cannot be cold (their residency will show it)"
                )
            } else {
                String::new()
            }
        );
    }
}

/// A progress bar on stderr, shown only when stderr is a terminal.
struct TerminalProgress {
    bar: ProgressBar,
}

impl TerminalProgress {
    fn new() -> TerminalProgress {
        let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
        bar.set_style(
            ProgressStyle::with_template(
                "{spinner} {prefix:.bold} [{bar:30}] {pos}/{len} {wide_msg}",
            )
            .expect("the template is valid")
            .progress_chars("=> "),
        );
        TerminalProgress { bar }
    }

    fn clear(&self) {
        self.bar.finish_and_clear();
    }
}

impl Progress for TerminalProgress {
    fn scenario_started(&self, name: &str, steps: u64) {
        self.bar.reset();
        self.bar.set_length(steps);
        self.bar.set_prefix(name.to_string());
    }

    fn step(&self, what: &str) {
        self.bar.set_message(what.to_string());
        self.bar.inc(1);
    }

    fn more_steps(&self, steps: u64) {
        self.bar.inc_length(steps);
    }
}
