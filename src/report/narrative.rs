//! The paragraph under each scenario, written from its numbers: who won at the
//! smallest and largest size, where mmap and the best call-based method cross,
//! and which counters explain the difference.

use super::findings::{Lead, Race, Scaling, lead_at, race, scaling, standings};
use super::format::{bytes, count, percent, ratio};
use super::metrics::{bytes_per_fault, copied, is_map, ranked_at, sizes};
use crate::operation;
use crate::results::{Cell, Limits, PeerLine, Results, ScenarioResult};
use crate::units::{ApproxSize, ExactSize, Nanos, Rate};
use crate::vocab::CostTerm;
use crate::words::{and_list, capitalise};

/// Writes the paragraph for one scenario as plain sentences.
pub(crate) fn paragraph(scenario: &ScenarioResult, limits: &Limits) -> String {
    let sizes = sizes(scenario);
    let (Some(&smallest), Some(&largest)) = (sizes.first(), sizes.last()) else {
        return "No cells were measured in this scenario.".to_string();
    };
    let mut sentences = vec![winner(scenario, smallest)];
    if largest != smallest {
        sentences.push(winner(scenario, largest));
    }
    sentences.extend(crossing(scenario));
    sentences.extend(explanation(scenario, largest));
    sentences.extend(where_time_goes(scenario, largest));
    sentences.extend(super::layout::sentence(scenario));
    sentences.extend(residency(scenario));
    sentences.extend(alignment(scenario, &sizes));
    sentences.extend(ring_batches(scenario, largest));
    sentences.extend(direct_io(scenario, largest));
    sentences.extend(fio_peers(scenario));
    sentences.extend(above_limits(scenario, limits));
    sentences.extend(skipped(scenario));
    sentences.extend(unstable(scenario));
    let failed: Vec<String> = scenario
        .cells
        .iter()
        .filter(|c| !c.verified)
        .map(|c| format!("{} at {}", c.label, ExactSize(c.size)))
        .collect();
    if !failed.is_empty() {
        sentences.push(format!(
            "Warning: {} did not match the reference checksum, so their times mean little.",
            failed.join(", ")
        ));
    }
    sentences.join(" ")
}

/// Who led at `size`, in words: "At SIZE, X was fastest at RATE, N× the
/// next best (Y, RATE)", or the cells the samples cannot tell apart.
fn winner(scenario: &ScenarioResult, size: u64) -> String {
    match lead_at(scenario, size) {
        Some(lead) => lead_sentence(&lead, size),
        None => format!("Nothing was measured at {}.", ExactSize(size)),
    }
}

/// Words a [`Lead`].
fn lead_sentence(lead: &Lead, size: u64) -> String {
    let first = lead.first;
    let rate = |c: &Cell| Rate(c.throughput_bytes_per_sec).to_string();
    let next = |next: &Cell| {
        format!(
            "{} the next best ({}, {})",
            ratio(first.throughput_bytes_per_sec / next.throughput_bytes_per_sec),
            next.label,
            rate(next)
        )
    };
    if lead.tied.is_empty() {
        return match lead.next {
            Some(second) => format!(
                "At {}, {} was fastest at {}, {}.",
                ExactSize(size),
                first.label,
                rate(first),
                next(second)
            ),
            None => format!(
                "At {}, only {} was measured ({}).",
                ExactSize(size),
                first.label,
                rate(first)
            ),
        };
    }
    let slowest_tied = lead.tied.last().unwrap_or(&first);
    let mut names: Vec<&str> = vec![&first.label];
    names.extend(lead.tied.iter().map(|c| c.label.as_str()));
    let span = format!("{} to {}", rate(slowest_tied), rate(first));
    match lead.next {
        Some(second) => format!(
            "At {}, {} were the fastest, the same within noise ({span}); the fastest of them was {}.",
            ExactSize(size),
            and_list(&names),
            next(second)
        ),
        None => format!(
            "At {}, {} were the same within noise ({span}).",
            ExactSize(size),
            if names.len() == 2 {
                and_list(&names)
            } else {
                format!("all {} methods", names.len())
            }
        ),
    }
}

/// What the call-based methods are called for this operation.
fn call_style(scenario: &ScenarioResult) -> &'static str {
    // copy_on_write only reads the file: its name says "write" but its calls are reads.
    if operation::writes(scenario.operation) {
        "write()-style"
    } else {
        "read()-style"
    }
}

/// The fastest map cell and the fastest call-based cell at a size, if both were measured.
pub(crate) fn best_pair(scenario: &ScenarioResult, size: u64) -> Option<(&Cell, &Cell)> {
    let ranked = ranked_at(scenario, size);
    let map = ranked.iter().find(|c| is_map(c))?;
    let call = ranked.iter().find(|c| !is_map(c))?;
    Some((map, call))
}

/// How the best memory map fared against the best call-based method
/// over the sizes, in words.
fn crossing(scenario: &ScenarioResult) -> Option<String> {
    Some(race_sentence(
        &race(&standings(scenario))?,
        call_style(scenario),
    ))
}

/// Words a [`Race`]; `style` names the call-based methods.
fn race_sentence(race: &Race, style: &str) -> String {
    let sizes = |sizes: &[u64]| {
        let all: Vec<String> = sizes.iter().map(|s| ExactSize(*s).to_string()).collect();
        and_list(&all.iter().map(String::as_str).collect::<Vec<_>>())
    };
    match race {
        Race::Crossed(crossovers) => {
            let changes: Vec<String> = crossovers
                .iter()
                .map(|c| {
                    format!(
                        "a memory map {} the best {style} method between {} and {} (about {} by interpolation)",
                        if c.map_overtook { "overtook" } else { "fell behind" },
                        ExactSize(c.from),
                        ExactSize(c.to),
                        ApproxSize(c.estimate)
                    )
                })
                .collect();
            format!("{}.", capitalise(&changes.join("; then ")))
        }
        Race::MapAhead { size, ratio: r } => format!(
            "A memory map beat the best {style} method at every size; its narrowest lead was {} at {}.",
            ratio(*r),
            ExactSize(*size)
        ),
        Race::MapBehind { size, ratio: r } => format!(
            "No memory map caught up with the best {style} method; at best it reached {} of its speed, at {}.",
            ratio(*r),
            ExactSize(*size)
        ),
        Race::Level { level, map_ahead } => {
            let level_text = format!(
                "a memory map and the best {style} method were the same within noise at {}",
                sizes(level)
            );
            match map_ahead {
                None => format!("{}.", capitalise(&level_text)),
                Some(true) => format!(
                    "{}, and the map was ahead at the other sizes.",
                    capitalise(&level_text)
                ),
                Some(false) => format!(
                    "{}, and the map was behind at the other sizes.",
                    capitalise(&level_text)
                ),
            }
        }
    }
}

/// "1 read call", "2 read calls".
fn counted(n: u64, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{} {noun}s", count(n))
    }
}

/// What one cell cost, in counters: calls, copies, faults, disk.
fn describe(cell: &Cell) -> String {
    let c = &cell.counters;
    let mut parts = Vec::new();
    match (c.read_calls, c.write_calls) {
        (0, 0) => parts.push("made no read or write calls".to_string()),
        (r, 0) => parts.push(format!("made {} read calls", count(r))),
        (0, w) => parts.push(format!("made {} write calls", count(w))),
        (r, w) => parts.push(format!(
            "made {} read and {} write calls",
            count(r),
            count(w)
        )),
    }
    if let Some(map) = c.map_calls.filter(|m| *m > 0) {
        parts.push(counted(map, "map call"));
    }
    if c.ring_requests > 0 {
        parts.push(format!(
            "made {} for {}",
            counted(c.ring_enters, "io_uring_enter call"),
            counted(c.ring_requests, "ring request")
        ));
    }
    let moved = copied(cell);
    parts.push(if moved == 0 && cell.facts.bypasses_page_cache {
        "copied nothing (O_DIRECT: the device moved the bytes)".to_string()
    } else if moved == 0 {
        "copied nothing between kernel and user space".to_string()
    } else {
        format!("copied {}", bytes(moved))
    });
    if c.minor_faults > 0 || c.major_faults > 0 {
        let mut faults = if c.major_faults == 0 {
            format!("took {}", counted(c.minor_faults, "minor fault"))
        } else {
            format!(
                "took {} minor and {}",
                count(c.minor_faults),
                counted(c.major_faults, "major fault")
            )
        };
        if let Some(per_fault) = bytes_per_fault(cell) {
            faults.push_str(&format!(" (one per {} of file)", ApproxSize(per_fault)));
        }
        parts.push(faults);
    }
    if c.disk_read_bytes > 0 {
        parts.push(format!("read {} from disk", bytes(c.disk_read_bytes)));
    }
    let last = parts.pop().unwrap_or_default();
    if parts.is_empty() {
        format!("{} {last}", cell.label)
    } else {
        format!("{} {} and {last}", cell.label, parts.join(", "))
    }
}

/// The counters behind the result at the largest size.
fn explanation(scenario: &ScenarioResult, size: u64) -> Option<String> {
    let ranked = ranked_at(scenario, size);
    let (map, call) = best_pair(scenario, size)?;
    let busiest = ranked
        .iter()
        .filter(|c| !is_map(c))
        .max_by_key(|c| c.counters.read_calls + c.counters.write_calls)?;
    let mut text = format!("At {}: {}", ExactSize(size), describe(call));
    if busiest.label != call.label {
        text.push_str(&format!("; {}", describe(busiest)));
    }
    text.push_str(&format!("; {}.", describe(map)));
    Some(text)
}

/// How cold the cold runs really were.
fn residency(scenario: &ScenarioResult) -> Option<String> {
    let resident: Vec<(f64, &Cell)> = scenario
        .cells
        .iter()
        .filter_map(|c| Some((c.resident_before?, c)))
        .collect();
    let (most, cell) = resident.iter().max_by(|a, b| a.0.total_cmp(&b.0))?;
    Some(if *most <= 0.01 {
        "Before every operation at most 1% of the file was resident, so the cache really was cold."
            .to_string()
    } else {
        format!(
            "The cache was not fully cold everywhere: up to {} of the file was resident before the operation ({} at {}), which flatters that cell.",
            percent(*most),
            cell.label,
            ExactSize(cell.size)
        )
    })
}

/// What batching requests through io_uring did at `size`: the busiest
/// ring cell's enter calls against its requests, and its speed against the
/// fastest method that is not a ring (or the slowest ring, when only rings
/// ran).
fn ring_batches(scenario: &ScenarioResult, size: u64) -> Option<String> {
    let ranked = ranked_at(scenario, size);
    let ring = ranked
        .iter()
        .filter(|c| c.counters.ring_requests > 0 && c.counters.ring_enters > 0)
        .max_by(|a, b| {
            let per_enter =
                |c: &Cell| c.counters.ring_requests as f64 / c.counters.ring_enters as f64;
            per_enter(a).total_cmp(&per_enter(b))
        })?;
    // The fastest call-based method without a ring, else any other cell.
    let other = ranked
        .iter()
        .find(|c| c.counters.ring_requests == 0 && !is_map(c))
        .or_else(|| ranked.iter().rev().find(|c| c.label != ring.label))?;
    let c = &ring.counters;
    Some(format!(
        "At {}, {} made {} for {} ({:.1} requests per call), and ran at {} {} ({}).",
        ExactSize(size),
        ring.label,
        counted(c.ring_enters, "io_uring_enter call"),
        counted(c.ring_requests, "request"),
        c.ring_requests as f64 / c.ring_enters as f64,
        speed_of(ring, other),
        other.label,
        describe_calls(other)
    ))
}

/// `cell`'s speed against `other`'s, to precede the other's name: "1.52×
/// the speed of", or "the same speed within noise as" when the judgement
/// cannot tell them apart.
fn speed_of(cell: &Cell, other: &Cell) -> String {
    if crate::judge::cells(other, cell).is_same() {
        "the same speed within noise as".to_string()
    } else {
        format!(
            "{} the speed of",
            ratio(cell.throughput_bytes_per_sec / other.throughput_bytes_per_sec)
        )
    }
}

/// A cell's system calls in a few words: `4,097 read calls`, or its ring's
/// enter calls.
fn describe_calls(cell: &Cell) -> String {
    let c = &cell.counters;
    if c.ring_requests > 0 {
        counted(c.ring_enters, "io_uring_enter call")
    } else if c.write_calls > c.read_calls {
        counted(c.write_calls, "write call")
    } else {
        counted(c.read_calls, "read call")
    }
}

/// What O_DIRECT did at `size`: disk bytes on a warm file, or what a cold
/// read left in the page cache, against a method that used it.
fn direct_io(scenario: &ScenarioResult, size: u64) -> Option<String> {
    let ranked = ranked_at(scenario, size);
    let direct = ranked.iter().find(|c| c.facts.bypasses_page_cache)?;
    // The fastest call-based method through the page cache, else a map.
    let cached = ranked
        .iter()
        .find(|c| !c.facts.bypasses_page_cache && !is_map(c))
        .or_else(|| ranked.iter().find(|c| !c.facts.bypasses_page_cache));
    if operation::writes(scenario.operation) {
        return None;
    }
    let c = &direct.counters;
    if scenario.cache == crate::vocab::Cache::Warm {
        return Some(format!(
            "{} read {} from disk although the file was cached (O_DIRECT bypasses the page cache){}.",
            capitalise(&direct.label),
            bytes(c.disk_read_bytes),
            cached
                .map(|other| format!(
                    ", and ran at {} {}, which read it from memory",
                    speed_of(direct, other),
                    other.label
                ))
                .unwrap_or_default()
        ));
    }
    let after = direct.resident_after?;
    Some(
        match cached.and_then(|other| Some((other, other.resident_after?))) {
            Some((other, other_after)) => format!(
                "After a cold read {} left {} of the file in the page cache and {} left {}: O_DIRECT leaves the cache as it found it.",
                direct.label,
                percent(after),
                other.label,
                percent(other_after)
            ),
            None => format!(
                "After a cold read {} left {} of the file in the page cache.",
                direct.label,
                percent(after)
            ),
        },
    )
}

/// Cells named at most in [`above_limits`]; the rest are counted.
const ABOVE_LIMITS_NAMED: usize = 4;

/// For a scenario whose operations several threads shared: what they
/// shared and how, that its throughputs are totals across the threads,
/// and how each method scaled against the sibling scenario with fewer
/// threads (judged, [`scaling`]); `None` for one thread.
pub(crate) fn threads(results: &Results, scenario: &ScenarioResult) -> Option<String> {
    if scenario.threads < 2 {
        return None;
    }
    let mut text = format!(
        "{} threads shared each operation on one file, each its own part ({}): a map is one mapping they all read, the other methods open a descriptor and keep a buffer (or a ring) per thread. Throughput is the total across the threads, and the cost model and the limits are for one thread, so compare these cells with each other, not with one thread's.",
        scenario.threads,
        match scenario.operation {
            crate::vocab::OperationKind::RandomRead => "a run of the offsets",
            _ => "a contiguous range",
        }
    );
    let scaled = scaling(&results.scenarios, scenario);
    if let Some(first) = scaled.first() {
        let each: Vec<String> = scaled.iter().map(scaling_words).collect();
        text.push_str(&format!(
            " Against {} ({}): {}.",
            counted(u64::from(first.base_threads), "thread"),
            first.base_scenario,
            each.join("; ")
        ));
    }
    Some(text)
}

/// One method's [`Scaling`] in words: "mmap at 64 MiB 1.85× as fast
/// (faster)", or "the same within noise".
fn scaling_words(scaled: &Scaling) -> String {
    let speed = 1.0 / scaled.judgement.ratio;
    let verdict = match scaled.judgement.outcome {
        crate::judge::Outcome::Faster => "faster",
        crate::judge::Outcome::Slower => "slower",
        crate::judge::Outcome::Same => "the same within noise",
    };
    format!(
        "{} at {} {} as fast ({} against {}, {verdict})",
        scaled.cell.label,
        ExactSize(scaled.cell.size),
        ratio(speed),
        Rate(scaled.cell.throughput_bytes_per_sec),
        Rate(scaled.base.throughput_bytes_per_sec)
    )
}

/// The cells faster than the ceiling for their size and kind of work, and
/// why that can happen.
fn above_limits(scenario: &ScenarioResult, limits: &Limits) -> Option<String> {
    let over: Vec<String> = scenario
        .cells
        .iter()
        .filter_map(|c| {
            let ceiling = crate::ceiling::of(limits, c, operation::writes(scenario.operation));
            // A limit is one thread's: held against each thread's share.
            let per_thread = c.throughput_bytes_per_sec / c.threads() as f64;
            (per_thread > ceiling.bytes_per_sec).then(|| {
                format!(
                    "{} at {} ({} of the {} limit within {}, {})",
                    c.label,
                    ExactSize(c.size),
                    percent(per_thread / ceiling.bytes_per_sec),
                    ceiling.work.name(),
                    ceiling.level,
                    Rate(ceiling.bytes_per_sec)
                )
            })
        })
        .collect();
    if over.is_empty() {
        return None;
    }
    let mut named = over[..over.len().min(ABOVE_LIMITS_NAMED)].join("; ");
    if over.len() > ABOVE_LIMITS_NAMED {
        named.push_str(&format!(
            "; and {} more (see the table)",
            over.len() - ABOVE_LIMITS_NAMED
        ));
    }
    Some(format!(
        "Above the limit for their size: {named}. A limit is measured in the same run over a buffer half the size of the cache level the file falls in; a cell passes it when its bytes stay in a nearer cache than its size suggests, or when other work slowed the limit's measurement (see the run's conditions)."
    ))
}

/// How many cells had unsteady samples, if any.
fn unstable(scenario: &ScenarioResult) -> Option<String> {
    let n = scenario
        .cells
        .iter()
        .filter(|c| c.spread.as_ref().is_some_and(|s| !s.unstable.is_empty()))
        .count();
    (n > 0).then(|| {
        format!(
            "The samples of {} were unstable (a standard deviation above {:.0}% of the mean, or a sample far from the median; UNSTABLE in the table): something else disturbed them, so their medians, and the verdicts resting on them, are less sure.",
            if n == 1 { "1 cell".to_string() } else { format!("{n} cells") },
            crate::sampling::UNSTABLE_STDDEV * 100.0
        )
    })
}

/// The cells this machine could not measure, and why.
fn skipped(scenario: &ScenarioResult) -> Option<String> {
    let mut reasons: Vec<(String, String, Vec<u64>)> = Vec::new();
    for skip in &scenario.skipped {
        match reasons
            .iter_mut()
            .find(|(label, reason, _)| *label == skip.label && *reason == skip.reason)
        {
            Some((_, _, sizes)) => sizes.push(skip.size),
            None => reasons.push((skip.label.clone(), skip.reason.clone(), vec![skip.size])),
        }
    }
    if reasons.is_empty() {
        return None;
    }
    let each: Vec<String> = reasons
        .iter()
        .map(|(label, reason, sizes)| {
            let sizes: Vec<String> = sizes.iter().map(|s| ExactSize(*s).to_string()).collect();
            format!("{label} (at {}): {reason}", sizes.join(", "))
        })
        .collect();
    Some(format!(
        "Not measured on this machine: {}.",
        each.join("; ")
    ))
}

/// What some cells' counters cannot show or show differently (io_uring,
/// O_DIRECT), once per distinct note, with the labels it applies to.
pub(crate) fn counter_notes(scenario: &ScenarioResult) -> Vec<String> {
    let mut notes: Vec<(&str, Vec<&str>)> = Vec::new();
    for cell in &scenario.cells {
        let Some(note) = cell.counters_note.as_deref() else {
            continue;
        };
        match notes.iter_mut().find(|(text, _)| *text == note) {
            Some((_, labels)) if labels.contains(&cell.label.as_str()) => {}
            Some((_, labels)) => labels.push(&cell.label),
            None => notes.push((note, vec![&cell.label])),
        }
    }
    notes
        .into_iter()
        .map(|(note, labels)| format!("Counters of {}: {note}.", labels.join(", ")))
        .collect()
}

/// A cell's method, its options apart from placement, and its buffer's
/// placement: cells that share the first two differ only in where their
/// buffer starts.
fn placement_group(cell: &Cell) -> Option<(crate::vocab::MethodName, &str, u64)> {
    let placement = cell.facts.placement.as_ref()?;
    Some((
        cell.method,
        placement.unplaced.as_str(),
        placement.buffer_offset,
    ))
}

/// The largest slowdown from buffer placement alone that the judgement
/// calls more than noise: the same reads into buffers that start at
/// different offsets from a page boundary (or, when none is, that
/// placement made no difference beyond noise).
fn alignment(scenario: &ScenarioResult, sizes: &[u64]) -> Option<String> {
    let mut worst: Option<(f64, &Cell, &Cell)> = None;
    let mut pairs = 0;
    for &size in sizes {
        let cells: Vec<&Cell> = scenario.cells.iter().filter(|c| c.size == size).collect();
        for (i, a) in cells.iter().enumerate() {
            for b in &cells[i + 1..] {
                let (Some(ga), Some(gb)) = (placement_group(a), placement_group(b)) else {
                    continue;
                };
                // The same method apart from placement, placed differently.
                if (ga.0, ga.1) != (gb.0, gb.1) || ga.2 == gb.2 {
                    continue;
                }
                let (fast, slow) = if a.median_ns <= b.median_ns {
                    (a, b)
                } else {
                    (b, a)
                };
                pairs += 1;
                let judged = crate::judge::cells(fast, slow);
                if judged.outcome != crate::judge::Outcome::Slower {
                    continue;
                }
                let slowdown = slow.median_ns as f64 / fast.median_ns.max(1) as f64;
                if worst.is_none_or(|(w, ..)| slowdown > w) {
                    worst = Some((slowdown, fast, slow));
                }
            }
        }
    }
    let Some((slowdown, fast, slow)) = worst else {
        return (pairs > 0).then(|| {
            "Where the buffer starts made no difference beyond noise: every pair of the same calls into buffers placed differently was the same within noise.".to_string()
        });
    };
    Some({
        let place = |c: &Cell| {
            c.buffer_page_offset.map_or_else(
                || "an unrecorded place".to_string(),
                |o| format!("{o} bytes past a page boundary"),
            )
        };
        format!(
            "Where the buffer starts mattered: at {}, {} (buffer {}) took {} as long as {} (buffer {}), the same calls into a buffer placed differently; the kernel's copy between the page cache and a user buffer is slower for some alignments on this CPU.",
            ExactSize(fast.size),
            slow.label,
            place(slow),
            ratio(slowdown),
            fast.label,
            place(fast),
        )
    })
}

/// The model term that most separates a slower cell from a faster one:
/// its name and how many nanoseconds more the slower one spent on it.
pub(crate) fn deciding_term(faster: &Cell, slower: &Cell) -> Option<(CostTerm, f64)> {
    let (f, s) = (faster.model.as_ref()?, slower.model.as_ref()?);
    s.terms_ns
        .iter()
        .map(|(name, ns)| (*name, ns - f.terms_ns.get(name).copied().unwrap_or(0.0)))
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .filter(|(_, gap)| *gap > 0.0)
}

/// The two cells whose difference the report explains at `size`, faster
/// first: the best map and the best call-based method, or, where only one
/// kind ran, the fastest and the runner-up.
pub(crate) fn contrast(scenario: &ScenarioResult, size: u64) -> Option<(&Cell, &Cell)> {
    let (a, b) = best_pair(scenario, size).or_else(|| {
        let ranked = ranked_at(scenario, size);
        Some((*ranked.first()?, *ranked.get(1)?))
    })?;
    Some(if a.median_ns <= b.median_ns {
        (a, b)
    } else {
        (b, a)
    })
}

/// Which modelled cost decides between the best map and the best
/// call-based method at `size`, and how much of each median the model
/// explains there.
fn where_time_goes(scenario: &ScenarioResult, size: u64) -> Option<String> {
    let (first, second) = contrast(scenario, size)?;
    if !first.model.as_ref()?.fits || !second.model.as_ref()?.fits {
        return None;
    }
    if crate::judge::cells(first, second).is_same() {
        return Some(format!(
            "Where the time goes at {}: {} and {} were the same within noise, so no term of the cost model separates them.",
            ExactSize(size),
            first.label,
            second.label
        ));
    }
    let (term, gap) = deciding_term(first, second)?;
    let explained = |c: &Cell| {
        c.model
            .as_ref()
            .map(|m| percent(m.explained_ns / c.median_ns.max(1) as f64))
    };
    Some(format!(
        "Where the time goes at {}: {} spent {} more than {} on {} ({}), the largest difference of the cost model's terms; the model explains {} of {}'s median and {} of {}'s.",
        ExactSize(size),
        second.label,
        Nanos(gap),
        first.label,
        term.words(),
        term.meaning(),
        explained(second)?,
        second.label,
        explained(first)?,
        first.label
    ))
}

/// The judgement of a cell against its fio peer: the cell's timed samples
/// against the time each of fio's runs took per operation (a peer with one
/// recorded run shows nothing, and is the same within noise).
fn against_peer(cell: &Cell, peer: &PeerLine) -> crate::judge::Judgement {
    let runs = if peer.runs_bytes_per_sec.is_empty() {
        vec![peer.throughput_bytes_per_sec]
    } else {
        peer.runs_bytes_per_sec.clone()
    };
    let fio_ns: Vec<f64> = runs
        .iter()
        .map(|tput| cell.bytes as f64 / tput * 1e9)
        .collect();
    crate::judge::judge(&fio_ns, &crate::judge::times(cell))
}

/// Names every cell the judgement calls faster or slower than its fio
/// peer, with the likely reason.
fn fio_peers(scenario: &ScenarioResult) -> Option<String> {
    // The cells apart from their peer beyond noise, grouped by the
    // likeliest reason, so each reason is given once.
    let mut by_reason: Vec<(&'static str, Vec<String>)> = Vec::new();
    for peer in &scenario.peers {
        let Some(cell) = scenario
            .cells
            .iter()
            .find(|c| c.label == peer.label && c.size == peer.size)
        else {
            continue;
        };
        if against_peer(cell, peer).is_same() {
            continue;
        }
        let reason = peer_reason(scenario, cell, peer);
        let text = format!(
            "{} at {} ran {} as fast as fio's {} engine ({} against {})",
            cell.label,
            ExactSize(cell.size),
            ratio(peer.ratio),
            peer.engine,
            Rate(cell.throughput_bytes_per_sec),
            Rate(peer.throughput_bytes_per_sec),
        );
        match by_reason.iter_mut().find(|(r, _)| *r == reason) {
            Some((_, cells)) => cells.push(text),
            None => by_reason.push((reason, vec![text])),
        }
    }
    if by_reason.is_empty() {
        return None;
    }
    let groups: Vec<String> = by_reason
        .into_iter()
        .enumerate()
        .map(|(index, (reason, cells))| {
            let cells = cells.join("; ");
            let cells = if index == 0 {
                cells
            } else {
                capitalise(&cells)
            };
            format!("{cells}: likely because {reason}.")
        })
        .collect();
    Some(format!(
        "Beside fio on the same file in the same run, {}",
        groups.join(" ")
    ))
}

/// The likeliest reason a cell and its fio peer differ.
fn peer_reason(scenario: &ScenarioResult, cell: &Cell, peer: &PeerLine) -> &'static str {
    let faster = peer.ratio > 1.0;
    if scenario.cache == crate::vocab::Cache::Cold && !cell.facts.bypasses_page_cache && !faster {
        return "fio drops the file from the page cache only when it opens it, so its later loops read a cached file";
    }
    if scenario.operation == crate::vocab::OperationKind::RandomRead {
        return "fio reads its own random offsets, so the two touch different pages in a different order";
    }
    if is_map(cell) && faster {
        return "fio's mmap engine copies every block out of the map into its own buffer, while the method reads the mapped bytes in place";
    }
    if faster {
        return "fio does its own bookkeeping around every call (clock reads, latency statistics), which a tight loop does not";
    }
    if cell.bytes < 1 << 20 {
        return "each mmap-lab operation opens and closes the file, while fio's loops keep set-up out of the way";
    }
    "mmap-lab also folds every byte it reads, while fio consumes nothing"
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::findings::{Crossover, Lead};
    use crate::testing::{cell, race as made_up_race, scenario};
    use crate::vocab::MethodName::{Mmap, Positioned, Unbuffered, Whole};

    const KIB4: u64 = 4096;

    fn no_levels() -> Limits {
        Limits {
            memcpy_bytes_per_sec: 1e12,
            scan_bytes_per_sec: 1e12,
            buffer_bytes: 1 << 20,
            levels: Vec::new(),
        }
    }

    #[test]
    fn cells_above_their_limit_are_named_with_why() {
        // 4 KiB in 1000 ns: 4.1 GB/s, a map (copies nothing: the scan bounds it).
        let s = scenario(vec![
            cell("mmap", Mmap, KIB4, 1000),
            cell("positioned", Positioned, KIB4, 4000),
        ]);
        assert!(above_limits(&s, &no_levels()).is_none());
        let tight = Limits {
            scan_bytes_per_sec: 2e9,
            ..no_levels()
        };
        let text = above_limits(&s, &tight).unwrap();
        assert!(
            text.starts_with("Above the limit for their size: mmap at 4 KiB ("),
            "{text}"
        );
        assert!(text.contains("of the scan limit within memory"), "{text}");
        assert!(!text.contains("positioned"), "{text}");
        assert!(text.contains("a cell passes it when"), "{text}");
    }

    #[test]
    fn unstable_cells_are_counted() {
        let mut s = scenario(vec![
            cell("a", Positioned, KIB4, 1000),
            cell("b", Whole, KIB4, 1000),
        ]);
        assert!(unstable(&s).is_none());
        let samples = [1000, 1000, 1000, 3000];
        s.cells[0].spread = Some(crate::sampling::Spread::of(
            &samples,
            crate::sampling::Stop::Budget,
        ));
        let text = unstable(&s).unwrap();
        assert!(
            text.starts_with("The samples of 1 cell were unstable"),
            "{text}"
        );
    }

    #[test]
    fn a_lead_is_worded_for_each_shape() {
        let (a, b, c, d) = (
            cell("a", Positioned, KIB4, 1000),
            cell("b", Unbuffered, KIB4, 1010),
            cell("c", Whole, KIB4, 1020),
            cell("d", Mmap, KIB4, 2000),
        );
        fn made<'c>(first: &'c Cell, tied: Vec<&'c Cell>, next: Option<&'c Cell>) -> Lead<'c> {
            Lead { first, tied, next }
        }
        let lead = |tied, next| made(&a, tied, next);
        let clear = lead_sentence(&lead(vec![], Some(&d)), KIB4);
        assert!(clear.starts_with("At 4 KiB, a was fastest at "), "{clear}");
        assert!(clear.contains("the next best (d, "), "{clear}");
        let alone = lead_sentence(&lead(vec![], None), KIB4);
        assert!(
            alone.starts_with("At 4 KiB, only a was measured"),
            "{alone}"
        );
        let tied = lead_sentence(&lead(vec![&b, &c], Some(&d)), KIB4);
        assert!(
            tied.starts_with("At 4 KiB, a, b and c were the fastest, the same within noise ("),
            "{tied}"
        );
        assert!(tied.contains("; the fastest of them was "), "{tied}");
        assert!(!tied.contains("a was fastest"), "{tied}");
        let pair = lead_sentence(&lead(vec![&b], None), KIB4);
        assert!(
            pair.starts_with("At 4 KiB, a and b were the same within noise"),
            "{pair}"
        );
        let all = lead_sentence(&lead(vec![&b, &c], None), KIB4);
        assert!(
            all.starts_with("At 4 KiB, all 3 methods were the same within noise"),
            "{all}"
        );
    }

    #[test]
    fn the_winner_sentence_follows_the_judgement() {
        let s = scenario(vec![
            cell("a", Positioned, KIB4, 1000),
            cell("b", Unbuffered, KIB4, 1010),
        ]);
        assert!(winner(&s, KIB4).contains("were the same within noise"));
        let s = scenario(vec![
            cell("a", Positioned, KIB4, 1000),
            cell("b", Unbuffered, KIB4, 1500),
        ]);
        assert!(winner(&s, KIB4).contains("a was fastest"));
    }

    #[test]
    fn a_race_is_worded_for_each_outcome() {
        let crossed = Race::Crossed(vec![
            Crossover {
                from: 4096,
                to: 1 << 20,
                estimate: 65536.0,
                map_overtook: true,
            },
            Crossover {
                from: 1 << 20,
                to: 16 << 20,
                estimate: 4.0 * 1048576.0,
                map_overtook: false,
            },
        ]);
        let text = race_sentence(&crossed, "read()-style");
        assert!(
            text.starts_with("A memory map overtook the best read()-style method between 4 KiB and 1 MiB (about 64"),
            "{text}"
        );
        assert!(text.contains("; then a memory map fell behind"), "{text}");
        let ahead = race_sentence(
            &Race::MapAhead {
                size: 4096,
                ratio: 1.5,
            },
            "read()-style",
        );
        assert!(ahead.contains("beat the best read()-style method at every size; its narrowest lead was 1.50× at 4 KiB"), "{ahead}");
        let behind = race_sentence(
            &Race::MapBehind {
                size: 4096,
                ratio: 0.5,
            },
            "write()-style",
        );
        assert!(
            behind.starts_with("No memory map caught up with the best write()-style method"),
            "{behind}"
        );
        for (map_ahead, tail) in [
            (None, "at 4 KiB and 64 KiB."),
            (Some(true), "and the map was ahead at the other sizes."),
            (Some(false), "and the map was behind at the other sizes."),
        ] {
            let text = race_sentence(
                &Race::Level {
                    level: vec![4096, 65536],
                    map_ahead,
                },
                "read()-style",
            );
            assert!(
                text.starts_with(
                    "A memory map and the best read()-style method were the same within noise"
                ),
                "{text}"
            );
            assert!(text.ends_with(tail), "{text}");
        }
    }

    #[test]
    fn the_paragraph_names_no_crossover_inside_the_noise() {
        let s = made_up_race(&[(4096, 1005, 1000), (65536, 1000, 1005)]);
        let text = paragraph(&s, &no_levels());
        assert!(
            !text.contains("overtook") && !text.contains("fell behind"),
            "{text}"
        );
        assert!(
            text.contains("were the same within noise at 4 KiB and 64 KiB"),
            "{text}"
        );
    }

    #[test]
    fn placement_is_named_only_beyond_noise() {
        let placed = |label: &str, offset: u64, ns: u64| {
            let mut c = cell(label, Positioned, KIB4, ns);
            c.params = serde_json::json!({"chunk": 4096, "buffer_offset": offset});
            c.facts = crate::method::MethodKind::from_options(Positioned, c.params.clone())
                .unwrap()
                .facts();
            c.buffer_page_offset = Some(offset);
            c
        };
        let s = scenario(vec![placed("aligned", 0, 1000), placed("+16", 16, 1010)]);
        let text = alignment(&s, &[KIB4]).unwrap();
        assert!(text.contains("made no difference beyond noise"), "{text}");
        let s = scenario(vec![placed("aligned", 0, 1000), placed("+16", 16, 1200)]);
        let text = alignment(&s, &[KIB4]).unwrap();
        assert!(text.starts_with("Where the buffer starts mattered: at 4 KiB, +16 (buffer 16 bytes past a page boundary) took 1.20× as long as aligned"), "{text}");
        let s = scenario(vec![cell("a", Positioned, KIB4, 1000)]);
        assert!(alignment(&s, &[KIB4]).is_none());
    }

    #[test]
    fn speeds_within_noise_are_called_the_same() {
        let a = cell("a", Positioned, KIB4, 1000);
        assert_eq!(
            speed_of(&cell("b", Whole, KIB4, 1010), &a),
            "the same speed within noise as"
        );
        assert_eq!(
            speed_of(&cell("b", Whole, KIB4, 2000), &a),
            "0.50× the speed of"
        );
    }

    #[test]
    fn a_fio_gap_is_named_only_beyond_noise() {
        let mut s = scenario(vec![cell("positioned", Positioned, 1 << 20, 100_000)]);
        let peer = |runs: Vec<f64>| PeerLine {
            label: "positioned".to_string(),
            size: 1 << 20,
            engine: "psync".to_string(),
            options: serde_json::Map::new(),
            command: String::new(),
            fio_version: "fio-3.33".to_string(),
            loops: 1,
            throughput_bytes_per_sec: runs[runs.len() / 2],
            runs_bytes_per_sec: runs,
            iops: 0.0,
            latency_ns: Default::default(),
            ratio: 1.0,
            notes: String::new(),
        };
        // fio's runs at the cell's own speed, ±1%: nothing to say.
        let same = (1u64 << 20) as f64 / 100_000e-9;
        s.peers = vec![peer(vec![same * 0.99, same, same * 1.01])];
        assert!(fio_peers(&s).is_none());
        // fio 1.5x as fast in every run: named.
        s.peers = vec![peer(vec![same * 1.49, same * 1.5, same * 1.51])];
        let text = fio_peers(&s).unwrap();
        assert!(text.contains("positioned at 1 MiB ran"), "{text}");
    }
}
