//! mmap-lab: measures when reading or writing a file through a memory map is
//! faster than `read`/`write`, and explains why with kernel counters.
//!
//! The pieces, in the order data flows through them:
//! [`scenario`] (what to measure) → [`workload`] (generated files and their
//! reference checksums) → [`method`] (the ways of doing I/O) → [`runner`]
//! (verify, then measure with a [`probe::Probe`]) → [`results`] (results.json).

pub mod app;
pub mod benchplan;
pub mod buffer;
pub mod cache;
pub mod checksum;
pub mod demo;
pub mod fixture;
pub mod machine;
pub mod method;
pub mod perf;
pub mod probe;
pub mod report;
pub mod results;
pub mod runner;
pub mod scenario;
pub mod stats;
pub mod table;
pub mod time;
pub mod units;
pub mod workdir;
pub mod workload;
