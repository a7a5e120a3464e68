//! The line charts of one scenario: throughput, copies, faults, bytes per
//! fault and, for cold caches, disk reads and residency.

use super::axis::{Scale, Unit};
use super::{Chart, Panel, Reference, Series, coincident, render_panels};
use crate::report::format::{count, decimal};
use crate::report::metrics::{
    MIB, bytes_per_fault, copies_per_byte, is_map, labels, per_mib, per_payload_byte, sizes,
};
use crate::report::palette::Palette;
use crate::results::{Cell, Limits, ScenarioResult};
use crate::units::{ApproxSize, ExactSize, Rate};

/// Height of a chart with one row of panels.
const HEIGHT: u32 = 380;

/// One series per label of the scenario, valued by `value` (cells where it is None are left out).
fn series_by_label(
    scenario: &ScenarioResult,
    palette: &Palette,
    value: impl Fn(&Cell) -> Option<f64>,
) -> Vec<Series> {
    let mut names = labels(scenario);
    palette.order(&mut names);
    names
        .into_iter()
        .map(|label| {
            let mut points: Vec<(f64, f64)> = scenario
                .cells
                .iter()
                .filter(|c| c.label == label)
                .filter_map(|c| Some((c.size as f64, value(c)?)))
                .collect();
            points.sort_by(|a, b| a.0.total_cmp(&b.0));
            Series {
                label: label.to_string(),
                points,
                peer: false,
            }
        })
        .filter(|s| !s.points.is_empty())
        .collect()
}

/// fio's throughput beside each label that has peer lines, as hollow points.
fn peer_series(scenario: &ScenarioResult) -> Vec<Series> {
    let mut out: Vec<Series> = Vec::new();
    for peer in &scenario.peers {
        let point = (peer.size as f64, peer.throughput_bytes_per_sec);
        match out.iter_mut().find(|s| s.label == peer.label) {
            Some(series) => series.points.push(point),
            None => out.push(Series {
                label: peer.label.clone(),
                points: vec![point],
                peer: true,
            }),
        }
    }
    out
}

/// The labels drawn in a set of panels, for the legend.
fn legend(panels: &[Panel]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for s in panels.iter().flat_map(|p| &p.series) {
        if !s.points.is_empty() && !out.contains(&s.label) {
            out.push(s.label.clone());
        }
    }
    out
}

fn chart(
    title: &str,
    panels: Vec<Panel>,
    palette: &Palette,
    caption: String,
) -> anyhow::Result<Chart> {
    let caption = caption + &coincident(&panels);
    Ok(Chart {
        title: title.to_string(),
        svg: render_panels(&panels, palette, HEIGHT)?,
        labels: legend(&panels),
        keys: Vec::new(),
        caption,
    })
}

/// Throughput against file size with the run's memcpy and scan limits.
pub(crate) fn throughput(
    scenario: &ScenarioResult,
    limits: &Limits,
    palette: &Palette,
) -> anyhow::Result<Chart> {
    let panel = Panel {
        title: "Throughput".to_string(),
        y_desc: "payload bytes / median time".to_string(),
        scale: Scale::Log,
        unit: Unit::Rate,
        series: series_by_label(scenario, palette, |c| Some(c.throughput_bytes_per_sec))
            .into_iter()
            .chain(peer_series(scenario))
            .collect(),
        references: limit_lines(scenario, limits),
        empty_note: "no cells".to_string(),
    };
    let mut caption = if limits.levels.is_empty() {
        format!(
            "Both axes are logarithmic. Dashed grey lines are this machine's ceilings measured in the same run: a user-space memcpy ({}) and the consume step over memory ({}), both on {} buffers.",
            Rate(limits.memcpy_bytes_per_sec),
            Rate(limits.scan_bytes_per_sec),
            ExactSize(limits.buffer_bytes)
        )
    } else {
        "Both axes are logarithmic. Dashed grey lines are this machine's ceilings for each file size, measured in the same run over buffers in the cache level a file of that size falls in (L1d, L2, L3 or memory): a user-space memcpy, the limit of every method whose CPU copies the bytes, and the consume step (scan), the limit of a map, which copies nothing.".to_string()
    };
    if scenario.threads > 1 {
        caption.push_str(&format!(
            " Each point is the total of {} threads sharing each operation; the ceilings are one thread's (threads share the memory bandwidth, so they do not simply add).",
            scenario.threads
        ));
    }
    if !scenario.peers.is_empty() {
        caption.push_str(
            " Large hollow circles are fio on the same file in the same run, with the engine equivalent to the method whose colour they wear (fio consumes nothing of what it reads).",
        );
    }
    chart(
        "Throughput against file size",
        vec![panel],
        palette,
        caption,
    )
}

/// The memcpy and scan limits: per size when the run measured them per
/// cache level, else the run's two lines.
fn limit_lines(scenario: &ScenarioResult, limits: &Limits) -> Vec<Reference> {
    let sizes = super::super::metrics::sizes(scenario);
    let line = |name: &str, value: f64, of: fn(&crate::results::LevelLimits) -> f64| {
        let steps: Vec<(f64, f64)> = if limits.levels.is_empty() {
            Vec::new()
        } else {
            sizes
                .iter()
                .filter_map(|&s| Some((s as f64, of(crate::ceiling::level_for(limits, s)?))))
                .collect()
        };
        let value = steps.last().map_or(value, |p| p.1);
        Reference {
            value,
            text: format!("{name} limit {}", Rate(value)),
            steps,
        }
    };
    vec![
        line("memcpy", limits.memcpy_bytes_per_sec, |l| {
            l.memcpy_bytes_per_sec
        }),
        line("scan", limits.scan_bytes_per_sec, |l| l.scan_bytes_per_sec),
    ]
}

/// Bytes copied between kernel and user space per payload byte.
pub(crate) fn copies(scenario: &ScenarioResult, palette: &Palette) -> anyhow::Result<Chart> {
    let panel = Panel {
        title: "Kernel ↔ user copies".to_string(),
        y_desc: "bytes copied per payload byte".to_string(),
        scale: Scale::Linear,
        unit: Unit::Count,
        series: series_by_label(scenario, palette, |c| Some(copies_per_byte(c))),
        references: Vec::new(),
        empty_note: "no cells".to_string(),
    };
    let caption = "Bytes the CPU copied between the kernel and user space ÷ payload bytes: what read- and write-family calls moved, \
or what a ring's requests moved for io_uring. 1 means every payload byte crossed the kernel boundary once; a memory map reads the page cache in place, so its copies are 0 \
and its cost shows up as page faults instead; O_DIRECT's bytes are moved by the device, not the CPU, so its copies are 0 too."
        .to_string();
    chart(
        "Bytes copied per payload byte",
        vec![panel],
        palette,
        caption,
    )
}

/// True when some mmap cell touches less than its whole file.
fn touches_part(scenario: &ScenarioResult) -> bool {
    scenario.cells.iter().any(|c| is_map(c) && c.bytes < c.size)
}

/// Minor and major page faults per MiB of payload.
pub(crate) fn faults(scenario: &ScenarioResult, palette: &Palette) -> anyhow::Result<Chart> {
    let panel = |title: &str, pick: fn(&Cell) -> u64| Panel {
        title: title.to_string(),
        y_desc: "faults per MiB of payload".to_string(),
        scale: Scale::SymLog,
        unit: Unit::Count,
        series: series_by_label(scenario, palette, |c| Some(per_mib(pick(c), c))),
        references: Vec::new(),
        empty_note: "no cells".to_string(),
    };
    let major_total: u64 = scenario.cells.iter().map(|c| c.counters.major_faults).sum();
    let mut caption = "Symmetric log scale: zero sits on the bottom line and is a real zero, not a missing point. \
Minor faults map a page that is already in memory; major faults waited for the disk."
        .to_string();
    if major_total == 0 {
        caption.push_str(" No cell in this scenario took a major fault.");
    }
    if touches_part(scenario) {
        caption.push_str(
            " This operation touches only part of each file, so bytes mapped per fault is not charted: file size ÷ faults would overstate it.",
        );
    }
    chart(
        "Page faults per MiB",
        vec![
            panel("Minor faults", |c| c.counters.minor_faults),
            panel("Major faults", |c| c.counters.major_faults),
        ],
        palette,
        caption,
    )
}

/// File bytes mapped per minor fault for mmap cells, against the page size.
pub(crate) fn fault_size(
    scenario: &ScenarioResult,
    page_size: u64,
    palette: &Palette,
) -> anyhow::Result<Option<Chart>> {
    let series = series_by_label(scenario, palette, bytes_per_fault);
    if series.is_empty() || touches_part(scenario) {
        return Ok(None);
    }
    let panel = Panel {
        title: "Bytes mapped per fault".to_string(),
        y_desc: "file size / minor faults".to_string(),
        scale: Scale::Log,
        unit: Unit::Bytes,
        series,
        references: vec![
            Reference {
                value: page_size as f64,
                text: format!("one page ({})", ExactSize(page_size)),
                steps: Vec::new(),
            },
            Reference {
                value: 2.0 * MIB,
                text: "PMD huge page (2 MiB)".to_string(),
                steps: Vec::new(),
            },
        ],
        empty_note: "no mmap cells took faults".to_string(),
    };
    let largest = scenario
        .cells
        .iter()
        .filter(|c| bytes_per_fault(c).is_some())
        .max_by_key(|c| c.size);
    let detail = largest.map_or(String::new(), |c| {
        format!(
            " At {}, {} took {} minor faults for the whole file: about {} per fault, {} times a {} page.",
            ExactSize(c.size),
            c.label,
            count(c.counters.minor_faults),
            ApproxSize(c.size as f64 / c.counters.minor_faults as f64),
            decimal(c.size as f64 / c.counters.minor_faults as f64 / page_size as f64),
            ExactSize(page_size)
        )
    });
    let caption = format!(
        "If each fault mapped one page this line would sit on the page-size line. It sits far above because the page cache \
keeps files in large folios and the kernel maps a whole folio (and neighbouring cached pages, \"fault-around\") on one fault.{detail}"
    );
    Ok(Some(chart(
        "Bytes mapped per fault (mmap)",
        vec![panel],
        palette,
        caption,
    )?))
}

/// Disk bytes read per payload byte and residency before and after the
/// operation, for cold scenarios.
pub(crate) fn cold(scenario: &ScenarioResult, palette: &Palette) -> anyhow::Result<Chart> {
    let disk = Panel {
        title: "Disk reads".to_string(),
        y_desc: "disk bytes read per payload byte".to_string(),
        scale: Scale::Linear,
        unit: Unit::Count,
        series: series_by_label(scenario, palette, |c| {
            Some(per_payload_byte(c.counters.disk_read_bytes, c))
        }),
        references: Vec::new(),
        empty_note: "no cells".to_string(),
    };
    let residency = |when: &str, get: fn(&Cell) -> Option<f64>| Panel {
        title: format!("Resident {when}"),
        y_desc: format!("file pages in memory {when} the operation"),
        scale: Scale::Linear,
        unit: Unit::Percent,
        series: series_by_label(scenario, palette, get),
        references: Vec::new(),
        empty_note: format!("residency {when} was not recorded"),
    };
    let resident = residency("before", |c| c.resident_before);
    let resident_after = residency("after", |c| c.resident_after);
    let sizes = sizes(scenario);
    let caption = format!(
        "Cold cache: the file was flushed and dropped from the page cache before each operation; \"resident before\" checks how well that worked (from mincore). \
Disk bytes per payload byte above 1 mean readahead fetched more than was used; below 1 means part of the file was still cached. \
\"Resident after\" shows what the read left behind: a read through the page cache leaves the file cached, O_DIRECT leaves it as it found it. Sizes {}–{}.",
        ExactSize(sizes.first().copied().unwrap_or(0)),
        ExactSize(sizes.last().copied().unwrap_or(0))
    );
    chart(
        "Cold cache: disk reads and residency",
        vec![disk, resident, resident_after],
        palette,
        caption,
    )
}
