//! fio beside a pressure run: the job equivalent to one run (`numjobs` =
//! threads, `runtime` = duration, `time_based`, `randread` or `read`, `bs`
//! = record; psync, psync with `direct=1`, io_uring with `direct=1` and
//! `iodepth`, or the mmap engine), run on the same file right after it
//! while the helper still holds the cache to its budget, and fio's
//! accesses per second from its JSON output ([`crate::fio::parse`]).

use super::access::{Pattern, Way};
use super::spec::PressureSpec;
use crate::fio::{Direction, Job, PeerTool, iomem_align};
use crate::vocab::Advice;
use std::path::Path;

/// fio beside one run, as results.json keeps it.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct FioRun {
    /// The command line, runnable by hand (the file is gone by then).
    pub command: String,
    /// fio's version.
    pub version: String,
    /// Where fio's job differs from the run.
    pub notes: Vec<String>,
    /// fio's I/Os per second summed over its jobs: one I/O is one access.
    pub accesses_per_sec: Option<f64>,
    /// Bytes per second fio moved.
    pub bytes_per_sec: Option<f64>,
    /// Why there is no figure, when fio failed.
    pub error: Option<String>,
}

/// The fio job equivalent to running `way` with `threads` threads on the
/// scenario's file at `path`.
pub fn job(spec: &PressureSpec, way: Way, threads: u64, path: &Path) -> Job {
    let (engine, direct, depth) = match way {
        Way::Mmap { .. } => ("mmap", false, None),
        Way::Positioned {} => ("psync", false, None),
        Way::Direct {} => ("psync", true, None),
        Way::Uring { depth } => ("io_uring", true, Some(depth)),
    };
    let name: String = format!("{}-{threads}t", way.label())
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    let mut options: Vec<(&'static str, String)> = vec![
        ("ioengine", engine.to_string()),
        ("filename", path.display().to_string().replace(':', "\\:")),
        (
            "rw",
            match spec.pattern {
                Pattern::Random { .. } => "randread",
                Pattern::Sequential { .. } => "read",
            }
            .to_string(),
        ),
        ("bs", spec.pattern.record().to_string()),
        ("size", spec.size.to_string()),
        ("numjobs", threads.to_string()),
        ("runtime", format!("{}ms", spec.duration.as_millis())),
        ("time_based", "1".to_string()),
        ("group_reporting", "1".to_string()),
        ("norandommap", "1".to_string()),
        ("randseed", spec.seed.to_string()),
        // The cache stays as the run left it: under a budget, full.
        ("invalidate", "0".to_string()),
        ("iomem_align", iomem_align(0).to_string()),
    ];
    let mut notes = vec![
        "fio draws its own offsets (uniform, with repeats) and, for a sequential read, each job reads the whole file from the start; mmap-lab's threads interleave records".to_string(),
        "fio consumes nothing: each record lands in its buffer unread".to_string(),
    ];
    match way {
        Way::Mmap { advice } => {
            // fio's fadvise_hint gives MADV_RANDOM or MADV_SEQUENTIAL by rw;
            // without it the map keeps the kernel's default.
            let hint = advice != Advice::Normal;
            options.push(("fadvise_hint", u8::from(hint).to_string()));
            notes.push(format!(
                "fio's mmap engine maps the file in each of its jobs and copies each record out of the map; {}",
                if hint {
                    "its advice follows rw (fadvise_hint=1), not the run's"
                } else {
                    "no advice (fadvise_hint=0), as the run"
                }
            ));
        }
        Way::Positioned {} => options.push(("fadvise_hint", "0".to_string())),
        Way::Direct {} | Way::Uring { .. } => {}
    }
    if direct {
        options.push(("direct", "1".to_string()));
    }
    if let Some(depth) = depth {
        options.push(("iodepth", depth.to_string()));
    }
    Job {
        label: way.label(),
        size: spec.size,
        name,
        engine,
        options,
        direction: Direction::Read,
        loops: 1,
        notes,
        created: Vec::new(),
    }
}

/// Runs `job` with `tool` and keeps what results.json needs.
pub fn run(tool: &dyn PeerTool, job: &Job) -> FioRun {
    let outcome = tool.run(job);
    let (accesses, bytes, error) = match outcome {
        Ok(figures) => (
            Some(figures.iops),
            Some(figures.throughput_bytes_per_sec),
            None,
        ),
        Err(e) => (None, None, Some(e.to_string())),
    };
    FioRun {
        command: tool.command(job),
        version: tool.version().to_string(),
        notes: job.notes.clone(),
        accesses_per_sec: accesses,
        bytes_per_sec: bytes,
        error,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(pattern: &str, record: &str) -> PressureSpec {
        let text = format!(
            r#"{{"name": "p", "size": "64 MiB", "threads": [2], "duration": "3 s",
            "pattern": "{pattern}", "record": "{record}", "consume": "touch",
            "methods": [{{"method": "direct"}}]}}"#
        );
        crate::lasting::spec::from_json(Path::new("p.json"), &text).unwrap()
    }

    fn option<'a>(job: &'a Job, key: &str) -> Option<&'a str> {
        job.options
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| v.as_str())
    }

    #[test]
    fn each_way_has_its_engine_and_the_run_s_shape() {
        let random = spec("random", "4 KiB");
        let path = Path::new("/tmp/data");
        let uring = job(&random, Way::Uring { depth: 32 }, 2, path);
        assert_eq!(option(&uring, "ioengine"), Some("io_uring"));
        assert_eq!(option(&uring, "direct"), Some("1"));
        assert_eq!(option(&uring, "iodepth"), Some("32"));
        assert_eq!(option(&uring, "numjobs"), Some("2"));
        assert_eq!(option(&uring, "runtime"), Some("3000ms"));
        assert_eq!(option(&uring, "time_based"), Some("1"));
        assert_eq!(option(&uring, "rw"), Some("randread"));
        assert_eq!(option(&uring, "bs"), Some("4096"));
        let direct = job(&random, Way::Direct {}, 1, path);
        assert_eq!(option(&direct, "ioengine"), Some("psync"));
        assert_eq!(option(&direct, "direct"), Some("1"));
        let pread = job(&random, Way::Positioned {}, 1, path);
        assert_eq!(option(&pread, "direct"), None);
        assert_eq!(option(&pread, "fadvise_hint"), Some("0"));
        let normal = job(
            &random,
            Way::Mmap {
                advice: Advice::Normal,
            },
            2,
            path,
        );
        assert_eq!(option(&normal, "ioengine"), Some("mmap"));
        assert_eq!(option(&normal, "fadvise_hint"), Some("0"));
        let advised = job(
            &random,
            Way::Mmap {
                advice: Advice::Random,
            },
            2,
            path,
        );
        assert_eq!(option(&advised, "fadvise_hint"), Some("1"));
        let sequential = job(&spec("sequential", "1 MiB"), Way::Direct {}, 2, path);
        assert_eq!(option(&sequential, "rw"), Some("read"));
        assert_eq!(option(&sequential, "bs"), Some("1048576"));
        assert!(uring.args().last().unwrap().contains("json"));
    }
}
