//! Runs that last: N threads share random or sequential reads of one file
//! for a duration, through one shared map or a descriptor and buffer per
//! thread, while a timeline records the system's counters; with a
//! page-cache budget ([`crate::pressure`]) the file does not fit and the
//! kernel reclaims. [`content`] is the file, [`access`] what a thread does ([`ring`] its io_uring reader),
//! [`run`] the engine, [`peer`] fio beside a run, [`spec`] the pressure scenario files and
//! [`command`] `mmap-lab pressure`.

pub mod access;
pub mod command;
pub mod content;
pub mod latency;
pub mod peer;
pub mod ring;
pub mod run;
pub mod spec;
