//! The page-cache budget's arithmetic, pure so it is tested on made-up
//! `/proc/meminfo` figures: whether a budget is safe to make real, the
//! safety floor, and each step the helper takes (grow, hold, give back).
//!
//! The model: the helper holds touched anonymous memory, which without swap
//! the kernel cannot reclaim, until `MemAvailable` (free memory plus what
//! the kernel can reclaim, the page cache above all) is down to the budget.
//! What is left for the page cache is then about the budget. Other
//! processes' memory and their cache share it (system-wide).

use super::meminfo::MemInfo;

/// The smallest safety floor, whatever the machine's size.
pub const MIN_FLOOR: u64 = 512 << 20;
/// The floor as a share of `MemTotal`: 1/50 (2%).
pub const FLOOR_SHARE: u64 = 50;
/// The most the helper takes in one step, so that it reads `MemAvailable`
/// again before going further.
pub const STEP: u64 = 64 << 20;

/// The default safety floor: `max(512 MiB, 2% of MemTotal)`. When
/// `MemAvailable` falls below it, the helper gives memory back at once:
/// the machine's other processes (and the kernel's own reserves) always
/// keep at least this much.
pub fn default_floor(mem_total: u64) -> u64 {
    MIN_FLOOR.max(mem_total / FLOOR_SHARE)
}

/// A page-cache budget and the floor that guards the machine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Budget {
    /// Bytes left for the page cache: the helper holds memory until
    /// `MemAvailable` is about this.
    pub page_cache: u64,
    /// Below this `MemAvailable` the helper gives memory back at once.
    pub floor: u64,
}

impl Budget {
    /// How far `MemAvailable` may be from the budget before the helper
    /// moves: 1/50 of the budget, at least 32 MiB.
    pub fn tolerance(&self) -> u64 {
        (32 << 20u64).max(self.page_cache / 50)
    }
}

/// Why a budget is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// Swap is on: the kernel would swap the helper out instead of
    /// squeezing the page cache, and the machine would slow down for all.
    #[error(
        "swap is on (SwapTotal {swap} MiB): the helper's memory would be swapped out instead of the page cache being squeezed; turn swap off (swapoff -a) or use a file larger than memory instead"
    )]
    Swap {
        /// SwapTotal in MiB.
        swap: u64,
    },
    /// The budget is below the safety floor, so the helper would have to
    /// give back what it holds as soon as it reached the budget.
    #[error(
        "page_cache {budget} MiB is below the safety floor of {floor} MiB (max(512 MiB, 2% of MemTotal), or as set): a smaller budget would leave the machine too little memory"
    )]
    BelowFloor {
        /// The budget in MiB.
        budget: u64,
        /// The floor in MiB.
        floor: u64,
    },
    /// `MemAvailable` is not above the budget: there is nothing to hold.
    #[error(
        "too little memory: MemAvailable is {available} MiB, not above page_cache {budget} MiB plus {tolerance} MiB, so there is nothing for the helper to hold; choose a smaller page_cache"
    )]
    TooLittleMemory {
        /// MemAvailable in MiB.
        available: u64,
        /// The budget in MiB.
        budget: u64,
        /// The tolerance in MiB.
        tolerance: u64,
    },
}

/// Refuses a budget that cannot be made real safely on a machine that
/// reports `info`.
pub fn check(info: &MemInfo, budget: &Budget) -> Result<(), Refusal> {
    if info.swap_total > 0 {
        return Err(Refusal::Swap {
            swap: info.swap_total >> 20,
        });
    }
    if budget.page_cache < budget.floor {
        return Err(Refusal::BelowFloor {
            budget: budget.page_cache >> 20,
            floor: budget.floor >> 20,
        });
    }
    if info.mem_available <= budget.page_cache + budget.tolerance() {
        return Err(Refusal::TooLittleMemory {
            available: info.mem_available >> 20,
            budget: budget.page_cache >> 20,
            tolerance: budget.tolerance() >> 20,
        });
    }
    Ok(())
}

/// What the helper does next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Take and touch this many more bytes.
    Grow(u64),
    /// `MemAvailable` is within the tolerance of the budget: keep all.
    Hold,
    /// Give back this many bytes to bring `MemAvailable` back up to the
    /// budget (another process took memory).
    Rebalance(u64),
    /// `MemAvailable` is below the floor: give back this many bytes now.
    Emergency(u64),
}

/// The next step for a helper holding `held` bytes when `/proc/meminfo`
/// says `available` is `MemAvailable`. Grows by at most [`STEP`] at a
/// time; gives back whatever brings `MemAvailable` to the budget (below
/// the floor: to the budget too, at once), never more than it holds.
pub fn next_step(available: u64, held: u64, budget: &Budget) -> Step {
    let tolerance = budget.tolerance();
    if available < budget.floor {
        return match (budget.page_cache - available.min(budget.page_cache)).min(held) {
            0 => Step::Hold,
            bytes => Step::Emergency(bytes),
        };
    }
    if available > budget.page_cache + tolerance {
        return Step::Grow((available - budget.page_cache).min(STEP));
    }
    if available + tolerance < budget.page_cache && held > 0 {
        return Step::Rebalance((budget.page_cache - available).min(held));
    }
    Step::Hold
}

#[cfg(test)]
mod tests {
    use super::super::meminfo::{parse, tests::text};
    use super::*;

    const GIB: u64 = 1 << 30;
    const MIB: u64 = 1 << 20;

    fn info(total_gib: u64, available_gib: u64, swap_gib: u64) -> MemInfo {
        parse(
            text(
                total_gib << 20,
                available_gib << 20,
                1 << 20,
                swap_gib << 20,
            )
            .as_bytes(),
        )
        .unwrap()
    }

    #[test]
    fn the_floor_is_half_a_gib_or_two_percent() {
        assert_eq!(default_floor(8 * GIB), 512 * MIB);
        assert_eq!(default_floor(24 * GIB), 512 * MIB);
        assert_eq!(default_floor(100 * GIB), 2 * GIB);
    }

    #[test]
    fn swap_is_refused_with_its_size() {
        let budget = Budget {
            page_cache: GIB,
            floor: 512 * MIB,
        };
        let refusal = check(&info(24, 20, 2), &budget).unwrap_err();
        assert_eq!(refusal, Refusal::Swap { swap: 2048 });
        assert!(refusal.to_string().contains("swap is on"));
    }

    #[test]
    fn a_budget_below_the_floor_is_refused() {
        let budget = Budget {
            page_cache: 256 * MIB,
            floor: 512 * MIB,
        };
        assert!(matches!(
            check(&info(24, 20, 0), &budget),
            Err(Refusal::BelowFloor {
                budget: 256,
                floor: 512
            })
        ));
    }

    #[test]
    fn too_little_available_memory_is_refused() {
        let budget = Budget {
            page_cache: 4 * GIB,
            floor: 512 * MIB,
        };
        assert!(matches!(
            check(&info(8, 4, 0), &budget),
            Err(Refusal::TooLittleMemory {
                available: 4096,
                ..
            })
        ));
        check(&info(24, 20, 0), &budget).unwrap();
    }

    #[test]
    fn the_helper_grows_in_steps_until_the_budget() {
        let budget = Budget {
            page_cache: GIB,
            floor: 512 * MIB,
        };
        assert_eq!(next_step(20 * GIB, 0, &budget), Step::Grow(STEP));
        assert_eq!(
            next_step(GIB + 40 * MIB, 19 * GIB, &budget),
            Step::Grow(40 * MIB)
        );
        assert_eq!(next_step(GIB + 10 * MIB, 19 * GIB, &budget), Step::Hold);
        assert_eq!(next_step(GIB - 10 * MIB, 19 * GIB, &budget), Step::Hold);
    }

    #[test]
    fn the_helper_simulated_settles_at_the_budget() {
        // A machine where every byte held comes out of MemAvailable.
        let budget = Budget {
            page_cache: 3 * GIB,
            floor: GIB,
        };
        let (mut available, mut held) = (20 * GIB + 12_345, 0);
        for _ in 0..10_000 {
            match next_step(available, held, &budget) {
                Step::Grow(n) => (available, held) = (available - n, held + n),
                Step::Hold => break,
                other => panic!("unexpected {other:?}"),
            }
        }
        assert!(available.abs_diff(budget.page_cache) <= budget.tolerance());
        assert_eq!(held + available, 20 * GIB + 12_345);
    }

    #[test]
    fn another_process_taking_memory_gets_it_back() {
        let budget = Budget {
            page_cache: 4 * GIB,
            floor: GIB,
        };
        assert_eq!(next_step(3 * GIB, 10 * GIB, &budget), Step::Rebalance(GIB));
        assert_eq!(next_step(3 * GIB, 0, &budget), Step::Hold);
    }

    #[test]
    fn below_the_floor_memory_goes_back_at_once() {
        let budget = Budget {
            page_cache: 4 * GIB,
            floor: GIB,
        };
        assert_eq!(
            next_step(GIB / 2, 10 * GIB, &budget),
            Step::Emergency(4 * GIB - GIB / 2)
        );
        assert_eq!(next_step(GIB / 2, MIB, &budget), Step::Emergency(MIB));
        assert_eq!(next_step(GIB / 2, 0, &budget), Step::Hold);
    }
}
