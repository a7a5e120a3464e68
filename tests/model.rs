//! The cost model end to end: a run measures unit costs of plausible size,
//! every cell gets a model whose terms add up, and the report, summary.md
//! and the terminal carry "Where the time goes" and "At a glance".

use assert_cmd::Command;
use mmap_lab::results::Results;
use mmap_lab::vocab::CostTerm;
use predicates::str::contains;

#[test]
fn a_run_explains_every_cell_and_shows_where_the_time_goes() {
    let temp = tempfile::tempdir().unwrap();
    let scenario = temp.path().join("s.json");
    std::fs::write(
        &scenario,
        r#"{"name": "s", "operation": "random_read", "count": 50, "record": "4 KiB",
            "sizes": ["64 KiB", "4 MiB"], "samples": 3,
            "methods": [{"method": "mmap"}, {"method": "positioned", "chunk": "4 KiB"},
                        {"method": "buffered"}, {"method": "whole"}]}"#,
    )
    .unwrap();
    let out = temp.path().join("out");
    Command::cargo_bin("mmap-lab")
        .unwrap()
        .args(["run", "--quick", "--out"])
        .arg(&out)
        .arg(&scenario)
        .assert()
        .success()
        .stdout(contains("At a glance"));
    let results = Results::load(&out.join("results.json")).unwrap();

    let cost = |name: &str| {
        results
            .unit_costs
            .iter()
            .find(|c| c.name == name)
            .unwrap_or_else(|| panic!("no unit cost {name}"))
            .value
    };
    // A system call costs hundreds of nanoseconds, not milliseconds (a
    // debug build on a busy machine may be slower, never absurd).
    assert!((20.0..100_000.0).contains(&cost("read_call")));
    assert!(cost("open_close") > 0.0 && cost("map_call") > 0.0);
    assert!(cost("anon_fault") > 0.0);
    for unit in &results.unit_costs {
        assert!(unit.value >= 0.0 && unit.value.is_finite(), "{unit:?}");
        assert!(!unit.how.is_empty() && !unit.unit.is_empty());
    }
    assert!(results.unit_costs.iter().any(|c| c.name == "copy"));
    assert!(results.unit_costs.iter().any(|c| c.name == "file_fault"));

    for cell in &results.scenarios[0].cells {
        let model = cell.model.as_ref().expect("every cell has a model");
        for term in [
            CostTerm::Syscalls,
            CostTerm::Copies,
            CostTerm::Faults,
            CostTerm::Consume,
        ] {
            assert!(
                model.terms_ns.contains_key(&term),
                "{}: no {term}",
                cell.label
            );
        }
        let sum: f64 = model.terms_ns.values().sum();
        assert!((model.explained_ns - sum).abs() < 1e-6 * sum.max(1.0));
        assert!((model.residual_ns - (cell.median_ns as f64 - sum)).abs() < 1e-3);
        assert!(model.fits, "a warm read is within the model");
    }

    let html = std::fs::read_to_string(out.join("index.html")).unwrap();
    assert!(html.contains("<h2 id=\"glance\">At a glance</h2>"));
    assert!(html.contains("Where the time goes"));
    let summary = std::fs::read_to_string(out.join("summary.md")).unwrap();
    assert!(summary.contains("## At a glance"));
}
