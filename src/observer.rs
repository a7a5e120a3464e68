//! The observer effect, measured: the cost of a system call that does no
//! work (`getppid`), with no tracepoint open and with the probe's syscall
//! counters open. Opening any syscall tracepoint sends every system call on
//! the machine through the kernel's tracing slow path, which is why timed
//! samples run with the counters closed (see [`crate::perf`]).

use crate::perf::{SyscallCounter, Tracepoints};
use crate::results::Observer;
use std::time::Instant;

/// Calls per timed batch.
const CALLS: u32 = 20_000;
/// Batches per state; the fastest is kept (the least disturbed).
const BATCHES: usize = 7;

/// Measures the observer effect on the calling thread.
pub fn measure() -> Observer {
    let syscall_ns = per_call_ns();
    let syscall_ns_counted = Tracepoints::find()
        .and_then(|tracepoints| SyscallCounter::open(&tracepoints))
        .ok()
        .map(|counter| {
            let counted = per_call_ns();
            drop(counter);
            counted
        });
    Observer {
        syscall: "getppid".to_string(),
        syscall_ns,
        syscall_ns_counted,
        how: format!(
            "fastest of {BATCHES} batches of {CALLS} getppid calls, first with no perf event open, then with the probe's syscall tracepoints open on this thread"
        ),
    }
}

/// Nanoseconds per `getppid` call (a system call that does no work: the
/// price of a trip into the kernel and back), fastest of a few batches; run
/// it with no syscall counter open.
pub fn per_call_ns() -> f64 {
    (0..BATCHES)
        .map(|_| {
            let start = Instant::now();
            for _ in 0..CALLS {
                // SAFETY: getppid has no preconditions and cannot fail.
                std::hint::black_box(unsafe { libc::getppid() });
            }
            start.elapsed().as_nanos() as f64 / f64::from(CALLS)
        })
        .fold(f64::INFINITY, f64::min)
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_system_call_costs_a_plausible_time() {
        let observer = super::measure();
        // Tens of nanoseconds at the least, never a millisecond.
        assert!(
            observer.syscall_ns > 10.0 && observer.syscall_ns < 1e6,
            "{observer:?}"
        );
        if let Some(counted) = observer.syscall_ns_counted {
            assert!(counted > 10.0 && counted < 1e6, "{observer:?}");
        }
    }
}
