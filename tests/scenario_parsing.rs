//! Scenario files: the documented shape parses, and every kind of bad input
//! is refused with an error that names the file and the field.

use mmap_lab::method::{Buffered, Mapped, MethodKind};
use mmap_lab::operation::{
    CopyOnWrite, ManyFiles, Operation, Overwrite, RandomRead, SequentialRead, SequentialWrite,
    Slice,
};
use mmap_lab::scenario::{self, ScenarioError};
use mmap_lab::vocab::{Advice, Cache};
use std::path::{Path, PathBuf};

fn parse(text: &str) -> Result<scenario::Scenario, ScenarioError> {
    scenario::from_json(text, Path::new("scenarios/test.json"))
}

/// Parses `text`, expecting an error; returns its printed form.
fn refuse(text: &str) -> String {
    let error = parse(text).expect_err("this scenario must be refused");
    let printed = error.to_string();
    assert!(
        printed.starts_with("scenarios/test.json"),
        "names the file: {printed}"
    );
    printed
}

/// A valid scenario with one field replaced or added.
fn with(field: &str, value: &str) -> String {
    let mut object: serde_json::Map<String, serde_json::Value> = serde_json::from_str(
        r#"{"name": "t", "operation": "sequential_read", "sizes": ["4 KiB"], "methods": [{"method": "mmap"}]}"#,
    )
    .unwrap();
    object.insert(field.to_string(), serde_json::from_str(value).unwrap());
    serde_json::to_string_pretty(&object).unwrap()
}

#[test]
fn the_documented_example_parses() {
    let text = r#"{
      "name": "sequential-read",
      "about": "Read every byte of the file, front to back",
      "operation": "sequential_read",
      "sizes": ["4 KiB", "1 MiB", 268435456],
      "cache": "warm",
      "samples": 10,
      "seed": 42,
      "methods": [
        {"method": "mmap"},
        {"method": "mmap", "populate": true},
        {"method": "mmap", "advice": "sequential"},
        {"method": "buffered", "capacity": "8 KiB"},
        {"method": "unbuffered", "chunk": "4 KiB"},
        {"method": "positioned", "chunk": "64 KiB"},
        {"method": "whole"}
      ]
    }"#;
    let s = parse(text).unwrap();
    assert_eq!(s.name, "sequential-read");
    assert_eq!(s.sizes, vec![4096, 1 << 20, 268_435_456]);
    assert_eq!(s.cache, Cache::Warm);
    assert_eq!(s.samples, 10);
    assert_eq!(
        s.operation,
        Operation::SequentialRead(SequentialRead::default())
    );
    let labels: Vec<&str> = s.methods.iter().map(|m| m.label.as_str()).collect();
    assert_eq!(
        labels,
        [
            "mmap",
            "mmap populate",
            "mmap advice=sequential",
            "buffered 8 KiB",
            "unbuffered 4 KiB",
            "positioned 64 KiB",
            "whole"
        ]
    );
    assert_eq!(
        s.methods[2].kind,
        MethodKind::Mmap(Mapped {
            populate: false,
            advice: Some(Advice::Sequential)
        })
    );
    assert_eq!(
        s.methods[3].kind,
        MethodKind::Buffered(Buffered {
            capacity: 8192,
            piece: 512
        })
    );
}

#[test]
fn every_operation_parses_with_its_fields() {
    let cases = [
        (
            r#""operation": "random_read", "count": 10, "record": "4 KiB""#,
            Operation::RandomRead(RandomRead {
                count: 10,
                record: 4096,
                threads: 1,
            }),
        ),
        (
            r#""operation": "slice", "range": [9, 98]"#,
            Operation::Slice(Slice { start: 9, end: 98 }),
        ),
        (
            r#""operation": "overwrite", "offset": 0, "len": 100, "sync": true"#,
            Operation::Overwrite(Overwrite {
                offset: 0,
                len: 100,
                sync: true,
            }),
        ),
        (
            r#""operation": "sequential_write""#,
            Operation::SequentialWrite(SequentialWrite { sync: false }),
        ),
        (
            r#""operation": "copy_on_write", "offset": "1 KiB", "len": 10"#,
            Operation::CopyOnWrite(CopyOnWrite {
                offset: 1024,
                len: 10,
            }),
        ),
        (
            r#""operation": "many_files", "files": 3"#,
            Operation::ManyFiles(ManyFiles { files: 3 }),
        ),
    ];
    for (fields, expected) in cases {
        let text = format!(
            r#"{{"name": "t", {fields}, "sizes": ["4 KiB"], "methods": [{{"method": "mmap"}}]}}"#
        );
        assert_eq!(parse(&text).unwrap().operation, expected, "{fields}");
    }
}

#[test]
fn the_shipped_scenarios_are_valid() {
    let mut files = scenario::files_in(Path::new("scenarios")).unwrap();
    for sub in ["scenarios/classroom", "scenarios/large"] {
        if let Ok(more) = scenario::files_in(Path::new(sub)) {
            files.extend(more);
        }
    }
    assert!(files.len() >= 7, "the default set covers every operation");
    let scenarios = scenario::load_all(&files).unwrap();
    let operations: std::collections::BTreeSet<&str> = scenarios
        .iter()
        .map(|s| s.operation.kind().name())
        .collect();
    for op in [
        "sequential_read",
        "random_read",
        "slice",
        "overwrite",
        "sequential_write",
        "copy_on_write",
        "many_files",
    ] {
        assert!(operations.contains(op), "no default scenario runs {op}");
    }
}

#[test]
fn malformed_json_names_line_and_column() {
    let error = parse("{\n  \"name\": \"t\",\n  \"sizes\": [4096,]\n}").unwrap_err();
    assert_eq!(error.position.map(|p| p.0), Some(3), "{error}");
    assert!(
        error.to_string().starts_with("scenarios/test.json:3:"),
        "{error}"
    );
}

#[test]
fn an_unknown_field_is_named() {
    let message = refuse(&with("sammples", "5"));
    assert!(message.contains("sammples"), "{message}");
    let message = refuse(
        r#"{"name": "t", "operation": "sequential_read", "sizes": [4096], "methods": [{"method": "unbuffered", "chnk": 4096}]}"#,
    );
    assert!(
        message.contains("methods[0]") && message.contains("chnk"),
        "{message}"
    );
}

#[test]
fn a_wrong_type_names_the_field() {
    let message = refuse(&with("samples", "\"ten\""));
    assert!(message.contains("field `samples`"), "{message}");
    let message = refuse(&with("sizes", "\"4 KiB\""));
    assert!(message.contains("field `sizes`"), "{message}");
    let message = refuse(&with("cache", "\"lukewarm\""));
    assert!(
        message.contains("field `cache`") && message.contains("warm"),
        "{message}"
    );
    let message = refuse(&with("operation", "\"seq_read\""));
    assert!(
        message.contains("field `operation`") && message.contains("sequential_read"),
        "{message}"
    );
}

#[test]
fn zero_and_unparsable_sizes_name_their_position() {
    let message = refuse(&with("sizes", r#"["4 KiB", 0]"#));
    assert!(
        message.contains("sizes[1]") && message.contains("at least 1 byte"),
        "{message}"
    );
    let message = refuse(&with("sizes", r#"["4 KB"]"#));
    assert!(
        message.contains("sizes[0]") && message.contains("KiB"),
        "{message}"
    );
    let message = refuse(&with("sizes", r#"["lots"]"#));
    assert!(message.contains("sizes[0]"), "{message}");
    let message = refuse(&with("sizes", "[-1]"));
    assert!(message.contains("sizes[0]"), "{message}");
    let message = refuse(&with("sizes", "[]"));
    assert!(message.contains("field `sizes`"), "{message}");
    let message = refuse(
        r#"{"name": "t", "operation": "sequential_read", "sizes": [4096], "methods": [{"method": "positioned", "chunk": "0 KiB"}]}"#,
    );
    assert!(message.contains("methods[0].chunk"), "{message}");
}

#[test]
fn a_backwards_range_is_refused() {
    let text = r#"{"name": "t", "operation": "slice", "range": [98, 9], "sizes": [4096], "methods": [{"method": "mmap"}]}"#;
    let message = refuse(text);
    assert!(
        message.contains("field `range`") && message.contains("start"),
        "{message}"
    );
    let text = r#"{"name": "t", "operation": "slice", "range": [9, 5000], "sizes": [4096], "methods": [{"method": "mmap"}]}"#;
    let message = refuse(text);
    assert!(
        message.contains("field `range`") && message.contains("past the end"),
        "{message}"
    );
}

#[test]
fn a_record_larger_than_the_file_is_refused() {
    let text = r#"{"name": "t", "operation": "random_read", "count": 5, "record": "8 KiB", "sizes": ["1 MiB", "4 KiB"], "methods": [{"method": "mmap"}]}"#;
    let message = refuse(text);
    assert!(
        message.contains("field `record`") && message.contains("sizes[1]"),
        "{message}"
    );
}

#[test]
fn a_write_past_the_end_is_refused() {
    let text = r#"{"name": "t", "operation": "overwrite", "offset": 4000, "len": 200, "sizes": [4096], "methods": [{"method": "mmap"}]}"#;
    assert!(refuse(text).contains("field `len`"));
}

#[test]
fn a_method_that_does_not_fit_the_operation_is_refused() {
    let text = r#"{"name": "t", "operation": "copy_on_write", "len": 10, "sizes": [4096], "methods": [{"method": "mmap"}, {"method": "unbuffered"}]}"#;
    let message = refuse(text);
    assert!(
        message.contains("methods[1].method") && message.contains("does not fit"),
        "{message}"
    );
}

#[test]
fn an_option_of_another_method_is_refused() {
    let text = r#"{"name": "t", "operation": "sequential_read", "sizes": [4096], "methods": [{"method": "mmap", "chunk": 4096}]}"#;
    let message = refuse(text);
    assert!(
        message.contains("methods[0].chunk") && message.contains("mmap"),
        "{message}"
    );
}

#[test]
fn fields_of_another_operation_are_refused() {
    let message = refuse(&with("record", "4096"));
    assert!(
        message.contains("field `record`") && message.contains("sequential_read"),
        "{message}"
    );
    let text = r#"{"name": "t", "operation": "random_read", "record": 4096, "sizes": [4096], "methods": [{"method": "mmap"}]}"#;
    assert!(refuse(text).contains("field `count`"));
}

#[test]
fn other_mistakes_are_refused() {
    assert!(refuse(&with("samples", "0")).contains("field `samples`"));
    assert!(refuse(&with("methods", "[]")).contains("field `methods`"));
    assert!(refuse(&with("name", "\"\"")).contains("field `name`"));
    assert!(refuse(&with("name", "\"a/b\"")).contains("field `name`"));
    let twice = refuse(&with(
        "methods",
        r#"[{"method": "mmap"}, {"method": "mmap"}]"#,
    ));
    assert!(
        twice.contains("methods[1]") && twice.contains("twice"),
        "{twice}"
    );
    let cold_write = r#"{"name": "t", "operation": "sequential_write", "cache": "cold", "sizes": [4096], "methods": [{"method": "mmap"}]}"#;
    assert!(refuse(cold_write).contains("field `cache`"));
    assert!(refuse(&with("methods", r#"[{"method": "mmapp"}]"#)).contains("methods[0].method"));
}

#[test]
fn duplicate_names_across_files_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let text = with("name", "\"same\"");
    let paths: Vec<PathBuf> = ["a.json", "b.json"]
        .iter()
        .map(|n| dir.path().join(n))
        .collect();
    for path in &paths {
        std::fs::write(path, &text).unwrap();
    }
    let error = scenario::load_all(&paths).unwrap_err();
    assert_eq!(error.file, paths[1]);
    assert_eq!(error.field.as_deref(), Some("name"));
}

#[test]
fn a_missing_file_is_named() {
    let error = scenario::load(Path::new("no/such/scenario.json")).unwrap_err();
    assert!(
        error.to_string().starts_with("no/such/scenario.json"),
        "{error}"
    );
}

#[test]
fn cache_fill_is_read_checked_and_refused_where_it_cannot_apply() {
    use mmap_lab::fill::CacheFill;
    assert_eq!(
        parse(&with("operation", "\"sequential_read\""))
            .unwrap()
            .cache_fill,
        CacheFill::OneWrite
    );
    let fills = [
        ("\"read_back\"", CacheFill::ReadBack),
        ("\"map_back\"", CacheFill::MapBack),
        ("{\"writes\": \"4 KiB\"}", CacheFill::Writes(4096)),
    ];
    for (json, fill) in fills {
        assert_eq!(parse(&with("cache_fill", json)).unwrap().cache_fill, fill);
    }
    let tiny = refuse(&with("cache_fill", "{\"writes\": 100}"));
    assert!(
        tiny.contains("field `cache_fill`") && tiny.contains("512"),
        "{tiny}"
    );
    let unknown = refuse(&with("cache_fill", "\"twice\""));
    assert!(unknown.contains("cache_fill"), "{unknown}");
    let cold = r#"{"name": "t", "operation": "sequential_read", "cache": "cold", "cache_fill": "read_back", "sizes": ["4 KiB"], "methods": [{"method": "mmap"}]}"#;
    assert!(refuse(cold).contains("field `cache_fill`"));
    let create = r#"{"name": "t", "operation": "sequential_write", "cache_fill": "read_back", "sizes": ["4 KiB"], "methods": [{"method": "mmap"}]}"#;
    let message = refuse(create);
    assert!(
        message.contains("field `cache_fill`") && message.contains("sequential_write"),
        "{message}"
    );
}
