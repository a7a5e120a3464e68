//! Lesson `layout`: the same 64 MiB file written two ways, in one write and
//! in 4 KiB writes, then read through a map and with pread. Same bytes,
//! same size, both wholly in memory; but the page cache holds them in 2 MiB
//! folios or in 4 KiB pages, a map takes one fault per folio (or per 16
//! pages of fault-around), and the class sees the faults, the speeds and
//! the folio sizes change.

use super::{Sandbox, Steps};
use crate::fill::CacheFill;
use crate::fixture::Fixture;
use crate::folio::CacheLayout;
use crate::judge::{Judgement, Outcome, judge};
use crate::layout::Column;
use crate::method::{ChunkedCalls, Mapped, MethodKind, Positioned};
use crate::operation::{Operation, SequentialRead};
use crate::probe::Probe;
use crate::report::{faults_text, histogram};
use crate::units::{ExactSize, Nanos, Rate};
use crate::vocab::Cache;
use std::time::Duration;

/// The file's size.
pub const SIZE: u64 = 64 << 20;
/// Seed of the generated contents.
const SEED: u64 = 42;
/// Timed rounds per way and layout, taking turns; the median is shown.
const ROUNDS: usize = 9;
/// The two layouts, in the order shown.
pub const FILLS: [CacheFill; 2] = [CacheFill::OneWrite, CacheFill::Writes(4 << 10)];

/// One way of reading on one layout.
#[derive(Debug, Clone)]
pub struct LayoutRow {
    /// How the file came into the page cache.
    pub fill: CacheFill,
    /// `mmap` or `pread 64 KiB`.
    pub label: &'static str,
    /// Every timed read of the whole file, in run order.
    pub times: Vec<Duration>,
    /// Their median.
    pub median: Duration,
    /// Page faults of one counted read.
    pub faults: u64,
}

/// What the lesson saw.
#[derive(Debug, Clone)]
pub struct LayoutFacts {
    /// Each layout as it sat in the page cache before timing.
    pub layouts: Vec<(CacheFill, CacheLayout)>,
    /// Both ways on both layouts: map then pread, one write first.
    pub rows: Vec<LayoutRow>,
}

/// The ways of reading, as the lesson names them.
fn ways() -> [(&'static str, MethodKind); 2] {
    [
        ("mmap", MethodKind::Mmap(Mapped::default())),
        (
            "pread 64 KiB",
            MethodKind::Positioned(Positioned {
                calls: ChunkedCalls {
                    chunk: 64 << 10,
                    buffer_offset: 0,
                },
            }),
        ),
    ]
}

/// Runs the lesson on a 64 MiB file.
pub fn run(steps: &mut Steps) -> anyhow::Result<LayoutFacts> {
    run_sized(steps, SIZE)
}

/// Runs the lesson on a file of `size` bytes (tests use a smaller one).
pub fn run_sized(steps: &mut Steps, size: u64) -> anyhow::Result<LayoutFacts> {
    let sandbox = Sandbox::new()?;
    let mut probe = Probe::new()?;
    steps.step(&format!(
        "Write the same {} of bytes twice: in one write, and a page at a time.",
        ExactSize(size)
    ))?;
    steps.code(
        "one.write_all(&contents)?;                      // one write\n\
         for page in contents.chunks(4096) {             // 4 KiB writes, as a\n\
         \x20   paged.write_all(page)?;                     // database writes pages\n\
         }\n\
         one.sync_data()?; paged.sync_data()?;          // on disk, still cached",
    )?;
    let mut files = Vec::new();
    for fill in FILLS {
        let dir = sandbox.work().path().join(format!("fill-{}", files.len()));
        std::fs::create_dir(&dir)?;
        let read = Operation::SequentialRead(SequentialRead::default());
        files.push(Fixture::new(read, Cache::Warm, fill, SEED, size, &dir)?);
    }
    steps.result("two files with the same bytes, both wholly in the page cache")?;
    steps.say(
        "Predict before you look: both files are warm, nothing comes from the\n\
         disk. Will a map read them equally fast? Will pread?",
    )?;

    steps.step("How the page cache holds each file: folio sizes, and a map's faults.")?;
    steps.code(
        "// as root: frame numbers from /proc/self/pagemap, compound-page bits\n\
         // from /proc/kpageflags; for anyone: faults to touch every page\n\
         mmap_lab::folio::CacheLayout::of(&[&path])?",
    )?;
    let mut layouts = Vec::new();
    for (fill, file) in FILLS.iter().zip(&files) {
        layouts.push((*fill, file.layout()?));
    }
    let rows: Vec<Vec<String>> = layouts
        .iter()
        .map(|(fill, layout)| {
            vec![
                fill_name(*fill).to_string(),
                histogram(layout),
                faults_text(layout),
            ]
        })
        .collect();
    steps.table(
        &[
            Column::left("written"),
            Column::left("bytes in folios of"),
            Column::right("faults/MiB"),
        ],
        &rows,
    )?;
    steps.say(&folio_sentence(&layouts))?;

    steps.step(&format!(
        "Read each file whole, {ROUNDS} times, the two ways taking turns."
    ))?;
    steps.code(
        "let map = unsafe { Mmap::map(&file)? }; checksum(&map);\n\
         loop { let n = file.read_at(&mut buf_64k, offset)?; ... }",
    )?;
    let rows = measure(&mut probe, &files)?;
    let table: Vec<Vec<String>> = rows
        .iter()
        .map(|row| {
            vec![
                fill_name(row.fill).to_string(),
                row.label.to_string(),
                Nanos(row.median.as_nanos() as f64).to_string(),
                Rate(size as f64 / row.median.as_secs_f64()).to_string(),
                row.faults.to_string(),
            ]
        })
        .collect();
    steps.table(
        &[
            Column::left("written"),
            Column::left("way"),
            Column::right("time"),
            Column::right("rate"),
            Column::right("faults"),
        ],
        &table,
    )?;
    for sentence in verdicts(&rows) {
        steps.say(&sentence)?;
    }
    steps.say(
        "So a verdict on maps is a verdict on a layout. A file copied in, read\n\
         by cat or faulted in through a map sits in a mix of folio sizes that\n\
         read-ahead chose: scenarios 13-17 (`mmap-lab run\n\
         scenarios/1[3-7]-*.json`) read every layout at 1, 64 and 256 MiB.",
    )?;
    for file in files {
        file.remove()?;
    }
    Ok(LayoutFacts { layouts, rows })
}

/// A layout's short name in the tables.
fn fill_name(fill: CacheFill) -> &'static str {
    match fill {
        CacheFill::OneWrite => "one write",
        CacheFill::Writes(_) => "4 KiB writes",
        CacheFill::ReadBack => "read back",
        CacheFill::MapBack => "faulted back",
    }
}

/// Times both ways on both files, taking turns, then counts one read each.
fn measure(probe: &mut Probe, files: &[Fixture]) -> anyhow::Result<Vec<LayoutRow>> {
    let ways = ways();
    for file in files {
        for (label, kind) in &ways {
            file.verify_method(kind.io())
                .map_err(|e| anyhow::anyhow!("{label} read the file wrongly: {e}"))?;
        }
    }
    let mut times = vec![Vec::new(); files.len() * ways.len()];
    for _ in 0..ROUNDS {
        for (f, file) in files.iter().enumerate() {
            for (w, (_, kind)) in ways.iter().enumerate() {
                times[f * ways.len() + w].push(file.timed_sample(kind.io(), 1)?.elapsed);
            }
        }
    }
    probe.start_counting()?;
    let mut rows = Vec::new();
    for (f, file) in files.iter().enumerate() {
        for (w, (label, kind)) in ways.iter().enumerate() {
            let (_, counters) = file.counted_sample(kind.io(), probe)?;
            let own = times[f * ways.len() + w].clone();
            rows.push(LayoutRow {
                fill: FILLS[f],
                label,
                median: crate::stats::median(&own).unwrap_or_default(),
                times: own,
                faults: counters.minor_faults + counters.major_faults,
            });
        }
    }
    probe.stop_counting();
    Ok(rows)
}

/// What the folio sizes and the probe's faults say about the two layouts.
pub fn folio_sentence(layouts: &[(CacheFill, CacheLayout)]) -> String {
    let faults = |i: usize| layouts.get(i).and_then(|(_, l)| l.faults_per_mib);
    match (faults(0), faults(1)) {
        (Some(one), Some(paged)) if paged > one => format!(
            "Same bytes, but a map of the paged file takes {:.0}x the faults: each\n\
             fault maps one folio (or fault-around's 16 pages), and 4 KiB writes\n\
             left 4 KiB folios where one write left the largest ones.",
            paged / one.max(f64::MIN_POSITIVE)
        ),
        (Some(_), Some(_)) => {
            "Both files took as many faults per MiB: this file system keeps one\n\
             page per folio whatever the writes were (no large folios here)."
                .to_string()
        }
        _ => "The fault probe could not run: a file was not wholly in memory.".to_string(),
    }
}

/// The project's judgement of `new`'s times against `base`'s.
pub fn judged(base: &LayoutRow, new: &LayoutRow) -> Judgement {
    let secs =
        |row: &LayoutRow| -> Vec<f64> { row.times.iter().map(Duration::as_secs_f64).collect() };
    judge(&secs(base), &secs(new))
}

/// How much slower `slower` was than `faster` when the judgement says it
/// was slower beyond noise, else `None`.
fn clear_ratio(slower: &LayoutRow, faster: &LayoutRow) -> Option<f64> {
    let judgement = judged(faster, slower);
    (judgement.outcome == Outcome::Slower).then_some(judgement.ratio)
}

/// " (1024 faults against 32)" for a way that faulted, else nothing.
fn faults_compared(paged: &LayoutRow, one: &LayoutRow) -> String {
    if paged.faults == 0 && one.faults == 0 {
        String::new()
    } else {
        format!(" ({} faults against {})", paged.faults, one.faults)
    }
}

/// The lesson's verdicts: how much the layout moved each way, and which
/// way won on each layout, each said only where the project's judgement of
/// noise finds a difference (else "the same within the noise").
pub fn verdicts(rows: &[LayoutRow]) -> Vec<String> {
    let find =
        |fill: CacheFill, label: &str| rows.iter().find(|r| r.fill == fill && r.label == label);
    let mut sentences = Vec::new();
    for (label, _) in ways() {
        let (Some(one), Some(paged)) = (find(FILLS[0], label), find(FILLS[1], label)) else {
            continue;
        };
        sentences.push(match (clear_ratio(paged, one), clear_ratio(one, paged)) {
            (Some(r), _) => format!(
                "{label}: {r:.1}x slower on the file written in 4 KiB writes{}.",
                faults_compared(paged, one)
            ),
            (_, Some(r)) => format!(
                "{label}: {r:.1}x faster on the file written in 4 KiB writes{}.",
                faults_compared(paged, one)
            ),
            _ => format!("{label}: the same on both files, within the noise of its samples."),
        });
    }
    for fill in FILLS {
        let (Some(map), Some(pread)) = (find(fill, "mmap"), find(fill, "pread 64 KiB")) else {
            continue;
        };
        let name = fill_name(fill);
        sentences.push(match (clear_ratio(pread, map), clear_ratio(map, pread)) {
            (Some(r), _) => format!("Written in {name}: the map won, pread took {r:.2}x its time."),
            (_, Some(r)) => format!("Written in {name}: pread won, the map took {r:.2}x its time."),
            _ => {
                format!("Written in {name}: the map and pread took the same time within the noise.")
            }
        });
    }
    sentences
}
