//! Counter snapshots around one operation, on the measuring thread alone.
//!
//! Sources: `/proc/thread-self/io` (read/write-family calls, the bytes they
//! copied, disk bytes), `getrusage(RUSAGE_THREAD)` (faults, context switches),
//! the io_uring method's own tally of its requests, completions and enter
//! calls ([`crate::method::ring_tally`]; ring I/O makes no read or write
//! call, so procfs cannot see it) and, where permitted, syscall tracepoints
//! ([`crate::perf`]). Reading these
//! is itself work (a `pread` of procfs, a `getrusage`, a perf `read`), so a
//! [`Probe`] is calibrated: it measures an empty operation and subtracts that
//! cost, so an operation that does nothing reads zero on every counter.
//!
//! The syscall counters exist only while counting (see [`crate::perf`] on
//! why an open tracepoint slows every system call): for one measured
//! operation, or for a counting session ([`Probe::start_counting`] to
//! [`Probe::stop_counting`]) that covers several counted operations and no
//! timed one. Closing them costs the kernel a few hundred milliseconds (it
//! waits for every CPU to leave the tracepoint), so the runner counts a
//! whole size's operations in one session. Timed operations use no probe.
//!
//! An operation shared by threads ([`crate::operation::run_parts`]) is
//! counted by each of its threads from its own per-thread sources (a
//! probe of its own, calibrated like this one) and the sum is added to
//! what the measuring thread counted itself ([`WorkerCounting`]).

use crate::method::{RingTally, ring_tally};
use crate::perf::{SyscallCounter, SyscallReading, Tracepoints};
use crate::results::{Counters, SyscallCounting};
use std::cell::RefCell;
use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Empty operations measured to find the probe's own cost.
const CALIBRATION_RUNS: usize = 25;

/// The fields of `/proc/thread-self/io` that the counters use.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct ThreadIo {
    rchar: u64,
    wchar: u64,
    syscr: u64,
    syscw: u64,
    read_bytes: u64,
    write_bytes: u64,
}

/// The fields of `getrusage(RUSAGE_THREAD)` that the counters use.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct ThreadUsage {
    minor_faults: u64,
    major_faults: u64,
    ctx_switches: u64,
}

/// An operation's value, wall time, the measuring thread's own raw
/// counters and the summed counters of the threads it started.
type Measured<T> = (T, Duration, Counters, Option<Counters>);

/// Everything read at one instant.
#[derive(Debug, Clone, Copy, Default)]
struct Snapshot {
    io: ThreadIo,
    usage: ThreadUsage,
    syscalls: Option<SyscallReading>,
    ring: RingTally,
    /// Bytes the procfs read returned; the next snapshot's `rchar` includes them.
    io_text_len: u64,
}

/// Measures operations on the thread that created it; calibrated on creation.
#[derive(Debug)]
pub struct Probe {
    io_file: File,
    io_text: Vec<u8>,
    syscalls: Result<Tracepoints, String>,
    /// Open only while counting: one measured operation, or a session
    /// from [`Probe::start_counting`] to [`Probe::stop_counting`].
    counter: Option<SyscallCounter>,
    baseline: Counters,
    /// True for a thread's own probe inside a shared operation: it adds
    /// nothing from threads it starts (it starts none).
    worker: bool,
}

thread_local! {
    /// While this thread measures an operation: where the threads it
    /// starts add their counters.
    static WORKER_TOTALS: RefCell<Option<Arc<Mutex<Option<Counters>>>>> =
        const { RefCell::new(None) };
}

/// The counters of the threads an operation started, summed, for the
/// probe of the thread that started them. Each thread counts its own
/// part from its own sources (`/proc/thread-self/io`,
/// `getrusage(RUSAGE_THREAD)`, its own syscall counters and ring tally).
#[derive(Debug, Clone)]
pub struct WorkerCounting(Arc<Mutex<Option<Counters>>>);

impl WorkerCounting {
    /// The totals the calling thread's probe is collecting now, or `None`
    /// when it is not measuring (a timed operation counts nothing).
    pub fn current() -> Option<WorkerCounting> {
        WORKER_TOTALS.with(|totals| totals.borrow().clone().map(WorkerCounting))
    }

    /// Runs `work` on the calling (worker) thread under a probe of its own
    /// and adds what it cost to the totals.
    pub fn count<T>(&self, work: impl FnOnce() -> io::Result<T>) -> io::Result<T> {
        let mut probe = Probe::counting()?;
        probe.worker = true;
        let (value, _, counters) = probe.measure(work)?;
        drop(probe);
        let mut totals = self.0.lock().unwrap_or_else(|e| e.into_inner());
        *totals = Some(match *totals {
            None => counters,
            Some(sum) => sum.zip_with(counters, u64::saturating_add),
        });
        value
    }
}

impl Probe {
    /// Opens the counters for the calling thread and calibrates them; the
    /// syscall counters are closed again before it returns.
    ///
    /// All later calls to [`Probe::measure`] must come from this thread.
    pub fn new() -> io::Result<Probe> {
        let mut probe = Probe::counting()?;
        probe.stop_counting();
        Ok(probe)
    }

    /// Like [`Probe::new`], but leaves a counting session open (see
    /// [`Probe::start_counting`]): for code that counts and times nothing.
    pub fn counting() -> io::Result<Probe> {
        let io_file = File::open("/proc/thread-self/io").map_err(|e| {
            io::Error::new(
                e.kind(),
                format!("cannot open /proc/thread-self/io ({e}); mmap-lab needs Linux with task I/O accounting"),
            )
        })?;
        // Check once that the counters can be opened, so a refusal is
        // reported as the reason counts are missing.
        let (syscalls, counter) = match Tracepoints::find()
            .and_then(|tracepoints| SyscallCounter::open(&tracepoints).map(|c| (tracepoints, c)))
        {
            Ok((tracepoints, counter)) => (Ok(tracepoints), Some(counter)),
            Err(reason) => (Err(reason), None),
        };
        // The counters opened by the check stay open through calibration.
        let mut probe = Probe {
            io_file,
            io_text: vec![0; 512],
            syscalls,
            counter,
            baseline: Counters::default(),
            worker: false,
        };
        probe.calibrate()?;
        Ok(probe)
    }

    /// Where system call counts come from, or why they are missing.
    pub fn syscall_counting(&self) -> SyscallCounting {
        match &self.syscalls {
            Ok(_) => SyscallCounting {
                available: true,
                source: "perf_event_open on raw_syscalls:sys_enter and syscalls:sys_enter_{mmap,munmap,madvise,msync,mremap}, this thread only, opened for each counted operation and closed before any timed one".to_string(),
            },
            Err(reason) => SyscallCounting {
                available: false,
                source: reason.clone(),
            },
        }
    }

    /// Runs `operation` once; returns its value, its wall time and its counters.
    pub fn measure<T>(
        &mut self,
        operation: impl FnOnce() -> T,
    ) -> io::Result<(T, Duration, Counters)> {
        let (value, elapsed, raw, workers) = self.measure_raw(operation)?;
        let own = raw.zip_with(self.baseline, u64::saturating_sub);
        let counters = match workers {
            Some(workers) => own.zip_with(workers, u64::saturating_add),
            None => own,
        };
        Ok((value, elapsed, counters))
    }

    /// Opens the syscall counters (where they can be) until
    /// [`Probe::stop_counting`]; [`Probe::measure`] uses them meanwhile.
    /// Nothing timed may run in between: they slow every system call.
    pub fn start_counting(&mut self) -> io::Result<()> {
        if let (Ok(tracepoints), None) = (&self.syscalls, &self.counter) {
            self.counter = Some(SyscallCounter::open(tracepoints).map_err(io::Error::other)?);
        }
        Ok(())
    }

    /// Closes the syscall counters a session opened.
    pub fn stop_counting(&mut self) {
        self.counter = None;
    }

    /// Counters for `operation` before calibration is subtracted, and the
    /// sum of what the threads it started counted (already calibrated),
    /// if it started any. Outside a counting session the syscall counters
    /// are opened for it alone.
    fn measure_raw<T>(&mut self, operation: impl FnOnce() -> T) -> io::Result<Measured<T>> {
        if self.counter.is_some() {
            return self.count_around(operation);
        }
        self.start_counting()?;
        let measured = self.count_around(operation);
        self.stop_counting();
        measured
    }

    fn count_around<T>(&mut self, operation: impl FnOnce() -> T) -> io::Result<Measured<T>> {
        let workers = Arc::new(Mutex::new(None));
        if !self.worker {
            WORKER_TOTALS.with(|totals| *totals.borrow_mut() = Some(Arc::clone(&workers)));
        }
        let before = self.snapshot(true);
        let start = Instant::now();
        let value = operation();
        let elapsed = start.elapsed();
        let after = self.snapshot(false);
        WORKER_TOTALS.with(|totals| totals.borrow_mut().take());
        let own = difference(&before?, &after?);
        let workers = *workers.lock().unwrap_or_else(|e| e.into_inner());
        Ok((value, elapsed, own, workers))
    }

    /// Measures empty operations and keeps the smallest cost seen for each
    /// counter, in a counting session that it leaves open.
    fn calibrate(&mut self) -> io::Result<()> {
        let mut floor: Option<Counters> = None;
        self.start_counting()?;
        for _ in 0..CALIBRATION_RUNS {
            let raw = match self.measure_raw(|| ()) {
                Ok((_, _, raw, _)) => raw,
                Err(e) => {
                    self.stop_counting();
                    return Err(e);
                }
            };
            floor = Some(match floor {
                None => raw,
                Some(old) => old.zip_with(raw, u64::min),
            });
        }
        // The session stays open: the caller decides when to close it.
        self.baseline = floor.unwrap_or_default();
        Ok(())
    }

    /// Reads every source. Before the operation the perf counters are read
    /// first and procfs last; after it, the reverse, so the probe's own calls
    /// fall inside the window in a fixed pattern that calibration removes.
    fn snapshot(&mut self, before_operation: bool) -> io::Result<Snapshot> {
        let mut snapshot = Snapshot::default();
        if before_operation {
            snapshot.syscalls = self.read_syscalls()?;
            snapshot.usage = thread_usage()?;
            self.read_io(&mut snapshot)?;
            snapshot.ring = ring_tally();
        } else {
            snapshot.ring = ring_tally();
            self.read_io(&mut snapshot)?;
            snapshot.usage = thread_usage()?;
            snapshot.syscalls = self.read_syscalls()?;
        }
        Ok(snapshot)
    }

    fn read_syscalls(&mut self) -> io::Result<Option<SyscallReading>> {
        match &mut self.counter {
            Some(counter) => counter.read().map(Some),
            None => Ok(None),
        }
    }

    fn read_io(&mut self, snapshot: &mut Snapshot) -> io::Result<()> {
        let len = self.io_file.read_at(&mut self.io_text, 0)?;
        snapshot.io = parse_thread_io(&self.io_text[..len])?;
        snapshot.io_text_len = len as u64;
        Ok(())
    }
}

/// Parses the `key: value` lines of `/proc/<tid>/io`.
fn parse_thread_io(text: &[u8]) -> io::Result<ThreadIo> {
    let text = std::str::from_utf8(text).map_err(io::Error::other)?;
    let mut io = ThreadIo::default();
    for line in text.lines() {
        let Some((key, value)) = line.split_once(':') else {
            continue;
        };
        let value: u64 = value
            .trim()
            .parse()
            .map_err(|_| io::Error::other(format!("bad /proc/thread-self/io line {line:?}")))?;
        match key {
            "rchar" => io.rchar = value,
            "wchar" => io.wchar = value,
            "syscr" => io.syscr = value,
            "syscw" => io.syscw = value,
            "read_bytes" => io.read_bytes = value,
            "write_bytes" => io.write_bytes = value,
            _ => {}
        }
    }
    Ok(io)
}

/// Minor faults of the calling thread so far.
pub fn thread_minor_faults() -> io::Result<u64> {
    Ok(thread_usage()?.minor_faults)
}

/// Faults and context switches of the calling thread so far.
fn thread_usage() -> io::Result<ThreadUsage> {
    // SAFETY: rusage is plain data; getrusage fills it.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: the pointer is valid for writes of one rusage.
    if unsafe { libc::getrusage(libc::RUSAGE_THREAD, &mut usage) } != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(ThreadUsage {
        minor_faults: usage.ru_minflt as u64,
        major_faults: usage.ru_majflt as u64,
        ctx_switches: (usage.ru_nvcsw + usage.ru_nivcsw) as u64,
    })
}

/// What changed between two snapshots. The earlier procfs read's own bytes
/// are known exactly and removed here, since their count varies with the
/// number of digits printed.
fn difference(before: &Snapshot, after: &Snapshot) -> Counters {
    let syscalls = match (before.syscalls, after.syscalls) {
        (Some(b), Some(a)) => Some((a.total - b.total, a.map_family - b.map_family)),
        _ => None,
    };
    let bytes_to_user = (after.io.rchar - before.io.rchar).saturating_sub(before.io_text_len);
    let bytes_from_user = after.io.wchar - before.io.wchar;
    Counters {
        read_calls: after.io.syscr - before.io.syscr,
        write_calls: after.io.syscw - before.io.syscw,
        map_calls: syscalls.map(|(_, map)| map),
        syscalls: syscalls.map(|(total, _)| total),
        bytes_to_user,
        bytes_from_user,
        bytes_copied: Some(bytes_to_user + bytes_from_user),
        minor_faults: after.usage.minor_faults - before.usage.minor_faults,
        major_faults: after.usage.major_faults - before.usage.major_faults,
        disk_read_bytes: after.io.read_bytes - before.io.read_bytes,
        disk_write_bytes: after.io.write_bytes - before.io.write_bytes,
        ctx_switches: after.usage.ctx_switches - before.usage.ctx_switches,
        ring_enters: after.ring.enters - before.ring.enters,
        ring_requests: after.ring.requests - before.ring.requests,
        ring_completions: after.ring.completions - before.ring.completions,
        ring_bytes: after.ring.bytes - before.ring.bytes,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_operation_reads_zero() {
        let mut probe = Probe::new().unwrap();
        for _ in 0..5 {
            let (_, _, counters) = probe.measure(|| ()).unwrap();
            assert_eq!(counters.read_calls, 0);
            assert_eq!(counters.write_calls, 0);
            assert_eq!(counters.bytes_to_user, 0);
            assert_eq!(counters.bytes_from_user, 0);
            assert_eq!(counters.minor_faults, 0);
            assert_eq!(counters.major_faults, 0);
            assert_eq!(counters.syscalls.unwrap_or(0), 0);
            assert_eq!(counters.map_calls.unwrap_or(0), 0);
        }
    }

    #[test]
    fn one_pread_reads_one_call_and_its_bytes() {
        let file = tempfile::tempfile().unwrap();
        file.write_all_at(&[7u8; 1000], 0).unwrap();
        let mut probe = Probe::new().unwrap();
        let mut buffer = [0u8; 600];
        let (got, _, counters) = probe.measure(|| file.read_at(&mut buffer, 100)).unwrap();
        assert_eq!(got.unwrap(), 600);
        assert_eq!(counters.read_calls, 1);
        assert_eq!(counters.bytes_to_user, 600);
        assert_eq!(counters.write_calls, 0);
        if probe.syscall_counting().available {
            assert_eq!(counters.syscalls, Some(1));
            assert_eq!(counters.map_calls, Some(0));
        }
    }

    #[test]
    fn parses_procfs_io() {
        let text = b"rchar: 10\nwchar: 20\nsyscr: 3\nsyscw: 4\nread_bytes: 4096\nwrite_bytes: 8192\ncancelled_write_bytes: 0\n";
        let io = parse_thread_io(text).unwrap();
        assert_eq!(
            io,
            ThreadIo {
                rchar: 10,
                wchar: 20,
                syscr: 3,
                syscw: 4,
                read_bytes: 4096,
                write_bytes: 8192
            }
        );
    }
}
