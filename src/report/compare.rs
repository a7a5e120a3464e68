//! Two runs side by side: per scenario, each size and method label with both
//! throughputs and their ratio, a chart of the ratio, and every cell that only
//! one run has.

use super::charts::axis::{Scale, Unit};
use super::charts::{Chart, Panel, Reference, Series, coincident, render_panels};
use super::format::{escape, ratio};
use super::html::{figure, page, slug, table as html_table};
use super::markdown::table as md_table;
use super::palette::Palette;
use super::table::{Row, Table};
use crate::results::{Cell, Results, ScenarioResult};
use crate::units::{ExactSize, Rate};
use crate::vocab::MethodName;
use std::fmt::Write;

/// One scenario's cells matched across the two runs.
struct Matched<'a> {
    name: &'a str,
    pairs: Vec<(&'a Cell, &'a Cell)>,
    only_a: Vec<&'a Cell>,
    only_b: Vec<&'a Cell>,
}

fn same_cell(x: &Cell, y: &Cell) -> bool {
    x.size == y.size && x.label == y.label
}

/// Sort key: size, then maps before read()-style methods, then label.
fn order_key(cell: &Cell) -> (u64, MethodName, &str) {
    (cell.size, cell.method, &cell.label)
}

fn by_size_then_label(cells: &mut [&Cell]) {
    cells.sort_by(|x, y| order_key(x).cmp(&order_key(y)));
}

/// Matches the cells of two versions of a scenario (either may be missing).
fn matched<'a>(
    name: &'a str,
    a: Option<&'a ScenarioResult>,
    b: Option<&'a ScenarioResult>,
) -> Matched<'a> {
    let a_cells: Vec<&Cell> = a.map(|s| s.cells.iter().collect()).unwrap_or_default();
    let b_cells: Vec<&Cell> = b.map(|s| s.cells.iter().collect()).unwrap_or_default();
    let mut pairs: Vec<(&Cell, &Cell)> = a_cells
        .iter()
        .filter_map(|x| Some((*x, *b_cells.iter().find(|y| same_cell(x, y))?)))
        .collect();
    pairs.sort_by(|p, q| order_key(p.0).cmp(&order_key(q.0)));
    let mut only_a: Vec<&Cell> = a_cells
        .iter()
        .copied()
        .filter(|x| !b_cells.iter().any(|y| same_cell(x, y)))
        .collect();
    let mut only_b: Vec<&Cell> = b_cells
        .iter()
        .copied()
        .filter(|y| !a_cells.iter().any(|x| same_cell(x, y)))
        .collect();
    by_size_then_label(&mut only_a);
    by_size_then_label(&mut only_b);
    Matched {
        name,
        pairs,
        only_a,
        only_b,
    }
}

/// Every scenario name of either run, in A's order then B's extras, matched.
fn match_runs<'a>(a: &'a Results, b: &'a Results) -> Vec<Matched<'a>> {
    let mut names: Vec<&str> = a.scenarios.iter().map(|s| s.name.as_str()).collect();
    for s in &b.scenarios {
        if !names.contains(&s.name.as_str()) {
            names.push(&s.name);
        }
    }
    names
        .into_iter()
        .map(|n| {
            matched(
                n,
                a.scenarios.iter().find(|s| s.name == n),
                b.scenarios.iter().find(|s| s.name == n),
            )
        })
        .collect()
}

/// The side-by-side table of matched cells.
fn pair_table(m: &Matched, a_name: &str, b_name: &str) -> Table {
    let headers = vec![
        "size".to_string(),
        "method".to_string(),
        format!("{a_name} throughput"),
        format!("{b_name} throughput"),
        format!("{b_name} ÷ {a_name}"),
    ];
    let rows = m
        .pairs
        .iter()
        .enumerate()
        .map(|(i, (x, y))| Row {
            cells: vec![
                ExactSize(x.size).to_string(),
                x.label.clone(),
                Rate(x.throughput_bytes_per_sec).to_string(),
                Rate(y.throughput_bytes_per_sec).to_string(),
                ratio(y.throughput_bytes_per_sec / x.throughput_bytes_per_sec),
            ],
            first_of_size: i == 0 || m.pairs[i - 1].0.size != x.size,
        })
        .collect();
    Table {
        headers,
        rows,
        text_columns: 2,
    }
}

/// Cells measured in only one run, as "size method" text.
fn lonely(cells: &[&Cell]) -> Vec<String> {
    cells
        .iter()
        .map(|c| {
            format!(
                "{} {} ({})",
                ExactSize(c.size),
                c.label,
                Rate(c.throughput_bytes_per_sec)
            )
        })
        .collect()
}

/// The ratio chart of one scenario.
fn ratio_chart(
    m: &Matched,
    a_name: &str,
    b_name: &str,
    palette: &Palette,
) -> anyhow::Result<Chart> {
    let mut labels: Vec<&str> = Vec::new();
    for (x, _) in &m.pairs {
        if !labels.contains(&x.label.as_str()) {
            labels.push(&x.label);
        }
    }
    palette.order(&mut labels);
    let series: Vec<Series> = labels
        .iter()
        .map(|l| Series {
            label: l.to_string(),
            points: m
                .pairs
                .iter()
                .filter(|(x, _)| x.label == *l)
                .map(|(x, y)| {
                    (
                        x.size as f64,
                        y.throughput_bytes_per_sec / x.throughput_bytes_per_sec,
                    )
                })
                .collect(),
            peer: false,
        })
        .collect();
    let panel = Panel {
        title: format!("{b_name} ÷ {a_name}"),
        y_desc: "throughput ratio".to_string(),
        scale: Scale::Log,
        unit: Unit::Ratio,
        series,
        references: vec![Reference {
            value: 1.0,
            text: String::new(),
        }],
        empty_note: "no cell is in both runs".to_string(),
    };
    Ok(Chart {
        title: "Throughput ratio".to_string(),
        svg: render_panels(std::slice::from_ref(&panel), palette, 360)?,
        caption: format!(
            "Above 1 (the dashed line): {b_name} was faster than {a_name} for that method and size; below 1: slower. Log scale, so 2× and 0.5× are the same distance from the line.{}",
            coincident(std::slice::from_ref(&panel))
        ),
        labels: labels.iter().map(|l| l.to_string()).collect(),
        keys: Vec::new(),
    })
}

/// One line describing a run, for the page header.
fn run_line(r: &Results, name: &str) -> String {
    format!(
        "{name}: mmap-lab {}, started {}, {} ({} cores), kernel {}, {}, memcpy limit {}",
        r.tool_version,
        r.started_at,
        r.machine.cpu,
        r.machine.cores,
        r.machine.kernel,
        r.machine.filesystem,
        Rate(r.limits.memcpy_bytes_per_sec)
    )
}

/// Renders compare.html.
pub(crate) fn html(a: &Results, a_name: &str, b: &Results, b_name: &str) -> anyhow::Result<String> {
    let palette = Palette::new(&[a, b]);
    let mut body = format!(
        "<header>\n<h1>mmap-lab comparison: {} vs {}</h1>\n<ul class=\"meta\">\n<li>{}</li>\n<li>{}</li>\n</ul>\n</header>\n",
        escape(a_name),
        escape(b_name),
        escape(&run_line(a, a_name)),
        escape(&run_line(b, b_name))
    );
    for m in match_runs(a, b) {
        let _ = writeln!(body, "<h2 id=\"{}\">{}</h2>", slug(m.name), escape(m.name));
        if !m.pairs.is_empty() {
            body.push_str(&figure(
                &ratio_chart(&m, a_name, b_name, &palette)?,
                &palette,
            ));
            body.push_str(&html_table(&pair_table(&m, a_name, b_name)));
        }
        for (name, cells) in [(a_name, &m.only_a), (b_name, &m.only_b)] {
            if !cells.is_empty() {
                let _ = writeln!(
                    body,
                    "<h3 class=\"only\">Only in {}</h3>\n<ul>",
                    escape(name)
                );
                for line in lonely(cells) {
                    let _ = writeln!(body, "<li>{}</li>", escape(&line));
                }
                body.push_str("</ul>\n");
            }
        }
    }
    Ok(page(
        &format!("mmap-lab comparison: {a_name} vs {b_name}"),
        &body,
    ))
}

/// Renders compare.md.
pub(crate) fn markdown(a: &Results, a_name: &str, b: &Results, b_name: &str) -> String {
    let mut out = format!(
        "# mmap-lab comparison: {a_name} vs {b_name}\n\n- {}\n- {}\n",
        run_line(a, a_name),
        run_line(b, b_name)
    );
    for m in match_runs(a, b) {
        let _ = writeln!(out, "\n## {}\n", crate::user_text::for_terminal(m.name));
        if !m.pairs.is_empty() {
            out.push_str(&md_table(&pair_table(&m, a_name, b_name)));
        }
        for (name, cells) in [(a_name, &m.only_a), (b_name, &m.only_b)] {
            if !cells.is_empty() {
                let _ = writeln!(out, "\nOnly in {name}:\n");
                for line in lonely(cells) {
                    let _ = writeln!(out, "- {}", crate::user_text::for_terminal(&line));
                }
            }
        }
    }
    out
}
