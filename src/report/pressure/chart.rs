//! A run's timeline as inline SVG: accesses per second over time on top,
//! with the moment the cache reached its budget marked (and fio's figure
//! as a dashed line when it ran), and the counters beneath it, a small
//! panel each. A scenario's runs share each panel's vertical scale, so
//! their charts compare at a glance.

use super::figures::SHORTEST_SAMPLE;
use crate::lasting::command::Cell;
use crate::report::charts::axis::{Axis, Scale, Unit};
use crate::report::charts::{WIDTH, draw_marker, plot_err};
use crate::report::palette::{Marker, Palette, Style, css};
use crate::timeline::Point;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

const FONT: &str = "sans-serif";
/// Height of the top panel.
const TOP_HEIGHT: u32 = 230;
/// Height of each row of counter panels.
const ROW_HEIGHT: u32 = 165;
/// Height of a scenario's overview.
const OVERVIEW_HEIGHT: u32 = 300;
/// Counter panels per row.
const COLUMNS: usize = 2;
const GREY: RGBColor = RGBColor(110, 110, 110);
/// The second line of a two-line panel.
const SECOND: RGBColor = RGBColor(0xD5, 0x5E, 0x00);
const FIRST: RGBColor = RGBColor(0x00, 0x72, 0xB2);
/// Bytes in a GiB, for gauges of bytes.
const GIB: f64 = (1u64 << 30) as f64;

/// One counter panel: its title, unit and how each of its lines is read
/// from a point (per second for counts, as is for gauges).
struct Counter {
    title: &'static str,
    unit: Unit,
    lines: &'static [(&'static str, Reading)],
}

/// How a line's value is read from a point and the interval it closes.
#[derive(Clone, Copy)]
enum Reading {
    /// A count in the interval, divided by its seconds.
    PerSec(fn(&Point) -> Option<u64>),
    /// A gauge at the interval's end.
    Gauge(fn(&Point) -> u64),
    /// Microseconds (or milliseconds, with `scale`) in the interval as a
    /// share of the interval: `value * scale / interval_us`.
    Share(fn(&Point) -> Option<u64>, f64),
}

const COUNTERS: [Counter; 8] = [
    Counter {
        title: "disk read (system-wide)",
        unit: Unit::Rate,
        lines: &[("disk", Reading::PerSec(|p| p.disk_read_bytes))],
    },
    Counter {
        title: "major faults /s (this process)",
        unit: Unit::Count,
        lines: &[("major faults", Reading::PerSec(|p| Some(p.major_faults)))],
    },
    Counter {
        title: "refaults /s (system-wide)",
        unit: Unit::Count,
        lines: &[("refaults", Reading::PerSec(|p| Some(p.refaults)))],
    },
    Counter {
        title: "pages scanned, stolen /s (system-wide)",
        unit: Unit::Count,
        lines: &[
            ("pgscan", Reading::PerSec(|p| Some(p.pgscan))),
            ("pgsteal", Reading::PerSec(|p| Some(p.pgsteal))),
        ],
    },
    Counter {
        title: "TLB shootdowns /s (system-wide)",
        unit: Unit::Count,
        lines: &[("TLB shootdowns", Reading::PerSec(|p| p.tlb_shootdowns))],
    },
    Counter {
        title: "Cached (system-wide)",
        unit: Unit::Bytes,
        lines: &[("Cached", Reading::Gauge(|p| p.cached))],
    },
    Counter {
        title: "memory stall, share of time (PSI)",
        unit: Unit::Percent,
        lines: &[
            ("PSI some", Reading::Share(|p| p.stall_some_us, 1.0)),
            ("PSI full", Reading::Share(|p| p.stall_full_us, 1.0)),
        ],
    },
    Counter {
        title: "kswapd CPU, share of one CPU",
        unit: Unit::Percent,
        lines: &[("kswapd", Reading::Share(|p| p.kswapd_cpu_ms, 1000.0))],
    },
];

/// (seconds from the start, value) of one reading over a run.
fn series(cell: &Cell, reading: Reading) -> Vec<(f64, f64)> {
    let Some(timeline) = &cell.outcome.timeline else {
        return Vec::new();
    };
    let mut previous = 0u64;
    let mut out = Vec::new();
    for point in &timeline.points {
        let span_ms = point.t_ms.saturating_sub(previous).max(1) as f64;
        previous = point.t_ms;
        // The last interval, cut short by the end of the run, is left out:
        // a few milliseconds give rates that mean nothing.
        if span_ms < timeline.interval_ms as f64 * SHORTEST_SAMPLE {
            continue;
        }
        let value = match reading {
            Reading::PerSec(read) => read(point).map(|v| v as f64 * 1000.0 / span_ms),
            Reading::Gauge(read) => Some(read(point) as f64),
            Reading::Share(read, scale) => {
                read(point).map(|v| v as f64 * scale / (span_ms * 1000.0))
            }
        };
        if let Some(value) = value {
            out.push((point.t_ms as f64 / 1000.0, value));
        }
    }
    out
}

/// Accesses per second over a run.
fn accesses(cell: &Cell) -> Vec<(f64, f64)> {
    series(cell, Reading::PerSec(|p| Some(p.accesses)))
}

/// The highest value each counter panel reaches over a scenario's runs
/// (with the budget): the shared vertical scales, and the longest run.
#[derive(Debug, Clone)]
pub(crate) struct Scales {
    tops: Vec<f64>,
    seconds: f64,
}

impl Scales {
    /// The scales of a scenario's runs.
    pub(crate) fn of(cells: &[Cell], budget: Option<u64>) -> Scales {
        let max = |values: &mut dyn Iterator<Item = f64>| values.fold(0.0, f64::max);
        let mut tops = Vec::new();
        for counter in &COUNTERS {
            let mut top = max(&mut cells
                .iter()
                .flat_map(|c| counter.lines.iter().flat_map(|l| series(c, l.1)))
                .map(|p| p.1));
            if counter.unit == Unit::Bytes {
                top = top.max(budget.unwrap_or(0) as f64 * 1.1);
            }
            tops.push(top);
        }
        let seconds = cells
            .iter()
            .map(|c| c.outcome.elapsed_ns as f64 / 1e9)
            .fold(1.0, f64::max);
        Scales { tops, seconds }
    }
}

/// One line of a panel: how it is drawn and its (seconds, value) points.
struct Line {
    style: Style,
    points: Vec<(f64, f64)>,
}

/// A plain line in one colour, with small dots.
fn plain(colour: RGBColor, points: Vec<(f64, f64)>) -> Line {
    Line {
        style: Style {
            colour,
            marker: Marker::Dot,
            dashed: false,
        },
        points,
    }
}

/// A horizontal line across a panel with a label at its right end.
struct Level {
    value: f64,
    text: String,
}

/// The run's chart as an `<svg>`; `fio` is fio's accesses per second for
/// the same job, when it ran.
pub(crate) fn cell_chart(
    cell: &Cell,
    budget: Option<u64>,
    fio: Option<f64>,
    scales: &Scales,
    palette: &Palette,
) -> anyhow::Result<String> {
    let rows = COUNTERS.len().div_ceil(COLUMNS) as u32;
    let height = TOP_HEIGHT + rows * ROW_HEIGHT;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, height)).into_drawing_area();
        root.fill(&WHITE).map_err(plot_err)?;
        let (top, rest) = root.split_vertically(TOP_HEIGHT);
        let levels: Vec<Level> = fio
            .map(|v| Level {
                value: v,
                text: format!("fio {}/s", crate::report::format::decimal(v)),
            })
            .into_iter()
            .collect();
        let mark = cell.cache_at_budget_ms.map(|ms| ms as f64 / 1000.0);
        let line = accesses(cell);
        // The top panel has its own scale, so a run that collapses still
        // shows its shape; the overview compares the runs.
        let top_value = line.iter().map(|p| p.1).chain(fio).fold(0.0, f64::max);
        draw(
            &top,
            "accesses per second",
            (Scale::Linear, Unit::Count),
            &[Line {
                style: palette.style(&cell.label),
                points: line,
            }],
            &levels,
            mark,
            (scales.seconds, top_value),
        )?;
        let areas = rest.split_evenly((rows as usize, COLUMNS));
        for (i, (counter, area)) in COUNTERS.iter().zip(&areas).enumerate() {
            let lines: Vec<Line> = counter
                .lines
                .iter()
                .enumerate()
                .map(|(j, (_, reading))| {
                    plain(if j == 0 { FIRST } else { SECOND }, series(cell, *reading))
                })
                .collect();
            let levels: Vec<Level> = match (counter.unit, budget) {
                (Unit::Bytes, Some(b)) => vec![Level {
                    value: b as f64,
                    text: "budget".to_string(),
                }],
                _ => Vec::new(),
            };
            draw(
                area,
                counter.title,
                (Scale::Linear, counter.unit),
                &lines,
                &levels,
                None,
                (scales.seconds, scales.tops[i]),
            )?;
        }
        root.present().map_err(plot_err)?;
    }
    Ok(svg)
}

/// Every run's accesses per second over time in one panel, on a scale
/// that keeps both a collapsed run and the fastest readable.
pub(crate) fn overview(cells: &[Cell], palette: &Palette) -> anyhow::Result<String> {
    let lines: Vec<Line> = cells
        .iter()
        .map(|c| Line {
            style: palette.style(&c.label),
            points: accesses(c),
        })
        .collect();
    let top = lines
        .iter()
        .flat_map(|l| l.points.iter().map(|p| p.1))
        .fold(0.0, f64::max);
    let seconds = cells
        .iter()
        .map(|c| c.outcome.elapsed_ns as f64 / 1e9)
        .fold(1.0, f64::max);
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, OVERVIEW_HEIGHT)).into_drawing_area();
        root.fill(&WHITE).map_err(plot_err)?;
        draw(
            &root,
            "accesses per second, every run",
            (Scale::SymLog, Unit::Count),
            &lines,
            &[],
            None,
            (seconds, top),
        )?;
        root.present().map_err(plot_err)?;
    }
    Ok(svg)
}

/// The key of the counter panels' two colours, for the page's legend:
/// the second colour is the second line of a two-line panel.
pub(crate) fn counter_key() -> Vec<(String, String)> {
    let names = |i: usize| -> Vec<&str> {
        COUNTERS
            .iter()
            .filter(|c| c.lines.len() > 1)
            .filter_map(|c| Some(c.lines.get(i)?.0))
            .collect()
    };
    vec![
        (
            css(FIRST),
            format!("a counter, or the first of two ({})", names(0).join(", ")),
        ),
        (
            css(SECOND),
            format!("the second of two ({})", names(1).join(", ")),
        ),
    ]
}

/// Draws one panel: lines over time, horizontal levels, and a vertical
/// mark at `mark` seconds; `extent` is (seconds, highest value).
fn draw(
    area: &crate::report::charts::Area,
    title: &str,
    (scale, unit): (Scale, Unit),
    lines: &[Line],
    levels: &[Level],
    mark: Option<f64>,
    extent: (f64, f64),
) -> anyhow::Result<()> {
    // A gauge of bytes is drawn in GiB: the axis's byte ticks are powers
    // of two, made for file sizes.
    let (divisor, axis_unit, suffix) = match unit {
        Unit::Bytes => (GIB, Unit::Count, " GiB"),
        other => (1.0, other, ""),
    };
    let x = Axis::fit(Scale::Linear, Unit::Count, [0.0, extent.0], 10);
    let y = Axis::fit(
        scale,
        axis_unit,
        [0.0, extent.1 / divisor]
            .into_iter()
            .chain(levels.iter().map(|l| l.value / divisor)),
        if scale == Scale::SymLog { 8 } else { 4 },
    );
    let mut chart = ChartBuilder::on(area)
        .caption(title, (FONT, 14).into_font().style(FontStyle::Bold))
        .margin(6)
        .margin_right(14)
        .x_label_area_size(26)
        .y_label_area_size(72)
        .build_cartesian_2d(x.coord(), y.coord())
        .map_err(plot_err)?;
    chart
        .configure_mesh()
        .x_label_formatter(&|p| format!("{} s", x.label(*p)))
        .y_label_formatter(&|p| match unit {
            // Halves of a GiB, which the axis's own labels round away.
            Unit::Bytes => format!("{}{suffix}", (p * 100.0).round() / 100.0),
            _ => y.label(*p),
        })
        .label_style((FONT, 12))
        .bold_line_style(RGBColor(225, 225, 225))
        .light_line_style(WHITE)
        .draw()
        .map_err(plot_err)?;
    if lines.iter().all(|l| l.points.is_empty()) {
        let (w, h) = chart.plotting_area().dim_in_pixel();
        let centre = Pos::new(HPos::Center, VPos::Center);
        chart
            .plotting_area()
            .strip_coord_spec()
            .draw(&Text::new(
                "not counted here".to_string(),
                (w as i32 / 2, h as i32 / 2),
                (FONT, 13).into_font().color(&GREY).pos(centre),
            ))
            .map_err(plot_err)?;
        return Ok(());
    }
    for level in levels {
        let Some(yp) = y.position(level.value / divisor) else {
            continue;
        };
        chart
            .draw_series(DashedLineSeries::new(
                vec![(x.lo, yp), (x.hi, yp)],
                4,
                4,
                GREY.stroke_width(1),
            ))
            .map_err(plot_err)?;
        let style = (FONT, 12)
            .into_font()
            .color(&GREY)
            .pos(Pos::new(HPos::Right, VPos::Bottom));
        chart
            .plotting_area()
            .draw(&(EmptyElement::at((x.hi, yp)) + Text::new(level.text.clone(), (-4, -3), style)))
            .map_err(plot_err)?;
    }
    if let Some(at) = mark {
        chart
            .draw_series(DashedLineSeries::new(
                vec![(at, y.lo), (at, y.hi)],
                5,
                3,
                RGBColor(0xcb, 0x18, 0x1d).stroke_width(1),
            ))
            .map_err(plot_err)?;
        let style = (FONT, 12)
            .into_font()
            .color(&RGBColor(0xcb, 0x18, 0x1d))
            .pos(Pos::new(HPos::Left, VPos::Top));
        chart
            .plotting_area()
            .draw(
                &(EmptyElement::at((at, y.hi))
                    + Text::new("cache at budget".to_string(), (4, 2), style)),
            )
            .map_err(plot_err)?;
    }
    for line in lines {
        let points: Vec<(f64, f64)> = line
            .points
            .iter()
            .filter_map(|(t, v)| Some((*t, y.position(*v / divisor)?)))
            .collect();
        let stroke = line.style.colour.stroke_width(2);
        if line.style.dashed {
            chart
                .draw_series(DashedLineSeries::new(points.clone(), 7, 4, stroke))
                .map_err(plot_err)?;
        } else {
            chart
                .draw_series(LineSeries::new(points.clone(), stroke))
                .map_err(plot_err)?;
        }
        for point in points {
            draw_marker(
                chart.plotting_area(),
                point,
                line.style.marker,
                line.style.colour,
            )?;
        }
    }
    Ok(())
}
