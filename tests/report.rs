//! Renders the hand-made fixture runs and checks what a reader would rely on:
//! the page is well-formed and self-contained, every scenario has its charts,
//! every number is in the tables, and the generated text names the right winner.

use mmap_lab::report::compare::Comparison;
use mmap_lab::report::{write_comparison, write_report};
use mmap_lab::results::{Results, ScenarioResult};
use mmap_lab::units::{Nanos, Rate};
use quick_xml::Reader;
use quick_xml::events::Event;
use std::path::{Path, PathBuf};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn load(name: &str) -> Results {
    Results::load(&fixture(name)).expect("fixture loads")
}

fn render(results: &Results) -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    write_report(results, dir.path()).expect("report renders");
    let html = std::fs::read_to_string(dir.path().join("index.html")).unwrap();
    (dir, html)
}

/// Parses the page as XML: every tag closed, in order, and the document complete.
fn assert_well_formed(html: &str) {
    let body = html
        .strip_prefix("<!DOCTYPE html>")
        .expect("page starts with a doctype");
    let mut reader = Reader::from_str(body);
    let mut depth = 0i64;
    let mut elements = 0;
    loop {
        match reader.read_event() {
            Ok(Event::Start(_)) => {
                depth += 1;
                elements += 1;
            }
            Ok(Event::Empty(_)) => elements += 1,
            Ok(Event::End(_)) => depth -= 1,
            Ok(Event::Eof) => break,
            Ok(_) => {}
            Err(e) => panic!("not well-formed at byte {}: {e}", reader.buffer_position()),
        }
        assert!(depth >= 0, "more closing than opening tags");
    }
    assert_eq!(depth, 0, "unclosed tags at the end");
    assert!(elements > 100);
}

/// The part of the page belonging to one scenario (from its heading to the next h2).
fn section<'a>(html: &'a str, scenario: &ScenarioResult) -> &'a str {
    let start = html
        .find(&format!(">{}</h2>", scenario.name))
        .expect("scenario heading");
    let rest = &html[start..];
    let end = rest[1..].find("<h2").map_or(rest.len(), |i| i + 1);
    &rest[..end]
}

fn grouped(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[test]
fn page_is_well_formed() {
    let (_dir, html) = render(&load("run-a.json"));
    assert_well_formed(&html);
}

#[test]
fn every_scenario_has_its_charts() {
    let results = load("run-a.json");
    let (_dir, html) = render(&results);
    for scenario in &results.scenarios {
        let part = section(&html, scenario);
        let charts = part.matches("<svg ").count() - part.matches("class=\"swatch\"").count();
        assert!(charts >= 4, "{}: only {charts} charts", scenario.name);
        for title in [
            "Throughput against file size",
            "System calls per operation",
            "Bytes copied per payload byte",
            "Page faults per MiB",
        ] {
            assert!(part.contains(title), "{}: no {title:?}", scenario.name);
        }
        let whole_file = scenario.cells.iter().all(|c| c.bytes >= c.size);
        assert_eq!(
            part.contains("Bytes mapped per fault (mmap)"),
            whole_file,
            "{}",
            scenario.name
        );
        assert!(part.contains("memcpy limit") && part.contains("scan limit"));
        let cold = part.contains("Cold cache: disk reads and residency");
        assert_eq!(cold, scenario.cache.name() == "cold", "{}", scenario.name);
    }
}

/// Every value shown in a table's number cells: grouped cells such as
/// `257 / 0 / n/a / 259` and `1.3 µs (1.2 µs - 1.8 µs)` give each value.
fn cell_values(table: &str) -> Vec<String> {
    let end = table.find("</table>").unwrap_or(table.len());
    table[..end]
        .split("<td class=\"num\">")
        .skip(1)
        .filter_map(|rest| rest.split("</td>").next())
        .flat_map(|cell| {
            cell.replace("<span class=\"sub\">", " ")
                .replace("</span>", "")
                .replace(['(', ')'], " / ")
                .replace(", ", " / ")
                .replace(" - ", " / ")
                .split(" / ")
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
                .collect::<Vec<_>>()
        })
        .collect()
}

#[test]
fn every_cell_is_in_the_table() {
    let results = load("run-a.json");
    let (_dir, html) = render(&results);
    for scenario in &results.scenarios {
        let part = section(&html, scenario);
        let table = &part[part.find("<table>").expect("a table")..];
        for cell in &scenario.cells {
            let c = &cell.counters;
            let mut expected = vec![
                Nanos(cell.median_ns as f64).to_string(),
                Nanos(cell.min_ns as f64).to_string(),
                Nanos(cell.max_ns as f64).to_string(),
                Rate(cell.throughput_bytes_per_sec).to_string(),
                grouped(c.read_calls),
                grouped(c.write_calls),
                grouped(c.minor_faults),
                grouped(c.major_faults),
                grouped(c.ctx_switches),
            ];
            expected.extend(c.syscalls.map(grouped));
            expected.extend(c.map_calls.map(grouped));
            let values = cell_values(table);
            for text in expected {
                assert!(
                    values.contains(&text),
                    "{} {} {}: {text} missing",
                    scenario.name,
                    cell.label,
                    cell.size
                );
            }
            assert!(table.contains(&format!("<td>{}</td>", cell.label)));
        }
        let rows = table.matches("<tr").count() - 1;
        assert_eq!(rows, scenario.cells.len(), "{}", scenario.name);
    }
}

#[test]
fn paragraph_names_the_known_winners() {
    // The fixture's cells have 5 samples each spread over 1.44x, so only
    // wide gaps are judged beyond noise.
    let (_dir, html) = render(&load("run-a.json"));
    for claim in [
        "At 4 KiB, unbuffered 4 KiB, unbuffered 64 KiB, whole and buffered 8 KiB were the fastest, the same within noise (2.40 GB/s to 3.10 GB/s); the fastest of them was 2.58× the next best (mmap, 1.20 GB/s)",
        "At 256 MiB, mmap, mmap populate and unbuffered 64 KiB were the fastest, the same within noise",
        "At 256 MiB, positioned 4 KiB was fastest at 3.20 GB/s, 1.68× the next best (mmap",
        "fell behind the best read()-style method between 1 MiB and 256 MiB",
        "At 1 MiB, all 3 methods were the same within noise",
        "unbuffered 4 KiB made 65,537 read calls and copied 256.0 MiB",
        "mmap made no read or write calls, 2 map calls, copied nothing",
        "up to 12% of the file was resident",
    ] {
        assert!(html.contains(claim), "paragraph lacks {claim:?}");
    }
    // Winners inside the noise are not named.
    for claim in [
        "1.03× the next best",
        "1.02× the next best",
        "1.04× the next best",
    ] {
        assert!(!html.contains(claim), "paragraph still says {claim:?}");
    }
}

#[test]
fn page_loads_nothing_from_the_network() {
    let (_dir, html) = render(&load("run-a.json"));
    assert!(!html.contains("<script"), "no scripts");
    assert!(!html.contains("<link"), "no linked stylesheets");
    assert!(!html.contains("@import"));
    for attr in ["src=\"", "href=\"", "url("] {
        for (i, _) in html.match_indices(attr) {
            let target = &html[i + attr.len()..];
            assert!(
                !target.starts_with("http") && !target.starts_with("//"),
                "remote {attr}{}",
                &target[..40.min(target.len())]
            );
        }
    }
    // The only http:// text allowed is the SVG namespace, which is a name, not a load.
    let namespace = "xmlns=\"http://www.w3.org/2000/svg\"";
    assert_eq!(
        html.matches("http://").count(),
        html.matches(namespace).count()
    );
    assert!(!html.contains("https://"));
}

#[test]
fn summary_matches_snapshot() {
    let (dir, _) = render(&load("run-a.json"));
    let summary = std::fs::read_to_string(dir.path().join("summary.md")).unwrap();
    let expected_path = fixture("run-a.summary.md");
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        std::fs::write(&expected_path, &summary).unwrap();
    }
    let expected = std::fs::read_to_string(&expected_path)
        .expect("snapshot exists (run with UPDATE_SNAPSHOTS=1 to create it)");
    assert_eq!(
        summary, expected,
        "summary.md changed; review and re-run with UPDATE_SNAPSHOTS=1"
    );
}

#[test]
fn cpu_details_show_when_recorded_and_not_for_older_files() {
    let old = load("run-a.json");
    assert!(old.machine.cpu_vendor.is_empty() && old.machine.cpu_flags.is_empty());
    let (dir, html) = render(&old);
    let summary = std::fs::read_to_string(dir.path().join("summary.md")).unwrap();
    assert!(!html.contains("<dt>CPU vendor</dt>") && !html.contains("<dt>CPU flags</dt>"));
    assert!(!summary.contains("CPU: "));

    let mut new = old;
    new.machine.cpu_vendor = "AuthenticAMD".to_string();
    new.machine.microcode = "0xa101148".to_string();
    new.machine.cpu_flags = vec!["erms".to_string(), "fsrm".to_string()];
    new.machine.caches.l1d = Some(32 << 10);
    new.machine.caches.l3 = Some(32 << 20);
    let (dir, html) = render(&new);
    assert_well_formed(&html);
    let summary = std::fs::read_to_string(dir.path().join("summary.md")).unwrap();
    for row in [
        "<dt>CPU vendor</dt><dd>AuthenticAMD</dd>",
        "<dt>CPU microcode</dt><dd>0xa101148</dd>",
        "<dt>CPU flags</dt><dd>erms fsrm</dd>",
        "<dt>CPU caches</dt><dd>L1d 32 KiB, L3 32 MiB</dd>",
    ] {
        assert!(html.contains(row), "machine section lacks {row}");
    }
    assert!(summary.contains(
        "CPU: vendor AuthenticAMD; microcode 0xa101148; flags erms fsrm; caches L1d 32 KiB, L3 32 MiB.  \n"
    ));
}

#[test]
fn unavailable_syscall_counts_show_as_unknown() {
    let results = load("run-b-nosyscalls.json");
    let (dir, html) = render(&results);
    assert_well_formed(&html);
    // The calls group ends with the map-family and total counts: unknown here.
    assert!(html.contains(" / n/a / n/a</td>"));
    assert!(html.contains("could not be counted on this run"));
    assert!(html.contains("perf_event_paranoid is 3"));
    let summary = std::fs::read_to_string(dir.path().join("summary.md")).unwrap();
    assert!(summary.contains("System call counting: unavailable"));
    assert!(summary.contains(" / n/a / n/a |"));
}

#[test]
fn comparison_lists_cells_only_one_run_has() {
    let a = load("run-a.json");
    let b = load("run-b-nosyscalls.json");
    let dir = tempfile::tempdir().unwrap();
    let comparison = Comparison::new(&a, "before", &b, "after");
    write_comparison(&comparison, dir.path()).unwrap();
    let html = std::fs::read_to_string(dir.path().join("compare.html")).unwrap();
    let md = std::fs::read_to_string(dir.path().join("compare.md")).unwrap();
    assert_well_formed(&html);
    for text in [&html, &md] {
        assert!(text.contains("after ÷ before"));
        assert!(text.contains("256 MiB whole"), "cell missing from after");
        assert!(text.contains("1 MiB buffered 64 KiB"), "cell only in after");
        assert!(
            text.contains("sequential-read-cold"),
            "scenario only in before"
        );
    }
    assert!(md.contains("Only in before:\n\n- 256 MiB whole"));
    assert!(md.contains("Only in after:\n\n- 1 MiB buffered 64 KiB"));
    // In the second fixture mmap cells take 1/0.92 as long.
    assert!(
        md.contains("| 256 MiB | mmap | 10.50 GB/s | 9.66 GB/s | 0.92× |"),
        "{md}"
    );
    assert!(html.matches("<svg ").count() > html.matches("class=\"swatch\"").count());
}

#[test]
fn write_errors_name_the_path() {
    let dir = tempfile::tempdir().unwrap();
    let blocker = dir.path().join("not-a-dir");
    std::fs::write(&blocker, "x").unwrap();
    let err = write_report(&load("run-a.json"), &blocker.join("out")).unwrap_err();
    assert!(
        format!("{err:#}").contains("not-a-dir"),
        "error without path: {err:#}"
    );
}

#[test]
fn the_run_table_fits_80_columns_on_a_terminal_and_stays_whole_in_a_file() {
    let results = load("run-a.json");
    for scenario in &results.scenarios {
        let narrow = mmap_lab::console::render(scenario, Some(80));
        for line in narrow.lines() {
            assert!(line.chars().count() <= 80, "wider than 80: {line:?}");
        }
        let full = mmap_lab::console::render(scenario, None);
        // A title, a header and one line per cell: nothing folded.
        assert_eq!(full.trim().lines().count(), 2 + scenario.cells.len());
        for cell in &scenario.cells {
            let median = Nanos(cell.median_ns as f64).to_string();
            assert!(narrow.contains(&median) && full.contains(&median));
        }
    }
}

#[test]
fn older_files_get_the_facts_their_methods_state_today() {
    // run-a.json was written before cells recorded their method's facts.
    let results = load("run-a.json");
    let cells: Vec<&mmap_lab::results::Cell> =
        results.scenarios.iter().flat_map(|s| &s.cells).collect();
    let by_label = |label: &str| {
        cells
            .iter()
            .find(|c| c.label == label)
            .unwrap_or_else(|| panic!("no cell {label}"))
    };
    let positioned = by_label("positioned 4 KiB");
    assert_eq!(
        positioned.facts.placement.as_ref().map(|p| p.buffer_offset),
        Some(0)
    );
    assert_eq!(
        positioned.facts.calls,
        mmap_lab::method::CallSize::Chunk(4096)
    );
    let map = by_label("mmap");
    assert_eq!(map.facts.consumes_from, mmap_lab::method::ConsumeFrom::Map);
    assert!(map.facts.placement.is_none());
    // An option this version no longer has (buffered's old `chunk`) is
    // ignored: the method's own default stands in for it.
    let buffered = by_label("buffered 8 KiB");
    assert!(buffered.facts.copies_twice);
    assert!(cells.iter().all(|c| !c.facts.bypasses_page_cache));
}
