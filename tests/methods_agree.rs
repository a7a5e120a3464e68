//! Every method that fits an operation produces the reference result, at
//! sizes that are and are not page multiples; verification catches a method
//! that gets it wrong; a private copy leaves the file alone.

use mmap_lab::checksum::Fold;
use mmap_lab::fixture::{Fixture, VerifyError};
use mmap_lab::method::{Io, IoMethod, MethodFacts, Whole};
use mmap_lab::scenario::{self, Scenario};
use mmap_lab::workdir::WorkDir;
use std::io;
use std::path::Path;

const ALL_METHODS: &str = r#"[
    {"method": "mmap"},
    {"method": "mmap", "populate": true},
    {"method": "mmap", "advice": "random"},
    {"method": "buffered", "capacity": "8 KiB"},
    {"method": "buffered", "capacity": "4 KiB", "piece": "1 KiB"},
    {"method": "unbuffered", "chunk": "4 KiB"},
    {"method": "unbuffered", "chunk": "3000"},
    {"method": "positioned", "chunk": "64 KiB"},
    {"method": "positioned", "chunk": "1000"},
    {"method": "uring", "chunk": "4 KiB", "depth": 4},
    {"method": "uring", "chunk": "3000", "depth": 1, "fixed": true},
    {"method": "whole"}
]"#;

fn scenario_with(fields: &str, sizes: &str, methods: &str) -> Scenario {
    let text = format!(r#"{{"name": "t", {fields}, "sizes": {sizes}, "methods": {methods}}}"#);
    scenario::from_json(&text, Path::new("inline.json")).unwrap()
}

/// Runs and verifies every method at every size; returns the checksums seen.
fn verify_all(scenario: &Scenario) -> Vec<u64> {
    let work = WorkDir::create(None).unwrap();
    let mut seen = Vec::new();
    for &size in &scenario.sizes {
        let fixture = Fixture::generate(scenario, size, work.path()).unwrap();
        for spec in &scenario.methods {
            let outcome = fixture
                .verify_method(spec.kind.io())
                .unwrap_or_else(|e| panic!("{} at {size}: {e}", spec.label));
            seen.push(outcome);
        }
        fixture.remove().unwrap();
    }
    seen
}

fn fitting_methods(operation_fields: &str) -> String {
    if operation_fields.contains("copy_on_write") {
        r#"[{"method": "mmap"}, {"method": "mmap", "populate": true}, {"method": "whole"}]"#
            .to_string()
    } else {
        ALL_METHODS.to_string()
    }
}

#[test]
fn every_method_agrees_on_every_operation() {
    let cases = [
        (
            r#""operation": "sequential_read""#,
            "[1, 4095, 4096, 10000, 1048579]",
        ),
        (
            r#""operation": "random_read", "count": 50, "record": 100"#,
            "[100, 4097, 1048576]",
        ),
        (
            r#""operation": "slice", "range": [9, 98]"#,
            "[98, 4096, 70000]",
        ),
        (
            r#""operation": "slice", "range": [4000, 9000]"#,
            "[9000, 1048576]",
        ),
        (
            r#""operation": "overwrite", "offset": 4090, "len": 5000"#,
            "[9090, 1048576]",
        ),
        (
            r#""operation": "overwrite", "offset": 0, "len": 10, "sync": true"#,
            "[10, 4096]",
        ),
        (
            r#""operation": "sequential_write""#,
            "[1, 4096, 10000, 1048579]",
        ),
        (r#""operation": "sequential_write", "sync": true"#, "[5000]"),
        (
            r#""operation": "copy_on_write", "offset": 5, "len": 5000"#,
            "[5005, 65536, 1048577]",
        ),
        (r#""operation": "many_files", "files": 7"#, "[1, 5000]"),
    ];
    for (fields, sizes) in cases {
        let s = scenario_with(fields, sizes, &fitting_methods(fields));
        let checksums = verify_all(&s);
        // Within one size every read-type method consumed the same bytes.
        let per_size = s.methods.len();
        for group in checksums.chunks(per_size) {
            assert!(group.iter().all(|c| *c == group[0]), "{fields}: {group:x?}");
        }
    }
}

/// A method that drops the last byte of every read.
struct OffByOne;

impl IoMethod for OffByOne {
    fn label(&self) -> String {
        "off by one".to_string()
    }
    fn facts(&self) -> MethodFacts {
        // It reads as fs::read does.
        Whole::default().facts()
    }
}

impl Io for OffByOne {
    fn read_file(&self, path: &Path, fold: &mut Fold) -> io::Result<()> {
        let bytes = std::fs::read(path)?;
        fold.update(&bytes[..bytes.len() - 1]);
        Ok(())
    }
    fn read_records(&self, _: &Path, _: &[u64], _: u64, _: &mut Fold) -> io::Result<()> {
        Ok(())
    }
    fn read_range(&self, _: &Path, _: u64, _: u64, _: &mut Fold) -> io::Result<()> {
        Ok(())
    }
    fn overwrite(&self, path: &Path, offset: u64, data: &[u8], _: bool) -> io::Result<()> {
        use std::os::unix::fs::FileExt;
        let file = std::fs::OpenOptions::new().write(true).open(path)?;
        file.write_all_at(&data[1..], offset + 1)
    }
    fn create(&self, path: &Path, data: &[u8], _: bool) -> io::Result<()> {
        std::fs::write(path, &data[..data.len() - 1])
    }
    fn change_private_copy(
        &self,
        path: &Path,
        offset: u64,
        data: &[u8],
        fold: &mut Fold,
    ) -> io::Result<()> {
        // Wrong on purpose: changes the file itself.
        self.overwrite(path, offset, data, false)?;
        fold.update(&std::fs::read(path)?);
        Ok(())
    }
}

#[test]
fn verification_catches_a_wrong_method() {
    let work = WorkDir::create(None).unwrap();
    for fields in [
        r#""operation": "sequential_read""#,
        r#""operation": "random_read", "count": 5, "record": 100"#,
        r#""operation": "overwrite", "offset": 0, "len": 100"#,
        r#""operation": "sequential_write""#,
        r#""operation": "copy_on_write", "offset": 0, "len": 100"#,
    ] {
        let s = scenario_with(fields, "[4096]", r#"[{"method": "whole"}]"#);
        let fixture = Fixture::generate(&s, 4096, work.path()).unwrap();
        assert!(
            matches!(
                fixture.verify_method(&OffByOne),
                Err(VerifyError::Mismatch(_))
            ),
            "{fields} was not caught"
        );
        fixture.remove().unwrap();
    }
}

#[test]
fn copy_on_write_leaves_the_file_byte_for_byte_unchanged() {
    let s = scenario_with(
        r#""operation": "copy_on_write", "offset": 100, "len": 4096"#,
        "[1048576]",
        r#"[{"method": "mmap"}, {"method": "whole"}]"#,
    );
    let work = WorkDir::create(None).unwrap();
    let fixture = Fixture::generate(&s, 1 << 20, work.path()).unwrap();
    let path = work.path().join("input-00000.bin");
    let before = std::fs::read(&path).unwrap();
    for spec in &s.methods {
        let io = spec.kind.io();
        let mut fold = Fold::new();
        let patch = mmap_lab::workload::patch_contents(s.seed, 4096);
        io.change_private_copy(&path, 100, &patch, &mut fold)
            .unwrap();
        assert_eq!(
            std::fs::read(&path).unwrap(),
            before,
            "{} changed the file",
            spec.label
        );
        // ...while the private copy it consumed did change.
        assert_ne!(fold.finish(), mmap_lab::checksum::checksum(&before));
    }
    fixture.remove().unwrap();
}
