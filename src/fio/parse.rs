//! Reading fio's `--output-format=json` output: the one job's bytes,
//! runtime, IOPS and completion-latency percentiles.

use super::Direction;
use serde_json::Value;
use std::collections::BTreeMap;

/// The figures mmap-lab keeps from one fio job.
#[derive(Debug, Clone, PartialEq)]
pub struct FioFigures {
    /// `fio version` in the output, e.g. `fio-3.33`.
    pub version: String,
    /// Bytes the job moved (`io_bytes`).
    pub io_bytes: u64,
    /// The job's runtime in milliseconds (`runtime`; fio's resolution).
    pub runtime_ms: u64,
    /// `io_bytes` / runtime.
    pub throughput_bytes_per_sec: f64,
    /// fio's `iops`.
    pub iops: f64,
    /// Completion-latency percentiles, keyed `p50`, `p99.9`...
    pub latency_ns: BTreeMap<String, u64>,
}

/// Parses fio's JSON output (anything before the first `{`, such as fio's
/// notes on stdout, is skipped) for the half `direction` of its first job.
pub fn parse_output(text: &str, direction: Direction) -> Result<FioFigures, String> {
    let start = text
        .find('{')
        .ok_or_else(|| "fio printed no JSON".to_string())?;
    let json: Value = serde_json::from_str(&text[start..])
        .map_err(|e| format!("fio's JSON output does not parse: {e}"))?;
    let job = json
        .pointer("/jobs/0")
        .ok_or_else(|| "fio's JSON output has no jobs[0]".to_string())?;
    let error = job.get("error").and_then(Value::as_i64).unwrap_or(0);
    if error != 0 {
        return Err(format!("fio's job failed with error {error}"));
    }
    let half = job
        .get(direction.key())
        .ok_or_else(|| format!("fio's JSON output has no jobs[0].{}", direction.key()))?;
    let number = |key: &str| {
        half.get(key)
            .and_then(Value::as_f64)
            .ok_or_else(|| format!("jobs[0].{}.{key} is missing", direction.key()))
    };
    let io_bytes = number("io_bytes")? as u64;
    let runtime_ms = number("runtime")? as u64;
    if io_bytes == 0 || runtime_ms == 0 {
        return Err(format!(
            "fio moved {io_bytes} bytes in {runtime_ms} ms: too little to give a figure"
        ));
    }
    let throughput = io_bytes as f64 / (runtime_ms as f64 / 1000.0);
    if throughput > crate::results_check::MAX_PLAUSIBLE_RATE {
        // results.json must stay loadable: report refuses such a figure.
        return Err(format!(
            "fio claims {io_bytes} bytes in {runtime_ms} ms, beyond any machine"
        ));
    }
    let mut latency_ns = BTreeMap::new();
    if let Some(Value::Object(percentiles)) = half.pointer("/clat_ns/percentile") {
        for (key, value) in percentiles {
            if let (Ok(p), Some(ns)) = (key.parse::<f64>(), value.as_u64()) {
                latency_ns.insert(format!("p{p}"), ns);
            }
        }
    }
    Ok(FioFigures {
        version: json
            .get("fio version")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string(),
        io_bytes,
        runtime_ms,
        throughput_bytes_per_sec: throughput,
        iops: number("iops")?,
        latency_ns,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notes_before_the_json_are_skipped_and_a_failed_job_is_an_error() {
        let ok = r#"note: something
{"fio version": "fio-3.33", "jobs": [{"error": 0, "read": {"io_bytes": 2000, "runtime": 2, "iops": 5.0,
 "clat_ns": {"percentile": {"50.000000": 10, "99.900000": 30}}}}]}"#;
        let figures = parse_output(ok, Direction::Read).unwrap();
        assert_eq!(figures.throughput_bytes_per_sec, 1_000_000.0);
        assert_eq!(figures.latency_ns["p99.9"], 30);
        assert_eq!(figures.latency_ns["p50"], 10);
        let failed = r#"{"jobs": [{"error": 5, "read": {}}]}"#;
        assert!(
            parse_output(failed, Direction::Read)
                .unwrap_err()
                .contains("error 5")
        );
        assert!(parse_output("fio: bad option", Direction::Read).is_err());
    }
}
