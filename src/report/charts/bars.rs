//! System calls per operation as horizontal bars: one group per method label,
//! one bar per kind of call, at the smallest and the largest file size.

use super::axis::{Axis, Scale, Unit};
use super::{Area, Chart, FONT, draw_note, plot_err, row_chart, size_panels};
use crate::report::format::{count, maybe_count};
use crate::report::metrics::other_calls;
use crate::report::palette::{Palette, css};
use crate::results::{Cell, ScenarioResult, SyscallCounting};
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// The kinds of call, each with a colour of its own lightness so greyscale
/// prints tell them apart; `io_uring_enter` only in scenarios with a ring.
const KINDS: [(&str, RGBColor); 5] = [
    ("read-family", RGBColor(0x08, 0x30, 0x6b)),
    ("write-family", RGBColor(0xd9, 0x48, 0x01)),
    ("map-family", RGBColor(0x74, 0xc4, 0x76)),
    ("io_uring_enter", RGBColor(0x9e, 0x9a, 0xc8)),
    ("other", RGBColor(0xbd, 0xbd, 0xbd)),
];

/// Where `io_uring_enter` sits in [`KINDS`].
const RING_KIND: usize = 3;

/// The kinds a scenario's chart shows: every kind, less `io_uring_enter`
/// where no cell used a ring.
fn kinds_shown(scenario: &ScenarioResult) -> Vec<usize> {
    let rings = scenario.cells.iter().any(|c| c.counters.ring_requests > 0);
    (0..KINDS.len())
        .filter(|&k| rings || k != RING_KIND)
        .collect()
}

/// The counts of a cell by kind, `None` where not countable; the ring's
/// enter calls are taken out of "other".
fn kinds(cell: &Cell) -> [Option<u64>; 5] {
    let c = &cell.counters;
    [
        Some(c.read_calls),
        Some(c.write_calls),
        c.map_calls,
        Some(c.ring_enters),
        other_calls(cell).map(|other| other.saturating_sub(c.ring_enters)),
    ]
}

/// Builds the system-call chart of a scenario.
pub(crate) fn syscall_chart(
    scenario: &ScenarioResult,
    counting: &SyscallCounting,
    palette: &Palette,
) -> anyhow::Result<Chart> {
    let shown = kinds_shown(scenario);
    let svg = size_panels(scenario, palette, shown.len() + 1, |area, title, cells| {
        draw_group(area, title, cells, &shown)
    })?;
    let mut caption = format!(
        "System calls in one operation, by kind, on a symmetric log scale: a zero count has no bar and is printed as 0 at the axis. Left: the smallest file; right: the largest. Counts: {}.",
        counting.source
    );
    if !counting.available {
        caption.push_str(
            " Map-family and other calls could not be counted on this run, so they show as n/a.",
        );
    }
    Ok(Chart {
        title: "System calls per operation".to_string(),
        svg,
        labels: Vec::new(),
        keys: shown
            .iter()
            .map(|&k| (css(KINDS[k].1), KINDS[k].0.to_string()))
            .collect(),
        caption,
    })
}

fn draw_group(area: &Area, title: &str, cells: &[&Cell], shown: &[usize]) -> anyhow::Result<()> {
    if cells.is_empty() {
        return draw_note(area, title, "no cells");
    }
    let rows_per_cell = shown.len() + 1;
    let values = cells
        .iter()
        .flat_map(|c| {
            let counts = kinds(c);
            shown.iter().map(move |&k| counts[k]).collect::<Vec<_>>()
        })
        .flatten()
        .map(|v| v as f64);
    let mut x = Axis::fit(Scale::SymLog, Unit::Count, values, 5);
    // Room right of the longest bar for its number.
    x.hi += (x.hi - x.lo) * 0.3;
    let rows = cells.len() * rows_per_cell;
    let top = rows as f64 - 0.5;
    let centre = |group: usize| {
        top - (group * rows_per_cell) as f64 - (shown.len() as f64 - 1.0) / 2.0 - 0.5
    };
    let key_points: Vec<f64> = (0..cells.len()).map(centre).collect();
    let rows: Vec<(f64, String)> = key_points
        .iter()
        .zip(cells)
        .map(|(k, c)| (*k, c.label.clone()))
        .collect();
    let chart = row_chart(area, title, &x, "calls per operation", top, &rows)?;
    let area = chart.plotting_area();
    for (group, cell) in cells.iter().enumerate() {
        let first = top - (group * rows_per_cell) as f64 - 0.5;
        let counts = kinds(cell);
        for (k, &kind) in shown.iter().enumerate() {
            let (value, colour) = (&counts[kind], KINDS[kind].1);
            let yc = first - k as f64;
            let end = value.map_or(0.0, |v| x.position(v as f64).unwrap_or(0.0));
            if end > 0.0 {
                area.draw(&Rectangle::new(
                    [(0.0, yc - 0.42), (end, yc + 0.42)],
                    colour.filled(),
                ))
                .map_err(plot_err)?;
                area.draw(&Rectangle::new(
                    [(0.0, yc - 0.42), (end, yc + 0.42)],
                    RGBColor(60, 60, 60).stroke_width(1),
                ))
                .map_err(plot_err)?;
            }
            let text = value.map_or_else(|| maybe_count(None), count);
            let style = (FONT, 12)
                .into_font()
                .color(&RGBColor(40, 40, 40))
                .pos(Pos::new(HPos::Left, VPos::Center));
            area.draw(&(EmptyElement::at((end, yc)) + Text::new(text, (4, 0), style)))
                .map_err(plot_err)?;
        }
    }
    Ok(())
}
