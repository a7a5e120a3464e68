//! The one place pressure findings become sentences: the paragraph of a
//! scenario and its row of "At a glance", for the HTML page and
//! summary.md alike.

#[cfg(test)]
use super::findings::Peer;
use super::findings::{BUDGET_SLACK, Finding, Named, QUIET, Reclaim, Standing};
use crate::lasting::command::PressureResults;
use crate::report::format::{bytes, count, decimal, percent, ratio};
use crate::units::ExactSize;

/// Accesses per second as text: `26,555/s`.
fn per_sec(value: f64) -> String {
    format!("{}/s", decimal(value))
}

/// `a`, `a and b`, `a, b and c`.
fn list(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// How a run stood against the leader, as a clause.
fn against_leader(other: &Named, standing: Standing) -> String {
    match standing {
        Standing::Same { .. } => format!(
            "{} was the same within noise ({})",
            other.name,
            per_sec(other.value)
        ),
        Standing::Fewer { ratio: r } => format!(
            "{} did {} fewer ({})",
            other.name,
            ratio(1.0 / r.max(1e-12)),
            per_sec(other.value)
        ),
        Standing::More { ratio: r } => format!(
            "{} did {} more over its intervals although its median is lower ({})",
            other.name,
            ratio(r),
            per_sec(other.value)
        ),
    }
}

fn reclaim_list(runs: &[Reclaim]) -> String {
    list(
        &runs
            .iter()
            .map(|r| {
                format!(
                    "{} {} refaults and {} pages scanned",
                    r.name,
                    count(r.refaults),
                    count(r.pgscan)
                )
            })
            .collect::<Vec<_>>(),
    )
}

fn rates_list(runs: &[Named]) -> String {
    list(
        &runs
            .iter()
            .map(|r| format!("{} {}", r.name, per_sec(r.value)))
            .collect::<Vec<_>>(),
    )
}

/// One finding as a sentence.
pub(crate) fn sentence(finding: &Finding) -> String {
    match finding {
        Finding::Budget {
            budget,
            max_cached,
            name,
            held: true,
        } => format!(
            "Cached stayed within the page-cache budget plus {}: at most {} against {} (while {name} ran).",
            percent(BUDGET_SLACK),
            bytes(*max_cached),
            ExactSize(*budget)
        ),
        Finding::Budget {
            budget,
            max_cached,
            name,
            held: false,
        } => format!(
            "Cached rose to {} while {name} ran, more than {} above the {} budget: other processes' files and tmpfs count in Cached, and the helper gives memory back when MemAvailable nears its floor.",
            bytes(*max_cached),
            percent(BUDGET_SLACK),
            ExactSize(*budget)
        ),
        Finding::Ranking {
            threads,
            leader,
            others,
        } => {
            let clauses: Vec<String> = others
                .iter()
                .map(|(other, standing)| against_leader(other, *standing))
                .collect();
            format!(
                "With {threads} thread{}, {} did the most accesses ({} over its intervals' median); {}.",
                if *threads == 1 { "" } else { "s" },
                leader.name,
                per_sec(leader.value),
                list(&clauses)
            )
        }
        Finding::Amplified {
            run,
            sparse: false,
            read_ahead_kb,
        } => format!(
            "While {} ran the disk read {} the bytes it used: each miss reads its neighbours too{}, and most are evicted before they are used.",
            run.name,
            ratio(run.value),
            read_ahead_kb.map_or(String::new(), |kb| format!(
                " (the device's read-ahead is {})",
                ExactSize(kb * 1024)
            ))
        ),
        Finding::Amplified {
            run, sparse: true, ..
        } => format!(
            "While {} ran the disk read {} the bytes it used, although a sparse file is never read from the disk: those reads are other processes' files, evicted by the same squeeze.",
            run.name,
            ratio(run.value)
        ),
        Finding::Reclaim {
            cached,
            bypass,
            quiet,
        } => {
            let first = if cached.iter().all(|r| r.refaults == 0 && r.pgscan == 0) {
                "No reclaim was counted while the page-cache runs lasted.".to_string()
            } else {
                format!(
                    "The kernel reclaimed while the page-cache runs lasted: {}.",
                    reclaim_list(cached)
                )
            };
            let second = match (bypass.is_empty(), quiet) {
                (true, _) => String::new(),
                (false, true) => format!(
                    " The O_DIRECT runs, which keep nothing in the cache, stayed near zero beside them (at most {} of the fewest): {}.",
                    percent(QUIET),
                    reclaim_list(bypass)
                ),
                (false, false) => format!(
                    " The O_DIRECT runs keep nothing in the cache, yet the counters moved while they ran too ({}): they count the whole machine, whose other files are squeezed as well.",
                    reclaim_list(bypass)
                ),
            };
            format!("{first}{second}")
        }
        Finding::Shootdowns {
            maps,
            bypass,
            quiet,
        } => {
            let first = format!("TLB shootdowns per second: {}.", rates_list(maps));
            let second = match (bypass.is_empty(), quiet) {
                (true, _) => String::new(),
                (false, true) => format!(
                    " O_DIRECT unmaps nothing and stayed near zero ({}).",
                    rates_list(bypass)
                ),
                (false, false) => format!(
                    " O_DIRECT unmaps nothing, yet {} were counted while it ran: the count is the whole machine's.",
                    rates_list(bypass)
                ),
            };
            format!("{first}{second}")
        }
        Finding::Peers {
            peers,
            under_budget,
        } => format!(
            "fio's equivalent jobs, run right after each{} (one figure each, so not judged): {}.",
            if *under_budget {
                " under the same budget"
            } else {
                ""
            },
            list(
                &peers
                    .iter()
                    .map(|p| format!(
                        "{} {} beside {} ({} of ours)",
                        p.name,
                        per_sec(p.fio),
                        per_sec(p.ours),
                        ratio(p.fio / p.ours.max(1e-12))
                    ))
                    .collect::<Vec<_>>()
            )
        ),
        Finding::PeerSkipped(why) => format!("fio did not run beside the runs: {why}."),
        Finding::Stalled {
            name,
            intervals,
            of,
        } => format!("{name} completed no access at all in {intervals} of its {of} intervals."),
        Finding::Scaling {
            label,
            from,
            to,
            standing,
        } => match standing {
            Standing::More { ratio: r } => format!(
                "{label}: {to} threads did {} the accesses per second of {from}.",
                ratio(*r)
            ),
            Standing::Same { ratio: r } => format!(
                "{label}: {to} threads were the same within noise as {from} ({}).",
                ratio(*r)
            ),
            Standing::Fewer { ratio: r } => format!(
                "{label}: {to} threads did fewer accesses per second than {from} ({}).",
                ratio(*r)
            ),
        },
    }
}

/// The paragraph of one scenario: every finding, in order.
pub(crate) fn paragraph(findings: &[Finding]) -> String {
    if findings.is_empty() {
        return "Nothing to compare: the scenario has a single run with no budget.".to_string();
    }
    findings.iter().map(sentence).collect::<Vec<_>>().join(" ")
}

/// The headers of "At a glance".
pub(crate) const GLANCE_HEADERS: [&str; 5] = ["scenario", "file", "most", "fewest", "cache"];

/// One scenario's row of "At a glance".
pub(crate) fn glance_row(results: &PressureResults, findings: &[Finding]) -> [String; 5] {
    let spec = &results.scenario;
    let file = format!(
        "{} {}, {}",
        ExactSize(spec.size),
        if spec.sparse { "sparse" } else { "data" },
        spec.page_cache.map_or("no budget".to_string(), |b| format!(
            "budget {}",
            ExactSize(b)
        ))
    );
    // The ranking at the most threads speaks for the scenario.
    let ranking = findings.iter().rev().find_map(|f| match f {
        Finding::Ranking { leader, others, .. } => Some((leader, others)),
        _ => None,
    });
    let (most, fewest) = match ranking {
        None => ("one run".to_string(), String::new()),
        Some((leader, others)) => {
            let last = others
                .iter()
                .min_by(|a, b| a.0.value.total_cmp(&b.0.value))
                .map(|(named, standing)| match standing {
                    Standing::Same { .. } => format!("{}: the same within noise", named.name),
                    _ => format!(
                        "{}: {} ({} fewer)",
                        named.name,
                        per_sec(named.value),
                        ratio(leader.value / named.value.max(1e-12))
                    ),
                })
                .unwrap_or_default();
            (format!("{}: {}", leader.name, per_sec(leader.value)), last)
        }
    };
    let cache = findings
        .iter()
        .find_map(|f| match f {
            Finding::Budget {
                held: true,
                max_cached,
                ..
            } => Some(format!("held (at most {})", bytes(*max_cached))),
            Finding::Budget {
                held: false,
                max_cached,
                ..
            } => Some(format!("over budget ({})", bytes(*max_cached))),
            _ => None,
        })
        .unwrap_or_else(|| "no budget".to_string());
    [spec.name.clone(), file, most, fewest, cache]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn named(name: &str, value: f64) -> Named {
        Named {
            name: name.to_string(),
            value,
        }
    }

    fn reclaim(name: &str, refaults: u64, pgscan: u64) -> Reclaim {
        Reclaim {
            name: name.to_string(),
            refaults,
            pgscan,
        }
    }

    #[test]
    fn the_budget_is_held_or_not() {
        let held = sentence(&Finding::Budget {
            budget: 1536 << 20,
            max_cached: 1600 << 20,
            name: "direct, 2 threads".into(),
            held: true,
        });
        assert_eq!(
            held,
            "Cached stayed within the page-cache budget plus 10%: at most 1.6 GiB against 1536 MiB (while direct, 2 threads ran)."
        );
        let over = sentence(&Finding::Budget {
            budget: 1 << 30,
            max_cached: 2 << 30,
            name: "m".into(),
            held: false,
        });
        assert!(
            over.starts_with(
                "Cached rose to 2.0 GiB while m ran, more than 10% above the 1 GiB budget"
            ),
            "{over}"
        );
    }

    #[test]
    fn a_ranking_words_each_standing() {
        let text = sentence(&Finding::Ranking {
            threads: 2,
            leader: named("uring, 2 threads", 57536.0),
            others: vec![
                (
                    named("direct, 2 threads", 26069.0),
                    Standing::Fewer { ratio: 0.453 },
                ),
                (
                    named("pread, 2 threads", 56000.0),
                    Standing::Same { ratio: 0.97 },
                ),
                (
                    named("odd, 2 threads", 50000.0),
                    Standing::More { ratio: 1.05 },
                ),
            ],
        });
        assert_eq!(
            text,
            "With 2 threads, uring, 2 threads did the most accesses (57,536/s over its intervals' median); direct, 2 threads did 2.21× fewer (26,069/s), pread, 2 threads was the same within noise (56,000/s) and odd, 2 threads did 1.05× more over its intervals although its median is lower (50,000/s)."
        );
        let one = sentence(&Finding::Ranking {
            threads: 1,
            leader: named("a", 10.0),
            others: vec![(named("b", 1.0), Standing::Fewer { ratio: 0.1 })],
        });
        assert!(one.starts_with("With 1 thread, a did"), "{one}");
    }

    #[test]
    fn amplification_on_data_and_on_a_sparse_file() {
        let data = sentence(&Finding::Amplified {
            run: named("mmap advice=normal, 2 threads", 1592.5),
            sparse: false,
            read_ahead_kb: Some(8192),
        });
        assert_eq!(
            data,
            "While mmap advice=normal, 2 threads ran the disk read 1592× the bytes it used: each miss reads its neighbours too (the device's read-ahead is 8 MiB), and most are evicted before they are used."
        );
        let unknown = sentence(&Finding::Amplified {
            run: named("m", 5.0),
            sparse: false,
            read_ahead_kb: None,
        });
        assert!(unknown.contains("neighbours too, and"), "{unknown}");
        let sparse = sentence(&Finding::Amplified {
            run: named("m", 99.0),
            sparse: true,
            read_ahead_kb: Some(8192),
        });
        assert!(
            sparse.contains("a sparse file is never read from the disk"),
            "{sparse}"
        );
    }

    #[test]
    fn reclaim_beside_o_direct() {
        let cached = vec![reclaim("pread", 213492, 215497)];
        let quiet = sentence(&Finding::Reclaim {
            cached: cached.clone(),
            bypass: vec![reclaim("direct", 12, 40)],
            quiet: true,
        });
        assert_eq!(
            quiet,
            "The kernel reclaimed while the page-cache runs lasted: pread 213,492 refaults and 215,497 pages scanned. The O_DIRECT runs, which keep nothing in the cache, stayed near zero beside them (at most 10% of the fewest): direct 12 refaults and 40 pages scanned."
        );
        let loud = sentence(&Finding::Reclaim {
            cached: cached.clone(),
            bypass: vec![reclaim("direct", 63513, 83933)],
            quiet: false,
        });
        assert!(
            loud.contains("yet the counters moved while they ran too"),
            "{loud}"
        );
        let alone = sentence(&Finding::Reclaim {
            cached,
            bypass: vec![],
            quiet: true,
        });
        assert!(!alone.contains("O_DIRECT"), "{alone}");
        let none = sentence(&Finding::Reclaim {
            cached: vec![reclaim("pread", 0, 0)],
            bypass: vec![],
            quiet: true,
        });
        assert_eq!(
            none,
            "No reclaim was counted while the page-cache runs lasted."
        );
    }

    #[test]
    fn shootdowns_beside_o_direct() {
        let maps = vec![named("mmap", 869.0), named("mmap random", 323.0)];
        let quiet = sentence(&Finding::Shootdowns {
            maps: maps.clone(),
            bypass: vec![named("direct", 3.0)],
            quiet: true,
        });
        assert_eq!(
            quiet,
            "TLB shootdowns per second: mmap 869/s and mmap random 323/s. O_DIRECT unmaps nothing and stayed near zero (direct 3.00/s)."
        );
        let loud = sentence(&Finding::Shootdowns {
            maps: maps.clone(),
            bypass: vec![named("direct", 55.0)],
            quiet: false,
        });
        assert!(loud.contains("the count is the whole machine's"), "{loud}");
        let alone = sentence(&Finding::Shootdowns {
            maps,
            bypass: vec![],
            quiet: true,
        });
        assert!(alone.ends_with("mmap random 323/s."), "{alone}");
    }

    #[test]
    fn stalls_and_scaling() {
        assert_eq!(
            sentence(&Finding::Stalled {
                name: "mmap, 2 threads".into(),
                intervals: 3,
                of: 10
            }),
            "mmap, 2 threads completed no access at all in 3 of its 10 intervals."
        );
        let scaling = |standing| {
            sentence(&Finding::Scaling {
                label: "positioned".into(),
                from: 1,
                to: 2,
                standing,
            })
        };
        assert_eq!(
            scaling(Standing::More { ratio: 1.8 }),
            "positioned: 2 threads did 1.80× the accesses per second of 1."
        );
        assert_eq!(
            scaling(Standing::Same { ratio: 1.01 }),
            "positioned: 2 threads were the same within noise as 1 (1.01×)."
        );
        assert_eq!(
            scaling(Standing::Fewer { ratio: 0.7 }),
            "positioned: 2 threads did fewer accesses per second than 1 (0.70×)."
        );
    }

    #[test]
    fn fio_beside_or_skipped() {
        let runs = vec![
            Peer {
                name: "direct, 2 threads".into(),
                ours: 26069.0,
                fio: 28000.0,
            },
            Peer {
                name: "mmap, 2 threads".into(),
                ours: 265.0,
                fio: 530.0,
            },
        ];
        let peers = sentence(&Finding::Peers {
            peers: runs.clone(),
            under_budget: true,
        });
        assert_eq!(
            peers,
            "fio's equivalent jobs, run right after each under the same budget (one figure each, so not judged): direct, 2 threads 28,000/s beside 26,069/s (1.07× of ours) and mmap, 2 threads 530/s beside 265/s (2.00× of ours)."
        );
        let warm = sentence(&Finding::Peers {
            peers: runs,
            under_budget: false,
        });
        assert!(
            warm.starts_with("fio's equivalent jobs, run right after each (one figure"),
            "{warm}"
        );
        assert_eq!(
            sentence(&Finding::PeerSkipped("fio is not on PATH".into())),
            "fio did not run beside the runs: fio is not on PATH."
        );
    }

    #[test]
    fn an_empty_paragraph_says_so() {
        assert!(paragraph(&[]).starts_with("Nothing to compare"));
    }
}
