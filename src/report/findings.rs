//! What a scenario's numbers show, as typed findings and before any words:
//! who leads at a size (and who cannot be told from it), and how the best
//! memory map fares against the best call-based method across the sizes.
//! Every comparison goes through [`crate::judge`], so a finding never names
//! a winner the samples call the same within noise. The paragraph
//! ([`super::narrative`]) and "At a glance" ([`super::glance`]) word them.

use super::metrics::{is_map, ranked_at, sizes};
use crate::judge::{self, Judgement, Outcome};
use crate::results::{Cell, ScenarioResult};

/// Who was fastest at one size.
#[derive(Debug, Clone)]
pub(crate) struct Lead<'a> {
    /// The cell with the shortest median time.
    pub first: &'a Cell,
    /// The other cells the judgement cannot tell from `first` (the same
    /// within noise), fastest first.
    pub tied: Vec<&'a Cell>,
    /// The fastest cell judged slower than `first`, if any.
    pub next: Option<&'a Cell>,
}

/// The lead at `size`; `None` when nothing was measured there.
pub(crate) fn lead_at(scenario: &ScenarioResult, size: u64) -> Option<Lead<'_>> {
    let ranked = ranked_at(scenario, size);
    let (&first, rest) = ranked.split_first()?;
    let (tied, slower): (Vec<&Cell>, Vec<&Cell>) = rest
        .iter()
        .partition(|c| judge::cells(first, c).outcome == Outcome::Same);
    Some(Lead {
        first,
        tied,
        next: slower.first().copied(),
    })
}

/// Where the best map stood against the best call-based method.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum MapStands {
    /// The map was judged faster.
    Ahead,
    /// The map was judged slower.
    Behind,
    /// The same within noise.
    Level,
}

/// The best map and the best call-based cell at one size, judged.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Standing<'a> {
    /// File size.
    pub size: u64,
    /// The fastest map cell.
    pub map: &'a Cell,
    /// The fastest call-based cell.
    pub call: &'a Cell,
    /// The map's times judged against the call's.
    pub judgement: Judgement,
}

impl Standing<'_> {
    /// Ahead, behind or level.
    pub fn stands(&self) -> MapStands {
        match self.judgement.outcome {
            Outcome::Faster => MapStands::Ahead,
            Outcome::Slower => MapStands::Behind,
            Outcome::Same => MapStands::Level,
        }
    }

    /// The map's speed over the call's (above 1: the map was faster).
    pub fn speed_ratio(&self) -> f64 {
        self.map.throughput_bytes_per_sec / self.call.throughput_bytes_per_sec
    }
}

/// The best map and the best call-based cell at `size`, if both ran.
pub(crate) fn standing_at(scenario: &ScenarioResult, size: u64) -> Option<Standing<'_>> {
    let ranked = ranked_at(scenario, size);
    let map = *ranked.iter().find(|c| is_map(c))?;
    let call = *ranked.iter().find(|c| !is_map(c))?;
    Some(Standing {
        size,
        map,
        call,
        judgement: judge::cells(call, map),
    })
}

/// A size range where the lead changed hands between the best map and
/// the best call-based method, as judged (sizes where the two were level
/// are stepped over).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Crossover {
    /// The last judged size before the change.
    pub from: u64,
    /// The first judged size after it.
    pub to: u64,
    /// Where the speed ratio crosses 1, interpolated on log scales.
    pub estimate: f64,
    /// True when the map got ahead there, false when it fell behind.
    pub map_overtook: bool,
}

/// How the best map fared against the best call-based method over the
/// sizes of a scenario.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Race {
    /// The lead changed hands, in size order.
    Crossed(Vec<Crossover>),
    /// The map was judged faster at every size; its narrowest lead (size,
    /// speed ratio).
    MapAhead { size: u64, ratio: f64 },
    /// The map was judged slower at every size; the closest it came.
    MapBehind { size: u64, ratio: f64 },
    /// The two were the same within noise at `level` sizes, and where they
    /// differed the lead never changed hands (`map_ahead` says who had it,
    /// `None` when they were level everywhere).
    Level {
        level: Vec<u64>,
        map_ahead: Option<bool>,
    },
}

/// The standings at every size where both kinds ran.
pub(crate) fn standings(scenario: &ScenarioResult) -> Vec<Standing<'_>> {
    sizes(scenario)
        .into_iter()
        .filter_map(|s| standing_at(scenario, s))
        .collect()
}

/// The race over `standings` (in size order); `None` with fewer than two.
pub(crate) fn race(standings: &[Standing]) -> Option<Race> {
    if standings.len() < 2 {
        return None;
    }
    let judged: Vec<&Standing> = standings
        .iter()
        .filter(|s| s.stands() != MapStands::Level)
        .collect();
    let crossovers: Vec<Crossover> = judged
        .windows(2)
        .filter(|pair| pair[0].stands() != pair[1].stands())
        .map(|pair| crossover(pair[0], pair[1]))
        .collect();
    if !crossovers.is_empty() {
        return Some(Race::Crossed(crossovers));
    }
    let level: Vec<u64> = standings
        .iter()
        .filter(|s| s.stands() == MapStands::Level)
        .map(|s| s.size)
        .collect();
    let map_ahead = judged.first().map(|s| s.stands() == MapStands::Ahead);
    if !level.is_empty() {
        return Some(Race::Level { level, map_ahead });
    }
    let by_ratio = |a: &&Standing, b: &&Standing| a.speed_ratio().total_cmp(&b.speed_ratio());
    Some(if map_ahead == Some(true) {
        let s = standings.iter().min_by(by_ratio)?;
        Race::MapAhead {
            size: s.size,
            ratio: s.speed_ratio(),
        }
    } else {
        let s = standings.iter().max_by(by_ratio)?;
        Race::MapBehind {
            size: s.size,
            ratio: s.speed_ratio(),
        }
    })
}

/// The crossover between two judged standings that disagree.
fn crossover(a: &Standing, b: &Standing) -> Crossover {
    let (ra, rb) = (a.speed_ratio().ln(), b.speed_ratio().ln());
    let (la, lb) = ((a.size as f64).log2(), (b.size as f64).log2());
    // Interpolate the log speed ratio on a log size axis; a pair whose
    // ratios do not straddle 1 (judged apart, yet on one side) meets midway.
    let t = if (ra > 0.0) != (rb > 0.0) {
        ra / (ra - rb)
    } else {
        0.5
    };
    Crossover {
        from: a.size,
        to: b.size,
        estimate: 2f64.powf(la + t * (lb - la)),
        map_overtook: b.stands() == MapStands::Ahead,
    }
}

/// One method at one size shared by more threads, against fewer: a cell
/// of a scenario whose operations several threads share, against the cell
/// with the same label and size in the scenario that differs only in its
/// thread count (the one with the fewest threads).
#[derive(Debug, Clone)]
pub(crate) struct Scaling<'a> {
    /// The cell with more threads.
    pub cell: &'a Cell,
    /// The same method and size with fewer threads.
    pub base: &'a Cell,
    /// The base scenario's thread count.
    pub base_threads: u32,
    /// The base scenario's name.
    pub base_scenario: &'a str,
    /// The cell's times judged against the base's (both move the same
    /// bytes, so a time ratio below 1 is a speed-up).
    pub judgement: Judgement,
}

/// How `scenario`'s cells scaled against its sibling among `scenarios`:
/// a scenario with fewer threads that differs from it in nothing else and
/// measured some of the same methods at the same sizes, from the same file
/// if there is one (the counts of one `threads` list), else the one with
/// the fewest threads. Empty for one thread or with no sibling.
pub(crate) fn scaling<'a>(
    scenarios: &'a [ScenarioResult],
    scenario: &'a ScenarioResult,
) -> Vec<Scaling<'a>> {
    if scenario.threads < 2 {
        return Vec::new();
    }
    let same = |a: &Cell, b: &Cell| a.label == b.label && a.size == b.size && a.bytes == b.bytes;
    let sibling = scenarios
        .iter()
        .filter(|other| {
            other.threads < scenario.threads
                && other.operation == scenario.operation
                && other.cache == scenario.cache
                && other.cache_fill == scenario.cache_fill
                && params_but_threads(other) == params_but_threads(scenario)
                && scenario
                    .cells
                    .iter()
                    .any(|c| other.cells.iter().any(|b| same(b, c)))
        })
        .min_by_key(|other| (other.file != scenario.file, other.threads));
    let Some(base) = sibling else {
        return Vec::new();
    };
    scenario
        .cells
        .iter()
        .filter_map(|cell| {
            let found = base.cells.iter().find(|b| same(b, cell))?;
            Some(Scaling {
                cell,
                base: found,
                base_threads: base.threads,
                base_scenario: &base.name,
                judgement: judge::cells(found, cell),
            })
        })
        .collect()
}

/// The operation's parameters without its thread count.
fn params_but_threads(scenario: &ScenarioResult) -> serde_json::Value {
    let mut params = scenario.operation_params.clone();
    if let Some(fields) = params.as_object_mut() {
        fields.remove("threads");
    }
    params
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{cell, race as made_up_race, scenario};
    use crate::vocab::MethodName::{Mmap, Positioned, Unbuffered, Whole};

    #[test]
    fn cells_within_noise_of_the_fastest_tie_with_it() {
        let s = scenario(vec![
            cell("a", Positioned, 4096, 1000),
            cell("b", Unbuffered, 4096, 1005),
            cell("c", Whole, 4096, 1300),
            cell("d", Mmap, 4096, 2000),
        ]);
        let lead = lead_at(&s, 4096).unwrap();
        assert_eq!(lead.first.label, "a");
        let tied: Vec<&str> = lead.tied.iter().map(|c| c.label.as_str()).collect();
        assert_eq!(tied, ["b"]);
        assert_eq!(lead.next.unwrap().label, "c");
        assert!(lead_at(&s, 1 << 20).is_none());
    }

    #[test]
    fn a_clear_winner_ties_with_nobody() {
        let s = scenario(vec![
            cell("a", Positioned, 4096, 1000),
            cell("b", Unbuffered, 4096, 1200),
        ]);
        let lead = lead_at(&s, 4096).unwrap();
        assert!(lead.tied.is_empty());
        assert_eq!(lead.next.unwrap().label, "b");
    }

    #[test]
    fn the_lead_changes_hands_only_between_judged_sizes() {
        // Map behind at 4 KiB, level at 64 KiB, ahead from 1 MiB.
        let s = made_up_race(&[
            (4096, 2000, 1000),
            (65536, 1000, 1005),
            (1 << 20, 1000, 1500),
            (16 << 20, 1000, 2000),
        ]);
        let Some(Race::Crossed(c)) = race(&standings(&s)) else {
            panic!("no crossover");
        };
        assert_eq!(c.len(), 1);
        assert_eq!((c[0].from, c[0].to), (4096, 1 << 20));
        assert!(c[0].map_overtook);
        assert!(c[0].estimate > 4096.0 && c[0].estimate < (1 << 20) as f64);
    }

    #[test]
    fn a_flip_inside_the_noise_is_no_crossover() {
        // The map is 0.5% behind, then 0.5% ahead: level at both.
        let s = made_up_race(&[(4096, 1005, 1000), (65536, 1000, 1005)]);
        assert_eq!(
            race(&standings(&s)),
            Some(Race::Level {
                level: vec![4096, 65536],
                map_ahead: None
            })
        );
        let s = made_up_race(&[(4096, 1000, 1500), (65536, 1000, 1005)]);
        assert_eq!(
            race(&standings(&s)),
            Some(Race::Level {
                level: vec![65536],
                map_ahead: Some(true)
            })
        );
    }

    #[test]
    fn ahead_or_behind_everywhere_names_the_narrowest_gap() {
        let s = made_up_race(&[(4096, 1000, 1500), (65536, 1000, 3000)]);
        let Some(Race::MapAhead { size, ratio }) = race(&standings(&s)) else {
            panic!("not ahead everywhere");
        };
        assert_eq!(size, 4096);
        assert!((ratio - 1.5).abs() < 0.05, "{ratio}");
        let s = made_up_race(&[(4096, 1500, 1000), (65536, 3000, 1000)]);
        let Some(Race::MapBehind { size, .. }) = race(&standings(&s)) else {
            panic!("not behind everywhere");
        };
        assert_eq!(size, 4096);
        assert!(race(&standings(&made_up_race(&[(4096, 1000, 1500)]))).is_none());
    }

    #[test]
    fn threads_scale_against_the_sibling_from_their_own_file() {
        let threaded = |threads: u32, file: &str, ns: u64| {
            let mut s = scenario(vec![cell("mmap", Mmap, 1 << 26, ns)]);
            s.threads = threads;
            s.file = file.to_string();
            s.name = format!("{file}-{threads}");
            if threads > 1 {
                s.operation_params = serde_json::json!({"threads": threads});
            }
            s
        };
        let unrelated = scenario(vec![cell("mmap", Mmap, 4096, 10)]);
        let elsewhere = threaded(1, "other.json", 3000);
        let one = threaded(1, "t.json", 2000);
        let two = threaded(2, "t.json", 1000);
        let all = vec![unrelated, elsewhere, one, two];
        let scaled = scaling(&all, &all[3]);
        assert_eq!(scaled.len(), 1);
        assert_eq!(scaled[0].base_scenario, "t.json-1");
        assert_eq!(scaled[0].base.median_ns, 2000);
        assert!((scaled[0].judgement.ratio - 0.5).abs() < 1e-9);
        assert_eq!(scaled[0].judgement.outcome, Outcome::Faster);
        assert!(
            scaling(&all, &all[2]).is_empty(),
            "one thread has no scaling"
        );
        // Without its own file's sibling, the one from another file serves.
        let without = vec![all[1].clone(), all[3].clone()];
        assert_eq!(
            scaling(&without, &without[1])[0].base_scenario,
            "other.json-1"
        );
    }
}
