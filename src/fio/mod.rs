//! fio beside mmap-lab: the fio job equivalent to a cell ([`job_for`]),
//! running it on the very same generated file ([`run`]) and reading fio's
//! JSON output ([`parse`]).
//!
//! A method has a fio equivalent when [`engine_for`] gives one; a new method
//! is one more arm there. Operations fio has no equivalent for (slice,
//! copy_on_write) get no job. Where the job differs from the cell, the job's
//! `notes` say how.

pub mod parse;
pub mod run;

use crate::method::MethodKind;
use crate::operation::{Order, Target};
use crate::scenario::{MethodSpec, Scenario};
use crate::units::ExactSize;
use crate::vocab::Cache;
use std::path::{Path, PathBuf};
use std::time::Duration;

pub use parse::{FioFigures, parse_output};
pub use run::{Fio, FioError, PeerTool};

/// A fio job should last at least this long: fio reports its runtime in
/// whole milliseconds, so shorter jobs give coarse figures.
pub const MIN_JOB_TIME: Duration = Duration::from_millis(250);
/// Times each peer job runs; its figures are those of the median run, so
/// one run disturbed by the machine's other work does not decide the ratio.
pub const PEER_RUNS: usize = 3;
/// Most repeats of a cell's operation in one job.
pub const MAX_LOOPS: u64 = 20_000;
/// Block size fio's mmap engine copies per I/O in a sequential job (the
/// mmap method has no chunk: it folds the mapped bytes in place).
pub const MMAP_BLOCK: usize = 1 << 20;
/// The oldest fio whose options and JSON output this module relies on.
pub const MIN_VERSION: (u32, u32) = (3, 0);

/// Which half of fio's JSON output a job fills.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// `jobs[0].read`.
    Read,
    /// `jobs[0].write`.
    Write,
}

impl Direction {
    /// The key of this half in fio's JSON output.
    pub fn key(self) -> &'static str {
        match self {
            Direction::Read => "read",
            Direction::Write => "write",
        }
    }
}

/// fio's engine and buffer placement for one method.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Engine {
    /// The `ioengine` name.
    pub name: &'static str,
    /// Bytes per call, when the method has a chunk.
    pub chunk: Option<usize>,
    /// The method's buffer offset from a page boundary.
    pub buffer_offset: usize,
    /// O_DIRECT (`direct=1`).
    pub direct: bool,
    /// Requests in flight (`iodepth`), for io_uring.
    pub depth: Option<u32>,
    /// Registered buffers (`fixedbufs=1`), for io_uring.
    pub fixed: bool,
}

impl Engine {
    /// A synchronous engine's `name`, with `chunk`-byte calls into a
    /// buffer `buffer_offset` bytes past a page boundary.
    fn plain(name: &'static str, chunk: Option<usize>, buffer_offset: usize) -> Engine {
        Engine {
            name,
            chunk,
            buffer_offset,
            direct: false,
            depth: None,
            fixed: false,
        }
    }
}

/// fio's engine equivalent to a method, or `None` when fio has none
/// (`buffered` and `whole` grow or reuse buffers fio cannot mimic).
pub fn engine_for(method: &MethodKind) -> Option<Engine> {
    match *method {
        MethodKind::Mmap(_) => Some(Engine::plain("mmap", None, 0)),
        MethodKind::Positioned(p) => Some(Engine::plain(
            "psync",
            Some(p.calls.chunk),
            p.calls.buffer_offset,
        )),
        MethodKind::Unbuffered(u) => Some(Engine::plain(
            "sync",
            Some(u.calls.chunk),
            u.calls.buffer_offset,
        )),
        MethodKind::Direct(d) => Some(Engine {
            direct: true,
            ..Engine::plain("psync", Some(d.chunk), 0)
        }),
        MethodKind::Uring(u) => Some(Engine {
            direct: u.direct,
            depth: Some(u.depth),
            fixed: u.fixed,
            ..Engine::plain("io_uring", Some(u.chunk), 0)
        }),
        MethodKind::Buffered(_) | MethodKind::Whole(_) => None,
    }
}

/// fio's `iomem_align` for a buffer `offset` bytes past a page boundary:
/// fio 3.33 adds the value to a page-aligned address (it is an offset, not
/// an alignment), so page-aligned (0) is the page size and 16 is 16.
pub fn iomem_align(offset: usize) -> usize {
    if offset == 0 {
        crate::buffer::page_size()
    } else {
        offset
    }
}

/// One fio job: the equivalent of one mmap-lab cell.
#[derive(Debug, Clone, PartialEq)]
pub struct Job {
    /// The cell's label.
    pub label: String,
    /// File size in bytes.
    pub size: u64,
    /// The job's name (no spaces), used as `--name` and as the section.
    pub name: String,
    /// The `ioengine`.
    pub engine: &'static str,
    /// Options in the order given, as fio spells them (`ioengine` first).
    pub options: Vec<(&'static str, String)>,
    /// Which half of fio's output holds the figures.
    pub direction: Direction,
    /// Times the cell's operation is repeated in the job.
    pub loops: u64,
    /// Where the job differs from the cell.
    pub notes: Vec<String>,
    /// Files fio may create that mmap-lab did not generate (removed after).
    pub created: Vec<PathBuf>,
}

impl Job {
    /// The arguments after the program name, ending with JSON output.
    pub fn args(&self) -> Vec<String> {
        let mut args = vec![format!("--name={}", self.name)];
        args.extend(self.options.iter().map(|(k, v)| format!("--{k}={v}")));
        args.push("--output-format=json".to_string());
        args
    }

    /// The command line as one shell-quoted string, runnable by hand.
    pub fn command(&self, program: &str) -> String {
        std::iter::once(program.to_string())
            .chain(self.args())
            .map(|a| shell_quote(&a))
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// The job as a job-file section, with a comment naming the cell.
    pub fn section(&self) -> String {
        let mut text = format!(
            "; cell: {} at {}\n",
            crate::user_text::for_fio_comment(&self.label),
            ExactSize(self.size)
        );
        for note in &self.notes {
            text.push_str(&format!(
                "; note: {}\n",
                crate::user_text::for_fio_comment(note)
            ));
        }
        text.push_str(&format!("[{}]\n", self.name));
        for (key, value) in &self.options {
            text.push_str(&format!("{key}={value}\n"));
        }
        text.push_str("stonewall\n");
        text
    }

    /// The options as a JSON object, for results.json.
    pub fn options_json(&self) -> serde_json::Map<String, serde_json::Value> {
        self.options
            .iter()
            .map(|(k, v)| (k.to_string(), serde_json::Value::String(v.clone())))
            .collect()
    }

    fn set(&mut self, key: &'static str, value: impl ToString) {
        self.options.push((key, value.to_string()));
    }
}

/// Repeats of a cell's operation, taking `median` each, that make a fio job
/// last at least [`MIN_JOB_TIME`] (at mmap-lab's speed), at most [`MAX_LOOPS`].
pub fn loops_for(median: Duration) -> u64 {
    let once = median.as_nanos().max(1);
    MIN_JOB_TIME
        .as_nanos()
        .div_ceil(once)
        .clamp(1, u128::from(MAX_LOOPS)) as u64
}

/// Repeats for a job built without a measurement (`mmap-lab fio-job`):
/// enough to move about 1 GiB.
pub fn loops_for_bytes(payload: u64) -> u64 {
    (1u64 << 30).div_ceil(payload.max(1)).clamp(1, MAX_LOOPS)
}

/// The fio job equivalent to the cell of `spec` at `size`, reading the
/// generated `files` (and writing `output` for sequential_write), repeated
/// `loops` times; `None` when the method or the operation has no equivalent.
pub fn job_for(
    scenario: &Scenario,
    spec: &MethodSpec,
    size: u64,
    files: &[PathBuf],
    output: &Path,
    loops: u64,
) -> Option<Job> {
    let engine = engine_for(&spec.kind)?;
    let loops = loops.max(1);
    let mut job = Job {
        label: spec.label.clone(),
        size,
        name: job_name(&spec.label, size),
        engine: engine.name,
        options: vec![("ioengine", engine.name.to_string())],
        direction: Direction::Read,
        loops,
        notes: Vec::new(),
        created: Vec::new(),
    };
    let access = scenario.operation.access(size)?;
    // fio refuses a block larger than the file; one call reads it all either way.
    let block = engine
        .chunk
        .unwrap_or(MMAP_BLOCK)
        .min(size as usize)
        .min(access.len as usize)
        .max(1);
    match access.target {
        Target::FirstInput => job.set("filename", filename_value(files.first()?)),
        Target::AllInputs => {
            let names: Vec<String> = files.iter().map(|p| filename_value(p)).collect();
            if names.is_empty() {
                return None;
            }
            job.set("filename", names.join(":"));
            job.set("file_service_type", "sequential");
            job.notes.push(
                "fio opens every file once per loop and keeps them open; mmap-lab opens and closes each file as it reads it".to_string(),
            );
        }
        Target::Output => {
            job.set("filename", filename_value(output));
            job.created.push(output.to_path_buf());
            job.notes.push(
                "fio creates the file once and overwrites it on later loops; mmap-lab creates it new for every operation".to_string(),
            );
        }
    }
    if access.writes {
        job.direction = Direction::Write;
    }
    match access.order {
        Order::Sequential => {
            job.set("rw", if access.writes { "write" } else { "read" });
            job.set("bs", block);
            if let Some(offset) = access.offset {
                job.set("offset", offset);
            }
            job.set("size", access.len);
            job.set("loops", loops);
        }
        Order::Random { count, record } => {
            job.set(
                "rw",
                if access.writes {
                    "randwrite"
                } else {
                    "randread"
                },
            );
            job.set("bs", record);
            job.set("size", access.len);
            job.set("io_size", count * record * loops);
            job.set("norandommap", 1);
            job.set("randseed", scenario.seed);
            job.notes.push(format!(
                "fio draws its own {} record-aligned offsets (uniform, with repeats, seed {}); mmap-lab's come from its own generator",
                ExactSize(record),
                scenario.seed
            ));
            if engine.chunk.is_some_and(|c| (c as u64) < record) {
                job.notes.push(format!(
                    "fio reads each {} record in one call; the method reads it in {}-byte calls",
                    ExactSize(record),
                    engine.chunk.unwrap_or_default()
                ));
            }
        }
    }
    if access.sync {
        job.set("fdatasync", access.len.div_ceil(block as u64));
    }
    if access.writes && access.target != Target::Output {
        job.notes.push(
            "fio writes its own buffer contents, not the scenario's patch, and does not restore the range between loops".to_string(),
        );
    }
    job.set("iomem_align", iomem_align(engine.buffer_offset));
    if engine.direct {
        job.set("direct", 1);
    }
    if let Some(depth) = engine.depth {
        job.set("iodepth", depth);
        job.notes.push(format!(
            "fio keeps up to {depth} requests in flight but submits and reaps them as its iodepth_batch options say (by default one enter per request queued); mmap-lab submits each batch in one enter"
        ));
    }
    if engine.fixed {
        job.set("fixedbufs", 1);
    }
    job.set(
        "invalidate",
        match scenario.cache {
            Cache::Warm => 0,
            Cache::Cold => 1,
        },
    );
    if scenario.cache == Cache::Cold {
        job.notes.push(
            "fio drops the file from the page cache when it opens it (invalidate=1), not before every operation".to_string(),
        );
    }
    match spec.kind {
        MethodKind::Mmap(m) => {
            job.notes.push(
                "fio's mmap engine maps the file once per loop and memcpys each block into its buffer; mmap-lab maps per operation and folds the mapped bytes in place".to_string(),
            );
            if m.populate || m.advice.is_some() {
                job.notes.push(
                    "fio gives its own madvise (by rw) and no MAP_POPULATE; the method's populate/advice are not passed".to_string(),
                );
            }
        }
        MethodKind::Positioned(_)
        | MethodKind::Unbuffered(_)
        | MethodKind::Direct(_)
        | MethodKind::Uring(_) => {}
        MethodKind::Buffered(_) | MethodKind::Whole(_) => return None,
    }
    if job.direction == Direction::Read {
        job.notes.push(
            "fio consumes nothing: the bytes land in its buffer unread; mmap-lab folds every byte"
                .to_string(),
        );
    }
    Some(job)
}

/// The fio jobs for every cell of `scenario` at `size` that has one, with
/// file names fio lays out itself in `dir`: a job file for `mmap-lab fio-job`.
pub fn job_file(scenario: &Scenario, sizes: &[u64], dir: &Path) -> String {
    let mut text = format!(
        "; fio jobs equivalent to mmap-lab scenario {:?} ({})\n; run: fio THIS_FILE --output-format=json\n; fio lays out missing files itself (its own contents, not mmap-lab's).\n; Each job is one cell, repeated to move about 1 GiB; stonewall runs them one after another.\n",
        scenario.name,
        crate::user_text::for_fio_comment(&scenario.file.display().to_string())
    );
    let mut none = Vec::new();
    for &size in sizes {
        let files: Vec<PathBuf> = (0..scenario.operation.input_files())
            .map(|i| dir.join(format!("{}-{}-{i:05}.bin", scenario.name, size)))
            .collect();
        let output = dir.join(format!("{}-{}-output.bin", scenario.name, size));
        let loops = loops_for_bytes(scenario.operation.payload_bytes(size));
        for spec in &scenario.methods {
            match job_for(scenario, spec, size, &files, &output, loops) {
                Some(job) => {
                    text.push('\n');
                    text.push_str(&job.section());
                }
                None => none.push(format!("{} at {}", spec.label, ExactSize(size))),
            }
        }
    }
    if !none.is_empty() {
        text.push_str(&format!("\n; no fio equivalent: {}\n", none.join(", ")));
    }
    text
}

/// A job name from a cell label and size: letters, digits, `-` and `_`.
fn job_name(label: &str, size: u64) -> String {
    let raw = format!("{label} {}", ExactSize(size));
    let mut name = String::new();
    for c in raw.chars() {
        if c.is_ascii_alphanumeric() || c == '_' {
            name.push(c);
        } else if !name.ends_with('-') {
            name.push('-');
        }
    }
    name.trim_matches('-').to_string()
}

/// A path as fio's `filename` takes it: `:` separates names, so it is escaped.
fn filename_value(path: &Path) -> String {
    path.display().to_string().replace(':', "\\:")
}

/// Quotes one shell word when it needs it.
fn shell_quote(word: &str) -> String {
    if word
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "-_=./:,+%@".contains(c))
    {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', "'\\''"))
    }
}
