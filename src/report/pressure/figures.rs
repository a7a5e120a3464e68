//! The numbers a pressure report shows of one run, read from its saved
//! cell: totals of each counter over the timeline, and accesses per
//! second in each whole interval (the samples every comparison judges).

use crate::lasting::command::Cell;
use crate::timeline::Point;

/// An interval shorter than this share of the timeline's interval (the
/// last, cut by the end of the run) gives no rate sample.
pub(crate) const SHORTEST_SAMPLE: f64 = 0.5;

/// One run's figures.
#[derive(Debug, Clone)]
pub(crate) struct Figures<'a> {
    /// The saved run.
    pub cell: &'a Cell,
    /// Accesses per second in each interval long enough to count.
    pub rates: Vec<f64>,
    /// File pages read again soon after eviction (system-wide).
    pub refaults: u64,
    /// Pages scanned for reclaim (system-wide).
    pub pgscan: u64,
    /// TLB shootdowns (system-wide), where the kernel lists them.
    pub tlb: Option<u64>,
    /// Seconds the run lasted.
    pub seconds: f64,
}

impl<'a> Figures<'a> {
    /// Reads a cell's timeline (a cell without one has no samples).
    pub(crate) fn of(cell: &'a Cell) -> Figures<'a> {
        let points: &[Point] = cell
            .outcome
            .timeline
            .as_ref()
            .map_or(&[], |t| t.points.as_slice());
        let interval_ms = cell
            .outcome
            .timeline
            .as_ref()
            .map_or(1000, |t| t.interval_ms.max(1));
        let mut rates = Vec::new();
        let mut previous = 0;
        for point in points {
            let span = point.t_ms.saturating_sub(previous);
            previous = point.t_ms;
            if span as f64 >= interval_ms as f64 * SHORTEST_SAMPLE {
                rates.push(point.accesses as f64 * 1000.0 / span as f64);
            }
        }
        let total = |f: fn(&Point) -> u64| points.iter().map(f).sum::<u64>();
        Figures {
            cell,
            rates,
            refaults: total(|p| p.refaults),
            pgscan: total(|p| p.pgscan),
            tlb: points.iter().map(|p| p.tlb_shootdowns).sum(),
            seconds: cell.outcome.elapsed_ns as f64 / 1e9,
        }
    }

    /// The run's label with its thread count: `positioned, 2 threads`.
    pub(crate) fn name(&self) -> String {
        threads_label(&self.cell.label, self.cell.threads)
    }

    /// True when the method reads through the page cache.
    pub(crate) fn cached(&self) -> bool {
        self.cell.way.uses_page_cache()
    }

    /// TLB shootdowns per second, where counted.
    pub(crate) fn tlb_per_sec(&self) -> Option<f64> {
        Some(self.tlb? as f64 / self.seconds.max(1e-9))
    }
}

/// `label, N thread(s)`.
pub(crate) fn threads_label(label: &str, threads: u64) -> String {
    format!(
        "{label}, {threads} thread{}",
        if threads == 1 { "" } else { "s" }
    )
}
