//! `mmap-lab pressure FILES...`: for each pressure scenario, make the file,
//! hold the page cache to its budget (if it has one), then per thread count
//! and method verify, warm the cache and run for the duration with a
//! timeline; print a line per run and save `<name>.json`.

use super::access::Way;
use super::content::Content;
use super::peer::{self, FioRun};
use super::run::{self, Job, Outcome, Until};
use super::spec::{self, PressureSpec};
use crate::error::AppError;
use crate::fio::Fio;
use crate::pressure::{Budget, HeldRecord, Helper, HelperError, budget, default_floor, meminfo};
use crate::results::Machine;
use crate::timeline::Sources;
use crate::vocab::Peer;
use crate::workdir::WorkDir;
use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// Accesses per thread when verifying a method before it runs.
pub const VERIFY_ACCESSES: u64 = 64;
/// How long the helper may take to reach the budget.
pub const SETTLE_TIMEOUT: Duration = Duration::from_secs(180);
/// Bytes per call of the warming pass.
const WARM_CHUNK: usize = 1 << 20;

/// Options of `mmap-lab pressure`.
#[derive(Debug, Clone)]
pub struct PressureOptions {
    /// Pressure scenario files.
    pub files: Vec<PathBuf>,
    /// Where `<name>.json` goes.
    pub out: PathBuf,
    /// Parent directory for the file.
    pub work_dir: Option<PathBuf>,
    /// A safety floor for every scenario that does not set one.
    pub floor: Option<u64>,
    /// Only check the files: print one line per good file, run nothing.
    pub check: bool,
    /// Run nothing: render the report of the results already in `out`.
    pub report_only: bool,
    /// Other tools to run beside each run (fio).
    pub peers: Vec<Peer>,
}

/// One run: a method and a thread count.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Cell {
    /// The method's label.
    pub label: String,
    /// The method.
    pub way: Way,
    /// Threads.
    pub threads: u64,
    /// Accesses per second over the run.
    pub accesses_per_sec: f64,
    /// Disk bytes read per useful byte (system-wide disk counter).
    pub disk_bytes_per_useful_byte: Option<f64>,
    /// The largest `Cached` seen while it ran.
    pub max_cached: u64,
    /// Under a budget, the end of the first interval at which `Cached`
    /// was at 90% of the budget or more (milliseconds from the start).
    pub cache_at_budget_ms: Option<u64>,
    /// What the threads did and the timeline.
    pub outcome: Outcome,
    /// fio's equivalent job, run right after it under the same budget,
    /// with `--peers fio`.
    #[serde(default)]
    pub fio: Option<FioRun>,
}

/// The results of one pressure scenario: `<out>/<name>.json`.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct PressureResults {
    /// The scenario as checked.
    pub scenario: PressureSpec,
    /// The machine.
    pub machine: Machine,
    /// `read_ahead_kb` of the work directory's device, when found.
    pub read_ahead_kb: Option<u64>,
    /// What the helper held, when the scenario has a budget.
    pub held: Option<HeldRecord>,
    /// Every run, in order.
    pub cells: Vec<Cell>,
    /// Why fio did not run beside the runs, when it was asked for and
    /// could not.
    #[serde(default)]
    pub fio_skipped: Option<String>,
}

/// Runs every file's scenario; stops at the first error.
pub fn command(options: &PressureOptions, interrupted: &AtomicBool) -> Result<(), AppError> {
    if options.report_only {
        if !options.files.is_empty() {
            return Err(AppError::Usage(
                "--report renders the results already in --out; name no scenario files".into(),
            ));
        }
        return report(&options.out);
    }
    if options.files.is_empty() {
        return Err(AppError::Usage(
            "name pressure scenario files, e.g. scenarios/pressure/*.json".into(),
        ));
    }
    let specs = options
        .files
        .iter()
        .map(|f| spec::load(f))
        .collect::<Result<Vec<_>, _>>()
        .map_err(AppError::Usage)?;
    if options.check {
        for spec in &specs {
            println!(
                "ok  {}  {} ({} methods, threads {:?}, {} MiB{})",
                spec.file.display(),
                spec.name,
                spec.methods.len(),
                spec.threads,
                spec.size >> 20,
                match (spec.page_cache, spec.beyond_memory) {
                    (Some(b), _) => format!(", page cache {} MiB", b >> 20),
                    (None, Some(n)) => format!(", larger than memory by {} MiB", n >> 20),
                    (None, None) => String::new(),
                }
            );
        }
        return Ok(());
    }
    std::fs::create_dir_all(&options.out)
        .map_err(|e| AppError::Failed(format!("cannot create {}: {e}", options.out.display())))?;
    for spec in &specs {
        let results = run_scenario(spec, options, interrupted)?;
        let path = options.out.join(format!("{}.json", spec.name));
        let text = serde_json::to_string_pretty(&results)
            .map_err(|e| AppError::Failed(format!("cannot write results: {e}")))?;
        crate::results::write_atomically(&path, text.as_bytes())
            .map_err(|e| AppError::Failed(format!("{e:#}")))?;
        eprintln!("results: {}", path.display());
        // Rendered after each scenario, so an interrupted run keeps a report.
        report(&options.out)?;
    }
    Ok(())
}

/// Renders `index.html` and `summary.md` in `dir` from every pressure
/// results file there (other JSON files are passed over, with a warning).
pub fn report(dir: &Path) -> Result<(), AppError> {
    let files = crate::report::pressure::results_files(dir)
        .map_err(|e| AppError::Usage(format!("{e:#}")))?;
    let mut results = Vec::new();
    for file in files {
        match crate::report::pressure::load(&file) {
            Ok(r) => results.push(r),
            Err(e) => eprintln!("warning: passed over {}: {e:#}", file.display()),
        }
    }
    if results.is_empty() {
        return Err(AppError::Usage(format!(
            "{} holds no pressure results (mmap-lab pressure writes <name>.json there)",
            dir.display()
        )));
    }
    crate::report::pressure::write_report(&results, dir)
        .map_err(|e| AppError::Failed(format!("{e:#}")))?;
    eprintln!("report: {}", dir.join("index.html").display());
    Ok(())
}

fn failed(e: impl std::fmt::Display) -> AppError {
    AppError::Failed(e.to_string())
}

/// One scenario, start to end; the helper and the file are gone when it
/// returns, whatever happened.
pub fn run_scenario(
    spec: &PressureSpec,
    options: &PressureOptions,
    interrupted: &AtomicBool,
) -> Result<PressureResults, AppError> {
    // Refuse a budget this machine cannot hold before making anything.
    let budget = spec
        .page_cache
        .map(|page_cache| budget_for(spec, options, page_cache))
        .transpose()?;
    let work = WorkDir::create(options.work_dir.as_deref()).map_err(failed)?;
    if !spec.sparse {
        // Too little disk is the scenario's (or --work-dir's) to fix.
        work.ensure_space(spec.size, &format!("scenario {}", spec.name))
            .map_err(|e| match e.kind() {
                std::io::ErrorKind::StorageFull => {
                    AppError::Usage(format!("{}: {e}", spec.file.display()))
                }
                _ => failed(e),
            })?;
    }
    let path = work.path().join("data");
    let content = if spec.sparse {
        Content::Sparse
    } else {
        Content::Data { seed: spec.seed }
    };
    eprintln!(
        "{}: making a {} MiB {} file in {}",
        spec.name,
        spec.size >> 20,
        if spec.sparse { "sparse" } else { "data" },
        work.path().display()
    );
    content.create(&path, spec.size).map_err(failed)?;
    let sources = Sources::find(work.path());
    let mut helper = match budget {
        None => None,
        Some(budget) => Some(start_helper(spec, budget, interrupted)?),
    };
    let (fio, fio_skipped) = match options.peers.contains(&Peer::Fio) {
        false => (None, None),
        true => match Fio::find() {
            Ok(fio) => (Some(fio), None),
            Err(e) => {
                println!("  fio skipped: {e}");
                (None, Some(e.to_string()))
            }
        },
    };
    let mut cells = Vec::new();
    for &threads in &spec.threads {
        for &way in &spec.methods {
            if interrupted.load(Ordering::SeqCst) {
                return Err(AppError::Interrupted);
            }
            let job = Job {
                path: &path,
                size: spec.size,
                content,
                seed: spec.seed,
                way,
                pattern: spec.pattern,
                consume: spec.consume,
                threads,
            };
            run::verify(&job, VERIFY_ACCESSES).map_err(AppError::Failed)?;
            if spec.warm && way.uses_page_cache() {
                warm(&path, spec.size).map_err(failed)?;
            }
            if let Some(helper) = &helper {
                helper.check_alive().map_err(failed)?;
            }
            let outcome = run::run(
                &job,
                Until::Elapsed(spec.duration),
                Some((sources.clone(), spec.interval)),
                interrupted,
            )
            .map_err(failed)?;
            if interrupted.load(Ordering::SeqCst) {
                return Err(AppError::Interrupted);
            }
            if let Some(helper) = &helper {
                helper.check_alive().map_err(failed)?;
            }
            let mut cell = cell(way, threads, spec.page_cache, outcome);
            if let Some(fio) = &fio {
                // Right after the run, while the helper still holds the
                // cache to the budget.
                cell.fio = Some(peer::run(fio, &peer::job(spec, way, threads, &path)));
                if let Some(helper) = &helper {
                    helper.check_alive().map_err(failed)?;
                }
            }
            print_cell(&cell);
            cells.push(cell);
        }
    }
    let held = helper.take().and_then(Helper::stop);
    Ok(PressureResults {
        scenario: spec.clone(),
        machine: crate::machine::describe(work.filesystem(), work.path()),
        read_ahead_kb: crate::machine::read_ahead_kb(work.path()),
        held,
        cells,
        fio_skipped,
    })
}

/// The scenario's budget with its floor, checked against `/proc/meminfo`.
fn budget_for(
    spec: &PressureSpec,
    options: &PressureOptions,
    page_cache: u64,
) -> Result<Budget, AppError> {
    let info = meminfo::read().map_err(failed)?;
    let floor = spec
        .floor
        .or(options.floor)
        .unwrap_or_else(|| default_floor(info.mem_total));
    let budget = Budget { page_cache, floor };
    budget::check(&info, &budget).map_err(|r| refused(spec, HelperError::Refused(r)))?;
    Ok(budget)
}

/// A refusal is the scenario's to fix (exit 2); anything else failed.
fn refused(spec: &PressureSpec, e: HelperError) -> AppError {
    match e {
        HelperError::Refused(r) => AppError::Usage(format!(
            "{}: page-cache budget refused: {r}",
            spec.file.display()
        )),
        other => AppError::Failed(other.to_string()),
    }
}

fn start_helper(
    spec: &PressureSpec,
    budget: Budget,
    interrupted: &AtomicBool,
) -> Result<Helper, AppError> {
    let (page_cache, floor) = (budget.page_cache, budget.floor);
    let refused = |e| refused(spec, e);
    let mut helper = Helper::start(budget).map_err(refused)?;
    let status = helper
        .wait_settled(SETTLE_TIMEOUT, interrupted)
        .map_err(|e| match interrupted.load(Ordering::SeqCst) {
            true => AppError::Interrupted,
            false => refused(e),
        })?;
    eprintln!(
        "{}: the helper (pid {}) holds {} MiB; MemAvailable {} MiB (budget {} MiB, floor {} MiB), Cached {} MiB",
        spec.name,
        helper.pid(),
        status.held >> 20,
        status.mem_available >> 20,
        page_cache >> 20,
        floor >> 20,
        status.cached >> 20
    );
    Ok(helper)
}

/// A finished run as results.json keeps it: its rate, disk bytes per useful
/// byte, the largest `Cached` and when `Cached` reached 90% of the budget.
pub fn cell(way: Way, threads: u64, page_cache: Option<u64>, outcome: Outcome) -> Cell {
    let timeline = outcome.timeline.as_ref();
    let disk = timeline.and_then(|t| {
        t.points
            .iter()
            .map(|p| p.disk_read_bytes)
            .sum::<Option<u64>>()
    });
    Cell {
        label: way.label(),
        way,
        threads,
        accesses_per_sec: outcome.accesses_per_sec(),
        disk_bytes_per_useful_byte: disk.map(|d| d as f64 / outcome.bytes.max(1) as f64),
        max_cached: timeline.map_or(0, |t| t.max_cached()),
        cache_at_budget_ms: page_cache.zip(timeline).and_then(|(budget, t)| {
            t.points
                .iter()
                .find(|p| p.cached >= budget / 10 * 9)
                .map(|p| p.t_ms)
        }),
        outcome,
        fio: None,
    }
}

/// A run's lines on the terminal, each under 80 columns.
fn print_cell(cell: &Cell) {
    use crate::report::format_count as n;
    let t = cell.outcome.timeline.clone().unwrap_or_default();
    let opt = |v: Option<u64>| v.map_or("-".to_string(), n);
    println!(
        "  {}, {} thread{}: {} reads/s",
        cell.label,
        cell.threads,
        if cell.threads == 1 { "" } else { "s" },
        n(cell.accesses_per_sec.round() as u64)
    );
    println!(
        "    majflt {}  refaults {}  pgscan {}  allocstall {}",
        n(cell.outcome.major_faults),
        n(t.total(|p| p.refaults)),
        n(t.total(|p| p.pgscan)),
        n(t.total(|p| p.allocstall)),
    );
    println!(
        "    TLB {}  disk/useful {}  max Cached {} MiB  p99 {}",
        opt(t.points.iter().map(|p| p.tlb_shootdowns).sum()),
        cell.disk_bytes_per_useful_byte
            .map_or("-".to_string(), |r| format!("{r:.2}")),
        n(cell.max_cached >> 20),
        cell.outcome
            .latency
            .map_or("-".to_string(), |l| format!("{} us", l.p99_ns / 1000))
    );
    if let Some(fio) = &cell.fio {
        match (fio.accesses_per_sec, &fio.error) {
            (Some(rate), _) => println!("    fio: {} reads/s", n(rate.round() as u64)),
            (None, Some(e)) => println!("    fio failed: {}", crate::user_text::for_terminal(e)),
            (None, None) => {}
        }
    }
}

/// Reads the whole file once, front to back, so that the cache starts full.
fn warm(path: &Path, size: u64) -> std::io::Result<()> {
    let file = File::open(path)
        .map_err(|e| std::io::Error::new(e.kind(), format!("{}: {e}", path.display())))?;
    let mut buffer = vec![0u8; WARM_CHUNK];
    let mut offset = 0;
    while offset < size {
        let n = file.read_at(&mut buffer, offset)?;
        if n == 0 {
            break;
        }
        offset += n as u64;
    }
    Ok(())
}
