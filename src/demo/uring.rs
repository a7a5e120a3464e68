//! Lesson `uring`: "a map wins because it makes fewer system calls", taken
//! apart without a map. The same 1,000 random 4 KiB records of one file are
//! read with one `pread` each, through io_uring at depth 1 and at depth 32,
//! and with O_DIRECT (pread, and io_uring at depth 32), warm and cold: time,
//! system calls, ring enters and requests, disk bytes,
//! and how much of the file a cold read leaves in the page cache.

use super::{Sandbox, Steps};
use crate::cache;
use crate::fill::CacheFill;
use crate::fixture::{Fixture, VerifyError};
use crate::layout::{Column, WIDEST_COUNT, WIDEST_SIZE, WIDEST_TIME};
use crate::method::{ChunkedCalls, Direct, MethodKind, Positioned, Unavailable, Uring};
use crate::operation::{Operation, RandomRead};
use crate::probe::Probe;
use crate::report::format::count as thousands;
use crate::results::Counters;
use crate::units::{ApproxSize, ExactSize, Nanos};
use crate::vocab::Cache;
use crate::words::and_list;
use crate::workload::record_offsets;
use anyhow::Context;
use std::collections::BTreeSet;
use std::fs::File;
use std::io::{self, Read};
use std::path::Path;
use std::time::Duration;

/// This file: the code its steps show ([`super::shown`]).
pub const SOURCE: &str = include_str!("uring.rs");

/// The file read.
pub const SIZE: u64 = 64 << 20;
/// Records read by one operation.
pub const COUNT: u64 = 1000;
/// Bytes in a record (and in every request).
pub const RECORD: u64 = 4096;
/// Requests the deep ring keeps in flight.
pub const DEPTH: u32 = 32;
/// Timed runs of each way, warm and cold; the median is shown.
pub const ROUNDS: usize = 9;
/// Operations in one warm timed sample (their mean is the sample): a warm
/// operation takes about a millisecond, and one alone swings with whatever
/// else the machine is doing.
const WARM_BURST: u32 = 5;
/// Seed of the file's contents and of the offsets.
const SEED: u64 = 32;

/// pread, one call per record (the ways' labels follow).
pub const PREAD: &str = "pread";
/// io_uring, one request in flight.
pub const RING_1: &str = "uring depth 1";
/// io_uring, [`DEPTH`] requests in flight.
pub const RING_DEEP: &str = "uring depth 32";
/// pread on a file opened with O_DIRECT.
pub const DIRECT: &str = "direct pread";
/// io_uring at [`DEPTH`] on a file opened with O_DIRECT.
pub const DIRECT_RING: &str = "direct uring 32";

/// The five ways of reading, in the order the lesson shows them.
pub fn methods() -> [(&'static str, MethodKind); 5] {
    // lesson:ways begin
    let ring = |depth, direct| {
        MethodKind::Uring(Uring {
            chunk: RECORD as usize,
            depth,
            fixed: false,
            direct,
        })
    };
    [
        (
            PREAD,
            MethodKind::Positioned(Positioned {
                calls: ChunkedCalls {
                    chunk: RECORD as usize,
                    buffer_offset: 0,
                },
            }),
        ),
        (RING_1, ring(1, false)),
        (RING_DEEP, ring(DEPTH, false)),
        (
            DIRECT,
            MethodKind::Direct(Direct {
                chunk: RECORD as usize,
            }),
        ),
        (DIRECT_RING, ring(DEPTH, true)),
    ]
    // lesson:ways end
}

/// One way measured in one cache state.
#[derive(Debug, Clone)]
pub struct Cell {
    /// Median wall time of one operation (all the records).
    pub time: Duration,
    /// Each timed run's time, in round order (what the judgement of
    /// [`crate::judge`] compares).
    pub times: Vec<Duration>,
    /// Counters of one operation, taken in the counting session.
    pub counters: Counters,
    /// Cold only: the fraction of the file in the page cache right after
    /// the counted operation.
    pub resident_after: Option<f64>,
}

impl Cell {
    /// Records read per second.
    pub fn per_second(&self, count: u64) -> f64 {
        count as f64 / self.time.as_secs_f64().max(1e-12)
    }

    /// Every system call, where they could be counted.
    pub fn syscalls(&self) -> Option<u64> {
        self.counters.syscalls
    }

    /// The calls that move the data: read calls plus io_uring_enter calls
    /// (what can be counted without root).
    pub fn io_calls(&self) -> u64 {
        self.counters.read_calls + self.counters.ring_enters
    }
}

/// One way of reading the records, and what it did warm and cold.
#[derive(Debug, Clone)]
pub struct Way {
    /// How the lesson names it.
    pub label: &'static str,
    /// The method and its options.
    pub kind: MethodKind,
    /// Why this machine cannot run it (no io_uring, no O_DIRECT), if so.
    pub unavailable: Option<String>,
    /// The file in the page cache.
    pub warm: Option<Cell>,
    /// The file evicted before each operation.
    pub cold: Option<Cell>,
}

impl Way {
    /// The cell for one cache state.
    pub fn cell(&self, cold: bool) -> Option<&Cell> {
        if cold {
            self.cold.as_ref()
        } else {
            self.warm.as_ref()
        }
    }
}

/// What the lesson saw.
#[derive(Debug, Clone)]
pub struct UringFacts {
    /// Size of the file.
    pub size: u64,
    /// Records per operation.
    pub count: u64,
    /// Bytes per record.
    pub record: u64,
    /// Distinct records among the offsets (a few repeat).
    pub distinct: u64,
    /// Whether every system call could be counted (root, or perf allowed).
    pub syscalls_counted: bool,
    /// Why not, when they could not.
    pub syscall_source: String,
    /// True when the file lived on a memory filesystem (it cannot be cold there).
    pub memory_backed: bool,
    /// Fraction of the file in the page cache before the warm counts.
    pub warm_resident: f64,
    /// Time of one system call that does no work (getppid), on this thread.
    pub trip: Duration,
    /// The five ways, in [`methods`] order.
    pub ways: Vec<Way>,
}

impl UringFacts {
    /// The way called `label`.
    pub fn way(&self, label: &str) -> Option<&Way> {
        self.ways.iter().find(|w| w.label == label)
    }

    /// The way called `label` in one cache state, when it ran.
    pub fn cell(&self, label: &str, cold: bool) -> Option<&Cell> {
        self.way(label)?.cell(cold)
    }

    /// Bytes one operation asks for: records times their size.
    pub fn payload(&self) -> u64 {
        self.count * self.record
    }
}

/// Runs the lesson on a 64 MiB file, 5 timed runs per way and cache state.
pub fn run(steps: &mut Steps) -> anyhow::Result<UringFacts> {
    run_sized(steps, SIZE, ROUNDS)
}

/// Runs the lesson on a file of `size` bytes with `rounds` timed runs per
/// way and cache state (tests use a smaller file and fewer rounds).
pub fn run_sized(steps: &mut Steps, size: u64, rounds: usize) -> anyhow::Result<UringFacts> {
    let sandbox = Sandbox::new()?;
    let rounds = rounds.max(1);
    let mut probe = Probe::new()?;
    let counting = probe.syscall_counting();

    predict(steps)?;

    steps.step(&format!(
        "Make a {} file and draw {} record offsets from a seed.",
        ExactSize(size),
        thousands(COUNT)
    ))?;
    steps.show(SOURCE, "make")?;
    // lesson:make begin
    // generated bytes written with one std::fs::write
    let operation = Operation::RandomRead(RandomRead {
        count: COUNT,
        record: RECORD,
        threads: 1,
    });
    let mut file = Fixture::new(
        operation,
        Cache::Warm,
        CacheFill::OneWrite,
        SEED,
        size,
        sandbox.work().path(),
    )?;
    // each a multiple of 4096: O_DIRECT needs aligned offsets
    let offsets = record_offsets(SEED, size, RECORD, COUNT);
    // lesson:make end
    let distinct = offsets.iter().collect::<BTreeSet<_>>().len() as u64;
    let memory_backed = sandbox.work().is_memory_backed();
    steps.result(&format!(
        "{} on {}; {} offsets, {} of them different",
        ExactSize(size),
        sandbox.work().filesystem(),
        thousands(COUNT),
        thousands(distinct)
    ))?;
    if memory_backed {
        steps.say(
            "This directory is on a memory filesystem: its pages cannot be dropped,\n\
             and O_DIRECT has no disk to go to. Set TMPDIR to a disk.",
        )?;
    }

    steps.step("Five ways to read those records, each checked against the file.")?;
    steps.show(SOURCE, "ways")?;
    steps.say(
        "The ways are mmap-lab's own methods, the code `mmap-lab run`\n\
         measures: src/method/positioned.rs makes one read_at (pread) per\n\
         record; src/method/uring.rs queues up to `depth` reads on the ring,\n\
         submits them with one io_uring_enter and collects what has finished;\n\
         src/method/direct.rs opens the file with O_DIRECT.",
    )?;
    let mut ways: Vec<Way> = Vec::new();
    let mut lines = Vec::new();
    let mut sums = Vec::new();
    for (label, kind) in methods() {
        let unavailable = match file.verify_method(kind.io()) {
            Ok(sum) => {
                sums.push(sum);
                None
            }
            Err(VerifyError::Io(e)) => match Unavailable::reason_of(&e) {
                Some(reason) => Some(reason),
                None => return Err(anyhow::anyhow!("{label} failed: {e}")),
            },
            Err(e) => return Err(anyhow::anyhow!("{label} read the records wrongly: {e}")),
        };
        lines.push(match &unavailable {
            None => format!("{label:<15}  checksum {:#018x}", sums[sums.len() - 1]),
            Some(_) => format!("{label:<15}  skipped"),
        });
        ways.push(Way {
            label,
            kind,
            unavailable,
            warm: None,
            cold: None,
        });
    }
    steps.result(&lines.join("\n"))?;
    let skipped: Vec<&Way> = ways.iter().filter(|w| w.unavailable.is_some()).collect();
    if !skipped.is_empty() {
        let mut reasons: Vec<&str> = Vec::new();
        for way in &skipped {
            let reason = way.unavailable.as_deref().unwrap_or_default();
            if !reasons.contains(&reason) {
                reasons.push(reason);
            }
        }
        steps.result(&reasons.join("\n"))?;
        let names: Vec<&str> = skipped.iter().map(|w| w.label).collect();
        steps.say(&format!(
            "This machine cannot run {}: the lesson goes on without {}.",
            and_list(&names),
            if skipped.len() == 1 { "it" } else { "them" }
        ))?;
    }

    steps.step("Time them: warm, then cold (evicted before every run).")?;
    steps.show(SOURCE, "time")?;
    let warm_resident = measure(&mut file, &mut probe, &mut ways, rounds)?;
    let trip = Duration::from_nanos(crate::observer::per_call_ns().round() as u64);
    let facts = UringFacts {
        size,
        count: COUNT,
        record: RECORD,
        distinct,
        syscalls_counted: counting.available,
        syscall_source: counting.source,
        memory_backed,
        warm_resident,
        trip,
        ways,
    };
    steps.table(&TIME_COLUMNS, &time_rows(&facts))?;
    steps.say(&format!(
        "warm: one run of all {count} reads (the mean of {WARM_BURST} in a row), median\n\
         of {rounds}. cold: one run after eviction, median of {rounds}. cold reads/s:\n\
         {count} divided by the cold time. cached after: how much of the file\n\
         a cold run left in the page cache.",
        count = thousands(COUNT)
    ))?;

    steps.step("Count them, all in one counting session.")?;
    steps.show(SOURCE, "count")?;
    let columns = count_columns(facts.syscalls_counted);
    steps.result(&format!(
        "warm: the file read whole first, {:.0}% of it in the page cache",
        facts.warm_resident * 100.0
    ))?;
    steps.table(&columns, &count_rows(&facts, false))?;
    steps.result("cold: evicted before each way")?;
    steps.table(&columns, &count_rows(&facts, true))?;
    steps.say(
        "syscalls: every system call, open and close included. reads: read\n\
         calls. enters: io_uring_enter calls. requests: reads queued on the\n\
         ring. disk read:\n\
         bytes this thread had the device read.",
    )?;
    if !facts.syscalls_counted {
        steps.say(&format!(
            "(No syscalls column: system calls cannot be counted here: {}. The\n\
             reads and enters columns still show the calls that move the data.)",
            facts.syscall_source
        ))?;
    }

    steps.step("What the ring saves: system calls.")?;
    steps.say(&calls_sentence(&facts))?;

    steps.step("Warm: fewer calls, the same work.")?;
    steps.say(
        "crate::observer::per_call_ns() times batches of 20,000 getppid()\n\
         calls with no counter open and keeps the fastest batch's mean.",
    )?;
    steps.result(&format!(
        "one system call that does no work (getppid): {}",
        nanos(facts.trip.as_nanos() as f64)
    ))?;
    steps.say(&warm_sentence(&facts))?;

    steps.step("Cold: reads in flight together.")?;
    steps.say(&cold_sentence(&facts))?;

    steps.step("O_DIRECT: past the page cache.")?;
    steps.say(&direct_sentence(&facts))?;

    steps.step("Your predictions, checked.")?;
    steps.say(&answers(&facts))?;
    steps.say(
        "\nAnd the map? It makes no read calls at all, and copies nothing; the\n\
         ring shows what the fewer calls alone are worth. Every page a map\n\
         touches first still costs a page fault, in which the kernel finds the\n\
         page much as a read does (lessons why and faults). Cold, a fault is\n\
         not a 4 KiB read at depth 1: it reads a window around the page\n\
         (read-around), so random touches of a cold map can read far more\n\
         from the disk than the records they need, and madvise(MADV_RANDOM)\n\
         turns that off (lessons cold and faults). This lesson did not\n\
         measure a map.",
    )?;

    Ok(facts)
}

/// Step 1: the questions to answer before the numbers come.
fn predict(steps: &mut Steps) -> anyhow::Result<()> {
    steps.step("Predict first: how many system calls do 1,000 reads take?")?;
    steps.say(
        "A map is said to win because it makes fewer system calls. This lesson\n\
         makes fewer calls without a map. The same 1,000 reads of 4 KiB, at\n\
         random places in one file, are done five ways:\n\
         - pread: one system call per read;\n\
         - io_uring at depth 1 and at depth 32: the program puts reads in a\n\
         queue it shares with the kernel and hands a batch over with one\n\
         io_uring_enter call, keeping up to 1 or 32 reads in flight;\n\
         - O_DIRECT, with pread and with the ring at depth 32: the kernel moves\n\
         the bytes between the device and our buffer, past the page cache.\n\
         \n\
         Each runs warm (the file in the page cache) and cold (evicted first).\n\
         Guess before you read on:\n\
         - How many system calls do the 1,000 reads take through a ring at\n\
         depth 32?\n\
         - Warm, is depth 32 faster than pread? 32 times faster?\n\
         - Do O_DIRECT reads of a warm file touch the disk?",
    )?;
    Ok(())
}

/// Reads the whole file once, so every page is in the page cache.
fn warm_up(path: &Path) -> anyhow::Result<()> {
    let mut file = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let mut buffer = vec![0u8; 1 << 20];
    while file.read(&mut buffer)? > 0 {}
    Ok(())
}

/// Times every available way warm and then cold, with no counter open,
/// then counts one operation of each, warm and cold, in one counting
/// session; fills in each way's cells. Returns the fraction of the file in
/// the page cache when the warm counts began.
fn measure(
    file: &mut Fixture,
    probe: &mut Probe,
    ways: &mut [Way],
    rounds: usize,
) -> anyhow::Result<f64> {
    let path = file.input_paths()[0].clone();
    warm_up(&path)?;
    let warm_times = time_all(file, ways, Cache::Warm, rounds)?;
    let cold_times = time_all(file, ways, Cache::Cold, rounds)?;
    // The cold runs left the file mostly out of memory: read it whole
    // again before the warm counts.
    warm_up(&path)?;
    let resident = cache::resident_fraction(&path)?;
    // Closing the counters costs the kernel a few hundred milliseconds:
    // one session for all the counts.
    // lesson:count begin
    // count_all: file.counted_sample(method, probe) for each way
    probe.start_counting()?;
    let warm = count_all(file, probe, ways, Cache::Warm);
    let counted = warm.and_then(|warm| {
        let cold = count_all(file, probe, ways, Cache::Cold)?;
        Ok((warm, cold))
    });
    probe.stop_counting();
    // lesson:count end
    let (warm_counts, cold_counts) = counted?;
    for (index, way) in ways.iter_mut().enumerate() {
        way.warm = cell(warm_times[index].clone(), warm_counts[index]);
        way.cold = cell(cold_times[index].clone(), cold_counts[index]);
    }
    Ok(resident)
}

/// One counted operation: its counters and, cold, how much of the file it
/// left in the page cache.
type Counted = (Counters, Option<f64>);

/// A cell from a way's timed runs and its counted operation, when it ran.
fn cell(times: Option<Vec<Duration>>, counted: Option<Counted>) -> Option<Cell> {
    let (times, (counters, resident_after)) = times.zip(counted)?;
    Some(Cell {
        time: crate::stats::median(&times)?,
        times,
        counters,
        resident_after,
    })
}

/// The timed runs of each available way in one cache state, the ways
/// taking turns round by round (`None` for a way that cannot run).
fn time_all(
    file: &mut Fixture,
    ways: &[Way],
    cache: Cache,
    rounds: usize,
) -> io::Result<Vec<Option<Vec<Duration>>>> {
    // lesson:time begin
    // cold: each sample evicts the file first (fsync + fadvise(DONTNEED))
    file.set_cache(cache);
    let burst = if cache == Cache::Warm { WARM_BURST } else { 1 };
    let mut times = vec![Vec::new(); ways.len()];
    for _ in 0..rounds {
        for (index, way) in ways.iter().enumerate() {
            if way.unavailable.is_none() {
                let sample = file.timed_sample(way.kind.io(), burst)?;
                times[index].push(sample.elapsed); // no counter open
            }
        }
    }
    // lesson:time end
    Ok(ways
        .iter()
        .zip(times)
        .map(|(way, times)| way.unavailable.is_none().then_some(times))
        .collect())
}

/// Counters of one operation of each available way in one cache state,
/// and for cold operations how much of the file each left in the page cache.
fn count_all(
    file: &mut Fixture,
    probe: &mut Probe,
    ways: &[Way],
    cache: Cache,
) -> io::Result<Vec<Option<Counted>>> {
    file.set_cache(cache);
    ways.iter()
        .map(|way| {
            if way.unavailable.is_some() {
                return Ok(None);
            }
            let (sample, counters) = file.counted_sample(way.kind.io(), probe)?;
            Ok(Some((counters, sample.resident_after)))
        })
        .collect()
}

/// Columns of the time table.
const TIME_COLUMNS: [Column; 5] = [
    Column::left("method").holding(DIRECT_RING),
    Column::right("warm").holding(WIDEST_TIME),
    Column::right("cold").holding(WIDEST_TIME),
    Column::right("cold reads/s").holding(WIDEST_COUNT),
    Column::right("cached after").holding("100.0%"),
];

/// One row per way under [`TIME_COLUMNS`]; a way that did not run shows dashes.
fn time_rows(facts: &UringFacts) -> Vec<Vec<String>> {
    let time = |cell: Option<&Cell>| {
        cell.map_or("-".to_string(), |c| {
            Nanos(c.time.as_nanos() as f64).to_string()
        })
    };
    facts
        .ways
        .iter()
        .map(|way| {
            vec![
                way.label.to_string(),
                time(way.cell(false)),
                time(way.cell(true)),
                way.cold.as_ref().map_or("-".to_string(), |c| {
                    format!("{:.0}", c.per_second(facts.count))
                }),
                way.cold
                    .as_ref()
                    .and_then(|c| c.resident_after)
                    .map_or("-".to_string(), |r| format!("{:.1}%", r * 100.0)),
            ]
        })
        .collect()
}

/// Columns of the count tables; the syscalls column only where system
/// calls could be counted.
fn count_columns(syscalls_counted: bool) -> Vec<Column<'static>> {
    let mut columns = vec![Column::left("method").holding(DIRECT_RING)];
    if syscalls_counted {
        columns.push(Column::right("syscalls").holding(WIDEST_COUNT));
    }
    columns.extend([
        Column::right("reads").holding(WIDEST_COUNT),
        Column::right("enters").holding(WIDEST_COUNT),
        Column::right("requests").holding(WIDEST_COUNT),
        Column::right("disk read").holding(WIDEST_SIZE),
    ]);
    columns
}

/// One row per way under [`count_columns`]; a way that did not run shows dashes.
fn count_rows(facts: &UringFacts, cold: bool) -> Vec<Vec<String>> {
    let width = count_columns(facts.syscalls_counted).len();
    facts
        .ways
        .iter()
        .map(|way| match way.cell(cold) {
            None => {
                let mut row = vec![way.label.to_string()];
                row.resize(width, "-".to_string());
                row
            }
            Some(cell) => {
                let c = &cell.counters;
                let mut row = vec![way.label.to_string()];
                if facts.syscalls_counted {
                    row.push(c.syscalls.map_or("-".to_string(), |n| n.to_string()));
                }
                row.extend([
                    c.read_calls.to_string(),
                    c.ring_enters.to_string(),
                    c.ring_requests.to_string(),
                    ApproxSize(c.disk_read_bytes as f64).to_string(),
                ]);
                row
            }
        })
        .collect()
}

/// How one way's times compared with another's, by the project's one
/// judgement of noise ([`crate::judge`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pace {
    /// Faster beyond noise.
    Faster,
    /// The same within noise.
    Even,
    /// Slower beyond noise.
    Slower,
}

impl Pace {
    /// The pace of `a` against `b`, judged on their timed runs.
    pub fn of(a: &Cell, b: &Cell) -> Pace {
        let secs = |c: &Cell| -> Vec<f64> { c.times.iter().map(Duration::as_secs_f64).collect() };
        match crate::judge::judge(&secs(b), &secs(a)).outcome {
            crate::judge::Outcome::Faster => Pace::Faster,
            crate::judge::Outcome::Same => Pace::Even,
            crate::judge::Outcome::Slower => Pace::Slower,
        }
    }
}

/// `a` as fast as `b` how many times: `b`'s time over `a`'s.
fn speedup(a: &Cell, b: &Cell) -> f64 {
    b.time.as_secs_f64() / a.time.as_secs_f64().max(1e-12)
}

/// The calls compared: every system call where counted, else read and
/// enter calls.
fn calls_of(cell: &Cell) -> u64 {
    cell.syscalls().unwrap_or_else(|| cell.io_calls())
}

/// Time per record, for prose.
fn per_read(cell: &Cell, count: u64) -> String {
    nanos(cell.time.as_nanos() as f64 / count.max(1) as f64)
}

/// A time for prose (`201.3 µs`), its number and unit kept on one line.
fn nanos(ns: f64) -> String {
    Nanos(ns).to_string().replace(' ', "\u{a0}")
}

/// A byte count for prose (`3.9 MiB`), its number and unit kept on one line.
fn bytes(count: u64) -> String {
    ApproxSize(count as f64).to_string().replace(' ', "\u{a0}")
}

/// A rate of reads per second, rounded to a whole number, with commas.
fn rate(cell: &Cell, count: u64) -> String {
    thousands(cell.per_second(count).round() as u64)
}

/// Where the lesson said why the way called `label` did not run.
fn reason(facts: &UringFacts, label: &str) -> &'static str {
    match facts.way(label).and_then(|w| w.unavailable.as_ref()) {
        Some(_) => "step 3 says why",
        None => "it did not run",
    }
}

/// What the warm call counts say: one call per read for pread and the
/// shallow ring, about one per `depth` reads for the deep ring.
pub fn calls_sentence(facts: &UringFacts) -> String {
    let Some(pread) = facts.cell(PREAD, false) else {
        return "pread did not run, so there is nothing to compare with.".to_string();
    };
    let mut text = format!(
        "Warm, pread made {} read calls for {} records, one system call each",
        thousands(pread.counters.read_calls),
        thousands(facts.count)
    );
    match pread.syscalls() {
        Some(n) => text += &format!(" ({} in all, with open and close).", thousands(n)),
        None => text.push('.'),
    }
    if let Some(one) = facts.cell(RING_1, false) {
        text += &format!(
            " The ring at depth 1 made {} io_uring_enter calls: one per read again,\n\
             since each enter waits for the one read in flight.",
            thousands(one.counters.ring_enters)
        );
    }
    let Some(deep) = facts.cell(RING_DEEP, false) else {
        return format!(
            "{text} io_uring could not run here ({}), so there is no ring to compare.",
            reason(facts, RING_DEEP)
        );
    };
    let c = &deep.counters;
    text += &format!(
        " At depth {DEPTH} the ring queued the same {} requests with {} enters",
        thousands(c.ring_requests),
        c.ring_enters
    );
    if let Some(n) = deep.syscalls() {
        text += &format!(" ({n} system calls in all)");
    }
    let cut = calls_of(pread) as f64 / calls_of(deep).max(1) as f64;
    if cut >= 2.0 {
        text += &format!(
            ": {cut:.0}x fewer calls than pread, one enter for every {:.0} reads.\n\
             Each enter hands the kernel every read queued since the last one,\n\
             and the program then collects every read that has finished.",
            c.ring_requests as f64 / c.ring_enters.max(1) as f64
        );
    } else {
        text += &format!(
            ": no fewer calls than pread ({cut:.1}x): the ring waited for its reads\n\
             about one at a time."
        );
    }
    text
}

/// What the warm times say: how much faster the deep ring was than pread,
/// against how many fewer calls it made, and what each call saved was worth.
pub fn warm_sentence(facts: &UringFacts) -> String {
    let (Some(pread), Some(deep)) = (facts.cell(PREAD, false), facts.cell(RING_DEEP, false)) else {
        return "Without both pread and the ring there is no warm comparison here.".to_string();
    };
    let count = facts.count;
    let fast = speedup(deep, pread);
    let cut = calls_of(pread) as f64 / calls_of(deep).max(1) as f64;
    let mut text = format!(
        "Warm, pread took {} a read and the ring at depth {DEPTH} {} a read: ",
        per_read(pread, count),
        per_read(deep, count)
    );
    let pace = Pace::of(deep, pread);
    text += &match pace {
        Pace::Faster => format!("{fast:.2}x as fast"),
        Pace::Even => format!("the same within noise ({fast:.2}x)"),
        Pace::Slower => format!("slower ({:.2}x pread's time)", 1.0 / fast),
    };
    if cut >= 2.0 && (pace != Pace::Faster || fast < cut / 2.0) {
        text += &format!(
            ", with {cut:.0}x fewer calls. Fewer calls did not mean less work: for\n\
             every request the kernel still finds the page in the page cache and\n\
             copies 4 KiB out of it, as it does for pread, and the ring adds its\n\
             own bookkeeping (a submission entry in, a completion entry out). A\n\
             batch shares only the way into the kernel and back out."
        );
    } else if cut >= 2.0 {
        text += &format!(
            ", about as much as it cut the calls ({cut:.0}x): here entering and\n\
             leaving the kernel was most of what a read cost."
        );
    } else {
        text.push('.');
    }
    let saved = calls_of(pread).saturating_sub(calls_of(deep));
    if saved > 0 {
        text += &trip_sentence(facts, pread, deep, saved);
    }
    if let Some(one) = facts.cell(RING_1, false) {
        let slower = 1.0 / speedup(one, pread);
        text += &match Pace::of(one, pread) {
            Pace::Slower => format!(
                "\n\nAt depth 1 the ring took {slower:.2}x pread's time: one call per read,\n\
                 as pread, plus the ring's bookkeeping."
            ),
            Pace::Even => format!(
                "\n\nAt depth 1 the ring took pread's time within noise ({slower:.2}x):\n\
                 one call per read either way."
            ),
            Pace::Faster => format!(
                "\n\nAt depth 1 the ring took only {slower:.2}x pread's time with as many\n\
                 calls: its way through the kernel was the shorter one here."
            ),
        };
    }
    text
}

/// What the calls the deep ring saved were worth, from the time of an
/// empty system call, against the time it saved.
fn trip_sentence(facts: &UringFacts, pread: &Cell, deep: &Cell, saved: u64) -> String {
    let trip = facts.trip.as_nanos() as f64;
    let worth = trip * saved as f64;
    let gained = pread.time.as_nanos() as f64 - deep.time.as_nanos() as f64;
    let mut text = format!(
        "\n\nAt {} an empty call, the {} calls the ring saved are worth about\n\
         {}. ",
        nanos(trip),
        thousands(saved),
        nanos(worth)
    );
    if gained <= 0.0 {
        text += "Yet the ring finished no sooner than pread: its bookkeeping cost\n\
                 as much as the calls it saved.";
        return text;
    }
    if Pace::of(deep, pread) == Pace::Even {
        text += &format!(
            "The ring's median was {} below pread's, but inside the noise of\n\
             these runs: this run cannot say what the saved calls were worth.",
            nanos(gained)
        );
        return text;
    }
    text += &format!(
        "The ring finished {} sooner than pread, {:.1}x that. (A read call does\n\
         more on its way in and out than getppid does; warm times of a\n\
         millisecond also move with whatever else the machine is doing, so\n\
         run the lesson again and compare.)",
        nanos(gained),
        gained / worth.max(1.0)
    );
    text += &format!(
        " What remains, {} a read at depth {DEPTH}, is everything else: the\n\
         kernel's work on each request (finding the page, copying 4 KiB), the\n\
         checksum of each record and the file's open and close. No batching\n\
         removes the kernel's part.",
        per_read(deep, facts.count)
    );
    text
}

/// What the cold times say: one read in flight against many.
pub fn cold_sentence(facts: &UringFacts) -> String {
    let count = facts.count;
    let Some(pread) = facts.cell(PREAD, true) else {
        return "pread did not run, so there is nothing to compare with.".to_string();
    };
    let mut text = String::new();
    if facts.memory_backed {
        text += "(This file lives in memory, so the cold runs were warm too.) ";
    }
    text += &format!(
        "Cold, every read waits for the device. pread managed {} reads a\n\
         second: one read in flight, so each wait starts when the one before\n\
         ends.",
        rate(pread, count)
    );
    if let Some(one) = facts.cell(RING_1, true) {
        let x = speedup(one, pread);
        text += &match Pace::of(one, pread) {
            Pace::Even => format!(
                " The ring at depth 1 managed {}: the same within noise ({x:.2}x), for\n\
                 the same reason.",
                rate(one, count)
            ),
            Pace::Faster => format!(
                " The ring at depth 1 managed {}, {x:.2}x pread, with one read in\n\
                 flight too.",
                rate(one, count)
            ),
            Pace::Slower => format!(
                " The ring at depth 1 managed only {}, {x:.2}x pread's rate, with one\n\
                 read in flight too.",
                rate(one, count)
            ),
        };
    }
    let Some(deep) = facts.cell(RING_DEEP, true) else {
        return format!(
            "{text} io_uring could not run here ({}), so depth cannot be tried.",
            reason(facts, RING_DEEP)
        );
    };
    let x = speedup(deep, pread);
    let cold_pace = Pace::of(deep, pread);
    text += &match cold_pace {
        Pace::Faster => format!(
            " At depth {DEPTH} the ring managed {}, {x:.1}x pread: with up to {DEPTH} reads\n\
             queued at once, the device works on several together and their waits\n\
             overlap.",
            rate(deep, count)
        ),
        Pace::Even => format!(
            " At depth {DEPTH} the ring managed {}, pread's rate within noise\n\
             ({x:.2}x): this device served no more reads at once than one at a time.",
            rate(deep, count)
        ),
        Pace::Slower => format!(
            " At depth {DEPTH} the ring managed only {}, {x:.2}x pread's rate: more\n\
             reads in flight did not help this device.",
            rate(deep, count)
        ),
    };
    if let Some(warm) = facts.cell(RING_DEEP, false) {
        let (cold_enters, warm_enters) = (deep.counters.ring_enters, warm.counters.ring_enters);
        if cold_enters * 5 > warm_enters * 6 {
            text += &format!(
                " It took {cold_enters} enters for it, against {warm_enters} warm: a wait\n\
                 ends once a read is done, and from a device reads finish a few at a\n\
                 time."
            );
        } else {
            text +=
                &format!(" It took {cold_enters} enters for it, as few as warm ({warm_enters}).");
        }
    }
    if deep.counters.disk_read_bytes == 0 && pread.counters.disk_read_bytes > 0 {
        text += " Its disk read column says 0: the kernel handed those reads to its\n\
                 io-wq worker threads, whose disk reads count for them, not for this\n\
                 thread.";
    }
    if let (Some(warm_pread), Some(warm_deep)) =
        (facts.cell(PREAD, false), facts.cell(RING_DEEP, false))
    {
        let warm_x = speedup(warm_deep, warm_pread);
        let warm_pace = Pace::of(warm_deep, warm_pread);
        text += &match (cold_pace, warm_pace) {
            (Pace::Faster, Pace::Faster) => {
                format!("\n\nDepth paid off both cold ({x:.1}x) and warm ({warm_x:.1}x) here.")
            }
            (Pace::Faster, _) => format!(
                "\n\nSo depth paid off cold ({x:.1}x) and not warm ({warm_x:.2}x, {}): it\n\
                 is for waiting on a device, not for reading memory.",
                if warm_pace == Pace::Even {
                    "the same as pread within noise"
                } else {
                    "slower than pread"
                }
            ),
            _ => format!("\n\nDepth did not pay off cold here ({x:.2}x; warm {warm_x:.2}x)."),
        };
    }
    if let (Some(direct), Some(ring)) = (facts.cell(DIRECT, true), facts.cell(DIRECT_RING, true)) {
        let y = speedup(ring, direct);
        let pace = Pace::of(ring, direct);
        text += &format!(
            " With O_DIRECT: {} reads a second with pread, {} through the ring at\n\
             depth {DEPTH}, {}.",
            rate(direct, count),
            rate(ring, count),
            match pace {
                Pace::Faster => format!("{y:.1}x as many"),
                Pace::Even => format!("as many within noise ({y:.2}x)"),
                Pace::Slower => format!("fewer ({y:.2}x)"),
            }
        );
    }
    text
}

/// What O_DIRECT did: the device read warm and cold, nothing left in the
/// page cache, and bytes returned that the CPU never copied.
pub fn direct_sentence(facts: &UringFacts) -> String {
    let count = facts.count;
    let payload = facts.payload();
    let Some(warm) = facts.cell(DIRECT, false) else {
        return format!(
            "O_DIRECT could not run here ({}), so there is nothing to show.",
            reason(facts, DIRECT)
        );
    };
    let disk = warm.counters.disk_read_bytes;
    let mut text = if disk >= payload {
        format!(
            "Warm, direct pread had the device read {}, all {} records, repeats\n\
             included, though the whole file was in the page cache: O_DIRECT does\n\
             not look there, so every read goes to the device.",
            bytes(disk),
            thousands(count)
        )
    } else if disk == 0 {
        format!(
            "Warm, direct pread read nothing from the disk{}.",
            if facts.memory_backed {
                ": this file system keeps files in memory, so O_DIRECT has no disk to go to"
            } else {
                ""
            }
        )
    } else {
        format!(
            "Warm, direct pread had the device read {}, {:.0}% of the {} asked for.",
            bytes(disk),
            disk as f64 * 100.0 / payload as f64,
            bytes(payload)
        )
    };
    if let Some(pread) = facts.cell(PREAD, false) {
        let slower = 1.0 / speedup(warm, pread);
        if Pace::of(warm, pread) == Pace::Slower {
            text += &format!(" So warm it took {slower:.0}x pread's time");
            match facts.cell(DIRECT, true) {
                Some(cold) if Pace::of(warm, cold) == Pace::Even => {
                    text += &format!(
                        ", its own cold time within noise ({} against {}).",
                        nanos(warm.time.as_nanos() as f64),
                        nanos(cold.time.as_nanos() as f64)
                    );
                }
                _ => text.push('.'),
            }
        } else {
            text += &format!(" Yet warm it took no longer than pread ({slower:.2}x its time).");
        }
    }
    if let (Some(pread), Some(direct)) = (facts.cell(PREAD, true), facts.cell(DIRECT, true)) {
        if let (Some(left), Some(direct_left)) = (pread.resident_after, direct.resident_after) {
            let share = (facts.distinct * facts.record) as f64 / facts.size as f64;
            text += &format!(
                "\n\nCold, pread left {:.1}% of the file in the page cache: {}",
                left * 100.0,
                if (left - share).abs() <= 0.005 {
                    format!(
                        "the {} different records it read, and no more.",
                        thousands(facts.distinct)
                    )
                } else if left > share {
                    "the records it read and read-ahead around them.".to_string()
                } else {
                    "less than the records it read; some pages were dropped again.".to_string()
                }
            );
            if direct_left < left {
                text += &format!(
                    " direct pread left {:.1}%: the bytes went to our buffer and nowhere\n\
                     else, so the next reader of the file starts cold again.",
                    direct_left * 100.0
                );
            } else {
                text += &format!(" direct pread left {:.1}% as well.", direct_left * 100.0);
            }
        }
        let (read, direct_read) = (
            pread.counters.disk_read_bytes,
            direct.counters.disk_read_bytes,
        );
        if read < payload && direct_read >= payload && facts.distinct < count {
            text += &format!(
                " pread read {} from the disk, less than the {} asked for: {}\n\
                 records came up twice, and the second read found the page cached.\n\
                 direct pread read all {}.",
                bytes(read),
                bytes(payload),
                count - facts.distinct,
                bytes(direct_read)
            );
        }
    }
    let returned = warm.counters.bytes_to_user;
    text += &format!(
        "\n\ndirect pread's read calls returned {}, and the kernel's rchar counter\n\
         (/proc/self/io) counts them as it counts pread's. But the CPU copied\n\
         none of them (no counter says so: mmap-lab knows it of O_DIRECT and\n\
         tallies 0): the device wrote each record into our page-aligned\n\
         buffer itself (DMA), which is why O_DIRECT wants buffers, offsets and\n\
         lengths aligned to the device's blocks.",
        bytes(returned)
    );
    if let (Some(pread), Some(deep)) = (facts.cell(PREAD, false), facts.cell(RING_DEEP, false)) {
        text += &format!(
            " pread's {} were copied by the CPU, out of the page cache; so were\n\
             the buffered ring's {}, inside the kernel, where no read call shows\n\
             them to rchar (mmap-lab's own tally of what each way copies).",
            bytes(pread.counters.bytes_copied.unwrap_or(0)),
            bytes(deep.counters.bytes_copied.unwrap_or(0))
        );
    }
    text
}

/// The answers to step 1's questions, from the measurements.
pub fn answers(facts: &UringFacts) -> String {
    let count = facts.count;
    let ideal = count.div_ceil(u64::from(DEPTH));
    let mut text = match (facts.cell(RING_DEEP, false), facts.cell(RING_DEEP, true)) {
        (Some(warm), Some(cold)) => {
            let (w, c) = (warm.counters.ring_enters, cold.counters.ring_enters);
            let (warm_calls, cold_calls) = match (warm.syscalls(), cold.syscalls()) {
                (Some(ws), Some(cs)) => (
                    format!("{ws} system calls ({w} io_uring_enter, plus open and close)"),
                    format!("{cs}"),
                ),
                _ => (
                    format!("{w} io_uring_enter calls, besides open and close"),
                    format!("{c} enters"),
                ),
            };
            let about = if w <= ideal * 2 {
                format!(
                    "about {} / {DEPTH}, not {}",
                    thousands(count),
                    thousands(count)
                )
            } else {
                format!("more than {} / {DEPTH} = {ideal}", thousands(count))
            };
            format!(
                "- Warm, through a ring at depth {DEPTH}, the {} reads took {warm_calls}:\n\
                 {about}. Cold, {cold_calls}.",
                thousands(count)
            )
        }
        _ => format!(
            "- The ring could not run here ({}); where it can, expect about\n\
             {} / {DEPTH} = {ideal} enters.",
            reason(facts, RING_DEEP),
            thousands(count)
        ),
    };
    if let (Some(pread), Some(deep)) = (facts.cell(PREAD, false), facts.cell(RING_DEEP, false)) {
        let fast = speedup(deep, pread);
        text += &format!(
            "\n- Warm, depth {DEPTH} was {fast:.2}x as fast as pread: {}.",
            if fast < f64::from(DEPTH) / 2.0 {
                format!("far from {DEPTH} times")
            } else {
                format!("close to {DEPTH} times")
            }
        );
    }
    if let Some(warm) = facts.cell(DIRECT, false) {
        let disk = warm.counters.disk_read_bytes;
        text += &if disk > 0 {
            format!(
                "\n- O_DIRECT reads of the warm file went to the disk: {} read for\n\
                 {} asked.",
                bytes(disk),
                bytes(facts.payload())
            )
        } else {
            "\n- O_DIRECT reads of the warm file read nothing from the disk here.".to_string()
        };
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Prose with its line breaks made spaces, as a reader sees it.
    fn flat(text: String) -> String {
        text.split_whitespace().collect::<Vec<_>>().join(" ")
    }

    /// A cell of five runs spread ±2% around `ms` milliseconds, whose
    /// counters `set` fills in.
    fn cell(ms: f64, set: impl FnOnce(&mut Counters)) -> Cell {
        let mut counters = Counters::default();
        set(&mut counters);
        let times: Vec<Duration> = [0.98, 1.0, 1.02, 0.99, 1.01]
            .iter()
            .map(|f| Duration::from_secs_f64(ms * f / 1e3))
            .collect();
        Cell {
            time: Duration::from_secs_f64(ms / 1e3),
            times,
            counters,
            resident_after: None,
        }
    }

    /// Facts as this machine measured them, with the ring's warm time
    /// `deep_warm_ms`, and the ring or O_DIRECT missing when asked.
    fn facts(deep_warm_ms: f64, ring: bool, direct: bool) -> UringFacts {
        let read = |c: &mut Counters| {
            c.read_calls = 1000;
            c.syscalls = Some(1002);
            c.bytes_to_user = 4_096_000;
            c.bytes_copied = Some(4_096_000);
        };
        let ring_calls = |enters: u64| {
            move |c: &mut Counters| {
                c.ring_enters = enters;
                c.ring_requests = 1000;
                c.syscalls = Some(enters + 2);
                c.bytes_copied = Some(4_096_000);
            }
        };
        let disk = |c: &mut Counters| c.disk_read_bytes = 4_096_000;
        let mut rows = Vec::new();
        for (label, kind) in methods() {
            let is_ring = matches!(kind, MethodKind::Uring(_));
            let is_direct = label == DIRECT || label == DIRECT_RING;
            let unavailable = if is_ring && !ring {
                Some("io_uring_setup failed (Operation not permitted)".to_string())
            } else if is_direct && !direct {
                Some("the file system refuses O_DIRECT".to_string())
            } else {
                None
            };
            let (warm, cold) = match label {
                PREAD => (cell(1.0, read), cell(75.0, read)),
                RING_1 => (cell(1.5, ring_calls(1000)), cell(75.0, ring_calls(1000))),
                RING_DEEP => (
                    cell(deep_warm_ms, ring_calls(32)),
                    cell(17.0, ring_calls(50)),
                ),
                DIRECT => (
                    cell(55.0, |c| {
                        read(c);
                        disk(c);
                        c.bytes_copied = Some(0);
                    }),
                    cell(73.0, |c| {
                        read(c);
                        disk(c);
                        c.bytes_copied = Some(0);
                    }),
                ),
                _ => (
                    cell(14.0, |c| {
                        ring_calls(32)(c);
                        disk(c);
                        c.bytes_copied = Some(0);
                    }),
                    cell(16.0, |c| {
                        ring_calls(32)(c);
                        disk(c);
                        c.bytes_copied = Some(0);
                    }),
                ),
            };
            let available = unavailable.is_none();
            rows.push(Way {
                label,
                kind,
                unavailable,
                warm: available.then_some(warm),
                cold: available.then_some(cold),
            });
        }
        UringFacts {
            size: SIZE,
            count: COUNT,
            record: RECORD,
            distinct: 959,
            syscalls_counted: true,
            syscall_source: String::new(),
            memory_backed: false,
            warm_resident: 1.0,
            trip: Duration::from_nanos(100),
            ways: rows,
        }
    }

    #[test]
    fn numbers_get_thousands_separators() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(1_234_567), "1,234,567");
    }

    #[test]
    fn the_tables_fit_80_columns_for_any_times_and_counts() {
        use crate::layout::widest_line;
        assert!(methods().iter().all(|(l, _)| l.len() <= DIRECT_RING.len()));
        assert!(widest_line(&TIME_COLUMNS) + 5 <= 80);
        assert!(widest_line(&count_columns(true)) + 5 <= 80);
    }

    #[test]
    fn pace_is_the_projects_judgement_of_the_runs() {
        let base = cell(1.0, |_| {});
        assert_eq!(Pace::of(&cell(1.0, |_| {}), &base), Pace::Even);
        assert_eq!(Pace::of(&cell(1.01, |_| {}), &base), Pace::Even);
        assert_eq!(Pace::of(&cell(0.8, |_| {}), &base), Pace::Faster);
        assert_eq!(Pace::of(&cell(1.2, |_| {}), &base), Pace::Slower);
    }

    #[test]
    fn the_warm_verdict_follows_the_times() {
        let said = flat(warm_sentence(&facts(0.7, true, true)));
        assert!(said.contains("1.43x as fast"), "{said}");
        assert!(
            said.contains("Fewer calls did not mean less work"),
            "{said}"
        );
        // 1% apart, inside the noise: no winner named, and no time saved
        // claimed.
        let said = flat(warm_sentence(&facts(0.99, true, true)));
        assert!(said.contains("the same within noise (1.01x)"), "{said}");
        assert!(said.contains("but inside the noise of these runs"), "{said}");
        assert!(!said.contains("sooner than pread"), "{said}");
        assert!(
            said.contains("Fewer calls did not mean less work"),
            "{said}"
        );
        let said = flat(warm_sentence(&facts(1.5, true, true)));
        assert!(said.contains("slower (1.50x pread's time)"), "{said}");
        assert!(said.contains("finished no sooner than pread"), "{said}");
        // 968 calls saved at 100 ns are worth 96.8 µs; 0.2 ms saved is
        // 2.1x that.
        let said = flat(warm_sentence(&facts(0.8, true, true)));
        assert!(said.contains("worth about 96.8 µs"), "{said}");
        assert!(
            said.contains("200.0 µs sooner than pread, 2.1x that"),
            "{said}"
        );
        // What remains is not called the kernel's work alone.
        assert!(
            said.contains("the checksum of each record and the file's open and close"),
            "{said}"
        );
    }

    #[test]
    fn the_call_counts_and_answers_come_from_the_counters() {
        let facts = facts(0.7, true, true);
        let said = flat(calls_sentence(&facts));
        assert!(
            said.contains("with 32 enters (34 system calls in all)"),
            "{said}"
        );
        assert!(said.contains("29x fewer calls than pread"), "{said}");
        let said = flat(answers(&facts));
        assert!(
            said.contains("the 1,000 reads took 34 system calls"),
            "{said}"
        );
        assert!(said.contains("Cold, 52."), "{said}");
        assert!(said.contains("about 1,000 / 32, not 1,000"), "{said}");
        assert!(said.contains("went to the disk: 3.9 MiB read"), "{said}");
        let said = flat(cold_sentence(&facts));
        assert!(said.contains("4.4x pread"), "{said}");
        assert!(said.contains("50 enters for it, against 32 warm"), "{said}");
    }

    #[test]
    fn without_io_uring_the_sentences_say_why_and_go_on() {
        let facts = facts(0.7, false, true);
        let reason = "could not run here (step 3 says why)";
        for said in [
            flat(calls_sentence(&facts)),
            flat(cold_sentence(&facts)),
            flat(answers(&facts)),
        ] {
            assert!(said.contains(reason), "{said}");
        }
        assert!(flat(warm_sentence(&facts)).contains("no warm comparison"));
        let said = flat(direct_sentence(&facts));
        assert!(
            said.contains("direct pread had the device read 3.9 MiB"),
            "{said}"
        );
        assert!(!said.contains("buffered ring"), "{said}");
    }

    #[test]
    fn without_o_direct_the_sentences_say_why_and_go_on() {
        let facts = facts(0.7, true, false);
        let said = flat(direct_sentence(&facts));
        assert!(
            said.contains("O_DIRECT could not run here (step 3 says why)"),
            "{said}"
        );
        assert!(!flat(cold_sentence(&facts)).contains("With O_DIRECT"));
        assert!(!flat(answers(&facts)).contains("O_DIRECT reads"));
    }
}
