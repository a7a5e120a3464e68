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

/// The kinds of call, each with a colour of its own lightness so greyscale prints tell them apart.
const KINDS: [(&str, RGBColor); 4] = [
    ("read-family", RGBColor(0x08, 0x30, 0x6b)),
    ("write-family", RGBColor(0xd9, 0x48, 0x01)),
    ("map-family", RGBColor(0x74, 0xc4, 0x76)),
    ("other", RGBColor(0xbd, 0xbd, 0xbd)),
];

/// Rows per method group: one per kind and a gap.
const ROWS: usize = KINDS.len() + 1;

/// The four counts of a cell, `None` where not countable.
fn kinds(cell: &Cell) -> [Option<u64>; 4] {
    let c = &cell.counters;
    [
        Some(c.read_calls),
        Some(c.write_calls),
        c.map_calls,
        other_calls(cell),
    ]
}

/// Builds the system-call chart of a scenario.
pub(crate) fn syscall_chart(
    scenario: &ScenarioResult,
    counting: &SyscallCounting,
    palette: &Palette,
) -> anyhow::Result<Chart> {
    let svg = size_panels(scenario, palette, ROWS, draw_group)?;
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
        keys: KINDS
            .iter()
            .map(|(n, c)| (css(*c), n.to_string()))
            .collect(),
        caption,
    })
}

fn draw_group(area: &Area, title: &str, cells: &[&Cell]) -> anyhow::Result<()> {
    if cells.is_empty() {
        return draw_note(area, title, "no cells");
    }
    let values = cells
        .iter()
        .flat_map(|c| kinds(c))
        .flatten()
        .map(|v| v as f64);
    let mut x = Axis::fit(Scale::SymLog, Unit::Count, values, 5);
    // Room right of the longest bar for its number.
    x.hi += (x.hi - x.lo) * 0.3;
    let rows = cells.len() * ROWS;
    let top = rows as f64 - 0.5;
    let centre = |group: usize| top - (group * ROWS) as f64 - 1.5 - 0.5;
    let key_points: Vec<f64> = (0..cells.len()).map(centre).collect();
    let rows: Vec<(f64, String)> = key_points
        .iter()
        .zip(cells)
        .map(|(k, c)| (*k, c.label.clone()))
        .collect();
    let chart = row_chart(area, title, &x, "calls per operation", top, &rows)?;
    let area = chart.plotting_area();
    for (group, cell) in cells.iter().enumerate() {
        let first = top - (group * ROWS) as f64 - 0.5;
        for (k, (value, (_, colour))) in kinds(cell).iter().zip(KINDS).enumerate() {
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
