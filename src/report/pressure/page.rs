//! The pressure report's two outputs from the same parts: "At a glance",
//! per scenario its facts, paragraph, table of runs and a timeline chart
//! per run, and what the system-wide counters can and cannot show.

use super::chart::{Scales, cell_chart, counter_key, overview};
use super::figures::{Figures, threads_label};
use super::findings::findings;
use super::words::{GLANCE_HEADERS, glance_row, paragraph};
use crate::lasting::access::{Consume, Pattern};
use crate::lasting::command::{Cell, PressureResults};
use crate::report::charts::Chart;
use crate::report::format::{bytes, count, decimal, escape, maybe_count};
use crate::report::html::{figure, page, slug, table};
use crate::report::palette::Palette;
use crate::report::table::{Row, Table};
use crate::timeline::SERIES;
use crate::units::{ExactSize, Nanos};
use std::fmt::Write;

const TITLE: &str = "mmap-lab pressure: where maps break";
const LEDE: &str = "Threads share one file for a while; with a page-cache budget the file does not fit, and a helper process holding the rest of memory makes the kernel reclaim. Each run's timeline shows what it did and what the kernel's counters did meanwhile.";

/// "At a glance": one row per scenario.
fn glance(results: &[PressureResults]) -> Table {
    Table {
        headers: GLANCE_HEADERS.iter().map(|h| h.to_string()).collect(),
        rows: results
            .iter()
            .map(|r| Row {
                cells: glance_row(r, &findings(r)).to_vec(),
                first_of_size: false,
            })
            .collect(),
        text_columns: GLANCE_HEADERS.len(),
    }
}

/// Every run of a scenario with its totals.
fn runs(results: &PressureResults) -> Table {
    let headers = [
        "method",
        "threads",
        "accesses/s",
        "fio accesses/s",
        "disk read / used",
        "major faults",
        "refaults",
        "pages scanned",
        "TLB shootdowns",
        "max Cached",
        "p99 latency",
    ];
    let rows = results
        .cells
        .iter()
        .map(|cell| {
            let f = Figures::of(cell);
            Row {
                cells: vec![
                    cell.label.clone(),
                    cell.threads.to_string(),
                    decimal(cell.accesses_per_sec),
                    match &cell.fio {
                        None => "not run".to_string(),
                        Some(fio) => fio.accesses_per_sec.map_or("failed".to_string(), decimal),
                    },
                    cell.disk_bytes_per_useful_byte
                        .map_or("n/a".to_string(), |r| format!("{}×", decimal(r))),
                    count(cell.outcome.major_faults),
                    count(f.refaults),
                    count(f.pgscan),
                    maybe_count(f.tlb),
                    bytes(cell.max_cached),
                    cell.outcome
                        .latency
                        .map_or("n/a".to_string(), |l| Nanos(l.p99_ns as f64).to_string()),
                ],
                first_of_size: false,
            }
        })
        .collect();
    Table {
        headers: headers.iter().map(|h| h.to_string()).collect(),
        rows,
        text_columns: 1,
    }
}

/// The scenario's settings and what the helper held, as (name, value).
fn facts(results: &PressureResults) -> Vec<(&'static str, String)> {
    let s = &results.scenario;
    let mut facts = vec![
        (
            "file",
            format!(
                "{} {} file{}",
                ExactSize(s.size),
                if s.sparse { "sparse" } else { "data" },
                s.beyond_memory.map_or(String::new(), |n| format!(
                    " (MemTotal + {}: larger than memory, no helper)",
                    ExactSize(n)
                ))
            ),
        ),
        (
            "page-cache budget",
            s.page_cache
                .map_or("none (the file fits)".to_string(), |b| {
                    ExactSize(b).to_string()
                }),
        ),
        (
            "each run",
            format!(
                "{} s of {} reads of {}, consumed by {}, sampled every {} ms{}",
                s.duration.as_secs_f64(),
                match s.pattern {
                    Pattern::Random { .. } => "random",
                    Pattern::Sequential { .. } => "sequential",
                },
                ExactSize(s.pattern.record()),
                match s.consume {
                    Consume::Fold => "a fold of every byte",
                    Consume::Touch => "touching one byte per page",
                },
                s.interval.as_millis(),
                if s.warm {
                    "; the file read once before each run"
                } else {
                    ""
                }
            ),
        ),
    ];
    if let Some(held) = &results.held {
        facts.push((
            "the helper held",
            format!(
                "{} at the budget ({} at most), reached in {} ms; MemAvailable {} then, floor {}",
                bytes(held.settled.held),
                bytes(held.max_held),
                count(held.settle_ms),
                bytes(held.settled.mem_available),
                bytes(held.budget.floor)
            ),
        ));
    }
    if let Some(kb) = results.read_ahead_kb {
        facts.push(("device read-ahead", ExactSize(kb * 1024).to_string()));
    }
    facts.push((
        "machine",
        format!(
            "{}, {} cores, {} of memory, {}, kernel {}",
            results.machine.cpu,
            results.machine.cores,
            bytes(results.machine.memory_bytes),
            results.machine.filesystem,
            results.machine.kernel
        ),
    ));
    facts
}

/// The chart of one run, with its caption.
fn run_chart(
    cell: &Cell,
    results: &PressureResults,
    scales: &Scales,
    palette: &Palette,
) -> anyhow::Result<Chart> {
    let budget = results.scenario.page_cache;
    let fio = cell.fio.as_ref().and_then(|f| f.accesses_per_sec);
    let svg = cell_chart(cell, budget, fio, scales, palette)?;
    let mark = match (budget, cell.cache_at_budget_ms) {
        (None, _) => "There is no budget: the file fits.".to_string(),
        (Some(_), Some(ms)) => format!(
            "The red mark is the end of the first interval in which Cached reached 90% of the budget ({} ms).",
            count(ms)
        ),
        (Some(_), None) => "Cached never reached 90% of the budget while it ran.".to_string(),
    };
    let fio_line = match fio {
        Some(_) => " The grey dashed line is fio's equivalent job, run right after it.",
        None => "",
    };
    Ok(Chart {
        title: threads_label(&cell.label, cell.threads),
        svg,
        labels: vec![cell.label.clone()],
        keys: counter_key(),
        caption: format!(
            "Top: accesses per second in each interval, on this run's own scale. {mark}{fio_line} Beneath: the counters over the same intervals, each panel on the same scale for every run of this scenario; system-wide counters count the whole machine (see the note at the end)."
        ),
    })
}

fn scenario_html(results: &PressureResults, palette: &Palette) -> anyhow::Result<String> {
    let s = &results.scenario;
    let mut out = String::new();
    let _ = writeln!(out, "<h2 id=\"{}\">{}</h2>", slug(&s.name), escape(&s.name));
    let _ = writeln!(out, "<p class=\"lede\">{}</p>", escape(&s.about));
    out.push_str("<dl class=\"facts\">\n");
    for (name, value) in facts(results) {
        let _ = writeln!(out, "<dt>{}</dt><dd>{}</dd>", escape(name), escape(&value));
    }
    out.push_str("</dl>\n");
    let _ = writeln!(
        out,
        "<p class=\"story\">{}</p>",
        escape(&paragraph(&findings(results)))
    );
    out.push_str(&table(&runs(results)));
    let scales = Scales::of(&results.cells, s.page_cache);
    let overview = Chart {
        title: "Every run".to_string(),
        svg: overview(&results.cells, palette)?,
        labels: results.cells.iter().fold(Vec::new(), |mut labels, c| {
            if !labels.contains(&c.label) {
                labels.push(c.label.clone());
            }
            labels
        }),
        keys: Vec::new(),
        caption: "Accesses per second in each interval of every run, on a scale that is even in powers of ten above 1 and keeps 0, so a run that collapses and the fastest both show. Runs with more than one thread count share a colour per method.".to_string(),
    };
    out.push_str(&figure(&overview, palette));
    for cell in &results.cells {
        out.push_str(&figure(
            &run_chart(cell, results, &scales, palette)?,
            palette,
        ));
    }
    Ok(out)
}

/// What each counter is, whether it counts the whole machine and what
/// blurs it, as (field, scope, source and blur).
fn counter_notes() -> Vec<(String, String)> {
    SERIES
        .iter()
        .map(|s| {
            (
                s.field.to_string(),
                format!(
                    "{}: {}; {}",
                    if s.system_wide {
                        "system-wide"
                    } else {
                        "this run"
                    },
                    s.source,
                    s.blurred_by
                ),
            )
        })
        .collect()
}

const NOTES_INTRO: &str = "Most counters are the whole machine's: while the page cache is squeezed, every other process's files are evicted and read again too, and other processes' reads, faults and unmaps are counted with this run's. On a machine with two CPUs a TLB shootdown reaches at most one other CPU, and in a VM a paravirtual flush may skip the interrupt altogether, so the shootdown count is a floor.";

/// The whole page.
pub(crate) fn html(results: &[PressureResults]) -> anyhow::Result<String> {
    let palette = Palette::of_labels(
        results
            .iter()
            .flat_map(|r| r.cells.iter().map(|c| c.label.clone())),
    );
    let mut body = format!(
        "<header>\n<h1>{}</h1>\n<p class=\"lede\">{}</p>\n</header>\n<nav>\n<ol>\n",
        escape(TITLE),
        escape(LEDE)
    );
    for r in results {
        let _ = writeln!(
            body,
            "<li><a href=\"#{}\">{}</a></li>",
            slug(&r.scenario.name),
            escape(&r.scenario.name)
        );
    }
    body.push_str("<li><a href=\"#counters\">What the counters can show</a></li>\n</ol>\n</nav>\n");
    body.push_str("<h2 id=\"glance\">At a glance</h2>\n");
    body.push_str(&table(&glance(results)));
    body.push_str("<p class=\"meta\">most and fewest: accesses per second (the median of a run's intervals) at the scenario's largest thread count; cache: whether Cached kept within the budget plus 10% while every run lasted (the largest value any run saw).</p>\n");
    for r in results {
        body.push_str(&scenario_html(r, &palette)?);
    }
    let _ = writeln!(
        body,
        "<h2 id=\"counters\">What the counters can show</h2>\n<p>{}</p>\n<dl class=\"facts\">",
        escape(NOTES_INTRO)
    );
    for (field, note) in counter_notes() {
        let _ = writeln!(
            body,
            "<dt><code>{}</code></dt><dd>{}</dd>",
            escape(&field),
            escape(&note)
        );
    }
    body.push_str("</dl>\n");
    Ok(page(TITLE, &body))
}

/// summary.md.
pub(crate) fn markdown(results: &[PressureResults]) -> String {
    use crate::report::markdown::table as md_table;
    use crate::user_text::for_markdown_cell as clean;
    let mut out = format!("# {TITLE}\n\n{LEDE}\n\n## At a glance\n\n");
    out.push_str(&md_table(&glance(results)));
    for r in results {
        let _ = write!(
            out,
            "\n## {}\n\n{}\n\n",
            clean(&r.scenario.name),
            clean(&r.scenario.about)
        );
        for (name, value) in facts(r) {
            let _ = writeln!(out, "- {name}: {}", clean(&value));
        }
        let _ = write!(out, "\n{}\n\n", clean(&paragraph(&findings(r))));
        out.push_str(&md_table(&runs(r)));
    }
    let _ = write!(out, "\n## What the counters can show\n\n{NOTES_INTRO}\n\n");
    for (field, note) in counter_notes() {
        let _ = writeln!(out, "- `{field}`: {}", clean(&note));
    }
    out
}
