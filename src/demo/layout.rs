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
use crate::layout::{Column, WIDEST_COUNT, WIDEST_TIME};
use crate::method::{ChunkedCalls, Mapped, MethodKind, Positioned};
use crate::operation::{Operation, SequentialRead};
use crate::probe::Probe;
use crate::report::{faults_text, histogram};
use crate::units::{ExactSize, Nanos, Rate};
use crate::vocab::Cache;
use std::time::Duration;

/// This file: the code its steps show ([`super::shown`]).
pub const SOURCE: &str = include_str!("layout.rs");

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
    steps.show(SOURCE, "write")?;
    steps.say(
        "CacheFill::OneWrite writes the file with one write_all; Writes(4 << 10)\n\
         writes it 4 KiB at a time, as a database writes pages; both then\n\
         sync_data, so the bytes are on disk and still cached (src/fill.rs).",
    )?;
    // lesson:write begin
    let mut files = Vec::new();
    for fill in FILLS {
        let name = format!("fill-{}", files.len());
        let dir = sandbox.work().path().join(name);
        std::fs::create_dir(&dir)?;
        let read = Operation::SequentialRead(SequentialRead::default());
        files.push(Fixture::new(read, Cache::Warm, fill, SEED, size, &dir)?);
    }
    // lesson:write end
    steps.result("two files with the same bytes, both wholly in the page cache")?;
    steps.say(
        "Predict before you look: both files are warm, nothing comes from the\n\
         disk. Will a map read them equally fast? Will pread?",
    )?;

    steps.step("How the page cache holds each file: folio sizes, and a map's faults.")?;
    steps.show(SOURCE, "layout")?;
    // lesson:layout begin
    // as root: frame numbers from /proc/self/pagemap, compound-page bits
    // from /proc/kpageflags; for anyone: faults to touch every page
    let mut layouts = Vec::new();
    for (fill, file) in FILLS.iter().zip(&files) {
        layouts.push((*fill, file.layout()?)); // src/folio.rs
    }
    // lesson:layout end
    let rows: Vec<Vec<String>> = layouts
        .iter()
        .map(|(fill, layout)| {
            vec![
                fill_name(*fill).to_string(),
                folio_shares(layout),
                faults_text(layout),
            ]
        })
        .collect();
    steps.table(&FOLIO_COLUMNS, &rows)?;
    let unreadable: Vec<String> = layouts
        .iter()
        .filter(|(_, layout)| layout.folio_bytes.is_none())
        .map(|(_, layout)| histogram(layout))
        .collect();
    if let Some(why) = unreadable.first() {
        steps.say(&format!("Folio sizes not read: {why}"))?;
    }
    steps.say(&folio_sentence(&layouts))?;

    steps.step(&format!(
        "Read each file whole, {ROUNDS} times, the two ways taking turns."
    ))?;
    steps.show(SOURCE, "time")?;
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
    steps.table(&TIME_COLUMNS, &table)?;
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

/// The folio table's columns, laid out for the widest values.
const FOLIO_COLUMNS: [Column<'static>; 3] = [
    Column::left("written").holding("faulted back"),
    Column::left("bytes in folios of").holding(WIDEST_SHARES),
    Column::right("faults/MiB").holding("256.0"),
];

/// The widest [`folio_shares`] can print.
const WIDEST_SHARES: &str = "1024 KiB 33%, 512 KiB 33%, 256 KiB 33%, others 1%";

/// Folio sizes and their shares of the bytes, the three largest shares
/// and what is left; "not read" when they could not be read.
pub fn folio_shares(layout: &CacheLayout) -> String {
    let Some(bytes) = &layout.folio_bytes else {
        return "not read".to_string();
    };
    let all: u64 = bytes.values().sum();
    if all == 0 {
        return "nothing resident".to_string();
    }
    let mut shares: Vec<(u64, u64)> = bytes.iter().map(|(&s, &n)| (s, n)).collect();
    shares.sort_by(|a, b| b.1.cmp(&a.1).then(b.0.cmp(&a.0)));
    let share = |n: u64| format!("{:.0}%", n as f64 * 100.0 / all as f64);
    let mut parts: Vec<String> = shares
        .iter()
        .take(3)
        .map(|&(size, n)| format!("{} {}", ExactSize(size), share(n)))
        .collect();
    let rest: u64 = shares.iter().skip(3).map(|&(_, n)| n).sum();
    if rest > 0 {
        parts.push(format!("others {}", share(rest)));
    }
    parts.join(", ")
}

/// The timing table's columns, laid out for the widest values.
const TIME_COLUMNS: [Column<'static>; 5] = [
    Column::left("written").holding("faulted back"),
    Column::left("way").holding("pread 64 KiB"),
    Column::right("time").holding(WIDEST_TIME),
    Column::right("rate").holding("999.9 GB/s"),
    Column::right("faults").holding(WIDEST_COUNT),
];

/// Times both ways on both files, taking turns, then counts one read each.
fn measure(probe: &mut Probe, files: &[Fixture]) -> anyhow::Result<Vec<LayoutRow>> {
    let ways = ways();
    for file in files {
        for (label, kind) in &ways {
            file.verify_method(kind.io())
                .map_err(|e| anyhow::anyhow!("{label} read the file wrongly: {e}"))?;
        }
    }
    // lesson:time begin
    // the ways: a map and its checksum; pread with a 64 KiB buffer
    let mut times = vec![Vec::new(); files.len() * ways.len()];
    for _ in 0..ROUNDS {
        for (f, file) in files.iter().enumerate() {
            for (w, (_, kind)) in ways.iter().enumerate() {
                let sample = file.timed_sample(kind.io(), 1)?;
                times[f * ways.len() + w].push(sample.elapsed);
            }
        }
    }
    // lesson:time end
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_folio_table_fits_80_columns_however_many_sizes() {
        let sizes = [4u64 << 10, 8 << 10, 16 << 10, 64 << 10, 1 << 20, 2 << 20];
        let layout = CacheLayout {
            folio_bytes: Some(sizes.iter().map(|&s| (s, 1000)).collect()),
            unreadable: None,
            faults_per_mib: Some(256.0),
        };
        let shares = folio_shares(&layout);
        assert_eq!(shares, "2 MiB 17%, 1 MiB 17%, 64 KiB 17%, others 50%");
        assert!(shares.len() <= WIDEST_SHARES.len());
        assert!(crate::layout::widest_line(&FOLIO_COLUMNS) + 5 <= 80);
    }

    #[test]
    fn the_timing_table_fits_80_columns_for_any_times() {
        assert!(ways().iter().all(|(l, _)| l.len() <= "pread 64 KiB".len()));
        assert!(crate::layout::widest_line(&TIME_COLUMNS) + 5 <= 80);
    }
}
