//! Every timed and counted sample of a run as CSV, one row each, for
//! spreadsheets and other tools (criterion's raw.csv, hyperfine's
//! `--export-csv`): written as `samples.csv` beside results.json.

use crate::results::Results;
use std::fmt::Write;

/// The file name, beside results.json.
pub const SAMPLES_CSV: &str = "samples.csv";

/// The header row.
pub const HEADER: &str = "scenario,operation,cache,size_bytes,payload_bytes,method,label,kind,index,ns,operations_per_sample";

/// Every sample of `results`: timed ones (`kind` `timed`, each the mean of
/// `operations_per_sample` back-to-back operations) and counted ones
/// (`counted`, one operation each, timed while the counters were open).
pub fn samples_csv(results: &Results) -> String {
    let mut out = format!("{HEADER}\n");
    for scenario in &results.scenarios {
        for cell in &scenario.cells {
            let series = [
                ("timed", &cell.samples_ns, cell.operations_per_sample),
                ("counted", &cell.counted_samples_ns, 1),
            ];
            for (kind, samples, per_sample) in series {
                for (index, ns) in samples.iter().enumerate() {
                    let _ = writeln!(
                        out,
                        "{},{},{},{},{},{},{},{kind},{index},{ns},{per_sample}",
                        field(&scenario.name),
                        scenario.operation.name(),
                        scenario.cache.name(),
                        cell.size,
                        cell.bytes,
                        cell.method.name(),
                        field(&cell.label),
                    );
                }
            }
        }
    }
    out
}

/// A text field, quoted when it holds a comma, a quote or a line break
/// (RFC 4180).
fn field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_quoted_only_when_they_must_be() {
        assert_eq!(field("mmap advice=random"), "mmap advice=random");
        assert_eq!(field("a,b"), "\"a,b\"");
        assert_eq!(field("say \"hi\""), "\"say \"\"hi\"\"\"");
    }

    #[test]
    fn every_sample_is_a_row() {
        let path =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/run-a.json");
        let results = Results::load(&path).unwrap();
        let csv = samples_csv(&results);
        let rows: Vec<&str> = csv.lines().collect();
        assert_eq!(rows[0], HEADER);
        let expected: usize = results
            .scenarios
            .iter()
            .flat_map(|s| &s.cells)
            .map(|c| c.samples_ns.len() + c.counted_samples_ns.len())
            .sum();
        assert_eq!(rows.len() - 1, expected);
        let first = &results.scenarios[0].cells[0];
        assert_eq!(
            rows[1],
            format!(
                "sequential-read-warm,sequential_read,warm,{},{},{},{},timed,0,{},{}",
                first.size,
                first.bytes,
                first.method.name(),
                first.label,
                first.samples_ns[0],
                first.operations_per_sample
            )
        );
        let columns = HEADER.split(',').count();
        assert!(rows.iter().all(|r| r.split(',').count() == columns));
    }
}
