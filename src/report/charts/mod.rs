//! Charts as inline SVG drawn with plotters. A chart is a row of panels; each
//! panel plots one value against file size, one line per method label. Legends
//! live in the HTML beside the chart, so they never cover a line.

pub(crate) mod axis;
pub(crate) mod bars;
pub(crate) mod scenario;
pub(crate) mod time;

use crate::report::palette::{Marker, Palette};
use anyhow::anyhow;
use axis::{Axis, Scale, Unit};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// Width of every chart in SVG pixels; the page shows it at this size or smaller.
pub(crate) const WIDTH: u32 = 900;

/// Font family for all chart text; the browser picks the face.
const FONT: &str = "sans-serif";

/// A drawing area on the SVG backend.
pub(crate) type Area<'a> = DrawingArea<SVGBackend<'a>, Shift>;

/// One method label's points: (file size in bytes, value).
#[derive(Debug, Clone)]
pub(crate) struct Series {
    pub label: String,
    pub points: Vec<(f64, f64)>,
    /// A peer tool's points beside the label's cells (fio): drawn as
    /// large hollow circles in the label's colour, with no line.
    pub peer: bool,
}

/// A labelled dashed line, such as a machine limit: horizontal at `value`,
/// or, when `steps` has points (file size, value), through them (a limit
/// that changes with the size).
#[derive(Debug, Clone)]
pub(crate) struct Reference {
    pub value: f64,
    pub text: String,
    pub steps: Vec<(f64, f64)>,
}

/// One plot: a value against file size.
#[derive(Debug, Clone)]
pub(crate) struct Panel {
    pub title: String,
    pub y_desc: String,
    pub scale: Scale,
    pub unit: Unit,
    pub series: Vec<Series>,
    pub references: Vec<Reference>,
    /// Shown instead of the plot when no series has a point.
    pub empty_note: String,
}

/// A rendered chart with what the page needs around it.
#[derive(Debug, Clone)]
pub(crate) struct Chart {
    /// The chart's heading on the page.
    pub title: String,
    /// The `<svg>` element.
    pub svg: String,
    /// Method labels drawn, in legend order (empty when the chart has its own key).
    pub labels: Vec<String>,
    /// Extra legend entries as (CSS colour, text), for charts coloured by kind.
    pub keys: Vec<(String, String)>,
    /// What the chart shows and how to read it, from the data.
    pub caption: String,
}

/// Draws two panels side by side, for the smallest and the largest file
/// size of `scenario` (one when they are the same), each with that size's
/// cells in legend order, `rows_per_cell` rows of 13 pixels per cell.
pub(crate) fn size_panels(
    scenario: &crate::results::ScenarioResult,
    palette: &crate::report::palette::Palette,
    rows_per_cell: usize,
    mut draw: impl FnMut(&Area, &str, &[&crate::results::Cell]) -> anyhow::Result<()>,
) -> anyhow::Result<String> {
    let all = crate::report::metrics::sizes(scenario);
    let mut shown: Vec<u64> = all.first().into_iter().chain(all.last()).copied().collect();
    shown.dedup();
    let methods = scenario
        .cells
        .iter()
        .filter(|c| Some(&c.size) == shown.first())
        .count();
    let height = (methods * rows_per_cell * 13 + 110).max(260) as u32;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, height)).into_drawing_area();
        root.fill(&WHITE).map_err(plot_err)?;
        let areas = root.split_evenly((1, shown.len().max(1)));
        for (size, area) in shown.iter().zip(&areas) {
            let mut cells: Vec<&crate::results::Cell> =
                scenario.cells.iter().filter(|c| c.size == *size).collect();
            let mut order: Vec<&str> = cells.iter().map(|c| c.label.as_str()).collect();
            palette.order(&mut order);
            cells.sort_by_key(|c| order.iter().position(|l| *l == c.label));
            draw(
                area,
                &format!("at {}", crate::units::ExactSize(*size)),
                &cells,
            )?;
        }
        root.present().map_err(plot_err)?;
    }
    Ok(svg)
}

/// A chart of labelled horizontal rows (bars per method): the x axis `x`,
/// rows from -0.5 to `top`, and the method labels at `key_points`.
pub(crate) fn row_chart<'a, 'b>(
    area: &'a Area<'b>,
    title: &str,
    x: &axis::Axis,
    x_desc: &str,
    top: f64,
    rows: &[(f64, String)],
) -> anyhow::Result<
    plotters::chart::ChartContext<'a, SVGBackend<'b>, Cartesian2d<axis::Ticked, axis::Ticked>>,
> {
    let label_of = |p: &f64| {
        rows.iter()
            .find(|(k, _)| (k - p).abs() < 0.01)
            .map(|(_, label)| label.clone())
            .unwrap_or_default()
    };
    let mut chart = ChartBuilder::on(area)
        .caption(title, (FONT, 17).into_font().style(FontStyle::Bold))
        .margin(8)
        .margin_right(16)
        .x_label_area_size(40)
        .y_label_area_size(160)
        .build_cartesian_2d(
            x.coord(),
            axis::Ticked {
                lo: -0.5,
                hi: top,
                ticks: rows.iter().map(|(k, _)| *k).collect(),
            },
        )
        .map_err(plot_err)?;
    chart
        .configure_mesh()
        .x_label_formatter(&|p| x.label(*p))
        .y_label_formatter(&label_of)
        .x_desc(x_desc)
        .label_style((FONT, 13))
        .axis_desc_style((FONT, 14))
        .bold_line_style(RGBColor(225, 225, 225))
        .y_max_light_lines(0)
        .draw()
        .map_err(plot_err)?;
    Ok(chart)
}

/// Turns a plotters error into an anyhow error.
pub(crate) fn plot_err<E: std::fmt::Debug>(err: E) -> anyhow::Error {
    anyhow!("drawing a chart failed: {err:?}")
}

/// Names the lines that lie exactly on top of each other, so a hidden line is
/// not taken for a missing one. Empty when every line is visible.
pub(crate) fn coincident(panels: &[Panel]) -> String {
    let mut notes = Vec::new();
    for panel in panels {
        let mut done: Vec<usize> = Vec::new();
        for (i, s) in panel.series.iter().enumerate() {
            if done.contains(&i) || s.peer {
                continue;
            }
            let same: Vec<usize> = (i..panel.series.len())
                .filter(|j| !panel.series[*j].peer && panel.series[*j].points == s.points)
                .collect();
            if same.len() > 1 {
                let names: Vec<&str> = same
                    .iter()
                    .map(|j| panel.series[*j].label.as_str())
                    .collect();
                notes.push(format!("{} ({})", names.join(", "), panel.title));
            }
            done.extend(same);
        }
    }
    if notes.is_empty() {
        String::new()
    } else {
        format!(
            " Lines drawn exactly on top of each other (equal values): {}.",
            notes.join("; ")
        )
    }
}

/// Draws panels side by side into one SVG of `WIDTH` × `height`.
pub(crate) fn render_panels(
    panels: &[Panel],
    palette: &Palette,
    height: u32,
) -> anyhow::Result<String> {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, height)).into_drawing_area();
        root.fill(&WHITE).map_err(plot_err)?;
        let areas = root.split_evenly((1, panels.len().max(1)));
        for (panel, area) in panels.iter().zip(&areas) {
            let plot_width = WIDTH as usize / panels.len().max(1) - 90;
            draw_panel(panel, palette, area, plot_width)?;
        }
        root.present().map_err(plot_err)?;
    }
    Ok(svg)
}

/// Writes a note in the middle of an area that has nothing to plot.
pub(crate) fn draw_note(area: &Area, title: &str, note: &str) -> anyhow::Result<()> {
    let (w, h) = area.dim_in_pixel();
    let centre = Pos::new(HPos::Center, VPos::Center);
    area.draw(&Text::new(
        title.to_string(),
        (w as i32 / 2, 16),
        (FONT, 16)
            .into_font()
            .style(FontStyle::Bold)
            .into_text_style(area)
            .pos(centre),
    ))
    .map_err(plot_err)?;
    area.draw(&Text::new(
        note.to_string(),
        (w as i32 / 2, h as i32 / 2),
        (FONT, 14)
            .into_font()
            .color(&RGBColor(90, 90, 90))
            .pos(centre),
    ))
    .map_err(plot_err)
}

fn draw_panel(
    panel: &Panel,
    palette: &Palette,
    area: &Area,
    plot_width: usize,
) -> anyhow::Result<()> {
    let xs = panel
        .series
        .iter()
        .flat_map(|s| s.points.iter().map(|p| p.0));
    let ys = panel
        .series
        .iter()
        .flat_map(|s| s.points.iter().map(|p| p.1));
    if panel.series.iter().all(|s| s.points.is_empty()) {
        return draw_note(area, &panel.title, &panel.empty_note);
    }
    let x = Axis::fit(Scale::Log, Unit::Bytes, xs, (plot_width / 80).max(2));
    let y = Axis::fit(
        panel.scale,
        panel.unit,
        ys.chain(panel.references.iter().map(|r| r.value)).chain(
            panel
                .references
                .iter()
                .flat_map(|r| r.steps.iter().map(|p| p.1)),
        ),
        8,
    );
    let mut chart = ChartBuilder::on(area)
        .caption(&panel.title, (FONT, 17).into_font().style(FontStyle::Bold))
        .margin(8)
        .margin_right(16)
        .x_label_area_size(44)
        .y_label_area_size(84)
        .build_cartesian_2d(x.coord(), y.coord())
        .map_err(plot_err)?;
    chart
        .configure_mesh()
        .x_label_formatter(&|p| x.label(*p))
        .y_label_formatter(&|p| y.label(*p))
        .x_desc("file size")
        .y_desc(&panel.y_desc)
        .label_style((FONT, 14))
        .axis_desc_style((FONT, 14))
        .bold_line_style(RGBColor(225, 225, 225))
        .draw()
        .map_err(plot_err)?;

    for (i, reference) in panel.references.iter().enumerate() {
        let Some(yp) = y.position(reference.value) else {
            continue;
        };
        let grey = RGBColor(110, 110, 110);
        let line: Vec<(f64, f64)> = if reference.steps.is_empty() {
            vec![(x.lo, yp), (x.hi, yp)]
        } else {
            reference
                .steps
                .iter()
                .filter_map(|(sx, sy)| Some((x.position(*sx)?, y.position(*sy)?)))
                .collect()
        };
        // A limit per size is labelled at its last point.
        let yp = if reference.steps.is_empty() {
            yp
        } else {
            line.last().map_or(yp, |p| p.1)
        };
        chart
            .draw_series(DashedLineSeries::new(line, 3, 3, grey.stroke_width(1)))
            .map_err(plot_err)?;
        // Alternate ends so two nearby limits do not print over each other;
        // print below the line when it runs along the top of the plot.
        let near_top = yp > y.hi - (y.hi - y.lo) * 0.08;
        let (hpos, xp, dx) = if i % 2 == 0 {
            (HPos::Right, x.hi, -4)
        } else {
            (HPos::Left, x.lo, 4)
        };
        let (vpos, dy) = if near_top {
            (VPos::Top, 3)
        } else {
            (VPos::Bottom, -3)
        };
        let style = (FONT, 13)
            .into_font()
            .color(&grey)
            .pos(Pos::new(hpos, vpos));
        chart
            .plotting_area()
            .draw(
                &(EmptyElement::at((xp, yp)) + Text::new(reference.text.clone(), (dx, dy), style)),
            )
            .map_err(plot_err)?;
    }

    for series in &panel.series {
        let style = palette.style(&series.label);
        let points: Vec<(f64, f64)> = series
            .points
            .iter()
            .filter_map(|(sx, sy)| Some((x.position(*sx)?, y.position(*sy)?)))
            .collect();
        if series.peer {
            for point in points {
                chart
                    .plotting_area()
                    .draw(&Circle::new(point, 7, style.colour.stroke_width(2)))
                    .map_err(plot_err)?;
            }
            continue;
        }
        let line = style.colour.stroke_width(2);
        if style.dashed {
            chart
                .draw_series(DashedLineSeries::new(points.clone(), 7, 4, line))
                .map_err(plot_err)?;
        } else {
            chart
                .draw_series(LineSeries::new(points.clone(), line))
                .map_err(plot_err)?;
        }
        for point in points {
            draw_marker(chart.plotting_area(), point, style.marker, style.colour)?;
        }
    }
    Ok(())
}

/// Draws one marker shape at a point in chart coordinates.
pub(crate) fn draw_marker<X, Y>(
    area: &DrawingArea<SVGBackend<'_>, Cartesian2d<X, Y>>,
    at: (f64, f64),
    marker: Marker,
    colour: RGBColor,
) -> anyhow::Result<()>
where
    X: Ranged<ValueType = f64>,
    Y: Ranged<ValueType = f64>,
{
    let fill = colour.filled();
    let open = colour.stroke_width(2);
    let halo = WHITE.filled();
    let result = match marker {
        Marker::Dot => area.draw(&Circle::new(at, 4, fill)),
        Marker::Ring => area
            .draw(&Circle::new(at, 4, halo))
            .and_then(|_| area.draw(&Circle::new(at, 4, open))),
        Marker::Square => area.draw(
            &(EmptyElement::at(at)
                + Rectangle::new([(-4, -4), (4, 4)], halo)
                + Rectangle::new([(-4, -4), (4, 4)], open)),
        ),
        Marker::Block => {
            area.draw(&(EmptyElement::at(at) + Rectangle::new([(-4, -4), (4, 4)], fill)))
        }
        Marker::Triangle => area.draw(&TriangleMarker::new(at, 6, fill)),
        Marker::OpenTriangle => area
            .draw(&TriangleMarker::new(at, 6, halo))
            .and_then(|_| area.draw(&TriangleMarker::new(at, 6, open))),
        Marker::Cross => area.draw(&Cross::new(at, 4, open)),
    };
    result.map_err(plot_err)
}
