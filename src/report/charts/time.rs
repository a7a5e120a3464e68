//! "Where the time goes": for each method at the smallest and the largest
//! size, one horizontal bar of the cost model's terms stacked (each a
//! counter times a unit cost), a mark at the measured median, and below it
//! the residual drawn apart: what the model does not explain (grey
//! when the median is longer, outlined red when the model says more).

use super::axis::{Axis, Scale, Unit};
use super::{Area, Chart, FONT, draw_note, plot_err, row_chart, size_panels};
use crate::report::palette::{Palette, css};
use crate::results::{Cell, ScenarioResult};
use crate::units::Nanos;
use crate::vocab::CostTerm;
use plotters::prelude::*;

/// The model's terms in drawing order, each with its colour.
pub(crate) const TERMS: [(CostTerm, RGBColor); 8] = [
    (CostTerm::Syscalls, RGBColor(0x08, 0x30, 0x6b)),
    (CostTerm::OtherCalls, RGBColor(0x6b, 0xae, 0xd6)),
    (CostTerm::Copies, RGBColor(0xd9, 0x48, 0x01)),
    (CostTerm::UserCopies, RGBColor(0xfd, 0xae, 0x6b)),
    (CostTerm::Faults, RGBColor(0x74, 0xc4, 0x76)),
    (CostTerm::Map, RGBColor(0x00, 0x6d, 0x2c)),
    (CostTerm::OpenClose, RGBColor(0x75, 0x6b, 0xb1)),
    (CostTerm::Consume, RGBColor(0xfe, 0xd9, 0x76)),
];
const UNEXPLAINED: RGBColor = RGBColor(0x9e, 0x9e, 0x9e);
const OVERSHOOT: RGBColor = RGBColor(0xcb, 0x18, 0x1d);
/// Rows per method: the stacked bar, the residual, a gap.
const ROWS: usize = 3;

/// Builds the chart, or `None` when no cell of the scenario has a model.
pub(crate) fn time_chart(
    scenario: &ScenarioResult,
    palette: &Palette,
) -> anyhow::Result<Option<Chart>> {
    if scenario.cells.iter().all(|c| c.model.is_none()) {
        return Ok(None);
    }
    let svg = size_panels(scenario, palette, ROWS, draw_group)?;
    let misfits: Vec<String> = scenario
        .cells
        .iter()
        .filter_map(|c| c.model.as_ref()?.note.clone())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    let mut caption = "Each bar stacks the cost model's terms for one operation: a count the cell measured times a unit cost measured in this run (results.json: model.counts and unit_costs), so each segment can be redone by hand. The black mark is the measured median; the thin bar under each is the residual, the median minus the model: grey where the model explains less than was measured, outlined red where it explains more. Left: the smallest file; right: the largest; each has its own time axis.".to_string();
    for note in misfits {
        caption.push_str(&format!(" Note: {note}."));
    }
    let mut keys: Vec<(String, String)> = TERMS
        .iter()
        .map(|(term, colour)| (css(*colour), term.words()))
        .collect();
    keys.push((css(UNEXPLAINED), "unexplained".to_string()));
    keys.push((css(OVERSHOOT), "model over".to_string()));
    Ok(Some(Chart {
        title: "Where the time goes".to_string(),
        svg,
        labels: Vec::new(),
        keys,
        caption,
    }))
}

fn draw_group(area: &Area, title: &str, cells: &[&Cell]) -> anyhow::Result<()> {
    let modelled: Vec<&Cell> = cells
        .iter()
        .copied()
        .filter(|c| c.model.is_some())
        .collect();
    if modelled.is_empty() {
        return draw_note(area, title, "no model");
    }
    let extent = modelled.iter().flat_map(|c| {
        let m = c.model.as_ref().expect("filtered");
        [m.explained_ns, c.median_ns as f64, m.residual_ns.abs()]
    });
    let x = Axis::fit(Scale::Linear, Unit::Time, extent, 4);
    let rows = modelled.len() * ROWS;
    let top = rows as f64 - 0.5;
    let bar_row = |group: usize| top - (group * ROWS) as f64 - 0.5;
    let rows: Vec<(f64, String)> = modelled
        .iter()
        .enumerate()
        .map(|(i, c)| (bar_row(i), c.label.clone()))
        .collect();
    let chart = row_chart(area, title, &x, "time per operation", top, &rows)?;
    let area = chart.plotting_area();
    let outline = RGBColor(60, 60, 60).stroke_width(1);
    for (group, cell) in modelled.iter().enumerate() {
        let model = cell.model.as_ref().expect("filtered");
        let yc = bar_row(group);
        let mut start = 0.0;
        for (name, colour) in TERMS {
            let ns = model.terms_ns.get(&name).copied().unwrap_or(0.0);
            if ns <= 0.0 {
                continue;
            }
            let end = start + ns;
            area.draw(&Rectangle::new(
                [(start, yc - 0.42), (end, yc + 0.42)],
                colour.filled(),
            ))
            .map_err(plot_err)?;
            area.draw(&Rectangle::new(
                [(start, yc - 0.42), (end, yc + 0.42)],
                outline,
            ))
            .map_err(plot_err)?;
            start = end;
        }
        let median = cell.median_ns as f64;
        area.draw(&PathElement::new(
            vec![(median, yc - 0.6), (median, yc + 0.6)],
            BLACK.stroke_width(3),
        ))
        .map_err(plot_err)?;
        let yr = yc - 1.0;
        let residual = model.residual_ns;
        let (colour, filled) = if residual >= 0.0 {
            (UNEXPLAINED, true)
        } else {
            (OVERSHOOT, false)
        };
        let span = [(0.0, yr - 0.3), (residual.abs(), yr + 0.3)];
        if filled {
            area.draw(&Rectangle::new(span, colour.mix(0.5).filled()))
                .map_err(plot_err)?;
        }
        area.draw(&Rectangle::new(span, colour.stroke_width(1)))
            .map_err(plot_err)?;
        let text = format!(
            "{}{}",
            if residual >= 0.0 { "+" } else { "-" },
            Nanos(residual.abs())
        );
        area.draw(&Text::new(
            text,
            (residual.abs(), yr + 0.45),
            (FONT, 11).into_font().color(&RGBColor(60, 60, 60)),
        ))
        .map_err(plot_err)?;
    }
    Ok(())
}
