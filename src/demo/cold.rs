//! Lesson `cold`: the same reads with the file's pages out of memory (cold)
//! and in memory (warm): time, disk bytes and major faults, for a map and
//! for read(). Eviction is fsync + posix_fadvise(DONTNEED), checked with mincore.

use super::{Sandbox, Steps};
use crate::cache;
use crate::fill::CacheFill;
use crate::fixture::Fixture;
use crate::layout::Column;
use crate::method::{ChunkedCalls, IoMethod, Mapped, MethodKind, Unbuffered};
use crate::operation::{Operation, SequentialRead};
use crate::probe::Probe;
use crate::results::Counters;
use crate::units::{ApproxSize, ExactSize, Nanos};
use crate::vocab::Cache;
use std::time::Duration;

/// The file read.
pub const SIZE: u64 = 32 << 20;
/// Seed of the file's generated contents.
const SEED: u64 = 11;

/// One read of the whole file.
#[derive(Debug, Clone)]
pub struct ColdRow {
    /// The way of reading.
    pub label: String,
    /// True when the file was evicted first.
    pub cold: bool,
    /// Fraction of the file's pages in memory just before the read.
    pub resident_before: f64,
    /// Wall time of the read (median of [`ROUNDS`]).
    pub time: Duration,
    /// Each timed read, in order (what the judgement compares).
    pub times: Vec<Duration>,
    /// Its counters.
    pub counters: Counters,
}

/// What the lesson saw.
#[derive(Debug, Clone)]
pub struct ColdFacts {
    /// The cold map against cold read(), as the lesson said it.
    pub verdict: ColdVerdict,
    /// True when the file lived on a memory filesystem (it cannot be cold there).
    pub memory_backed: bool,
    /// Cold then warm, for the map and then for read().
    pub rows: Vec<ColdRow>,
}

/// Runs the lesson on a 32 MiB file.
pub fn run(steps: &mut Steps) -> anyhow::Result<ColdFacts> {
    run_sized(steps, SIZE)
}

/// Runs the lesson on a file of `size` bytes.
pub fn run_sized(steps: &mut Steps, size: u64) -> anyhow::Result<ColdFacts> {
    let sandbox = Sandbox::new()?;
    let mut probe = Probe::new()?;
    let memory_backed = sandbox.work().is_memory_backed();

    steps.step(&format!(
        "Make a {} file and ask how much of it is in memory.",
        ExactSize(size)
    ))?;
    steps.code(
        "std::fs::write(&path, &contents)?;\n\
         mmap_lab::cache::resident_fraction(&path)?   // mincore(2) over a map of the file",
    )?;
    let mut file = Fixture::new(
        Operation::SequentialRead(SequentialRead::default()),
        Cache::Cold,
        CacheFill::OneWrite,
        SEED,
        size,
        sandbox.work().path(),
    )?;
    let path = file.input_paths()[0].clone();
    let resident = cache::resident_fraction(&path)?;
    steps.result(&format!(
        "on {}: {:.0}% of its pages are in the page cache",
        sandbox.work().filesystem(),
        resident * 100.0
    ))?;
    steps.say(
        "Writing a file leaves its pages in memory (the page cache): the file is\n\
         warm. mincore(2) reports, page by page, what is resident.",
    )?;
    if memory_backed {
        steps.say(
            "This directory is on a memory filesystem: its pages cannot be dropped,\n\
             so the \"cold\" rows below will be warm too. Set TMPDIR to a disk.",
        )?;
    }

    steps.step("Evict it: write back dirty pages, then tell the kernel we are done with them.")?;
    steps.code(
        "file.sync_data()?;                                     // dirty pages cannot be dropped\n\
         libc::posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);    // drop clean pages\n\
         // both in mmap_lab::cache::evict(&path)",
    )?;
    let left = cache::evict(&path)?;
    steps.result(&format!("resident after eviction: {:.0}%", left * 100.0))?;
    steps.say("No root needed, and no other file is disturbed (unlike drop_caches).")?;

    let ways: [(&str, MethodKind); 2] = [
        ("mmap", MethodKind::Mmap(Mapped::default())),
        (
            "read() 64 KiB",
            MethodKind::Unbuffered(Unbuffered {
                calls: ChunkedCalls {
                    chunk: 64 << 10,
                    buffer_offset: 0,
                },
            }),
        ),
    ];
    let mut rows = Vec::new();
    for (label, kind) in ways {
        let method = kind.io();
        file.verify_method(method)
            .map_err(|e| anyhow::anyhow!("{label} read {} wrongly: {e}", path.display()))?;
        steps.step(&format!("Read it all with {label}: cold, then warm."))?;
        steps.code(match kind {
            MethodKind::Mmap(_) => "mmap_lab::cache::evict(&path)?;\nlet map = unsafe { Mmap::map(&file)? }; checksum(&map);   // and again, warm",
            _ => "mmap_lab::cache::evict(&path)?;\nloop { file.read(&mut buf_64k)? ... }   // and again, warm",
        })?;
        let mut table = Vec::new();
        for cold in [true, false] {
            if !cold {
                // The cold pass left the folios this way makes; both warm
                // rows read the one layout read() leaves instead.
                file.refill(WARM_LAYOUT)?;
            }
            let row = read_once(&mut probe, label, method, &mut file, cold)?;
            table.push(describe(&row));
            rows.push(row);
        }
        steps.table(&COLUMNS, &table)?;
    }
    steps.say(&format!(
        "Both warm rows read the same layout: before them the file was {WARM_LAYOUT}\n\
         (read-ahead's folios, as a file read from disk has), not the folios each\n\
         way's own cold pass left (a map's faults leave smaller ones: lesson layout)."
    ))?;

    steps.step("What the counters say.")?;
    explain(steps, &rows, size)?;
    let verdict = ColdVerdict::of(&rows[0].times, &rows[2].times);

    Ok(ColdFacts {
        verdict,
        memory_backed,
        rows,
    })
}

/// How the file is brought back into the cache before the warm rows.
const WARM_LAYOUT: CacheFill = CacheFill::ReadBack;

/// Reads the whole file [`ROUNDS`] times, timed (evicting it first each
/// time when `cold`), then once counted.
fn read_once(
    probe: &mut Probe,
    label: &str,
    method: &dyn IoMethod,
    file: &mut Fixture,
    cold: bool,
) -> anyhow::Result<ColdRow> {
    file.set_cache(if cold { Cache::Cold } else { Cache::Warm });
    let warm_residency = cache::resident_fraction(&file.input_paths()[0])?;
    // Timed with no counter open, then read again (evicted again when
    // cold) to count.
    let timed: Vec<_> = (0..ROUNDS)
        .map(|_| file.timed_sample(method, 1))
        .collect::<std::io::Result<_>>()?;
    let (_, counters) = file.counted_sample(method, probe)?;
    let times: Vec<Duration> = timed.iter().map(|t| t.elapsed).collect();
    let resident: Vec<f64> = timed.iter().filter_map(|t| t.resident_before).collect();
    Ok(ColdRow {
        label: label.to_string(),
        cold,
        resident_before: crate::stats::median(&resident).unwrap_or(warm_residency),
        time: crate::stats::median(&times).unwrap_or_default(),
        times,
        counters,
    })
}

/// Columns of the table [`describe`] fills.
const COLUMNS: [Column; 7] = [
    Column::left("cache"),
    Column::right("resident"),
    Column::right("time"),
    Column::right("disk read"),
    Column::right("major"),
    Column::right("minor"),
    Column::right("reads"),
];

/// One row under [`COLUMNS`].
fn describe(row: &ColdRow) -> Vec<String> {
    let c = &row.counters;
    vec![
        if row.cold { Cache::Cold } else { Cache::Warm }
            .name()
            .to_string(),
        format!("{:.0}%", row.resident_before * 100.0),
        Nanos(row.time.as_nanos() as f64).to_string(),
        ApproxSize(c.disk_read_bytes as f64).to_string(),
        c.major_faults.to_string(),
        c.minor_faults.to_string(),
        c.read_calls.to_string(),
    ]
}

/// Timed reads per row (each cold one evicted first): the verdict is
/// judged on them, not on one read.
pub const ROUNDS: u32 = 5;

/// How the cold map compared with cold read().
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColdVerdict {
    /// The same within noise: the disk set the pace.
    Even,
    /// The map was slower beyond noise.
    MapSlower,
    /// The map was faster beyond noise.
    MapFaster,
}

impl ColdVerdict {
    /// The verdict for the cold map's reads against cold read()'s, by the
    /// one judgement ([`crate::judge`]).
    pub fn of(map: &[Duration], read: &[Duration]) -> ColdVerdict {
        let secs = |ts: &[Duration]| -> Vec<f64> { ts.iter().map(Duration::as_secs_f64).collect() };
        match crate::judge::judge(&secs(read), &secs(map)).outcome {
            crate::judge::Outcome::Slower => ColdVerdict::MapSlower,
            crate::judge::Outcome::Faster => ColdVerdict::MapFaster,
            crate::judge::Outcome::Same => ColdVerdict::Even,
        }
    }
}

/// The sentence that goes with a verdict, given the map's time over read()'s.
pub fn cold_sentence(verdict: ColdVerdict, ratio: f64) -> String {
    match verdict {
        ColdVerdict::Even => format!(
            "Cold, the map and read() took the same time within noise (the map {ratio:.2}x read()'s): the disk set the pace."
        ),
        ColdVerdict::MapSlower => {
            format!("Cold, the map took {ratio:.2}x read()'s time: the way of reading mattered.")
        }
        ColdVerdict::MapFaster => format!(
            "Cold, the map took only {ratio:.2}x read()'s time: this time the map was ahead."
        ),
    }
}

fn explain(steps: &mut Steps, rows: &[ColdRow], size: u64) -> anyhow::Result<()> {
    let [map_cold, map_warm, read_cold, read_warm] = rows else {
        return Ok(());
    };
    let slower = |cold: &ColdRow, warm: &ColdRow| {
        cold.time.as_secs_f64() / warm.time.as_secs_f64().max(1e-9)
    };
    let verdict = ColdVerdict::of(&map_cold.times, &read_cold.times);
    let ratio = map_cold.time.as_secs_f64() / read_cold.time.as_secs_f64().max(1e-9);
    steps.say(&cold_sentence(verdict, ratio))?;
    if verdict == ColdVerdict::MapSlower {
        steps.say(
            "Both wait for the same disk, so the difference is in how the kernel\n\
             learns what to read next. read() asks for the file in order, so\n\
             read-ahead sees a sequential reader, widens its window and keeps\n\
             requests in flight ahead of it. A map shows its reading only through\n\
             page faults: each fault on a missing page reads a window around that\n\
             page and waits for it, with less already on its way, and every fault\n\
             also costs a trap into the kernel. madvise(MADV_SEQUENTIAL) or\n\
             MADV_WILLNEED on the map (lesson faults) tells the kernel more.",
        )?;
    }
    steps.say(&format!(
        "Against their warm times, the cold map took {:.1}x and read() {:.1}x.\n\
         From disk: {} for the map, {} for read(), the whole {} file each time.",
        slower(map_cold, map_warm),
        slower(read_cold, read_warm),
        ApproxSize(map_cold.counters.disk_read_bytes as f64),
        ApproxSize(read_cold.counters.disk_read_bytes as f64),
        ExactSize(size)
    ))?;
    steps.say(&format!(
        "Major faults (faults that waited for the disk): {} for the map, while\n\
         the disk delivered {} pages. Read-ahead fetches many pages per request,\n\
         so most faults find their page already arriving and count as minor:\n\
         major faults undercount disk work; count disk bytes instead. read()\n\
         took {} major faults: it waits for the disk inside the read call.",
        map_cold.counters.major_faults,
        map_cold.counters.disk_read_bytes / crate::machine::page_size(),
        read_cold.counters.major_faults,
    ))?;
    steps.say(&warm_again_sentence(
        size / crate::machine::page_size(),
        map_warm.counters.minor_faults,
        map_warm.counters.disk_read_bytes,
    ))?;
    Ok(())
}

/// What the warm map's faults say, from its page count, fault count and disk bytes.
pub fn warm_again_sentence(pages: u64, faults: u64, disk_bytes: u64) -> String {
    let disk = if disk_bytes == 0 {
        "Warm again, nothing came from disk."
    } else {
        "Warm again, yet some bytes came from disk: pages were dropped meanwhile."
    };
    let per = pages / faults.max(1);
    let folios = if per <= 16 {
        format!(
            "The map still took {faults} minor faults, {per} pages each: pages read\n\
             back from disk sit in read-ahead's small folios, not the large ones a\n\
             fresh write makes (lesson faults), so each fault maps less."
        )
    } else {
        format!(
            "The map took {faults} minor faults, {per} pages each: read-ahead filled\n\
             the cache with large folios here, so each fault mapped many pages."
        )
    };
    format!("{disk} {folios}")
}
