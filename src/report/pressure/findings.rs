//! What the counters of one pressure scenario show, as typed findings
//! (worded in one place, [`super::words`]): whether `Cached` kept to the
//! budget, who led at each thread count and how the others stood (judged
//! on per-interval samples by [`crate::judge`]), read amplification,
//! reclaim and TLB shootdowns of page-cache methods beside O_DIRECT,
//! intervals with no access, scaling with threads, and fio beside the runs.

use super::figures::Figures;
use crate::judge;
use crate::lasting::access::Way;
use crate::lasting::command::PressureResults;

/// `Cached` may exceed the budget by this share and still be held to it.
pub(crate) const BUDGET_SLACK: f64 = 0.10;
/// Disk bytes per useful byte at or above this is read amplification
/// worth a sentence (the issue's mark for a map with default advice).
pub(crate) const AMPLIFIED: f64 = 4.0;

/// An O_DIRECT run's count at most this share of the page-cache runs'
/// smallest is "near zero" beside them.
pub(crate) const QUIET: f64 = 0.10;

/// How one run's per-interval rates stand against another's.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Standing {
    /// More accesses per second, beyond noise; `ratio` is new over base.
    More { ratio: f64 },
    /// Fewer, beyond noise.
    Fewer { ratio: f64 },
    /// The same within noise.
    Same { ratio: f64 },
}

/// Judges `new`'s per-interval accesses per second against `base`'s.
/// [`judge::judge`] reads its samples as times, where a larger value is
/// slower; for rates a larger value is more work, so its "slower" is "more".
pub(crate) fn standing(base: &[f64], new: &[f64]) -> Standing {
    let judgement = judge::judge(base, new);
    let ratio = judgement.ratio;
    match judgement.outcome {
        judge::Outcome::Slower => Standing::More { ratio },
        judge::Outcome::Faster => Standing::Fewer { ratio },
        judge::Outcome::Same => Standing::Same { ratio },
    }
}

/// A run named for a sentence, with the figure the sentence quotes.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Named {
    /// `label, N threads`.
    pub name: String,
    /// The figure.
    pub value: f64,
}

/// fio's figure for a run beside the run's own.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Peer {
    /// `label, N threads`.
    pub name: String,
    /// The run's accesses per second over its whole length.
    pub ours: f64,
    /// fio's I/Os per second.
    pub fio: f64,
}

/// Reclaim counters of one run.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Reclaim {
    /// `label, N threads`.
    pub name: String,
    /// Refaults over the run.
    pub refaults: u64,
    /// Pages scanned over the run.
    pub pgscan: u64,
}

/// One thing the counters show.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Finding {
    /// The largest `Cached` any run saw against the budget.
    Budget {
        budget: u64,
        max_cached: u64,
        /// The run that saw it.
        name: String,
        /// Within the budget plus [`BUDGET_SLACK`].
        held: bool,
    },
    /// The run with most accesses per second at one thread count, and how
    /// each other run at that count stood against it.
    Ranking {
        threads: u64,
        leader: Named,
        others: Vec<(Named, Standing)>,
    },
    /// A run during which the disk read at least [`AMPLIFIED`] times the
    /// bytes it used (`value` is the ratio).
    Amplified {
        run: Named,
        /// The file is sparse: nothing of it is read from the disk.
        sparse: bool,
        /// The device's read-ahead, when known.
        read_ahead_kb: Option<u64>,
    },
    /// Reclaim while page-cache runs lasted, beside O_DIRECT runs.
    Reclaim {
        cached: Vec<Reclaim>,
        bypass: Vec<Reclaim>,
        /// Every O_DIRECT run refaulted at most [`QUIET`] of the fewest
        /// refaults of a page-cache run.
        quiet: bool,
    },
    /// TLB shootdowns per second of maps beside O_DIRECT runs.
    Shootdowns {
        maps: Vec<Named>,
        bypass: Vec<Named>,
        /// Every O_DIRECT run took at most [`QUIET`] of the fewest
        /// shootdowns per second of a map.
        quiet: bool,
    },
    /// A run with whole intervals in which no access completed.
    Stalled {
        name: String,
        intervals: usize,
        of: usize,
    },
    /// fio's equivalent jobs beside the runs: one figure each, so not
    /// judged, only set side by side.
    Peers {
        peers: Vec<Peer>,
        /// fio ran while the helper held the cache to the budget.
        under_budget: bool,
    },
    /// fio was asked for and could not run: why.
    PeerSkipped(String),
    /// One method at two thread counts: `to` threads against `from`.
    Scaling {
        label: String,
        from: u64,
        to: u64,
        standing: Standing,
    },
}

/// Every finding of one scenario, in the order the paragraph says them.
pub(crate) fn findings(results: &PressureResults) -> Vec<Finding> {
    let figures: Vec<Figures> = results.cells.iter().map(Figures::of).collect();
    let mut out = Vec::new();
    if let Some(budget) = results.scenario.page_cache {
        if let Some(worst) = figures.iter().max_by_key(|f| f.cell.max_cached) {
            let max_cached = worst.cell.max_cached;
            out.push(Finding::Budget {
                budget,
                max_cached,
                name: worst.name(),
                held: max_cached as f64 <= budget as f64 * (1.0 + BUDGET_SLACK),
            });
        }
    }
    out.extend(rankings(&figures));
    out.extend(figures.iter().filter_map(|f| {
        let ratio = f.cell.disk_bytes_per_useful_byte?;
        (ratio >= AMPLIFIED).then(|| Finding::Amplified {
            run: Named {
                name: f.name(),
                value: ratio,
            },
            sparse: results.scenario.sparse,
            read_ahead_kb: results.read_ahead_kb,
        })
    }));
    if results.scenario.page_cache.is_some() {
        let reclaim = |f: &Figures| Reclaim {
            name: f.name(),
            refaults: f.refaults,
            pgscan: f.pgscan,
        };
        let (cached, bypass): (Vec<&Figures>, Vec<&Figures>) =
            figures.iter().partition(|f| f.cached());
        if !cached.is_empty() {
            let fewest = cached.iter().map(|f| f.refaults).min().unwrap_or(0);
            out.push(Finding::Reclaim {
                cached: cached.iter().map(|f| reclaim(f)).collect(),
                bypass: bypass.iter().map(|f| reclaim(f)).collect(),
                quiet: bypass
                    .iter()
                    .all(|f| f.refaults as f64 <= fewest as f64 * QUIET),
            });
        }
        let per_sec = |f: &&Figures| {
            Some(Named {
                name: f.name(),
                value: f.tlb_per_sec()?,
            })
        };
        let maps: Vec<Named> = figures
            .iter()
            .filter(|f| matches!(f.cell.way, Way::Mmap { .. }))
            .filter_map(|f| per_sec(&f))
            .collect();
        if !maps.is_empty() {
            let fewest = maps.iter().map(|m| m.value).fold(f64::INFINITY, f64::min);
            let bypass: Vec<Named> = bypass.iter().filter_map(per_sec).collect();
            out.push(Finding::Shootdowns {
                quiet: bypass.iter().all(|b| b.value <= fewest * QUIET),
                maps,
                bypass,
            });
        }
    }
    out.extend(figures.iter().filter_map(|f| {
        let intervals = f.rates.iter().filter(|r| **r == 0.0).count();
        (intervals > 0).then(|| Finding::Stalled {
            name: f.name(),
            intervals,
            of: f.rates.len(),
        })
    }));
    out.extend(scaling(&figures));
    let peers: Vec<Peer> = figures
        .iter()
        .filter_map(|f| {
            Some(Peer {
                name: f.name(),
                ours: f.cell.accesses_per_sec,
                fio: f.cell.fio.as_ref()?.accesses_per_sec?,
            })
        })
        .collect();
    if !peers.is_empty() {
        out.push(Finding::Peers {
            peers,
            under_budget: results.scenario.page_cache.is_some(),
        });
    }
    if let Some(why) = &results.fio_skipped {
        out.push(Finding::PeerSkipped(why.clone()));
    }
    out
}

/// The median of a run's per-interval rates (0 without samples).
fn median_rate(f: &Figures) -> f64 {
    crate::stats::median(&f.rates).unwrap_or(0.0)
}

fn rankings(figures: &[Figures]) -> Vec<Finding> {
    let mut counts: Vec<u64> = figures.iter().map(|f| f.cell.threads).collect();
    counts.dedup();
    counts
        .into_iter()
        .filter_map(|threads| {
            let at: Vec<&Figures> = figures
                .iter()
                .filter(|f| f.cell.threads == threads)
                .collect();
            let leader = at
                .iter()
                .copied()
                .max_by(|a, b| median_rate(a).total_cmp(&median_rate(b)))?;
            let others: Vec<(Named, Standing)> = at
                .iter()
                .filter(|f| !std::ptr::eq(**f, leader))
                .map(|f| {
                    let named = Named {
                        name: f.name(),
                        value: median_rate(f),
                    };
                    (named, standing(&leader.rates, &f.rates))
                })
                .collect();
            (!others.is_empty()).then(|| Finding::Ranking {
                threads,
                leader: Named {
                    name: leader.name(),
                    value: median_rate(leader),
                },
                others,
            })
        })
        .collect()
}

fn scaling(figures: &[Figures]) -> Vec<Finding> {
    let mut out = Vec::new();
    let mut done: Vec<Way> = Vec::new();
    for first in figures {
        if done.contains(&first.cell.way) {
            continue;
        }
        done.push(first.cell.way);
        let mut runs: Vec<&Figures> = figures
            .iter()
            .filter(|f| f.cell.way == first.cell.way)
            .collect();
        runs.sort_by_key(|f| f.cell.threads);
        for pair in runs.windows(2) {
            if pair[0].cell.threads < pair[1].cell.threads {
                out.push(Finding::Scaling {
                    label: first.cell.label.clone(),
                    from: pair[0].cell.threads,
                    to: pair[1].cell.threads,
                    standing: standing(&pair[0].rates, &pair[1].rates),
                });
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lasting::command::Cell;
    use crate::lasting::run::Outcome;
    use crate::timeline::{Point, SERIES, Timeline};
    use crate::vocab::Advice;
    use std::path::Path;

    const MAP: Way = Way::Mmap {
        advice: Advice::Normal,
    };
    const DIRECT: Way = Way::Direct {};
    const PREAD: Way = Way::Positioned {};

    /// A run whose intervals did `accesses` each, with `per_interval`
    /// setting the system counters of every point.
    fn run(way: Way, threads: u64, accesses: &[u64], per_interval: fn(&mut Point)) -> Cell {
        let points: Vec<Point> = accesses
            .iter()
            .enumerate()
            .map(|(i, n)| {
                let mut p = Point {
                    t_ms: (i as u64 + 1) * 1000,
                    accesses: *n,
                    useful_bytes: n * 4096,
                    cached: 1 << 30,
                    ..Point::default()
                };
                per_interval(&mut p);
                p
            })
            .collect();
        let total: u64 = accesses.iter().sum();
        let seconds = accesses.len() as u64;
        Cell {
            label: way.label(),
            way,
            threads,
            accesses_per_sec: total as f64 / seconds as f64,
            disk_bytes_per_useful_byte: points
                .iter()
                .map(|p| p.disk_read_bytes)
                .sum::<Option<u64>>()
                .map(|d| d as f64 / (total * 4096).max(1) as f64),
            max_cached: points.iter().map(|p| p.cached).max().unwrap_or(0),
            cache_at_budget_ms: Some(1000),
            outcome: Outcome {
                threads: Vec::new(),
                elapsed_ns: seconds * 1_000_000_000,
                accesses: total,
                bytes: total * 4096,
                minor_faults: 0,
                major_faults: 0,
                latency: None,
                timeline: Some(Timeline {
                    interval_ms: 1000,
                    points,
                    disk_note: None,
                    series: SERIES,
                }),
            },
            fio: None,
        }
    }

    fn results(budget: bool, cells: Vec<Cell>) -> PressureResults {
        let text = format!(
            r#"{{"name": "t", "size": "64 MiB", {} "threads": [2], "duration": "5 s",
            "pattern": "random", "record": "4 KiB", "consume": "touch", "methods": [{{"method": "direct"}}]}}"#,
            if budget {
                r#""page_cache": "1 GiB","#
            } else {
                ""
            }
        );
        PressureResults {
            scenario: crate::lasting::spec::from_json(Path::new("t.json"), &text).unwrap(),
            machine: crate::machine::describe("ext4", Path::new("/tmp")),
            read_ahead_kb: Some(128),
            held: None,
            cells,
            fio_skipped: None,
        }
    }

    const STEADY: [u64; 6] = [1000, 1010, 990, 1005, 995, 1000];
    const SLOW: [u64; 6] = [100, 101, 99, 100, 102, 98];

    fn reclaiming(p: &mut Point) {
        p.refaults = 1000;
        p.pgscan = 2000;
        p.tlb_shootdowns = Some(500);
        p.disk_read_bytes = Some(4096 * 10_000);
    }
    fn quiet(p: &mut Point) {
        p.refaults = 5;
        p.pgscan = 5;
        p.tlb_shootdowns = Some(1);
        p.disk_read_bytes = Some(4096 * 1000);
    }

    #[test]
    fn a_scenario_under_a_budget_gives_every_kind_of_finding() {
        let found = findings(&results(
            true,
            vec![
                run(MAP, 2, &[100, 0, 101, 0, 99, 100], reclaiming),
                run(DIRECT, 2, &STEADY, quiet),
            ],
        ));
        assert!(
            matches!(found[0], Finding::Budget { held: true, .. }),
            "{found:?}"
        );
        let Finding::Ranking { leader, others, .. } = &found[1] else {
            panic!("{found:?}")
        };
        assert_eq!(leader.name, "direct, 2 threads");
        assert!(matches!(others[0].1, Standing::Fewer { .. }), "{others:?}");
        // 10,000 pages read from the disk for ~400 used: amplified;
        // O_DIRECT's 1,000 for 1,000: not.
        let amplified: Vec<&Finding> = found
            .iter()
            .filter(|f| matches!(f, Finding::Amplified { .. }))
            .collect();
        assert_eq!(amplified.len(), 1, "{found:?}");
        assert!(
            found
                .iter()
                .any(|f| matches!(f, Finding::Reclaim { quiet: true, .. }))
        );
        assert!(
            found
                .iter()
                .any(|f| matches!(f, Finding::Shootdowns { quiet: true, .. }))
        );
        assert!(found.contains(&Finding::Stalled {
            name: "mmap advice=normal, 2 threads".into(),
            intervals: 2,
            of: 6
        }));
    }

    #[test]
    fn o_direct_that_moved_the_counters_is_not_quiet_and_cache_over_budget_is_said() {
        let mut map = run(MAP, 2, &SLOW, reclaiming);
        map.max_cached = (1 << 30) + (1 << 30) / 5;
        let over = results(true, vec![map, run(DIRECT, 2, &STEADY, reclaiming)]);
        let found = findings(&over);
        assert!(
            matches!(found[0], Finding::Budget { held: false, .. }),
            "{found:?}"
        );
        assert_eq!(
            crate::report::pressure::words::glance_row(&over, &found)[4],
            "over budget (1.2 GiB)"
        );
        assert!(
            found
                .iter()
                .any(|f| matches!(f, Finding::Reclaim { quiet: false, .. }))
        );
        assert!(
            found
                .iter()
                .any(|f| matches!(f, Finding::Shootdowns { quiet: false, .. }))
        );
    }

    #[test]
    fn without_a_budget_there_is_no_reclaim_finding_and_threads_are_judged() {
        let doubled: Vec<u64> = STEADY.iter().map(|n| n * 2).collect();
        let found = findings(&results(
            false,
            vec![
                run(PREAD, 1, &STEADY, quiet),
                run(MAP, 1, &STEADY, quiet),
                run(PREAD, 2, &doubled, quiet),
                run(MAP, 2, &STEADY, quiet),
            ],
        ));
        assert!(!found.iter().any(|f| matches!(
            f,
            Finding::Budget { .. } | Finding::Reclaim { .. } | Finding::Shootdowns { .. }
        )));
        let Finding::Ranking { others, .. } = &found[0] else {
            panic!("{found:?}")
        };
        assert!(matches!(others[0].1, Standing::Same { .. }), "{others:?}");
        let scaling: Vec<&Finding> = found
            .iter()
            .filter(|f| matches!(f, Finding::Scaling { .. }))
            .collect();
        assert_eq!(scaling.len(), 2);
        assert!(matches!(
            scaling[0],
            Finding::Scaling { standing: Standing::More { ratio }, .. } if (ratio - 2.0).abs() < 0.01
        ));
        assert!(matches!(
            scaling[1],
            Finding::Scaling {
                standing: Standing::Same { .. },
                ..
            }
        ));
    }

    #[test]
    fn a_glance_row_names_the_most_the_fewest_and_the_cache() {
        use crate::report::pressure::words::glance_row;
        let budget = results(
            true,
            vec![
                run(MAP, 2, &SLOW, reclaiming),
                run(DIRECT, 2, &STEADY, quiet),
            ],
        );
        let row = glance_row(&budget, &findings(&budget));
        assert_eq!(row[1], "64 MiB data, budget 1 GiB");
        assert_eq!(row[2], "direct, 2 threads: 1,000/s");
        assert_eq!(row[3], "mmap advice=normal, 2 threads: 100/s (10× fewer)");
        assert_eq!(row[4], "held (at most 1.0 GiB)");
        let tied = results(
            false,
            vec![run(PREAD, 2, &STEADY, quiet), run(MAP, 2, &STEADY, quiet)],
        );
        let row = glance_row(&tied, &findings(&tied));
        assert!(row[3].ends_with(": the same within noise"), "{row:?}");
        assert_eq!(row[4], "no budget");
        let alone = results(false, vec![run(PREAD, 2, &STEADY, quiet)]);
        assert_eq!(glance_row(&alone, &findings(&alone))[2], "one run");
    }

    #[test]
    fn fio_beside_the_runs_or_why_not() {
        let mut direct = run(DIRECT, 2, &STEADY, quiet);
        direct.fio = Some(crate::lasting::peer::FioRun {
            command: "fio".into(),
            version: "fio-3.33".into(),
            notes: Vec::new(),
            accesses_per_sec: Some(2000.0),
            bytes_per_sec: Some(8.0e6),
            error: None,
        });
        let mut with = results(false, vec![run(PREAD, 2, &STEADY, quiet), direct]);
        let found = findings(&with);
        assert_eq!(
            found.last(),
            Some(&Finding::Peers {
                peers: vec![Peer {
                    name: "direct, 2 threads".into(),
                    ours: 1000.0,
                    fio: 2000.0
                }],
                under_budget: false
            })
        );
        with.fio_skipped = Some("fio is not on PATH".into());
        assert_eq!(
            findings(&with).last(),
            Some(&Finding::PeerSkipped("fio is not on PATH".into()))
        );
    }
}
