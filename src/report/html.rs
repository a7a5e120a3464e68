//! The self-contained HTML page: styles inlined, charts as inline SVG, no
//! scripts, fonts or network requests, so it opens from disk and prints.

use super::charts::{Chart, bars, scenario as figures, time};
use super::format::{
    conditions, cpu_details, environment_warnings, escape, level_limits, observer,
    page_cache_details,
};
use super::glance;
use super::layout;
use super::narrative::{counter_notes, paragraph};
use super::palette::{Palette, swatch};
use super::table::{Table, UNVERIFIED, cell_table};
use crate::results::{Results, ScenarioResult};
use crate::units::{ApproxSize, ExactSize, Rate};
use crate::vocab::Cache;
use std::fmt::Write;
use std::path::Path;

const CSS: &str = include_str!("report.css");
const METHODOLOGY: &str = include_str!("methodology.html");

/// Wraps a body in a complete page with the report's styles.
pub(crate) fn page(title: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>\n\
<title>{}</title>\n<style>\n{CSS}</style>\n</head>\n<body>\n{body}</body>\n</html>\n",
        escape(title)
    )
}

/// An anchor id made from a scenario name.
pub(crate) fn slug(name: &str) -> String {
    let s: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    format!("s-{s}")
}

/// A cell's text as HTML; a trailing parenthesis (a range, a share) goes
/// on a second, smaller line, so grouped tables stay narrow.
fn cell_html(cell: &str) -> String {
    match cell.find(" (") {
        Some(at) if cell.ends_with(')') => format!(
            "{}<span class=\"sub\">{}</span>",
            escape(&cell[..at]),
            escape(&cell[at + 1..])
        ),
        _ => escape(cell),
    }
}

/// Renders a table; the first columns are text, the rest right-aligned numbers.
pub(crate) fn table(table: &Table) -> String {
    let mut out = String::from("<div class=\"table-wrap\"><table>\n<thead><tr>");
    for (i, h) in table.headers.iter().enumerate() {
        let class = if i >= table.text_columns {
            " class=\"num\""
        } else {
            ""
        };
        let _ = write!(out, "<th{class}>{}</th>", escape(h));
    }
    out.push_str("</tr></thead>\n<tbody>\n");
    for row in &table.rows {
        out.push_str(if row.first_of_size {
            "<tr class=\"size-start\">"
        } else {
            "<tr>"
        });
        for (i, cell) in row.cells.iter().enumerate() {
            let mut classes = Vec::new();
            if i >= table.text_columns {
                classes.push("num");
            }
            if cell.ends_with(UNVERIFIED) {
                classes.push("bad");
            }
            let class = if classes.is_empty() {
                String::new()
            } else {
                format!(" class=\"{}\"", classes.join(" "))
            };
            let _ = write!(out, "<td{class}>{}</td>", cell_html(cell));
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody></table></div>\n");
    out
}

/// A chart with its legend beside it and its caption below.
pub(crate) fn figure(chart: &Chart, palette: &Palette) -> String {
    let mut legend = String::new();
    for label in &chart.labels {
        let _ = write!(
            legend,
            "<li>{}<span>{}</span></li>",
            swatch(palette.style(label)),
            escape(label)
        );
    }
    for (colour, text) in &chart.keys {
        let _ = write!(
            legend,
            "<li><span class=\"box\" style=\"background:{colour}\"></span><span>{}</span></li>",
            escape(text)
        );
    }
    format!(
        "<section class=\"block\">\n<h3>{}</h3>\n<figure class=\"chart\">\n<div class=\"plot\">{}</div>\n<ul class=\"legend\">{legend}</ul>\n<figcaption>{}</figcaption>\n</figure>\n</section>\n",
        escape(&chart.title),
        crate::user_text::visible_controls(&chart.svg),
        escape(&chart.caption)
    )
}

/// The machine, limits and run facts as a definition list.
fn machine(results: &Results) -> String {
    let m = &results.machine;
    let l = &results.limits;
    let facts = [
        ("cores", m.cores.to_string()),
        ("kernel", m.kernel.clone()),
        ("page size", ExactSize(m.page_size).to_string()),
        ("transparent huge pages", m.thp.clone()),
        ("filesystem", m.filesystem.clone()),
        ("memory", ApproxSize(m.memory_bytes as f64).to_string()),
        (
            "memcpy limit",
            format!(
                "{} ({} buffers)",
                Rate(l.memcpy_bytes_per_sec),
                ExactSize(l.buffer_bytes)
            ),
        ),
        (
            "scan limit",
            format!(
                "{} (the consume step over memory)",
                Rate(l.scan_bytes_per_sec)
            ),
        ),
        (
            "system call counting",
            format!(
                "{}: {}",
                if results.syscall_counting.available {
                    "available"
                } else {
                    "unavailable"
                },
                results.syscall_counting.source
            ),
        ),
        (
            "limits per cache level",
            level_limits(l).unwrap_or_else(|| "not measured in this run".to_string()),
        ),
        (
            "conditions",
            conditions(results).unwrap_or_else(|| "not recorded".to_string()),
        ),
        ("tool", format!("mmap-lab {}", results.tool_version)),
        ("run started", results.started_at.clone()),
        (
            "quick run",
            if results.quick {
                "yes (shortened)"
            } else {
                "no"
            }
            .to_string(),
        ),
    ];
    let mut out = String::from("<h2 id=\"machine\">Machine and run</h2>\n<dl class=\"facts\">\n");
    let mut row = |name: &str, value: &str| {
        let _ = writeln!(out, "<dt>{}</dt><dd>{}</dd>", escape(name), escape(value));
    };
    row("CPU", &m.cpu);
    for (name, value) in cpu_details(m) {
        row(&format!("CPU {name}"), &value);
    }
    for (name, value) in facts {
        row(name, &value);
    }
    for (name, value) in page_cache_details(m) {
        row(name, &value);
    }
    if let Some(text) = observer(results) {
        row("cost of counting", &text);
    }
    for warning in environment_warnings(results) {
        row("warning", warning);
    }
    out.push_str("</dl>\n");
    out
}

/// One scenario: what it is, the story, its charts and its table.
fn scenario(results: &Results, s: &ScenarioResult, palette: &Palette) -> anyhow::Result<String> {
    let mut out = String::new();
    let _ = writeln!(out, "<h2 id=\"{}\">{}</h2>", slug(&s.name), escape(&s.name));
    let _ = writeln!(out, "<p class=\"lede\">{}</p>", escape(&s.about));
    let _ = writeln!(
        out,
        "<p class=\"meta\">operation <code>{}</code> · cache <code>{}</code>{} · parameters <code>{}</code> · from <code>{}</code></p>",
        escape(s.operation.name()),
        escape(s.cache.name()),
        if s.threads > 1 {
            format!(
                " · <code>{}</code> threads (throughput is their total)",
                s.threads
            )
        } else {
            String::new()
        },
        escape(&s.operation_params.to_string()),
        escape(&s.file)
    );
    let mut story = paragraph(s, &results.limits);
    if let Some(threads) = super::narrative::threads(results, s) {
        story.push(' ');
        story.push_str(&threads);
    }
    if let Some(changes) = layout::ranking_changes(results, s) {
        story.push(' ');
        story.push_str(&changes);
    }
    let _ = writeln!(out, "<p class=\"story\">{}</p>", escape(&story));
    let mut charts = vec![
        figures::throughput(s, &results.limits, palette)?,
        bars::syscall_chart(s, &results.syscall_counting, palette)?,
        figures::copies(s, palette)?,
        figures::faults(s, palette)?,
    ];
    charts.extend(figures::fault_size(s, results.machine.page_size, palette)?);
    charts.extend(time::time_chart(s, palette)?);
    if s.cache == Cache::Cold || s.cells.iter().any(|c| c.resident_before.is_some()) {
        charts.push(figures::cold(s, palette)?);
    }
    for chart in &charts {
        out.push_str(&figure(chart, palette));
    }
    if let Some(layouts) = layout::table(s) {
        out.push_str("<h3>Page-cache layout</h3>\n");
        out.push_str(&table(&layouts));
    }
    out.push_str("<h3>Every cell</h3>\n");
    out.push_str(&table(&cell_table(s, &results.limits)));
    for note in counter_notes(s) {
        let _ = writeln!(out, "<p class=\"meta\">{}</p>", escape(&note));
    }
    Ok(out)
}

/// Renders the whole report page.
pub(crate) fn report(results: &Results, criterion: Option<&Path>) -> anyhow::Result<String> {
    let palette = Palette::new(&[results]);
    let mut body = String::new();
    body.push_str("<header>\n<h1>mmap-lab report</h1>\n");
    let _ = writeln!(
        body,
        "<p class=\"lede\">When is a memory map faster than read/write on this machine, and why? Run of {} with mmap-lab {}{}.</p>",
        escape(&results.started_at),
        escape(&results.tool_version),
        if results.quick {
            " (quick run: fewer samples)"
        } else {
            ""
        }
    );
    if let Some(path) = criterion {
        let _ = writeln!(
            body,
            "<p class=\"meta\">criterion's own report for the same methods: <a href=\"{}\">{}</a></p>",
            escape(&file_url(path)),
            escape(&path.display().to_string())
        );
    }
    body.push_str("</header>\n<nav>\n<ol>\n");
    for s in &results.scenarios {
        let _ = writeln!(
            body,
            "<li><a href=\"#{}\">{}</a> <span class=\"meta\">({}, {})</span></li>",
            slug(&s.name),
            escape(&s.name),
            escape(s.operation.name()),
            escape(s.cache.name())
        );
    }
    body.push_str("<li><a href=\"#machine\">Machine and run</a></li>\n<li><a href=\"#methodology\">How these numbers were measured</a></li>\n</ol>\n</nav>\n");
    body.push_str("<h2 id=\"glance\">At a glance</h2>\n");
    body.push_str(&table(&glance::table(results)));
    body.push_str("<p class=\"meta\">The crossover is interpolated between the two measured sizes around it; the term is the cost model's term with the largest difference between the best map and the best read()-style method (see each scenario's \"Where the time goes\").</p>\n");
    for s in &results.scenarios {
        body.push_str(&scenario(results, s, &palette)?);
    }
    body.push_str(&machine(results));
    body.push_str(METHODOLOGY);
    Ok(page("mmap-lab report", &body))
}

/// A `file://` URL for an absolute path (spaces and other unsafe bytes escaped).
fn file_url(path: &Path) -> String {
    let mut url = String::from("file://");
    for b in path.to_string_lossy().bytes() {
        if b.is_ascii_alphanumeric() || b"/-_.~".contains(&b) {
            url.push(b as char);
        } else {
            let _ = write!(url, "%{b:02X}");
        }
    }
    url
}
