//! summary.md: the report's paragraphs and tables in Markdown, for slides and
//! issue threads.

use super::format::{
    conditions, cpu_details, environment_warnings, level_limits, observer, page_cache_details,
};
use super::glance;
use super::layout;
use super::narrative::{counter_notes, paragraph};
use super::table::{Table, cell_table};
use crate::results::Results;
use crate::units::{ApproxSize, ExactSize, Rate};
use crate::user_text::for_terminal;
use std::fmt::Write;

/// Renders a table as a GitHub-flavoured Markdown table.
pub(crate) fn table(table: &Table) -> String {
    let clean = crate::user_text::for_markdown_cell;
    let mut out = String::new();
    let headers: Vec<String> = table.headers.iter().map(|h| clean(h)).collect();
    let _ = writeln!(out, "| {} |", headers.join(" | "));
    let rule: Vec<&str> = (0..table.headers.len())
        .map(|i| {
            if i < table.text_columns {
                "---"
            } else {
                "---:"
            }
        })
        .collect();
    let _ = writeln!(out, "| {} |", rule.join(" | "));
    for row in &table.rows {
        let cells: Vec<String> = row.cells.iter().map(|c| clean(c)).collect();
        let _ = writeln!(out, "| {} |", cells.join(" | "));
    }
    out
}

/// Renders summary.md for a run.
pub(crate) fn summary(results: &Results) -> String {
    let m = &results.machine;
    let l = &results.limits;
    let mut out = String::from("# mmap-lab summary\n\n");
    let _ = writeln!(
        out,
        "Run of {} with mmap-lab {}{}.\n",
        results.started_at,
        results.tool_version,
        if results.quick { " (quick run)" } else { "" }
    );
    let _ = writeln!(
        out,
        "Machine: {}, {} cores, kernel {}, {} pages, THP {}, {}, {} of memory.  ",
        m.cpu,
        m.cores,
        m.kernel,
        ExactSize(m.page_size),
        m.thp,
        m.filesystem,
        ApproxSize(m.memory_bytes as f64)
    );
    let details: Vec<String> = cpu_details(m)
        .into_iter()
        .map(|(name, value)| format!("{name} {value}"))
        .collect();
    if !details.is_empty() {
        let _ = writeln!(out, "CPU: {}.  ", details.join("; "));
    }
    let page_cache: Vec<String> = page_cache_details(m)
        .into_iter()
        .map(|(name, value)| format!("{name} {value}"))
        .collect();
    if !page_cache.is_empty() {
        let _ = writeln!(out, "Page cache: {}.  ", page_cache.join("; "));
    }
    let _ = writeln!(
        out,
        "Limits: memcpy {}, scan {} ({} buffers).  ",
        Rate(l.memcpy_bytes_per_sec),
        Rate(l.scan_bytes_per_sec),
        ExactSize(l.buffer_bytes)
    );
    if let Some(text) = level_limits(l) {
        let _ = writeln!(out, "Limits per cache level: {text}.  ");
    }
    if let Some(text) = conditions(results) {
        let _ = writeln!(out, "Conditions: {text}.  ");
    }
    for warning in environment_warnings(results) {
        let _ = writeln!(out, "**Warning:** {warning}.  ");
    }
    let _ = writeln!(
        out,
        "System call counting: {} ({}).",
        if results.syscall_counting.available {
            "available"
        } else {
            "unavailable"
        },
        results.syscall_counting.source
    );
    if let Some(text) = observer(results) {
        let _ = writeln!(out, "\nCost of counting: {text}.");
    }
    out.push_str("\n## At a glance\n\n");
    out.push_str(&table(&glance::table(results)));
    for s in &results.scenarios {
        let _ = writeln!(
            out,
            "\n## {}\n\n{}\n",
            for_terminal(&s.name),
            for_terminal(&s.about)
        );
        let _ = writeln!(
            out,
            "Operation `{}`, {} cache{}, parameters `{}`.\n",
            s.operation,
            s.cache,
            if s.threads > 1 {
                format!(", {} threads (throughput is their total)", s.threads)
            } else {
                String::new()
            },
            s.operation_params
        );
        let mut story = paragraph(s, l);
        if let Some(threads) = super::narrative::threads(results, s) {
            story.push(' ');
            story.push_str(&threads);
        }
        if let Some(changes) = layout::ranking_changes(results, s) {
            story.push(' ');
            story.push_str(&changes);
        }
        let _ = writeln!(out, "{}\n", for_terminal(&story));
        if let Some(layouts) = layout::table(s) {
            out.push_str(&table(&layouts));
            out.push('\n');
        }
        out.push_str(&table(&cell_table(s, l)));
        for note in counter_notes(s) {
            let _ = writeln!(out, "\n{}", for_terminal(&note));
        }
    }
    out
}
