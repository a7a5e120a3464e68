//! Two runs side by side, judged: per scenario, each size and method label
//! with both throughputs, the change of its median time with a 95%
//! interval and a verdict from [`crate::judge`] (improved, regressed, no
//! change), a chart of the ratio, every cell that only one run has, a
//! count of each verdict, and a warning when the runs come from different
//! machines or kernels. [`Comparison::regressions_above`] is the CI gate
//! behind `compare --fail-above`.

use super::charts::axis::{Scale, Unit};
use super::charts::{Chart, Panel, Reference, Series, coincident, render_panels};
use super::format::{escape, ratio};
use super::html::{figure, page, slug, table as html_table};
use super::markdown::table as md_table;
use super::palette::Palette;
use super::table::{Row, Table};
use crate::drift::{self, Drift};
use crate::judge::{self, Judgement, Outcome};
use crate::results::{Cell, Results, ScenarioResult};
use crate::units::{ExactSize, Rate};
use crate::vocab::MethodName;
use std::fmt::Write;

/// What the second run did to one cell, by the judgement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Significantly faster, beyond the noise threshold.
    Improved,
    /// Significantly slower, beyond the noise threshold.
    Regressed,
    /// The same within noise.
    NoChange,
}

impl Verdict {
    /// The verdict for the judgement's outcome.
    fn of(outcome: Outcome) -> Verdict {
        match outcome {
            Outcome::Faster => Verdict::Improved,
            Outcome::Slower => Verdict::Regressed,
            Outcome::Same => Verdict::NoChange,
        }
    }

    /// The verdict as the tables print it.
    pub fn word(self) -> &'static str {
        match self {
            Verdict::Improved => "improved",
            Verdict::Regressed => "regressed",
            Verdict::NoChange => "no change",
        }
    }
}

/// One cell measured in both runs, and its judgement.
#[derive(Debug, Clone, Copy)]
pub struct CellChange<'a> {
    /// The cell in the first (baseline) run.
    pub a: &'a Cell,
    /// The same cell in the second run.
    pub b: &'a Cell,
    /// The second run's times judged against the first's.
    pub judgement: Judgement,
    /// The judgement held against the noise threshold or the runs' drift
    /// band, whichever is wider.
    verdict: Verdict,
    /// The samples alone would call it a change, but it lies within the
    /// drift of the machine between the runs.
    pub within_drift: bool,
}

impl CellChange<'_> {
    /// Judges `b` against `a` (against the noise threshold until
    /// [`CellChange::settle`] widens it).
    fn new<'c>(a: &'c Cell, b: &'c Cell) -> CellChange<'c> {
        let judgement = judge::cells(a, b);
        CellChange {
            a,
            b,
            judgement,
            verdict: Verdict::of(judgement.outcome),
            within_drift: false,
        }
    }

    /// Holds the judgement against the runs' drift band too, when it is
    /// wider than the noise threshold.
    fn settle(&mut self, drift: Option<Drift>) {
        let Some(band) = drift.map(|d| d.band) else {
            return;
        };
        if band > judge::NOISE_THRESHOLD {
            self.verdict = Verdict::of(self.judgement.outcome_beyond(band));
            self.within_drift = self.verdict == Verdict::NoChange && !self.judgement.is_same();
        }
    }

    /// Improved, regressed or no change.
    pub fn verdict(&self) -> Verdict {
        self.verdict
    }

    /// The change of the median time as a fraction (+0.2: 20% slower).
    pub fn time_change(&self) -> f64 {
        self.judgement.ratio - 1.0
    }
}

/// One scenario's cells matched across the two runs.
struct Matched<'a> {
    name: &'a str,
    pairs: Vec<CellChange<'a>>,
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
    let mut found: Vec<(&Cell, &Cell)> = a_cells
        .iter()
        .filter_map(|x| Some((*x, *b_cells.iter().find(|y| same_cell(x, y))?)))
        .collect();
    found.sort_by(|p, q| order_key(p.0).cmp(&order_key(q.0)));
    let pairs = found
        .into_iter()
        .map(|(x, y)| CellChange::new(x, y))
        .collect();
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

/// The ratios of median times of each scenario's cells of one size: the
/// cells one run sampled together, whose shared shift is the machine's.
fn size_groups(scenarios: &[Matched]) -> Vec<Vec<f64>> {
    let mut groups: Vec<Vec<f64>> = Vec::new();
    for m in scenarios {
        for (i, c) in m.pairs.iter().enumerate() {
            if i == 0 || m.pairs[i - 1].a.size != c.a.size {
                groups.push(Vec::new());
            }
            if let Some(group) = groups.last_mut() {
                group.push(c.judgement.ratio);
            }
        }
    }
    groups
}

/// A percentage such as `12.5%`.
fn percent(fraction: f64) -> String {
    format!("{:.1}%", fraction * 100.0)
}

/// A signed percentage such as `+20.1%` or `-3.0%`.
fn signed_percent(fraction: f64) -> String {
    format!("{:+.1}%", fraction * 100.0)
}

/// The change of the median time with its interval: `+20.1% (+18.0% to +22.3%)`.
fn change_text(change: &CellChange) -> String {
    let i = change.judgement.interval;
    format!(
        "{} ({} to {})",
        signed_percent(change.time_change()),
        signed_percent(i.lower - 1.0),
        signed_percent(i.upper - 1.0)
    )
}

/// The side-by-side table of `changes`.
fn pair_table(changes: &[&CellChange], a_name: &str, b_name: &str) -> Table {
    let headers = vec![
        "size".to_string(),
        "method".to_string(),
        format!("{a_name} throughput"),
        format!("{b_name} throughput"),
        format!("{b_name} ÷ {a_name}"),
        "time change (95% interval)".to_string(),
        "verdict".to_string(),
    ];
    let rows = changes
        .iter()
        .enumerate()
        .map(|(i, c)| Row {
            cells: vec![
                ExactSize(c.a.size).to_string(),
                c.a.label.clone(),
                Rate(c.a.throughput_bytes_per_sec).to_string(),
                Rate(c.b.throughput_bytes_per_sec).to_string(),
                ratio(c.b.throughput_bytes_per_sec / c.a.throughput_bytes_per_sec),
                change_text(c),
                if c.within_drift {
                    format!("{} (within drift)", c.verdict().word())
                } else {
                    c.verdict().word().to_string()
                },
            ],
            first_of_size: i == 0 || changes[i - 1].a.size != c.a.size,
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
    for c in &m.pairs {
        if !labels.contains(&c.a.label.as_str()) {
            labels.push(&c.a.label);
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
                .filter(|c| c.a.label == *l)
                .map(|c| {
                    (
                        c.a.size as f64,
                        c.b.throughput_bytes_per_sec / c.a.throughput_bytes_per_sec,
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
            steps: Vec::new(),
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

/// How many cells got each verdict, and how many only one run has.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Summary {
    /// Cells significantly faster in the second run.
    pub improved: usize,
    /// Cells significantly slower in the second run.
    pub regressed: usize,
    /// Cells the same within noise (or within the runs' drift).
    pub unchanged: usize,
    /// Of `unchanged`, the cells whose samples alone showed a change that
    /// lies within the machine's drift between the runs.
    pub within_drift: usize,
    /// Cells only the first run has.
    pub only_first: usize,
    /// Cells only the second run has.
    pub only_second: usize,
}

impl Summary {
    /// One line: `2 regressed, 1 improved, 40 no change (within noise)`,
    /// and the cells only one run has.
    pub fn line(&self) -> String {
        let mut text = format!(
            "{} regressed, {} improved, {} no change (within noise",
            self.regressed, self.improved, self.unchanged
        );
        if self.within_drift > 0 {
            let _ = write!(
                text,
                "; {} of them only within the runs' drift",
                self.within_drift
            );
        }
        text.push(')');
        for (n, which) in [(self.only_first, "first"), (self.only_second, "second")] {
            if n > 0 {
                text.push_str(&format!("; {n} only in the {which} run"));
            }
        }
        text
    }
}

/// Two runs matched cell by cell and judged.
pub struct Comparison<'a> {
    a: &'a Results,
    a_name: &'a str,
    b: &'a Results,
    b_name: &'a str,
    scenarios: Vec<Matched<'a>>,
    drift: Option<Drift>,
}

impl<'a> Comparison<'a> {
    /// Matches and judges every cell of run `b` against run `a`.
    pub fn new(a: &'a Results, a_name: &'a str, b: &'a Results, b_name: &'a str) -> Comparison<'a> {
        let mut scenarios = match_runs(a, b);
        let drift = drift::estimate(&size_groups(&scenarios));
        for change in scenarios.iter_mut().flat_map(|m| m.pairs.iter_mut()) {
            change.settle(drift);
        }
        Comparison {
            a,
            a_name,
            b,
            b_name,
            scenarios,
            drift,
        }
    }

    /// How far the machine drifted between the runs, when enough groups of
    /// cells give an estimate.
    pub fn drift(&self) -> Option<Drift> {
        self.drift
    }

    /// Every cell both runs have, with its judgement, scenario by scenario.
    pub fn changes(&self) -> impl Iterator<Item = (&str, &CellChange<'a>)> {
        self.scenarios
            .iter()
            .flat_map(|m| m.pairs.iter().map(move |c| (m.name, c)))
    }

    /// How many cells got each verdict.
    pub fn summary(&self) -> Summary {
        let mut summary = Summary::default();
        for (_, change) in self.changes() {
            match change.verdict() {
                Verdict::Improved => summary.improved += 1,
                Verdict::Regressed => summary.regressed += 1,
                Verdict::NoChange => summary.unchanged += 1,
            }
            summary.within_drift += usize::from(change.within_drift);
        }
        for m in &self.scenarios {
            summary.only_first += m.only_a.len();
            summary.only_second += m.only_b.len();
        }
        summary
    }

    /// The cells that regressed (significantly slower) with a median time
    /// more than `percent`% above the first run's: what fails a CI gate.
    pub fn regressions_above(&self, percent: f64) -> Vec<(&str, &CellChange<'a>)> {
        self.changes()
            .filter(|(_, c)| c.verdict() == Verdict::Regressed && c.time_change() * 100.0 > percent)
            .collect()
    }

    /// The median over all cells of the change of median time (+0.1: the
    /// typical cell took 10% longer); `None` without shared cells. A shift
    /// of the whole run usually comes from the machine, not the code.
    pub fn run_shift(&self) -> Option<f64> {
        let changes: Vec<f64> = self.changes().map(|(_, c)| c.time_change()).collect();
        crate::stats::median(&changes)
    }

    /// A warning when the whole run shifted beyond the noise threshold.
    fn shift_warning(&self) -> Option<String> {
        let shift = self.run_shift()?;
        (shift.abs() > judge::NOISE_THRESHOLD).then(|| {
            format!(
                "the typical cell's time changed by {} between the runs: a shift of the whole run usually comes from the machine (load, clock, another VM), not from the code",
                signed_percent(shift)
            )
        })
    }

    /// A warning when groups of cells measured together moved apart between
    /// the runs so far that a cell the samples alone call changed is no
    /// change within that drift.
    fn drift_warning(&self) -> Option<String> {
        let drift = self.drift.filter(|d| d.band > judge::NOISE_THRESHOLD)?;
        let absorbed = self.summary().within_drift;
        if absorbed == 0 {
            return None;
        }
        Some(format!(
            "cells measured together (one scenario and size) moved together between the runs, group against group by {} (robust standard deviation over {} groups): the machine drifting between moments, which no sample shows; so a change counts only beyond ±{} (99% of that drift), and {} cell(s) whose samples alone showed a change are called no change. Rerun both on a quieter machine, close together, for a finer gate",
            percent(drift.spread.exp() - 1.0),
            drift.groups,
            percent(drift.band),
            absorbed
        ))
    }

    /// Why the two runs may differ for reasons other than the code: a
    /// different CPU, core count, kernel or file system, one run quick, a
    /// shift of the whole run, or a run that warned about its conditions
    /// (load, other processes, steal, governor, THP, swap).
    pub fn warnings(&self) -> Vec<String> {
        let (a, b) = (&self.a.machine, &self.b.machine);
        let mut warnings = Vec::new();
        let mut differ = |what: &str, x: String, y: String| {
            if x != y {
                warnings.push(format!(
                    "the runs differ in {what} ({}: {x}; {}: {y}), so differences may come from that, not from the code",
                    self.a_name, self.b_name
                ));
            }
        };
        differ("CPU model", a.cpu.clone(), b.cpu.clone());
        differ("CPU count", a.cores.to_string(), b.cores.to_string());
        differ("kernel", a.kernel.clone(), b.kernel.clone());
        differ("file system", a.filesystem.clone(), b.filesystem.clone());
        differ(
            "--quick",
            self.a.quick.to_string(),
            self.b.quick.to_string(),
        );
        warnings.extend(self.shift_warning());
        warnings.extend(self.drift_warning());
        for (name, run) in [(self.a_name, self.a), (self.b_name, self.b)] {
            for noise in run.environment.iter().flat_map(|e| &e.warnings) {
                if !noise.starts_with("a virtual machine") {
                    warnings.push(format!(
                        "{name} measured on a busy or unsteady machine ({noise}): its drift between runs is noise no sample of either run shows"
                    ));
                }
            }
        }
        warnings
    }

    /// The significant changes, regressions first, largest first.
    fn significant(&self) -> Vec<&CellChange<'a>> {
        let mut found: Vec<&CellChange> = self
            .changes()
            .map(|(_, c)| c)
            .filter(|c| c.verdict() != Verdict::NoChange)
            .collect();
        found.sort_by(|x, y| y.time_change().total_cmp(&x.time_change()));
        found
    }

    /// A few lines for the terminal: the summary, the warnings and every
    /// significant change.
    pub fn text(&self) -> String {
        let mut out = format!("{}\n", self.summary().line());
        for warning in self.warnings() {
            let _ = writeln!(out, "warning: {warning}");
        }
        for (name, c) in self
            .changes()
            .filter(|(_, c)| c.verdict() != Verdict::NoChange)
        {
            let _ = writeln!(
                out,
                "  {:<9} {name} {} {}: time {}",
                c.verdict().word(),
                ExactSize(c.a.size),
                c.a.label,
                change_text(c)
            );
        }
        out
    }

    /// compare.html.
    pub fn html(&self) -> anyhow::Result<String> {
        let (a_name, b_name) = (self.a_name, self.b_name);
        let palette = Palette::new(&[self.a, self.b]);
        let mut body = format!(
            "<header>\n<h1>mmap-lab comparison: {} vs {}</h1>\n<ul class=\"meta\">\n<li>{}</li>\n<li>{}</li>\n<li>{}</li>\n",
            escape(a_name),
            escape(b_name),
            escape(&run_line(self.a, a_name)),
            escape(&run_line(self.b, b_name)),
            escape(&self.summary().line()),
        );
        for warning in self.warnings() {
            let _ = writeln!(
                body,
                "<li><strong>Warning:</strong> {}</li>",
                escape(&warning)
            );
        }
        let _ = writeln!(
            body,
            "<li>{}</li>\n</ul>\n</header>",
            escape(&rule_text(self.drift))
        );
        for m in &self.scenarios {
            let _ = writeln!(body, "<h2 id=\"{}\">{}</h2>", slug(m.name), escape(m.name));
            if !m.pairs.is_empty() {
                body.push_str(&figure(
                    &ratio_chart(m, a_name, b_name, &palette)?,
                    &palette,
                ));
                let all: Vec<&CellChange> = m.pairs.iter().collect();
                body.push_str(&html_table(&pair_table(&all, a_name, b_name)));
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

    /// compare.md: the summary, warnings and significant changes first (fit
    /// for a pull request), then every scenario's table.
    pub fn markdown(&self) -> String {
        let (a_name, b_name) = (self.a_name, self.b_name);
        let mut out = format!(
            "# mmap-lab comparison: {a_name} vs {b_name}\n\n**{}**\n\n- {}\n- {}\n",
            self.summary().line(),
            run_line(self.a, a_name),
            run_line(self.b, b_name)
        );
        for warning in self.warnings() {
            let _ = writeln!(out, "- **Warning:** {warning}");
        }
        let _ = writeln!(out, "\n{}", rule_text(self.drift));
        let significant = self.significant();
        if !significant.is_empty() {
            out.push_str("\n## Significant changes\n\n");
            out.push_str(&md_table(&pair_table(&significant, a_name, b_name)));
        }
        for m in &self.scenarios {
            let _ = writeln!(out, "\n## {}\n", crate::user_text::for_terminal(m.name));
            if !m.pairs.is_empty() {
                let all: Vec<&CellChange> = m.pairs.iter().collect();
                out.push_str(&md_table(&pair_table(&all, a_name, b_name)));
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
}

/// How the verdicts are reached, in one sentence (two when the runs'
/// drift widened the threshold).
fn rule_text(drift: Option<Drift>) -> String {
    let widened = drift
        .filter(|d| d.band > judge::NOISE_THRESHOLD)
        .map(|d| {
            format!(
                " Between these two runs the threshold is the wider drift band, ±{}.",
                percent(d.band)
            )
        })
        .unwrap_or_default();
    let rule = format!(
        "A cell improved or regressed only when its samples say so: a mixed-bootstrap p-value below {} and a {}% interval of the ratio of median times wholly beyond ±{}% (the noise threshold); otherwise no change.",
        judge::SIGNIFICANCE_LEVEL,
        judge::CONFIDENCE_LEVEL * 100.0,
        judge::NOISE_THRESHOLD * 100.0
    );
    rule + &widened
}
