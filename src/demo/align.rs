//! Lesson `align`: does it matter where a read buffer starts? The same warm
//! file is read with pread into buffers that start on a page boundary and
//! a few bytes past one; then what the CPU's copy instruction has
//! to do with it, where Vec, BufReader and fs::read put their buffers, and
//! how a Rust program chooses.

use super::sandbox::open_read;
use super::{Sandbox, Steps};
use crate::buffer::{PlacedBuffer, page_offset_of};
use crate::cache;
use crate::checksum::{Fold, checksum};
use crate::judge::Outcome;
use crate::machine;
use crate::units::{ExactSize, Nanos, Rate};
use crate::words::{and_list, capitalise, or_list};
use crate::workload::file_contents;
use anyhow::Context;
use std::alloc::{Layout, alloc_zeroed, dealloc};
use std::fs::File;
use std::io::{BufRead, BufReader};
use std::os::unix::fs::FileExt;
use std::path::Path;
use std::time::{Duration, Instant};

/// This file: the code its steps show ([`super::shown`]).
pub const SOURCE: &str = include_str!("align.rs");

/// The file read.
pub const SIZE: u64 = 64 << 20;
/// Where the buffers start, in bytes past a page boundary.
pub const OFFSETS: [usize; 4] = [0, 16, 64, 2048];
/// Bytes asked for by each pread call, one size after another.
pub const CHUNKS: [usize; 3] = [4 << 10, 64 << 10, 1 << 20];
/// Timed passes over the file per chunk size and buffer; the median is shown.
pub const ROUNDS: usize = 7;
/// The offset glibc's malloc gives large blocks, the one the verdict is about.
const MALLOC_OFFSET: usize = 16;
/// Seed of the generated contents.
const SEED: u64 = 9;
/// Bytes in a cache line.
const CACHE_LINE: usize = 64;
/// glibc's initial mmap threshold: blocks this large get a mmap of their own.
const MMAP_THRESHOLD: u64 = 128 << 10;
/// Prose is wrapped to this many columns (plus the 3-column indent).
const TEXT_WIDTH: usize = 74;

/// One chunk size into one buffer, measured.
#[derive(Debug, Clone)]
pub struct AlignRow {
    /// Bytes asked for by each pread call.
    pub chunk: usize,
    /// Where the buffer was asked to start, in bytes past a page boundary.
    pub offset: usize,
    /// Where it did start: its address modulo the page size.
    pub page_offset: u64,
    /// Time spent inside pread in one pass over the file (median of the rounds).
    pub per_pass: Duration,
    /// Each round's time, in round order (what the judgement compares).
    pub passes: Vec<Duration>,
    /// Timed passes whose checksum matched the file's.
    pub verified_passes: usize,
}

/// Where an ordinary Rust buffer was found to start.
#[derive(Debug, Clone)]
pub struct Placement {
    /// The code that made the buffer.
    pub label: &'static str,
    /// What the prose calls it.
    pub name: &'static str,
    /// Its size in bytes.
    pub bytes: u64,
    /// Its address modulo the page size.
    pub page_offset: u64,
}

/// How one buffer placement compared with a page-aligned buffer across the
/// chunk sizes, by the judgement of their rounds ([`crate::judge`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Slower than page-aligned beyond noise at every chunk size.
    Slower,
    /// The same as page-aligned within noise at every chunk size.
    NoPenalty,
    /// Faster than page-aligned beyond noise at every chunk size.
    Faster,
    /// Not the same answer at every chunk size.
    Mixed,
}

impl Verdict {
    /// The verdict on the judgements of this placement against
    /// page-aligned, one per chunk size; there must be at least one.
    pub fn of(outcomes: &[Outcome]) -> Verdict {
        let all = |o: Outcome| outcomes.iter().all(|&x| x == o);
        if all(Outcome::Slower) {
            Verdict::Slower
        } else if all(Outcome::Faster) {
            Verdict::Faster
        } else if all(Outcome::Same) {
            Verdict::NoPenalty
        } else {
            Verdict::Mixed
        }
    }

    /// A few words saying it, for a list of placements.
    fn phrase(self) -> &'static str {
        match self {
            Verdict::Slower => "slower at every chunk size",
            Verdict::NoPenalty => "the same within noise at every chunk size",
            Verdict::Faster => "faster at every chunk size",
            Verdict::Mixed => "different at different chunk sizes",
        }
    }
}

/// What the lesson measured.
#[derive(Debug, Clone)]
pub struct AlignFacts {
    /// Size of the file read.
    pub size: u64,
    /// CPU vendor, from /proc/cpuinfo.
    pub vendor: String,
    /// Which of [`machine::FLAGS_OF_INTEREST`] the CPU has.
    pub flags: Vec<String>,
    /// The file's checksum, computed in memory before any read.
    pub expected_checksum: u64,
    /// Every chunk size with every buffer, chunk by chunk, in [`OFFSETS`] order.
    pub rows: Vec<AlignRow>,
    /// The verdict on the buffer 16 bytes past a page boundary.
    pub verdict: Verdict,
    /// Where a fresh Vec, two BufReaders and fs::read put their bytes.
    pub placements: Vec<Placement>,
}

impl AlignFacts {
    /// The time with `chunk`-byte reads into the buffer at `offset`, over
    /// the time into the page-aligned one.
    pub fn ratio(&self, chunk: usize, offset: usize) -> f64 {
        ratio_of(&self.rows, chunk, offset)
    }

    /// The ratio at `offset` for every chunk size, in [`CHUNKS`] order.
    pub fn ratios(&self, offset: usize) -> Vec<f64> {
        CHUNKS.iter().map(|&c| self.ratio(c, offset)).collect()
    }

    /// The rounds at `offset` judged against the page-aligned buffer's,
    /// for every chunk size, in [`CHUNKS`] order.
    pub fn outcomes(&self, offset: usize) -> Vec<Outcome> {
        CHUNKS
            .iter()
            .map(|&c| outcome_of(&self.rows, c, offset))
            .collect()
    }
}

/// Runs the lesson on a 64 MiB file, 7 timed passes per chunk size and buffer.
pub fn run(steps: &mut Steps) -> anyhow::Result<AlignFacts> {
    run_sized(steps, SIZE, ROUNDS)
}

/// Runs the lesson on a file of `size` bytes with `rounds` timed passes
/// per chunk size and buffer (tests use a small file and few rounds).
pub fn run_sized(steps: &mut Steps, size: u64, rounds: usize) -> anyhow::Result<AlignFacts> {
    let sandbox = Sandbox::new()?;
    let rounds = rounds.max(1);

    steps.step("Predict first: does it matter where a read buffer starts?")?;
    let past: Vec<String> = OFFSETS[1..].iter().map(|o| o.to_string()).collect();
    steps.say(&wrap(&format!(
        "Every read() and pread() copies bytes from the page cache into a buffer \
         you pass. Below, one warm {} file is read with the same pread calls \
         into buffers that differ only in where they start: exactly on a \
         page boundary, or {} bytes past one. Same bytes, same calls. Guess \
         before you read on: will they all take the same time? If not, which \
         one is slowest, and by how much?",
        ExactSize(size),
        or_list(&past)
    )))?;

    steps.step(&format!(
        "Make a {} file, and read it once so it is warm.",
        ExactSize(size)
    ))?;
    steps.show(SOURCE, "make")?;
    // lesson:make begin
    let contents = file_contents(SEED, 0, size);
    // one std::fs::write: its pages stay in the page cache
    let path = sandbox.file("align.bin", &contents)?;
    let expected = checksum(&contents);
    drop(contents);
    let file = open_read(&path)?;
    let mut first = PlacedBuffer::new(CHUNKS[1], 0);
    let (_, first_sum) = pass(&file, first.as_mut_slice(), size)?;
    // lesson:make end
    drop(first);
    check(first_sum, expected, "the first read")?;
    let resident = cache::resident_fraction(&path)?;
    steps.result(&format!(
        "checksum {expected:#018x}; read once: {:.0}% of it is in memory",
        resident * 100.0
    ))?;
    steps.say(
        "Written in one write, the file sits in the largest folios the file\n\
         system makes. pread copies out of them; written a page at a time (4 KiB\n\
         folios) the same reads run slower on some machines (lesson layout), so\n\
         compare placements on one file, as here.",
    )?;

    steps.step(&format!(
        "One {} buffer at each of those places.",
        ExactSize(CHUNKS[2] as u64)
    ))?;
    steps.show(SOURCE, "buffers")?;
    // lesson:buffers begin
    // PlacedBuffer::new(len, offset): alloc_zeroed(Layout::from_size_align(
    // offset + len, page)), the slice starting `offset` bytes in
    let largest = CHUNKS.iter().copied().max().unwrap_or(0);
    let mut buffers: Vec<PlacedBuffer> = OFFSETS
        .iter()
        .map(|&offset| PlacedBuffer::new(largest, offset))
        .collect();
    let starts: Vec<u64> = buffers
        .iter()
        .map(|b| page_offset_of(b.as_slice())) // address % page size
        .collect();
    // lesson:buffers end
    steps.result(&format!(
        "asked for  {}\ninto_page: {}",
        list(OFFSETS.iter()),
        list(starts.iter())
    ))?;
    steps.say(
        "Smaller reads use the first bytes of the same buffers, so each keeps\n\
         its start.",
    )?;

    steps.step(&format!(
        "Read it with pread into each buffer: {}, {}, then {} a call.",
        ExactSize(CHUNKS[0] as u64),
        ExactSize(CHUNKS[1] as u64),
        ExactSize(CHUNKS[2] as u64)
    ))?;
    steps.show(SOURCE, "pass")?;
    let rows = measure(&file, &mut buffers, size, rounds, expected)?;
    steps.result(&table(&rows, size))?;
    let passes: usize = rows.iter().map(|r| r.verified_passes).sum();
    steps.result(&format!(
        "all {passes} timed passes gave checksum {expected:#018x}, the file's"
    ))?;
    steps.say(&format!(
        "pread time: inside pread, per pass over the file, median of {rounds}; the\n\
         buffers take turns, so slow drift in the machine touches all alike.\n\
         vs +0: that time over the page-aligned buffer's, at the same chunk size."
    ))?;

    let verdict = Verdict::of(&CHUNKS.map(|chunk| outcome_of(&rows, chunk, MALLOC_OFFSET)));
    let mut facts = AlignFacts {
        size,
        vendor: machine::cpu_vendor(),
        flags: machine::cpu_flags(),
        expected_checksum: expected,
        rows,
        verdict,
        placements: Vec::new(),
    };

    steps.step("Which CPU copied those bytes, and with what?")?;
    steps.say(
        "machine::cpu_vendor() reads vendor_id in /proc/cpuinfo;\n\
         machine::cpu_flags() which of erms, fsrm, ... the CPU has.",
    )?;
    steps.result(&format!("{} ({})", machine::cpu_model(), facts.vendor))?;
    steps.result(&format!(
        "flags: {}",
        if facts.flags.is_empty() {
            "none of those looked for".to_string()
        } else {
            facts.flags.join(" ")
        }
    ))?;
    steps.say(&wrap(
        "The kernel copies a read into your buffer with copy_to_user. On x86 that \
         is the rep movsb instruction: one instruction that copies RCX bytes from \
         the address in RSI to the one in RDI, in pieces the CPU's microcode \
         chooses. With erms (Enhanced REP MOVSB) Linux uses it for copies of 64 \
         bytes and more; with fsrm (Fast Short REP MOV: Intel since Ice Lake, AMD \
         since Zen 3), since Linux 6.4, every copy to user space is a bare rep \
         movsb.",
    ))?;
    steps.say(&wrap(copy_sentence(&facts.flags)))?;

    steps.step("So, does the address matter here?")?;
    steps.say(&wrap(&verdict_sentence(&facts)))?;
    steps.say(&wrap(&others_sentence(&facts)))?;
    steps.say(&wrap(
        "Why it can matter: rep movsb says what to copy, not how; the microcode \
         decides, and it may run fast only when source and destination sit just \
         so. Here the source is always a page-cache page, starting on a page \
         boundary; only the destination moved. On AMD Zen, rep movsb is \
         several times slower for some source and destination placements, \
         which is why glibc's memcpy avoids it on AMD (glibc bug 30994); the \
         kernel's copy_to_user still uses it. In 2023 the same kind of quirk \
         made a Rust program reading a file with std::fs slower than Python \
         doing the same on a Zen machine: their buffers started at different \
         places in a page. Which placements are slow differs between CPUs and \
         microcode versions: the result above is this machine's, not a rule.",
    ))?;

    steps.step("Where do ordinary Rust buffers start?")?;
    steps.show(SOURCE, "placements")?;
    facts.placements = placements(&path)?;
    // Only now free the placed buffers: glibc raises its mmap threshold when
    // a large block is freed, which would have moved the blocks just measured.
    drop(buffers);
    let width = facts
        .placements
        .iter()
        .map(|p| p.label.len())
        .max()
        .unwrap_or(0);
    let lines: Vec<String> = facts
        .placements
        .iter()
        .map(|p| format!("{:<width$}  starts at +{}", p.label, p.page_offset))
        .collect();
    steps.result(&lines.join("\n"))?;
    steps.say(
        "None of these asks for page alignment (a Vec<u8> needs only 1-byte\n\
         alignment), so each starts wherever the global allocator puts it: for\n\
         a Rust program on Linux, glibc's malloc, unless you choose another.",
    )?;
    steps.say(&wrap(&placement_sentence(&facts)))?;

    steps.step("How a Rust program gets a page-aligned buffer.")?;
    steps.show(SOURCE, "aligned")?;
    let page = machine::page_size() as usize;
    // lesson:aligned begin
    let layout = Layout::from_size_align(1 << 20, page)?; // size, alignment
    // SAFETY: the layout's size is not zero; freed below with it.
    let ptr = unsafe { alloc_zeroed(layout) };
    anyhow::ensure!(!ptr.is_null(), "alloc_zeroed found no memory");
    let heap_start = ptr as usize % page;
    // read into it through a slice, then:
    // SAFETY: allocated above with this layout, and no longer used.
    unsafe { dealloc(ptr, layout) };
    let anon = memmap2::MmapMut::map_anon(1 << 20)?; // always aligned
    let anon_start = anon.as_ptr() as usize % page;
    // lesson:aligned end
    steps.result(&format!(
        "alloc_zeroed's block starts at +{heap_start}, the anonymous map at +{anon_start}"
    ))?;
    steps.say(
        "Layout::from_size_align asks the allocator for an alignment as well as\n\
         a size; PlacedBuffer wraps it safely. An anonymous map from the memmap2\n\
         crate is page-aligned by nature. Then read into it with read or read_at\n\
         yourself: BufReader cannot be handed a buffer, and fs::read makes its\n\
         own Vec. Worth it only where the measurement above shows a penalty;\n\
         measure on the machines your program runs on. Or skip the copy: a map\n\
         has none (lesson why).",
    )?;

    Ok(facts)
}

/// Values joined with commas: `0, 16, 64, 2048`.
fn list<T: std::fmt::Display>(values: impl Iterator<Item = T>) -> String {
    values.map(|v| v.to_string()).collect::<Vec<_>>().join(", ")
}

/// Fails unless a pass read bytes with the file's checksum.
fn check(got: u64, expected: u64, what: &str) -> anyhow::Result<()> {
    anyhow::ensure!(
        got == expected,
        "{what} read the wrong bytes: checksum {got:#018x}, expected {expected:#018x}"
    );
    Ok(())
}

/// One pass over the first `len` bytes of `file` with pread calls of
/// `buffer.len()` bytes: the time spent inside pread, and the checksum.
fn pass(file: &File, buffer: &mut [u8], len: u64) -> anyhow::Result<(Duration, u64)> {
    // lesson:pass begin
    let mut fold = Fold::new();
    let mut in_pread = Duration::ZERO;
    let mut pos = 0;
    while pos < len {
        let start = Instant::now();
        let n = file.read_at(buffer, pos).context("pread")?;
        in_pread += start.elapsed(); // only pread is timed
        anyhow::ensure!(n > 0, "the file ended at byte {pos}, before {len}");
        fold.update(&buffer[..n]); // checksum every byte
        pos += n as u64;
    }
    // lesson:pass end
    Ok((in_pread, fold.finish()))
}

/// Times `rounds` passes per chunk size and buffer, the buffers taking turns
/// within each round; every pass's checksum is checked.
fn measure(
    file: &File,
    buffers: &mut [PlacedBuffer],
    size: u64,
    rounds: usize,
    expected: u64,
) -> anyhow::Result<Vec<AlignRow>> {
    let mut rows = Vec::new();
    for chunk in CHUNKS {
        let mut times = vec![Vec::with_capacity(rounds); buffers.len()];
        for _ in 0..rounds {
            for (buffer, times) in buffers.iter_mut().zip(&mut times) {
                let (time, sum) = pass(file, &mut buffer.as_mut_slice()[..chunk], size)?;
                let what = format!(
                    "pread of {} at +{}",
                    ExactSize(chunk as u64),
                    buffer.offset()
                );
                check(sum, expected, &what)?;
                times.push(time);
            }
        }
        for (buffer, times) in buffers.iter().zip(times) {
            rows.push(AlignRow {
                chunk,
                offset: buffer.offset(),
                page_offset: page_offset_of(buffer.as_slice()),
                per_pass: crate::stats::median(&times).unwrap_or_default(),
                verified_passes: times.len(),
                passes: times,
            });
        }
    }
    Ok(rows)
}

/// The rounds of `chunk`-byte reads into the buffer at `offset` judged
/// against those into the page-aligned one (the same when either is
/// missing).
fn outcome_of(rows: &[AlignRow], chunk: usize, offset: usize) -> Outcome {
    let passes = |offset: usize| -> Vec<f64> {
        rows.iter()
            .find(|r| r.chunk == chunk && r.offset == offset)
            .map(|r| r.passes.iter().map(|d| d.as_secs_f64()).collect())
            .unwrap_or_default()
    };
    crate::judge::judge(&passes(0), &passes(offset)).outcome
}

/// The time of `chunk`-byte reads into the buffer at `offset`, over the
/// time into the page-aligned one (0 when either is missing).
fn ratio_of(rows: &[AlignRow], chunk: usize, offset: usize) -> f64 {
    let time = |offset: usize| {
        rows.iter()
            .find(|r| r.chunk == chunk && r.offset == offset)
            .map_or(0.0, |r| r.per_pass.as_secs_f64())
    };
    time(offset) / time(0).max(1e-12)
}

/// The measurements as a table: chunk, where the buffer starts, time, rate, ratio.
fn table(rows: &[AlignRow], size: u64) -> String {
    let mut text = format!(
        "{:<6}  {:>9}  {:>10}  {:>10}  {:>6}\n",
        "chunk", "buffer at", "pread time", "rate", "vs +0"
    );
    for row in rows {
        let seconds = row.per_pass.as_secs_f64().max(1e-12);
        text.push_str(&format!(
            "{:<6}  {:>9}  {:>10}  {:>10}  {:>5.2}x\n",
            ExactSize(row.chunk as u64).to_string(),
            format!("+{}", row.page_offset),
            Nanos(row.per_pass.as_nanos() as f64).to_string(),
            Rate(size as f64 / seconds).to_string(),
            ratio_of(rows, row.chunk, row.offset)
        ));
    }
    text
}

/// What the flags say about how this CPU's kernel copies to user space.
fn copy_sentence(flags: &[String]) -> &'static str {
    let has = |flag: &str| flags.iter().any(|f| f == flag);
    if has("fsrm") {
        "This CPU has fsrm: every pread above copied with rep movsb."
    } else if has("erms") {
        "This CPU has erms but not fsrm: the large copies above were rep movsb, \
         reached through a small routine that handles the short ones."
    } else {
        "This CPU reports neither erms nor fsrm: the kernel copies with other \
         instructions here, and rep movsb's quirks do not apply."
    }
}

/// The verdict on the +16 buffer, in words chosen from the measured ratios.
fn verdict_sentence(facts: &AlignFacts) -> String {
    let ratios = facts.ratios(MALLOC_OFFSET);
    let low = ratios.iter().copied().fold(f64::INFINITY, f64::min);
    let high = ratios.iter().copied().fold(0.0, f64::max);
    match facts.verdict {
        Verdict::Slower => format!(
            "On this CPU, yes. The buffer 16 bytes past a page boundary took \
             {low:.1}x to {high:.1}x the page-aligned buffer's time, at every chunk size: \
             the same bytes, the same calls, only the address differed."
        ),
        Verdict::NoPenalty => format!(
            "No difference this run can show. At every chunk size the buffer 16 \
             bytes past a page boundary took {low:.2}x to {high:.2}x the \
             page-aligned buffer's time, the same within noise: its rounds did \
             not separate from the page-aligned buffer's by more than the \
             judgement's 3% with 95% confidence.{}",
            if high - 1.0 > crate::judge::NOISE_THRESHOLD
                || 1.0 - low > crate::judge::NOISE_THRESHOLD
            {
                " A ratio that far from 1 inside the noise means the rounds \
                 spread widely: run the lesson again, on a quieter machine, \
                 before concluding the address does not matter."
            } else {
                " Here the address did not matter."
            }
        ),
        Verdict::Faster => format!(
            "On this CPU the page-aligned buffer was the slow one: the buffer 16 \
             bytes past a page boundary took only {low:.2}x to {high:.2}x its time, \
             at every chunk size."
        ),
        Verdict::Mixed => {
            let outcomes = facts.outcomes(MALLOC_OFFSET);
            let each: Vec<String> = CHUNKS
                .iter()
                .zip(&ratios)
                .zip(&outcomes)
                .map(|((chunk, ratio), outcome)| {
                    format!(
                        "{ratio:.2}x with {} ({})",
                        ExactSize(*chunk as u64),
                        match outcome {
                            Outcome::Slower => "slower",
                            Outcome::Faster => "faster",
                            Outcome::Same => "the same within noise",
                        }
                    )
                })
                .collect();
            format!(
                "It depends on the chunk size here. The buffer 16 bytes past a page \
                 boundary took {} of the page-aligned buffer's time; a ratio counts only \
                 when the rounds show it beyond noise.",
                each.join(", ")
            )
        }
    }
}

/// The buffers on a cache line but not a page, in words chosen from their
/// ratios.
fn others_sentence(facts: &AlignFacts) -> String {
    let others: Vec<(usize, Verdict)> = OFFSETS
        .iter()
        .filter(|&&offset| offset != 0 && offset != MALLOC_OFFSET)
        .map(|&offset| (offset, Verdict::of(&facts.outcomes(offset))))
        .collect();
    let names: Vec<String> = others.iter().map(|(o, _)| format!("+{o}")).collect();
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    let on_cache_lines = others.iter().all(|(o, _)| o % CACHE_LINE == 0);
    let mut text = format!(
        "The buffers at {}{}: ",
        and_list(&names),
        if on_cache_lines {
            ", on a 64-byte cache-line boundary but not a page boundary"
        } else {
            ""
        }
    );
    let first = others.first().map(|(_, v)| *v);
    if others.iter().all(|(_, v)| Some(*v) == first) {
        text.push_str(first.map_or("", Verdict::phrase));
    } else {
        let each: Vec<String> = others
            .iter()
            .map(|(o, v)| format!("+{o} {}", v.phrase()))
            .collect();
        text.push_str(&each.join(", "));
    }
    text.push('.');
    if facts.verdict == Verdict::Slower && on_cache_lines && first == Some(Verdict::NoPenalty) {
        text.push_str(
            " So on this CPU a buffer on a 64-byte boundary was filled as fast as \
             a page-aligned one; only the +16 buffer, off the cache line, paid.",
        );
    }
    text
}

/// Where a fresh Vec, BufReader's buffers and fs::read's Vec start. All are
/// made before any is dropped, so a freed block cannot be handed out again.
fn placements(path: &Path) -> anyhow::Result<Vec<Placement>> {
    // lesson:placements begin
    let v = vec![0u8; 1 << 20];
    let mut small = BufReader::new(open_read(path)?); // 8 KiB
    let mut big = BufReader::with_capacity(1 << 20, open_read(path)?);
    let whole = std::fs::read(path).context("cannot read it")?;
    let v_start = page_offset_of(&v);
    let small_start = page_offset_of(small.fill_buf()?);
    let big_start = page_offset_of(big.fill_buf()?);
    let whole_start = page_offset_of(&whole);
    // lesson:placements end
    Ok(vec![
        Placement {
            label: "vec![0u8; 1 << 20]",
            name: "the Vec",
            bytes: v.len() as u64,
            page_offset: v_start,
        },
        Placement {
            label: "BufReader::new (8 KiB)",
            name: "the default BufReader",
            bytes: small.capacity() as u64,
            page_offset: small_start,
        },
        Placement {
            label: "BufReader::with_capacity(1 << 20)",
            name: "the big BufReader",
            bytes: big.capacity() as u64,
            page_offset: big_start,
        },
        Placement {
            label: "std::fs::read (the whole file)",
            name: "the Vec from fs::read",
            bytes: whole.len() as u64,
            page_offset: whole_start,
        },
    ])
}

/// What the measured placements mean, in words chosen from them and from
/// the verdict.
fn placement_sentence(facts: &AlignFacts) -> String {
    let named = |wanted: &dyn Fn(&Placement) -> bool| -> Vec<&str> {
        facts
            .placements
            .iter()
            .filter(|p| wanted(p))
            .map(|p| p.name)
            .collect()
    };
    let large = |p: &Placement| p.bytes >= MMAP_THRESHOLD;
    let at_16 = MALLOC_OFFSET as u64;
    let mapped = named(&|p| large(p) && p.page_offset == at_16);
    let small = named(&|p| !large(p) && p.page_offset != 0);
    let large_heap = named(&|p| large(p) && p.page_offset != 0 && p.page_offset != at_16);
    let aligned = named(&|p| p.page_offset == 0);
    let mut text = Vec::new();
    if !mapped.is_empty() {
        text.push(format!(
            "At +16: {}. glibc serves a large block (from 128 KiB, at first) with \
             a mmap of its own and keeps a 16-byte header at the start of the \
             page, so the block begins 16 bytes in.",
            and_list(&mapped)
        ));
    }
    if !small.is_empty() {
        text.push(format!(
            "{} came from the heap, where a small block starts wherever the one \
             before it ended.",
            capitalise(&and_list(&small))
        ));
    }
    if !large_heap.is_empty() {
        text.push(format!(
            "{} did not get a mmap of its own although large, most likely because \
             glibc raises its 128 KiB mmap threshold after a large block is freed, \
             and later blocks that size come from the heap.",
            capitalise(&and_list(&large_heap))
        ));
    }
    if !aligned.is_empty() {
        text.push(format!(
            "{} happened to be page-aligned; nothing promises it.",
            capitalise(&and_list(&aligned))
        ));
    }
    let cost = facts.ratio(CHUNKS[1], MALLOC_OFFSET);
    text.push(match facts.verdict {
        Verdict::Slower => format!(
            "A buffer at +16 is the slow case measured above: {cost:.1}x the time \
             with {} reads.",
            ExactSize(CHUNKS[1] as u64)
        ),
        Verdict::Mixed => format!(
            "A buffer at +16 took {cost:.2}x the page-aligned time with {} reads \
             above.",
            ExactSize(CHUNKS[1] as u64)
        ),
        Verdict::NoPenalty | Verdict::Faster => {
            "On this CPU a buffer at +16 cost nothing measurable above.".to_string()
        }
    });
    text.join(" ")
}

/// Breaks prose into lines of at most [`TEXT_WIDTH`] columns, at spaces.
fn wrap(text: &str) -> String {
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::new();
    let mut words: Vec<String> = Vec::new();
    for word in text.split_whitespace() {
        let unit =
            ["B", "KiB", "MiB", "GiB"].contains(&word.trim_end_matches([',', '.', ';', ')']));
        match words.last_mut() {
            Some(number) if unit => {
                number.push(' ');
                number.push_str(word);
            }
            _ => words.push(word.to_string()),
        }
    }
    for word in &words {
        if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > TEXT_WIDTH {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verdicts_follow_the_judgements() {
        use Outcome::{Faster, Same, Slower};
        assert_eq!(Verdict::of(&[Slower, Slower, Slower]), Verdict::Slower);
        assert_eq!(Verdict::of(&[Same, Same, Same]), Verdict::NoPenalty);
        assert_eq!(Verdict::of(&[Faster, Faster, Faster]), Verdict::Faster);
        assert_eq!(Verdict::of(&[Slower, Same, Same]), Verdict::Mixed);
        assert_eq!(Verdict::of(&[Faster, Same, Slower]), Verdict::Mixed);
    }

    /// A row whose seven passes spread ±1% around `ms` milliseconds.
    fn row(chunk: usize, offset: usize, ms: u64) -> AlignRow {
        let passes: Vec<Duration> = [99, 100, 101, 100, 99, 101, 100]
            .iter()
            .map(|p| Duration::from_micros(ms * p * 10))
            .collect();
        AlignRow {
            chunk,
            offset,
            page_offset: offset as u64,
            per_pass: Duration::from_millis(ms),
            verified_passes: passes.len(),
            passes,
        }
    }

    #[test]
    fn a_ratio_inside_the_noise_is_no_penalty_and_a_steady_one_counts() {
        // 1.02x at every chunk size: the same within noise.
        let rows: Vec<AlignRow> = CHUNKS
            .iter()
            .flat_map(|&c| [row(c, 0, 100), row(c, 16, 102)])
            .collect();
        let outcomes = CHUNKS.map(|c| outcome_of(&rows, c, 16));
        assert_eq!(Verdict::of(&outcomes), Verdict::NoPenalty);
        // 1.23x at 64 KiB only: it depends on the chunk size.
        let rows: Vec<AlignRow> = CHUNKS
            .iter()
            .flat_map(|&c| {
                [
                    row(c, 0, 100),
                    row(c, 16, if c == 64 << 10 { 123 } else { 101 }),
                ]
            })
            .collect();
        let outcomes = CHUNKS.map(|c| outcome_of(&rows, c, 16));
        assert_eq!(outcomes, [Outcome::Same, Outcome::Slower, Outcome::Same]);
        assert_eq!(Verdict::of(&outcomes), Verdict::Mixed);
        // 0.77x everywhere: faster, every time.
        let rows: Vec<AlignRow> = CHUNKS
            .iter()
            .flat_map(|&c| [row(c, 0, 100), row(c, 16, 77)])
            .collect();
        assert_eq!(
            Verdict::of(&CHUNKS.map(|c| outcome_of(&rows, c, 16))),
            Verdict::Faster
        );
    }

    /// Facts of made-up rows, the verdict as the judgement gives it.
    fn facts_of(rows: Vec<AlignRow>) -> AlignFacts {
        let verdict = Verdict::of(&CHUNKS.map(|c| outcome_of(&rows, c, MALLOC_OFFSET)));
        AlignFacts {
            size: 1 << 20,
            vendor: String::new(),
            flags: Vec::new(),
            expected_checksum: 0,
            rows,
            verdict,
            placements: Vec::new(),
        }
    }

    #[test]
    fn a_wide_ratio_inside_the_noise_is_not_called_no_penalty() {
        // 1.21x to 1.26x, but two rounds each that spread widely: the
        // judgement cannot separate them, and the sentence says so.
        let noisy = |chunk: usize, offset: usize, ms: u64, spread: u64| AlignRow {
            chunk,
            offset,
            page_offset: offset as u64,
            per_pass: Duration::from_millis(ms),
            verified_passes: 2,
            passes: vec![
                Duration::from_millis(ms - spread),
                Duration::from_millis(ms + spread),
            ],
        };
        let rows: Vec<AlignRow> = CHUNKS
            .iter()
            .zip([121, 123, 126])
            .flat_map(|(&c, slow)| [noisy(c, 0, 100, 40), noisy(c, 16, slow, 40)])
            .collect();
        let facts = facts_of(rows);
        assert_eq!(facts.verdict, Verdict::NoPenalty);
        let said = verdict_sentence(&facts);
        assert!(
            said.starts_with("No difference this run can show."),
            "{said}"
        );
        assert!(said.contains("took 1.21x to 1.26x"), "{said}");
        assert!(said.contains("run the lesson again"), "{said}");
        assert!(!said.contains("does not care"), "{said}");
        // Close to 1 and steady: the address did not matter.
        let rows: Vec<AlignRow> = CHUNKS
            .iter()
            .flat_map(|&c| [row(c, 0, 100), row(c, 16, 101)])
            .collect();
        let said = verdict_sentence(&facts_of(rows));
        assert!(said.ends_with("Here the address did not matter."), "{said}");
    }

    #[test]
    fn the_table_fits_80_columns_with_extreme_values() {
        // The slowest pass a lesson could show (999.99 ms) and an absurdly
        // fast one (1 µs: terabytes a second), at every chunk and offset.
        let mut rows = Vec::new();
        for chunk in CHUNKS {
            for offset in OFFSETS {
                let mut slow = row(chunk, offset, 999);
                slow.per_pass = Duration::from_nanos(999_990_000);
                rows.push(slow);
                let mut fast = row(chunk, offset, 1);
                fast.per_pass = Duration::from_micros(1);
                rows.push(fast);
            }
        }
        let text = table(&rows, 64 << 20);
        for line in text.lines() {
            // Printed after the 5-column arrow of a result.
            assert!(line.chars().count() + 5 <= 80, "{line:?}");
        }
    }

    #[test]
    fn wraps_prose_at_spaces_within_the_width() {
        let text = "word ".repeat(40);
        let wrapped = wrap(&text);
        assert!(wrapped.lines().all(|l| l.len() <= TEXT_WIDTH));
        assert_eq!(wrapped.split_whitespace().count(), 40);
        assert_eq!(wrap("  one   two "), "one two");
        let sizes = format!("{} 64 KiB, 1 MiB.", "x".repeat(TEXT_WIDTH - 4));
        assert_eq!(wrap(&sizes).lines().nth(1), Some("64 KiB, 1 MiB."));
    }
}
