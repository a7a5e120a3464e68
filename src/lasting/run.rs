//! The engine: N threads share one file for a duration (or a fixed count
//! each, to verify), with per-thread counters summed and, while it lasts, a
//! timeline of the system's counters.

use super::access::{Consume, Consumer, Offsets, Pattern, Shared, Way, reference};
use super::content::Content;
use super::latency::{Histogram, Percentiles};
use crate::timeline::{Progress, Sampler, Sources, Timeline};
use std::io;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Accesses between two updates of a thread's shared progress.
const PUBLISH_EVERY: u64 = 16;
/// How often the waiting thread looks at the clock and for Ctrl-C.
const WAIT_STEP: Duration = Duration::from_millis(20);

/// One run's work: which file, how it is reached, in what order, by how
/// many threads.
#[derive(Debug, Clone, Copy)]
pub struct Job<'a> {
    /// The file.
    pub path: &'a Path,
    /// Its size in bytes.
    pub size: u64,
    /// What it holds (for references).
    pub content: Content,
    /// Seed for the random offsets.
    pub seed: u64,
    /// How the threads reach it.
    pub way: Way,
    /// The order of accesses.
    pub pattern: Pattern,
    /// How each access is consumed.
    pub consume: Consume,
    /// Threads sharing the work.
    pub threads: u64,
}

/// When the threads stop.
#[derive(Debug, Clone, Copy)]
pub enum Until {
    /// After this many accesses each (verification).
    Count(u64),
    /// After this long (a run that lasts).
    Elapsed(Duration),
}

/// What one thread did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ThreadTally {
    /// Its number, 0-based.
    pub thread: u64,
    /// Accesses completed.
    pub accesses: u64,
    /// Bytes those accesses used.
    pub bytes: u64,
    /// Minor faults (`getrusage(RUSAGE_THREAD)`).
    pub minor_faults: u64,
    /// Major faults (`getrusage(RUSAGE_THREAD)`).
    pub major_faults: u64,
    /// Checksum of what it consumed.
    pub checksum: u64,
}

/// A finished run.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Outcome {
    /// Each thread's work, in thread order.
    pub threads: Vec<ThreadTally>,
    /// Wall time from start to the last thread's end, nanoseconds.
    pub elapsed_ns: u64,
    /// Accesses summed over threads.
    pub accesses: u64,
    /// Useful bytes summed over threads.
    pub bytes: u64,
    /// Minor faults summed over threads.
    pub minor_faults: u64,
    /// Major faults summed over threads.
    pub major_faults: u64,
    /// Access latencies over every thread, for methods that can time
    /// their accesses cheaply (a call per access: positioned, direct).
    pub latency: Option<Percentiles>,
    /// The system's counters over the run, when it was sampled.
    pub timeline: Option<Timeline>,
}

impl Outcome {
    /// Accesses per second over the whole run.
    pub fn accesses_per_sec(&self) -> f64 {
        self.accesses as f64 / (self.elapsed_ns.max(1) as f64 / 1e9)
    }
}

#[repr(align(64))]
#[derive(Default)]
struct Slot {
    accesses: AtomicU64,
}

/// Runs `job` until `until`; with `sampling`, records a timeline every
/// interval. Stops early (keeping what was done) when `interrupted` is set.
pub fn run(
    job: &Job,
    until: Until,
    sampling: Option<(Sources, Duration)>,
    interrupted: &AtomicBool,
) -> io::Result<Outcome> {
    let shared = Shared::open(job.path, job.way)?;
    let slots: Arc<Vec<Slot>> = Arc::new((0..job.threads).map(|_| Slot::default()).collect());
    let record = job.pattern.record();
    let useful = match job.consume {
        Consume::Fold => record,
        Consume::Touch => record.div_ceil(super::access::PAGE) * super::access::PAGE,
    };
    let stop = AtomicBool::new(false);
    let started = Instant::now();
    let sampler = sampling.map(|(sources, interval)| {
        let slots = Arc::clone(&slots);
        let progress: Progress = Arc::new(move || {
            let n: u64 = slots
                .iter()
                .map(|s| s.accesses.load(Ordering::Relaxed))
                .sum();
            (n, n * useful)
        });
        Sampler::start(sources, interval, progress)
    });
    type ThreadResult = io::Result<(ThreadTally, Option<Histogram>)>;
    let results: Vec<ThreadResult> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..job.threads)
            .map(|thread| {
                let (shared, slots, stop) = (&shared, &slots, &stop);
                scope.spawn(move || -> ThreadResult {
                    let named = |e: io::Error| {
                        io::Error::new(e.kind(), format!("reading {}: {e}", job.path.display()))
                    };
                    let mut reader = shared.reader(job.path, record)?;
                    let mut consumer = Consumer::new(job.consume);
                    let mut latencies = reader.times_cheaply().then(Histogram::default);
                    let limit = match until {
                        Until::Count(n) => n,
                        Until::Elapsed(_) => u64::MAX,
                    };
                    let before = thread_faults();
                    let offsets =
                        Offsets::new(job.pattern, job.seed, job.size, thread, job.threads);
                    let mut done = 0u64;
                    for offset in offsets.take(limit.min(usize::MAX as u64) as usize) {
                        if stop.load(Ordering::Relaxed) {
                            break;
                        }
                        let start = latencies.is_some().then(Instant::now);
                        done += reader.access(offset, &mut consumer).map_err(named)?;
                        if let (Some(histogram), Some(start)) = (&mut latencies, start) {
                            histogram.record(start.elapsed().as_nanos() as u64);
                        }
                        if done % PUBLISH_EVERY == 0 {
                            slots[thread as usize]
                                .accesses
                                .store(done, Ordering::Relaxed);
                        }
                    }
                    done += reader.drain(&mut consumer).map_err(named)?;
                    slots[thread as usize]
                        .accesses
                        .store(done, Ordering::Relaxed);
                    let after = thread_faults();
                    let tally = ThreadTally {
                        thread,
                        accesses: done,
                        bytes: done * useful,
                        minor_faults: after.0 - before.0,
                        major_faults: after.1 - before.1,
                        checksum: consumer.finish(),
                    };
                    Ok((tally, latencies))
                })
            })
            .collect();
        if let Until::Elapsed(duration) = until {
            while started.elapsed() < duration
                && !interrupted.load(Ordering::SeqCst)
                && !workers.iter().any(|w| w.is_finished())
            {
                std::thread::sleep(WAIT_STEP.min(duration.saturating_sub(started.elapsed())));
            }
            stop.store(true, Ordering::Relaxed);
        }
        workers
            .into_iter()
            .map(|w| {
                w.join()
                    .unwrap_or_else(|_| Err(io::Error::other("a reader thread panicked")))
            })
            .collect()
    });
    let elapsed_ns = started.elapsed().as_nanos() as u64;
    let timeline = sampler.map(Sampler::finish);
    let (threads, histograms): (Vec<ThreadTally>, Vec<Option<Histogram>>) = results
        .into_iter()
        .collect::<io::Result<Vec<_>>>()?
        .into_iter()
        .unzip();
    let latency = histograms
        .into_iter()
        .flatten()
        .reduce(|mut all, one| {
            all.merge(&one);
            all
        })
        .and_then(|all| all.percentiles());
    let sum = |f: fn(&ThreadTally) -> u64| threads.iter().map(f).sum();
    Ok(Outcome {
        accesses: sum(|t| t.accesses),
        bytes: sum(|t| t.bytes),
        minor_faults: sum(|t| t.minor_faults),
        major_faults: sum(|t| t.major_faults),
        threads,
        elapsed_ns,
        latency,
        timeline,
    })
}

/// Runs `count` accesses per thread and checks each thread's checksum
/// against one computed from the content; `Err` names the method, the
/// thread and both checksums.
pub fn verify(job: &Job, count: u64) -> Result<(), String> {
    let outcome = run(job, Until::Count(count), None, &AtomicBool::new(false))
        .map_err(|e| format!("{}: {e}", job.way.label()))?;
    for tally in &outcome.threads {
        let expected = reference(
            &job.content,
            job.pattern,
            job.consume,
            (job.seed, job.size),
            (tally.thread, job.threads),
            count,
        );
        if tally.accesses != count || tally.checksum != expected {
            return Err(format!(
                "{} with {} threads: thread {} consumed {} accesses with checksum {:#x}, expected {} with {:#x}",
                job.way.label(),
                job.threads,
                tally.thread,
                tally.accesses,
                tally.checksum,
                count,
                expected
            ));
        }
    }
    Ok(())
}

/// This thread's (minor, major) faults so far.
fn thread_faults() -> (u64, u64) {
    // SAFETY: rusage is plain data that the call fills.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: usage is valid for writes.
    if unsafe { libc::getrusage(libc::RUSAGE_THREAD, &mut usage) } != 0 {
        return (0, 0);
    }
    (usage.ru_minflt as u64, usage.ru_majflt as u64)
}
