//! mmap-lab: measures when reading or writing a file through a memory map is
//! faster than `read`/`write`, and explains why with kernel counters.
//!
//! The pieces, in the order data flows through them:
//! [`scenario`] (what to measure) → [`fixture`] (generated files, the
//! reference, verify and sample; what each kind of operation does is in
//! [`operation`]) → [`method`] (the ways of doing I/O) →
//! [`probe`] (counters) → [`runner`] (verify, then measure) → [`results`]
//! (results.json) → [`report`]. The names that travel between them
//! (operation, method, cache state, advice) are the enums of [`vocab`].

pub mod app;
pub mod bounded_read;
pub mod buffer;
pub mod cache;
pub mod ceiling;
pub mod checksum;
pub mod console;
pub mod counters;
pub mod demo;
pub mod drift;
pub mod environment;
pub mod error;
pub mod export;
pub mod fill;
pub mod fio;
pub mod fixture;
pub mod folio;
pub mod judge;
pub mod lasting;
pub mod layout;
pub mod limits;
pub mod machine;
pub mod method;
pub mod model;
pub mod observer;
pub mod operation;
pub mod path_args;
pub mod perf;
pub mod perf_why;
pub mod pressure;
pub mod probe;
pub mod report;
pub mod results;
pub mod results_check;
pub mod runner;
pub mod sampling;
pub mod scenario;
pub mod stats;
pub mod stop;
pub mod strict_json;
#[cfg(test)]
pub(crate) mod testing;
pub mod time;
pub mod timeline;
pub mod units;
pub mod user_text;
pub mod vocab;
pub mod words;
pub mod workdir;
pub mod workload;
