//! The `pressure` lesson, in a test binary of its own (its helper holds
//! most of memory while it runs). Where the machine cannot run it (swap on,
//! too little or too much memory), the lesson must refuse with its reason
//! and no crash; otherwise it must end within its minute, verify and run
//! its three ways, leave no helper behind, and show the map with default
//! advice reading from the disk many times the bytes it used.

use mmap_lab::demo::Steps;
use mmap_lab::demo::pressure::{self, PressureFacts};
use std::time::Duration;

/// The lesson's promise.
const MINUTE: Duration = Duration::from_secs(60);

fn run() -> (PressureFacts, String) {
    let mut output = Vec::new();
    let facts = pressure::run(&mut Steps::new(&mut output).with_width(Some(80)))
        .expect("the lesson runs to completion or refuses");
    let output = String::from_utf8(output).expect("lesson output is UTF-8");
    for line in output.lines() {
        assert!(
            line.chars().count() <= 80,
            "wider than an 80-column terminal: {line:?}"
        );
    }
    (facts, output)
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[test]
fn the_lesson_runs_three_ways_under_a_budget_within_a_minute_or_says_why_not() {
    let (facts, output) = run();
    let text = one_line(&output);
    assert!(text.contains("Predict first"), "{output}");
    if let Some(why) = &facts.refused {
        eprintln!("the lesson refused: {why}");
        assert!(text.contains("The lesson stops here"), "{output}");
        assert!(facts.results.is_none());
        return;
    }
    // The minute is the release build's promise (`cargo run --release --
    // demo pressure`); unoptimised, writing the file and the helper's
    // touching of memory take about twice as long.
    let limit = if cfg!(debug_assertions) {
        2 * MINUTE
    } else {
        MINUTE
    };
    assert!(facts.elapsed < limit, "took {:?}", facts.elapsed);
    let results = facts.results.expect("results when not refused");
    assert_eq!(results.cells.len(), 3);
    for cell in &results.cells {
        assert!(cell.outcome.accesses > 0, "{} did nothing", cell.label);
        assert_eq!(cell.outcome.threads.len(), pressure::THREADS as usize);
    }
    let held = results.held.expect("the helper reported what it held");
    assert!(held.max_held > 0);
    // The helper is gone: no process with its pid (or a zombie of it).
    let pid = facts.helper_pid.expect("a helper ran");
    assert!(
        !std::path::Path::new(&format!("/proc/{pid}")).exists(),
        "the helper {pid} is still there"
    );
    let normal = &results.cells[0];
    if let Some(ratio) = normal.disk_bytes_per_useful_byte {
        assert!(ratio >= 4.0, "the map with default advice read {ratio}x");
    }
    assert!(text.contains("What this machine cannot show"), "{output}");
    assert!(text.contains("TLB shootdown"), "{output}");
}
