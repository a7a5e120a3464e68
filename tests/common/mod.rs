//! Helpers shared by the integration tests: tiny scenarios and one measured operation.

#![allow(dead_code)]

use mmap_lab::fixture::Fixture;
use mmap_lab::probe::Probe;
use mmap_lab::results::Counters;
use mmap_lab::scenario::{self, Scenario};
use mmap_lab::workdir::WorkDir;
use std::path::Path;

/// A scenario from inline JSON; `body` holds the operation's fields and methods.
pub fn scenario(body: &str) -> Scenario {
    let text = format!(r#"{{"name": "t", "sizes": ["1 MiB"], {body}}}"#);
    scenario::from_json(&text, Path::new("inline.json")).unwrap()
}

/// Verifies method `index` of `scenario` at `size`, then measures one
/// operation and returns its counters.
pub fn counters_for(scenario: &Scenario, size: u64, index: usize) -> Counters {
    let work = WorkDir::create(None).unwrap();
    let fixture = Fixture::generate(scenario, size, work.path()).unwrap();
    let spec = &scenario.methods[index];
    fixture.verify_method(spec.kind.io()).unwrap();
    let mut probe = Probe::new().unwrap();
    fixture
        .counted_sample(spec.kind.io(), &mut probe)
        .unwrap()
        .1
}

/// True when this machine lets us count every system call.
pub fn syscalls_countable() -> bool {
    Probe::new().unwrap().syscall_counting().available
}
