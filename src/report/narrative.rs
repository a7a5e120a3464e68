//! The paragraph under each scenario, written from its numbers: who won at the
//! smallest and largest size, where mmap and the best call-based method cross,
//! and which counters explain the difference.

use super::format::{bytes, count, percent, ratio};
use super::metrics::{bytes_per_fault, copied, is_map, ranked_at, sizes};
use crate::operation;
use crate::results::{Cell, PeerLine, ScenarioResult};
use crate::units::{ApproxSize, ExactSize, Nanos, Rate};
use crate::vocab::CostTerm;

/// Writes the paragraph for one scenario as plain sentences.
pub(crate) fn paragraph(scenario: &ScenarioResult) -> String {
    let sizes = sizes(scenario);
    let (Some(&smallest), Some(&largest)) = (sizes.first(), sizes.last()) else {
        return "No cells were measured in this scenario.".to_string();
    };
    let mut sentences = vec![winner(scenario, smallest)];
    if largest != smallest {
        sentences.push(winner(scenario, largest));
    }
    sentences.extend(crossing(scenario, &sizes));
    sentences.extend(explanation(scenario, largest));
    sentences.extend(where_time_goes(scenario, largest));
    sentences.extend(super::layout::sentence(scenario));
    sentences.extend(residency(scenario));
    sentences.extend(alignment(scenario, &sizes));
    sentences.extend(ring_batches(scenario, largest));
    sentences.extend(direct_io(scenario, largest));
    sentences.extend(fio_peers(scenario));
    sentences.extend(skipped(scenario));
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

/// "At SIZE, X was fastest at RATE, N× the next best (Y, RATE)."
fn winner(scenario: &ScenarioResult, size: u64) -> String {
    let ranked = ranked_at(scenario, size);
    let first = ranked[0];
    match ranked.get(1) {
        Some(second) => format!(
            "At {}, {} was fastest at {}, {} the next best ({}, {}).",
            ExactSize(size),
            first.label,
            Rate(first.throughput_bytes_per_sec),
            ratio(first.throughput_bytes_per_sec / second.throughput_bytes_per_sec),
            second.label,
            Rate(second.throughput_bytes_per_sec)
        ),
        None => format!(
            "At {}, only {} was measured ({}).",
            ExactSize(size),
            first.label,
            Rate(first.throughput_bytes_per_sec)
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

/// A size range where the best map and the best call-based method swap places.
pub(crate) struct Crossover {
    /// The measured size below the change.
    pub from: u64,
    /// The measured size above it.
    pub to: u64,
    /// Where the speed ratio crosses 1, interpolated on log scales.
    pub estimate: f64,
    /// True when the map got ahead there, false when it fell behind.
    pub map_overtook: bool,
}

/// The log speed ratio (best map / best call-based) at each size where both were measured.
pub(crate) fn map_lead(scenario: &ScenarioResult, sizes: &[u64]) -> Vec<(u64, f64)> {
    sizes
        .iter()
        .filter_map(|s| {
            let (map, call) = best_pair(scenario, *s)?;
            Some((
                *s,
                (map.throughput_bytes_per_sec / call.throughput_bytes_per_sec).ln(),
            ))
        })
        .collect()
}

/// Every place where the best map cell overtakes or falls behind the best
/// call-based cell, in size order.
pub(crate) fn crossovers(scenario: &ScenarioResult) -> Vec<Crossover> {
    map_lead(scenario, &sizes(scenario))
        .windows(2)
        .filter(|pair| (pair[0].1 > 0.0) != (pair[1].1 > 0.0))
        .map(|pair| {
            let ((a, ra), (b, rb)) = (pair[0], pair[1]);
            // Interpolate the log speed ratio on a log size axis.
            let t = ra / (ra - rb);
            let estimate =
                2f64.powf((a as f64).log2() + t * ((b as f64).log2() - (a as f64).log2()));
            Crossover {
                from: a,
                to: b,
                estimate,
                map_overtook: rb > 0.0,
            }
        })
        .collect()
}

/// Where the best mmap cell overtakes or falls behind the best call-based cell.
fn crossing(scenario: &ScenarioResult, sizes: &[u64]) -> Option<String> {
    let style = call_style(scenario);
    let points = map_lead(scenario, sizes);
    if points.len() < 2 {
        return None;
    }
    let changes: Vec<String> = crossovers(scenario)
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
    if !changes.is_empty() {
        return Some(format!("{}.", capitalise(&changes.join("; then "))));
    }
    let (extreme_size, extreme) = if points[0].1 > 0.0 {
        points.iter().min_by(|x, y| x.1.total_cmp(&y.1))?
    } else {
        points.iter().max_by(|x, y| x.1.total_cmp(&y.1))?
    };
    Some(if points[0].1 > 0.0 {
        format!(
            "A memory map beat the best {style} method at every size; its narrowest lead was {} at {}.",
            ratio(extreme.exp()),
            ExactSize(*extreme_size)
        )
    } else {
        format!(
            "No memory map caught up with the best {style} method; at best it reached {} of its speed, at {}.",
            ratio(extreme.exp()),
            ExactSize(*extreme_size)
        )
    })
}

fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map_or_else(String::new, |c| c.to_uppercase().chain(chars).collect())
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
        "At {}, {} made {} for {} ({:.1} requests per call), and ran at {} the speed of {} ({}).",
        ExactSize(size),
        ring.label,
        counted(c.ring_enters, "io_uring_enter call"),
        counted(c.ring_requests, "request"),
        c.ring_requests as f64 / c.ring_enters as f64,
        ratio(ring.throughput_bytes_per_sec / other.throughput_bytes_per_sec),
        other.label,
        describe_calls(other)
    ))
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
                    ", and ran at {} the speed of {}, which read it from memory",
                    ratio(direct.throughput_bytes_per_sec / other.throughput_bytes_per_sec),
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

/// Times within this factor of each other are not called a placement effect.
const PLACEMENT_MATTERS: f64 = 1.3;

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

/// The largest slowdown from buffer placement alone, when it reaches
/// [`PLACEMENT_MATTERS`]: the same reads into buffers that start at
/// different offsets from a page boundary.
fn alignment(scenario: &ScenarioResult, sizes: &[u64]) -> Option<String> {
    let mut worst: Option<(f64, &Cell, &Cell)> = None;
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
                let slowdown = slow.median_ns as f64 / fast.median_ns.max(1) as f64;
                if worst.is_none_or(|(w, ..)| slowdown > w) {
                    worst = Some((slowdown, fast, slow));
                }
            }
        }
    }
    let (slowdown, fast, slow) = worst?;
    (slowdown >= PLACEMENT_MATTERS).then(|| {
        let place = |c: &Cell| {
            c.buffer_page_offset
                .map_or_else(|| "an unrecorded place".to_string(), |o| format!("{o} bytes past a page boundary"))
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

/// How far mmap-lab may be from its fio peer before the paragraph says so.
const PEER_TOLERANCE: f64 = 0.10;

/// Names every cell more than 10% away from its fio peer, in either
/// direction, with the likely reason.
fn fio_peers(scenario: &ScenarioResult) -> Option<String> {
    // The cells more than the tolerance from their peer, grouped by the
    // likeliest reason, so each reason is given once.
    let mut by_reason: Vec<(&'static str, Vec<String>)> = Vec::new();
    for peer in scenario
        .peers
        .iter()
        .filter(|p| (p.ratio - 1.0).abs() > PEER_TOLERANCE)
    {
        let Some(cell) = scenario
            .cells
            .iter()
            .find(|c| c.label == peer.label && c.size == peer.size)
        else {
            continue;
        };
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
