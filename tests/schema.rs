//! docs/results.schema.json describes results.json: what `run` writes and
//! the older fixture files validate against it, and a file with an unknown
//! or mistyped field does not. The validator is a small one for the
//! keywords the schema uses (type, properties, required,
//! additionalProperties, items, enum, const, minimum, minItems, maxItems,
//! oneOf, $ref).

use assert_cmd::Command;
use serde_json::Value;
use std::path::Path;

fn schema() -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/results.schema.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// Every way `value` breaks `schema` (a subschema of `root`), with its path.
fn errors(root: &Value, schema: &Value, value: &Value, at: &str) -> Vec<String> {
    let mut found = Vec::new();
    if let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
        let name = reference.strip_prefix("#/$defs/").expect("local $ref");
        return errors(root, &root["$defs"][name], value, at);
    }
    if let Some(options) = schema.get("oneOf").and_then(Value::as_array) {
        let passing = options
            .iter()
            .filter(|o| errors(root, o, value, at).is_empty())
            .count();
        if passing != 1 {
            found.push(format!("{at}: matches {passing} of oneOf"));
        }
    }
    if let Some(types) = schema.get("type") {
        let types: Vec<&str> = match types {
            Value::String(t) => vec![t.as_str()],
            Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
            _ => panic!("bad type at {at}"),
        };
        let fits = |t: &str| match t {
            "object" => value.is_object(),
            "array" => value.is_array(),
            "string" => value.is_string(),
            "number" => value.is_number(),
            "integer" => value.is_u64() || value.is_i64(),
            "boolean" => value.is_boolean(),
            "null" => value.is_null(),
            other => panic!("unknown type {other}"),
        };
        if !types.iter().any(|t| fits(t)) {
            found.push(format!("{at}: {value} is not {types:?}"));
            return found;
        }
    }
    if let Some(allowed) = schema.get("enum").and_then(Value::as_array) {
        if !allowed.contains(value) {
            found.push(format!("{at}: {value} not in {allowed:?}"));
        }
    }
    if let Some(constant) = schema.get("const") {
        if constant != value {
            found.push(format!("{at}: {value} is not {constant}"));
        }
    }
    if let (Some(min), Some(v)) = (
        schema.get("minimum").and_then(Value::as_f64),
        value.as_f64(),
    ) {
        if v < min {
            found.push(format!("{at}: {v} below {min}"));
        }
    }
    if let Some(items) = value.as_array() {
        let len = items.len() as u64;
        if schema
            .get("minItems")
            .and_then(Value::as_u64)
            .is_some_and(|m| len < m)
            || schema
                .get("maxItems")
                .and_then(Value::as_u64)
                .is_some_and(|m| len > m)
        {
            found.push(format!("{at}: {len} items"));
        }
        if let Some(item) = schema.get("items") {
            for (i, v) in items.iter().enumerate() {
                found.extend(errors(root, item, v, &format!("{at}[{i}]")));
            }
        }
    }
    if let Some(object) = value.as_object() {
        let properties = schema.get("properties").and_then(Value::as_object);
        for name in schema
            .get("required")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
        {
            if !object.contains_key(name) {
                found.push(format!("{at}: missing {name}"));
            }
        }
        for (key, v) in object {
            let path = format!("{at}.{key}");
            match properties.and_then(|p| p.get(key)) {
                Some(sub) => found.extend(errors(root, sub, v, &path)),
                None => match schema.get("additionalProperties") {
                    Some(Value::Bool(false)) => found.push(format!("{path}: not in the schema")),
                    Some(sub @ Value::Object(_)) => found.extend(errors(root, sub, v, &path)),
                    _ => {}
                },
            }
        }
    }
    found
}

fn validate(value: &Value) -> Vec<String> {
    let root = schema();
    errors(&root, &root, value, "$")
}

fn load(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn what_run_writes_fits_the_schema() {
    let temp = tempfile::tempdir().unwrap();
    let scenario = temp.path().join("s.json");
    std::fs::write(
        &scenario,
        r#"{"name": "s", "operation": "sequential_read", "sizes": ["4 KiB", "64 KiB"], "samples": 3,
            "methods": [{"method": "mmap"}, {"method": "positioned", "chunk": "4 KiB"}, {"method": "whole"}]}"#,
    )
    .unwrap();
    let threaded = temp.path().join("t.json");
    std::fs::write(
        &threaded,
        r#"{"name": "t", "operation": "random_read", "count": 8, "record": "4 KiB", "threads": 2,
            "sizes": ["64 KiB"], "samples": 3, "methods": [{"method": "mmap"}]}"#,
    )
    .unwrap();
    let out = temp.path().join("out");
    Command::cargo_bin("mmap-lab")
        .unwrap()
        .args(["run", "--quick", "--out"])
        .arg(&out)
        .arg(&scenario)
        .arg(&threaded)
        .assert()
        .success();
    let written = load(&out.join("results.json"));
    assert_eq!(written["scenarios"][1]["threads"], 2);
    assert!(written["scenarios"][1]["cells"][0].get("split").is_some());
    // The run's newer parts are there to be checked.
    for part in ["environment", "unit_costs"] {
        assert!(written.get(part).is_some(), "{part}");
    }
    assert!(
        written["limits"]["levels"]
            .as_array()
            .is_some_and(|l| !l.is_empty())
    );
    assert!(written["scenarios"][0]["cells"][0].get("spread").is_some());
    let broken = validate(&written);
    assert!(broken.is_empty(), "{broken:#?}");
    // samples.csv has a row per sample.
    let csv = std::fs::read_to_string(out.join("samples.csv")).unwrap();
    let samples: usize = written["scenarios"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|s| s["cells"].as_array().unwrap())
        .map(|c| {
            c["samples_ns"].as_array().unwrap().len()
                + c["counted_samples_ns"].as_array().unwrap().len()
        })
        .sum();
    assert_eq!(csv.lines().count(), samples + 1);
}

#[test]
fn older_files_fit_the_schema() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    for name in ["run-a.json", "run-b-nosyscalls.json"] {
        let broken = validate(&load(&dir.join(name)));
        assert!(broken.is_empty(), "{name}: {broken:#?}");
    }
}

#[test]
fn unknown_missing_or_mistyped_fields_do_not() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let good = load(&dir.join("run-a.json"));
    let mut unknown = good.clone();
    unknown["scenarios"][0]["cells"][0]["speed"] = Value::from(1);
    let mut missing = good.clone();
    missing["machine"].as_object_mut().unwrap().remove("kernel");
    let mut mistyped = good.clone();
    mistyped["scenarios"][0]["cells"][0]["median_ns"] = Value::from("fast");
    let mut bad_stop = good;
    bad_stop["scenarios"][0]["cells"][0]["spread"] = serde_json::json!({
        "samples": 3, "stopped": "bored", "median_interval_ns": null, "mean_ns": 1.0, "stddev_ns": 0.0
    });
    for (what, value, expected) in [
        ("unknown", unknown, "cells[0].speed: not in the schema"),
        ("missing", missing, "machine: missing kernel"),
        ("mistyped", mistyped, "cells[0].median_ns: \"fast\""),
        ("bad stop", bad_stop, "spread.stopped: \"bored\" not in"),
    ] {
        let broken = validate(&value);
        assert!(
            broken.iter().any(|e| e.contains(expected)),
            "{what}: {broken:?}"
        );
    }
}
