//! The `mmap-lab` command line: a thin layer over the library.

use clap::{Parser, Subcommand};
use mmap_lab::app::{self, CompareFormat, CompareOptions, RunOptions};
use mmap_lab::demo::{self, DemoOptions};
use mmap_lab::error::AppError;
use mmap_lab::lasting::command::PressureOptions;
use mmap_lab::vocab::Peer;
use std::path::PathBuf;
use std::process::ExitCode;

/// When is a memory map faster than read/write, and why? Measure it here.
#[derive(Parser)]
#[command(name = "mmap-lab", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Verify and measure scenarios; write results.json.
    Run {
        /// Scenario files (default: every scenarios/*.json).
        files: Vec<PathBuf>,
        /// Output directory.
        #[arg(long, default_value = app::DEFAULT_OUT_DIR)]
        out: PathBuf,
        /// Sizes up to 16 MiB and 3 samples per cell: a first look in seconds.
        #[arg(long)]
        quick: bool,
        /// Where to generate files (default: a disk-backed temp directory).
        #[arg(long)]
        work_dir: Option<PathBuf>,
        /// Also run another tool on the same files beside every cell that
        /// has an equivalent (only `fio`); skipped with one line if fio is
        /// not on PATH.
        #[arg(long, value_delimiter = ',', value_parser = parse_peer)]
        peers: Vec<Peer>,
    },
    /// Render index.html and summary.md from a saved results.json.
    Report {
        /// A results.json written by `mmap-lab run`.
        results: PathBuf,
        /// Output directory (default: the results file's directory).
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Judge a second run against a first: compare.html and compare.md,
    /// and a verdict per cell (improved, regressed, no change).
    Compare {
        /// The first (baseline) results.json.
        first: PathBuf,
        /// The second results.json.
        second: PathBuf,
        /// Output directory.
        #[arg(long, default_value = "reports/compare")]
        out: PathBuf,
        /// What to print: `text` (a summary) or `md` (compare.md, for a pull request).
        #[arg(long, default_value = "text", value_parser = parse_format)]
        format: CompareFormat,
        /// Exit with code 3 when any cell regressed significantly by more
        /// than PCT percent of its median time (a CI gate).
        #[arg(long, value_name = "PCT")]
        fail_above: Option<f64>,
    },
    /// Print the fio job file equivalent to a scenario's cells.
    FioJob {
        /// A scenario file.
        scenario: PathBuf,
        /// Only this size (one of the scenario's sizes, e.g. "1 MiB").
        #[arg(long)]
        size: Option<String>,
    },
    /// Validate scenario files without running anything.
    Check {
        /// Scenario files (default: every scenarios/*.json).
        files: Vec<PathBuf>,
    },
    /// Remove work directories (mmap-lab-*) left by runs that were killed.
    Clean {
        /// Also look here (always: $TMPDIR, /var/tmp and the current directory).
        #[arg(long)]
        work_dir: Option<PathBuf>,
    },
    /// Runs that last, many threads, and a page cache held to a budget
    /// (scenarios/pressure/*.json; see docs/scenario-format.md).
    Pressure {
        /// Pressure scenario files.
        files: Vec<PathBuf>,
        /// Output directory for <name>.json, one per scenario.
        #[arg(long, default_value = "reports/pressure")]
        out: PathBuf,
        /// Where to make the file (default: a disk-backed temp directory).
        #[arg(long)]
        work_dir: Option<PathBuf>,
        /// The page-cache helper's safety floor for scenarios that set none
        /// (default: max(512 MiB, 2% of MemTotal)), e.g. "4 GiB".
        #[arg(long, value_parser = parse_size_arg)]
        floor: Option<u64>,
        /// Only check the files (like `check` for scenario files).
        #[arg(long)]
        check: bool,
        /// Run nothing: render index.html and summary.md again from the
        /// <name>.json files already in --out.
        #[arg(long, conflicts_with = "check")]
        report: bool,
        /// Also run fio's equivalent right after each run, under the same
        /// budget (only `fio`); skipped with one line if fio is not on PATH.
        #[arg(long, value_delimiter = ',', value_parser = parse_peer)]
        peers: Vec<Peer>,
    },
    /// Live lessons on memory maps, one small experiment at a time.
    Demo {
        /// The lesson to run (see --list).
        lesson: Option<String>,
        /// List the lessons with one line about each.
        #[arg(long, conflicts_with_all = ["all", "lesson"])]
        list: bool,
        /// Run every lesson, in order.
        #[arg(long)]
        all: bool,
        /// Wait for Enter between steps, for teaching live.
        #[arg(long)]
        pause: bool,
        /// Never colour the output (NO_COLOR does the same).
        #[arg(long)]
        no_color: bool,
        /// Lay the lessons out for this many columns (default: the
        /// terminal's width, or 80 when the output is a file or a pipe).
        #[arg(long, value_parser = clap::value_parser!(u16).range(40..=1000))]
        width: Option<u16>,
    },
}

fn main() -> ExitCode {
    mmap_lab::buffer::fix_heap_threshold();
    let cli = Cli::parse();
    if !matches!(
        cli.command,
        Command::Run { .. } | Command::Demo { .. } | Command::Pressure { .. }
    ) {
        // Ctrl-C in report, compare, check, fio-job or clean: exit 130 at
        // once (outputs are written atomically; run and demo install their own).
        mmap_lab::workdir::clean_up_on_interrupt(false);
    }
    let outcome = match cli.command {
        Command::Run {
            files,
            out,
            quick,
            work_dir,
            peers,
        } => {
            // First Ctrl-C (or SIGTERM): the run stops at its next step and
            // removes its files; a second one, or 1.5 s later: at once.
            mmap_lab::workdir::clean_up_on_interrupt(true);
            let options = RunOptions {
                files,
                out,
                quick,
                work_dir,
                peers,
            };
            app::run(&options, mmap_lab::stop::flag(), &|results, out| {
                mmap_lab::report::write_report(results, out)
            })
            .map(|_| eprintln!("report: {}", options.out.join("index.html").display()))
        }
        Command::Report { results, out } => app::report(&results, out.as_deref()),
        Command::Compare {
            first,
            second,
            out,
            format,
            fail_above,
        } => app::compare(&CompareOptions {
            first,
            second,
            out,
            format,
            fail_above,
        }),
        Command::FioJob { scenario, size } => {
            app::fio_job(&scenario, size.as_deref()).map(|text| print!("{text}"))
        }
        Command::Check { files } => app::check(&files).map(|scenarios| {
            for scenario in scenarios {
                println!(
                    "ok  {}  {} ({}, {} methods, {} sizes)",
                    scenario.file.display(),
                    scenario.name,
                    scenario.operation.kind(),
                    scenario.methods.len(),
                    scenario.sizes.len()
                );
            }
        }),
        Command::Clean { work_dir } => app::clean(work_dir.as_deref()),
        Command::Pressure {
            files,
            out,
            work_dir,
            floor,
            check,
            report,
            peers,
        } => {
            mmap_lab::workdir::clean_up_on_interrupt(true);
            let options = PressureOptions {
                files,
                out,
                work_dir,
                floor,
                check,
                report_only: report,
                peers,
            };
            mmap_lab::lasting::command::command(&options, mmap_lab::stop::flag())
        }
        Command::Demo {
            lesson,
            list,
            all,
            pause,
            no_color,
            width,
        } => demo::command(&DemoOptions {
            lesson,
            list,
            all,
            pause,
            no_color,
            width: width.map(usize::from),
        }),
    };
    // A run the user stopped never reports success, whatever step it was in.
    let outcome = match outcome {
        _ if mmap_lab::stop::requested() => Err(AppError::Interrupted),
        other => other,
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("mmap-lab: {error}");
            ExitCode::from(error.exit_code() as u8)
        }
    }
}

/// A `--format` name of `compare`.
fn parse_format(text: &str) -> Result<CompareFormat, String> {
    match text {
        "text" => Ok(CompareFormat::Text),
        "md" | "markdown" => Ok(CompareFormat::Markdown),
        _ => Err(format!("unknown format {text:?}: use text or md")),
    }
}

/// A `--peers` name: one of the [`Peer`] spellings.
fn parse_peer(text: &str) -> Result<Peer, String> {
    Peer::ALL
        .iter()
        .copied()
        .find(|p| p.name() == text)
        .ok_or_else(|| {
            let known: Vec<&str> = Peer::ALL.iter().map(|p| p.name()).collect();
            format!("unknown peer {text:?}: use {}", known.join(", "))
        })
}

/// A size argument such as "4 GiB".
fn parse_size_arg(text: &str) -> Result<u64, String> {
    mmap_lab::units::parse_size(text).map_err(|e| e.to_string())
}
