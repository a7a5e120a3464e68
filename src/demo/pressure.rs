//! Lesson `pressure`: a file that stops fitting in the page cache. A
//! helper process holds the rest of memory so that the cache keeps a small
//! budget (src/pressure/), and two threads read random pages of a file four
//! times larger for a few seconds each: through one shared map with the
//! default advice, through a map advised MADV_RANDOM, and with O_DIRECT
//! pread. The report's own findings say what the counters show; the
//! lesson then says what this machine cannot show.

use super::{Sandbox, Steps};
use crate::lasting::access::{Consume, Pattern, Way};
use crate::lasting::command::{Cell, PressureResults, cell};
use crate::lasting::content::Content;
use crate::lasting::run::{self, Job, Until};
use crate::lasting::spec::PressureSpec;
use crate::layout::Column;
use crate::pressure::{Budget, Helper, budget, default_floor, meminfo};
use crate::report::format_count as count;
use crate::timeline::Sources;
use crate::units::ExactSize;
use crate::vocab::Advice;
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

/// This file, for the regions its steps show.
pub const SOURCE: &str = include_str!("pressure.rs");

/// The file's size: four times the budget, or more.
pub const FILE_SIZE: u64 = 2 << 30;
/// The page-cache budget, unless the safety floor asks for more.
pub const BUDGET: u64 = 512 << 20;
/// Above the floor, so the helper's floor releases do not fight the budget.
const ABOVE_FLOOR: u64 = 128 << 20;
/// Threads sharing each way.
pub const THREADS: u64 = 2;
/// How long each way reads.
pub const RUN_TIME: Duration = Duration::from_secs(3);
/// The timeline's interval.
const INTERVAL: Duration = Duration::from_millis(500);
/// The longest the lesson waits for the helper to reach the budget.
pub const SETTLE_LIMIT: Duration = Duration::from_secs(35);
/// The most memory the helper may have to take: more does not fit in
/// the lesson's minute.
pub const MOST_TO_HOLD: u64 = 48 << 30;
/// Seed of the file's contents and the offsets.
const SEED: u64 = 21;
/// Accesses per thread that verify each way first.
const VERIFY: u64 = 64;

/// What the lesson saw.
#[derive(Debug, Clone)]
pub struct PressureFacts {
    /// Why the lesson did not run, when it refused.
    pub refused: Option<String>,
    /// The runs, as the report keeps them (none when refused).
    pub results: Option<PressureResults>,
    /// The helper's process id, gone by the time the lesson returns.
    pub helper_pid: Option<i32>,
    /// Wall time of the whole lesson.
    pub elapsed: Duration,
}

/// The three ways, in the order they run.
pub fn ways() -> [Way; 3] {
    [
        Way::Mmap {
            advice: Advice::Normal,
        },
        Way::Mmap {
            advice: Advice::Random,
        },
        Way::Direct {},
    ]
}

/// Runs the lesson.
pub fn run(steps: &mut Steps) -> anyhow::Result<PressureFacts> {
    let started = Instant::now();
    predict(steps)?;
    let info = meminfo::read()?;
    let floor = default_floor(info.mem_total);
    let budget = Budget {
        page_cache: BUDGET.max(floor + ABOVE_FLOOR),
        floor,
    };
    let refusal = budget::check(&info, &budget)
        .err()
        .map(|r| r.to_string())
        .or_else(|| {
            let to_hold = info.mem_available.saturating_sub(budget.page_cache);
            (to_hold > MOST_TO_HOLD).then(|| {
                format!(
                    "the helper would have to hold {} to squeeze the cache, more than it can touch within the lesson's minute; run scenarios/pressure/ with mmap-lab pressure instead",
                    ExactSize(to_hold >> 30 << 30)
                )
            })
        });
    if let Some(why) = refusal {
        steps.step("This machine cannot run the lesson.")?;
        steps.say(&format!("The lesson stops here: {why}."))?;
        return Ok(PressureFacts {
            refused: Some(why),
            results: None,
            helper_pid: None,
            elapsed: started.elapsed(),
        });
    }
    let sandbox = Sandbox::new()?;
    sandbox
        .work()
        .ensure_space(FILE_SIZE, "the lesson's file")?;
    let path = sandbox.path("data");

    steps.step(&format!(
        "Hold the page cache to {} and make a {} file.",
        ExactSize(budget.page_cache),
        ExactSize(FILE_SIZE)
    ))?;
    steps.show(SOURCE, "hold")?;
    // lesson:hold begin
    // A helper process touches anonymous memory until the kernel's
    // MemAvailable is down to the budget; it dies first if memory runs out.
    let mut helper = Helper::start(budget)?;
    let helper_pid = helper.pid();
    // The file is written while the helper grows: both take seconds.
    let content = Content::Data { seed: SEED };
    content.create(&path, FILE_SIZE)?;
    let status = helper.wait_settled(SETTLE_LIMIT, crate::stop::flag())?;
    // lesson:hold end
    steps.result(&format!(
        "the helper (pid {helper_pid}) holds {}; MemAvailable {}, Cached {}",
        ExactSize(status.held >> 20 << 20),
        ExactSize(status.mem_available >> 20 << 20),
        ExactSize(status.cached >> 20 << 20)
    ))?;

    steps.step(&format!(
        "{THREADS} threads read random 4 KiB pages for {} s each way.",
        RUN_TIME.as_secs()
    ))?;
    steps.show(SOURCE, "ways")?;
    let sources = Sources::find(sandbox.work().path());
    let mut cells: Vec<Cell> = Vec::new();
    // lesson:ways begin
    // Each way: one shared map (default advice, then MADV_RANDOM) or an
    // O_DIRECT descriptor per thread; every thread touches a byte of a
    // random page, again and again, for RUN_TIME.
    for way in ways() {
        let job = Job {
            path: &path,
            size: FILE_SIZE,
            content,
            seed: SEED,
            way,
            pattern: Pattern::Random { record: 4096 },
            consume: Consume::Touch,
            threads: THREADS,
        };
        run::verify(&job, VERIFY).map_err(anyhow::Error::msg)?;
        let outcome = run::run(
            &job,
            Until::Elapsed(RUN_TIME),
            Some((sources.clone(), INTERVAL)),
            &AtomicBool::new(false),
        )?;
        helper.check_alive()?;
        cells.push(cell(way, THREADS, Some(budget.page_cache), outcome));
    }
    // lesson:ways end
    let held = helper.stop();
    steps.table(&COLUMNS, &cells.iter().map(row).collect::<Vec<_>>())?;

    let results = PressureResults {
        scenario: spec(budget.page_cache),
        machine: crate::machine::describe(sandbox.work().filesystem(), sandbox.work().path()),
        read_ahead_kb: crate::machine::read_ahead_kb(sandbox.work().path()),
        held,
        cells,
        fio_skipped: None,
    };
    steps.step("What the counters show (the words of mmap-lab pressure's report).")?;
    steps.say(&crate::report::pressure::paragraph(&results))?;
    steps.step("What this machine cannot show.")?;
    steps.say(&limits(&results))?;
    Ok(PressureFacts {
        refused: None,
        results: Some(results),
        helper_pid: Some(helper_pid),
        elapsed: started.elapsed(),
    })
}

const COLUMNS: [Column; 6] = [
    Column::left("way"),
    Column::right("reads/s"),
    Column::right("major faults"),
    Column::right("refaults"),
    Column::right("disk/used"),
    Column::right("TLB/s"),
];

fn row(cell: &Cell) -> Vec<String> {
    let timeline = cell.outcome.timeline.clone().unwrap_or_default();
    let seconds = cell.outcome.elapsed_ns as f64 / 1e9;
    vec![
        cell.label.clone(),
        count(cell.accesses_per_sec.round() as u64),
        count(cell.outcome.major_faults),
        count(timeline.total(|p| p.refaults)),
        cell.disk_bytes_per_useful_byte
            .map_or("-".to_string(), |r| format!("{r:.1}x")),
        timeline
            .points
            .iter()
            .map(|p| p.tlb_shootdowns)
            .sum::<Option<u64>>()
            .map_or("-".to_string(), |n| {
                count((n as f64 / seconds).round() as u64)
            }),
    ]
}

/// The lesson's runs as a pressure scenario, for the report's findings.
fn spec(page_cache: u64) -> PressureSpec {
    PressureSpec {
        name: "demo-pressure".to_string(),
        about: "the lesson's runs".to_string(),
        file: "demo pressure".into(),
        size: FILE_SIZE,
        beyond_memory: None,
        sparse: false,
        page_cache: Some(page_cache),
        floor: None,
        threads: vec![THREADS],
        duration: RUN_TIME,
        interval: INTERVAL,
        pattern: Pattern::Random { record: 4096 },
        consume: Consume::Touch,
        warm: false,
        seed: SEED,
        methods: ways().to_vec(),
    }
}

/// What the figures above cannot show on this machine, from its facts.
fn limits(results: &PressureResults) -> String {
    let cores = results.machine.cores;
    let mut out = vec![format!(
        "- {cores} CPU{}: a TLB shootdown interrupts every other CPU that may hold the unmapped page, so its cost grows with CPUs; here it reaches at most {} other CPU{} (the paper's 100 threads on many cores took up to 1.8 M a second).",
        if cores == 1 { "" } else { "s" },
        cores.saturating_sub(1),
        if cores == 2 { "" } else { "s" }
    )];
    let environment = crate::environment::Environment::since(&crate::environment::Snapshot::take());
    if environment.hypervisor {
        out.push("- A virtual machine: the disk is a virtual disk, so O_DIRECT's rate is its speed, not an SSD's; and a paravirtual TLB flush may skip the interrupt to a vCPU that is not running, so shootdowns are undercounted.".to_string());
    }
    out.push("- Every counter but the faults is the whole machine's: other processes' files are squeezed out and read back too, and they read, fault and unmap while the lesson runs.".to_string());
    out.push(format!(
        "- A short run: {} s a way, on a file {:.1} times the size of the cache. scenarios/pressure/ runs longer, larger and with fio beside it.",
        RUN_TIME.as_secs(),
        FILE_SIZE as f64 / results.scenario.page_cache.unwrap_or(FILE_SIZE).max(1) as f64
    ));
    out.join("\n")
}

/// The question before the numbers.
fn predict(steps: &mut Steps) -> anyhow::Result<()> {
    steps.step("Predict first: what happens to a map when the file stops fitting?")?;
    steps.say(
        "Every lesson so far read a file that fits in memory, where a map looks\n\
         best. A database keeps one map of a file far larger than memory, and\n\
         many threads read random pages of it. Here two threads read random\n\
         4 KiB pages of a file four times larger than the page cache is\n\
         allowed to be, three ways:\n\
         - one shared map with the default advice;\n\
         - one shared map advised MADV_RANDOM;\n\
         - pread with O_DIRECT, past the page cache.\n\
         \n\
         Guess before you read on:\n\
         - Which way does the most reads a second? Which the fewest, and by\n\
         how much?\n\
         - For each page the map with the default advice uses, how many bytes\n\
         does the disk read?\n\
         - Which ways make the kernel evict pages, and interrupt the other\n\
         CPU to flush its TLB?",
    )?;
    Ok(())
}
