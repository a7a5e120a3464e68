//! A thread that records a [`Point`] every interval while a run lasts.

use super::snapshot::{Snapshot, Sources};
use super::{Point, SERIES, Timeline};
use std::sync::Arc;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// The run's own progress so far: (accesses, useful bytes), cumulative.
pub type Progress = Arc<dyn Fn() -> (u64, u64) + Send + Sync>;

/// The longest interval a timeline may have.
pub const MAX_INTERVAL: Duration = Duration::from_secs(1);

/// A running sampler; [`Sampler::finish`] stops it and returns the timeline.
pub struct Sampler {
    stop: mpsc::Sender<()>,
    thread: JoinHandle<Timeline>,
}

impl Sampler {
    /// Takes a first reading, then samples every `interval` (at most
    /// [`MAX_INTERVAL`]) on its own thread.
    pub fn start(sources: Sources, interval: Duration, progress: Progress) -> Sampler {
        let interval = interval.min(MAX_INTERVAL).max(Duration::from_millis(10));
        let (stop, stopped) = mpsc::channel();
        // The first reading is taken here, before the caller starts its
        // work, so that the first interval misses none of it.
        let started = Instant::now();
        let mut before = (Snapshot::read(&sources), progress());
        let thread = std::thread::spawn(move || {
            let mut points = Vec::new();
            let mut next = started + interval;
            loop {
                let wait = next.saturating_duration_since(Instant::now());
                let last = !matches!(stopped.recv_timeout(wait), Err(RecvTimeoutError::Timeout));
                let now = (Snapshot::read(&sources), progress());
                let t_ms = started.elapsed().as_millis() as u64;
                // The last interval is usually shorter; its t_ms says so.
                points.push(point(t_ms, &before, &now, sources.ticks_per_sec));
                if last {
                    break;
                }
                before = now;
                next += interval;
            }
            Timeline {
                interval_ms: interval.as_millis() as u64,
                points,
                disk_note: sources.disk.err(),
                series: SERIES,
            }
        });
        Sampler { stop, thread }
    }

    /// Stops sampling (after one last point) and returns the timeline.
    pub fn finish(self) -> Timeline {
        let _ = self.stop.send(());
        self.thread.join().unwrap_or_default()
    }
}

fn point(
    t_ms: u64,
    before: &(Snapshot, (u64, u64)),
    now: &(Snapshot, (u64, u64)),
    ticks: u64,
) -> Point {
    let (a, b) = (&before.0, &now.0);
    let delta = |x: Option<u64>, y: Option<u64>| Some(y?.saturating_sub(x?));
    Point {
        t_ms,
        accesses: now.1.0.saturating_sub(before.1.0),
        useful_bytes: now.1.1.saturating_sub(before.1.1),
        disk_read_bytes: delta(a.sectors_read, b.sectors_read).map(|s| s * 512),
        minor_faults: b.faults.0.saturating_sub(a.faults.0),
        major_faults: b.faults.1.saturating_sub(a.faults.1),
        tlb_shootdowns: delta(a.tlb_shootdowns, b.tlb_shootdowns),
        pgscan: (b.vmstat.pgscan_kswapd + b.vmstat.pgscan_direct)
            .saturating_sub(a.vmstat.pgscan_kswapd + a.vmstat.pgscan_direct),
        pgsteal: (b.vmstat.pgsteal_kswapd + b.vmstat.pgsteal_direct)
            .saturating_sub(a.vmstat.pgsteal_kswapd + a.vmstat.pgsteal_direct),
        allocstall: b.vmstat.allocstall.saturating_sub(a.vmstat.allocstall),
        refaults: b
            .vmstat
            .workingset_refault_file
            .saturating_sub(a.vmstat.workingset_refault_file),
        kswapd_cpu_ms: delta(a.kswapd_ticks, b.kswapd_ticks).map(|t| t * 1000 / ticks),
        cached: b.meminfo.cached,
        mapped: b.meminfo.mapped,
        mem_available: b.meminfo.mem_available,
        stall_some_us: delta(
            a.pressure.map(|p| p.some_total_us),
            b.pressure.map(|p| p.some_total_us),
        ),
        stall_full_us: delta(
            a.pressure.map(|p| p.full_total_us),
            b.pressure.map(|p| p.full_total_us),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU64, Ordering};

    #[test]
    fn a_live_timeline_has_a_point_per_interval_and_counts_progress() {
        let done = Arc::new(AtomicU64::new(0));
        let seen = Arc::clone(&done);
        let progress: Progress = Arc::new(move || {
            let n = seen.load(Ordering::Relaxed);
            (n, n * 4096)
        });
        let sampler = Sampler::start(
            Sources::find(&std::env::temp_dir()),
            Duration::from_millis(50),
            progress,
        );
        for _ in 0..5 {
            std::thread::sleep(Duration::from_millis(50));
            done.fetch_add(10, Ordering::Relaxed);
        }
        std::thread::sleep(Duration::from_millis(20));
        let timeline = sampler.finish();
        assert!(
            (4..=7).contains(&timeline.points.len()),
            "{:?}",
            timeline.points.len()
        );
        assert_eq!(timeline.total(|p| p.accesses), 50);
        assert_eq!(timeline.total(|p| p.useful_bytes), 50 * 4096);
        assert!(timeline.points.windows(2).all(|w| w[0].t_ms < w[1].t_ms));
        assert!(
            timeline
                .points
                .iter()
                .all(|p| p.mem_available > 0 && p.cached > 0)
        );
    }
}
