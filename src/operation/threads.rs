//! Threads sharing one operation's work on one file (the `threads` field
//! of random_read and sequential_read): how the work is split, how each
//! thread's part is run and counted, and how the parts' checksums combine.
//!
//! The parts are fixed by the operation and the file, never by timing:
//! sequential_read gives each thread one contiguous range (cut at page
//! boundaries, so O_DIRECT's alignment holds), random_read gives each
//! thread one contiguous run of the offsets list. Each thread folds its
//! own part; the operation's checksum is then the fold of the parts'
//! checksums in part order, so it is the same whichever thread finishes
//! first, and the reference computes it the same way in memory.

use super::{FieldError, Fields};
use crate::buffer::{note_offset, take_noted_offset};
use crate::checksum::Fold;
use serde::{Deserialize, Serialize};
use std::io;

/// Most threads one operation may use (`threads`).
pub const MAX_THREADS: u64 = 64;

/// Where sequential ranges are cut: a page, which is also O_DIRECT's
/// alignment, so every range but the last starts and ends aligned.
pub const RANGE_GRANULE: u64 = 4096;

/// Reads the `threads` field: a whole number from 1 to [`MAX_THREADS`],
/// 1 when absent.
pub fn parse_threads(fields: &Fields) -> Result<u32, FieldError> {
    let threads = fields.count("threads")?.unwrap_or(1);
    if threads > MAX_THREADS {
        return Err(FieldError::new(
            "threads",
            format!("{threads} threads is more than the {MAX_THREADS} allowed"),
        ));
    }
    Ok(threads as u32)
}

/// What one thread of an operation did: its share of the work.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ThreadPart {
    /// Payload bytes it consumed.
    pub bytes: u64,
    /// Accesses it made: records for random_read, ranges (one each) for
    /// sequential_read.
    pub accesses: u64,
}

/// Cuts `[0, size)` into `threads` contiguous ranges, in order, each a
/// whole number of [`RANGE_GRANULE`]s but the last (which ends at `size`).
/// Granules are dealt as evenly as they go; a file of fewer granules than
/// threads leaves the last ranges empty (the operation refuses that first).
pub fn split_range(size: u64, threads: u32) -> Vec<(u64, u64)> {
    let threads = u64::from(threads.max(1));
    let granules = size.div_ceil(RANGE_GRANULE);
    let mut ranges = Vec::with_capacity(threads as usize);
    let mut start = 0;
    for index in 0..threads {
        let granules_before = granules * (index + 1) / threads;
        let end = (granules_before * RANGE_GRANULE).min(size);
        ranges.push((start, end));
        start = end;
    }
    ranges
}

/// Cuts `offsets` into `threads` contiguous runs, in order, as evenly as
/// they go (the first runs take one more when they do not divide).
pub fn split_offsets(offsets: &[u64], threads: u32) -> Vec<&[u64]> {
    let threads = threads.max(1) as usize;
    let (each, extra) = (offsets.len() / threads, offsets.len() % threads);
    let mut parts = Vec::with_capacity(threads);
    let mut rest = offsets;
    for index in 0..threads {
        let (part, after) = rest.split_at(each + usize::from(index < extra));
        parts.push(part);
        rest = after;
    }
    parts
}

/// Feeds the parts' checksums (8 bytes each, little-endian), in part
/// order, to the operation's `fold`: what a threaded read consumed.
pub fn fold_parts(parts: Vec<Fold>, fold: &mut Fold) {
    for part in parts {
        fold.update(&part.finish().to_le_bytes());
    }
}

/// What a correct threaded read's fold finishes to, from the bytes each
/// part consumes in memory, in part order (the reference).
pub fn combine_reference<'a>(parts: impl Iterator<Item = Vec<&'a [u8]>>) -> u64 {
    let folds = parts
        .map(|pieces| {
            let mut fold = Fold::new();
            for piece in pieces {
                fold.update(piece);
            }
            fold
        })
        .collect();
    let mut combined = Fold::new();
    fold_parts(folds, &mut combined);
    combined.finish()
}

/// Runs `part(index, fold)` for each index below `threads`, each on a
/// thread of its own started for this operation (a kept thread woken for
/// each operation scaled worse on a busy 2-core machine: the scheduler
/// tends to wake it where its waker runs, while a new thread goes to the
/// idlest CPU), each with its own fold, and returns the folds in index
/// order once all have finished. When the calling thread is counting
/// ([`crate::probe::Probe::measure`]), each thread counts its own part
/// from its own per-thread sources and adds it to what the caller reads.
/// Where the threads' copy buffers started is noted on the calling thread,
/// as one thread's would be. A part that panics panics here, after the
/// others have finished.
pub fn run_parts(
    threads: usize,
    part: impl Fn(usize, &mut Fold) -> io::Result<()> + Sync,
) -> io::Result<Vec<Fold>> {
    let counting = crate::probe::WorkerCounting::current();
    std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|index| {
                let (part, counting) = (&part, counting.clone());
                scope.spawn(move || {
                    let mut fold = Fold::new();
                    match counting {
                        Some(counting) => counting.count(|| part(index, &mut fold))?,
                        None => part(index, &mut fold)?,
                    }
                    Ok::<_, io::Error>((fold, take_noted_offset()))
                })
            })
            .collect();
        let outcomes: Vec<_> = workers.into_iter().map(|worker| worker.join()).collect();
        let mut folds = Vec::with_capacity(threads);
        for outcome in outcomes {
            let (fold, offset) =
                outcome.unwrap_or_else(|panic| std::panic::resume_unwind(panic))?;
            if let Some(offset) = offset {
                note_offset(offset);
            }
            folds.push(fold);
        }
        Ok(folds)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_cover_the_file_in_order_at_page_boundaries() {
        let size = 10 * RANGE_GRANULE + 100;
        for threads in 1..=5 {
            let ranges = split_range(size, threads);
            assert_eq!(ranges.len(), threads as usize);
            assert_eq!(ranges[0].0, 0);
            assert_eq!(ranges.last().unwrap().1, size);
            for pair in ranges.windows(2) {
                assert_eq!(pair[0].1, pair[1].0);
                assert_eq!(pair[0].1 % RANGE_GRANULE, 0);
            }
            let longest = ranges.iter().map(|(s, e)| e - s).max().unwrap();
            let shortest = ranges.iter().map(|(s, e)| e - s).min().unwrap();
            assert!(longest - shortest <= RANGE_GRANULE, "{ranges:?}");
        }
    }

    #[test]
    fn offsets_split_into_runs_that_keep_their_order() {
        let offsets: Vec<u64> = (0..7).collect();
        let parts = split_offsets(&offsets, 3);
        assert_eq!(parts, [&[0, 1, 2][..], &[3, 4], &[5, 6]]);
        assert_eq!(split_offsets(&offsets, 1), [&offsets[..]]);
    }

    #[test]
    fn combined_checksum_follows_part_order_not_finishing_order() {
        let data: Vec<u8> = (0..4096u32).map(|i| (i * 7 % 251) as u8).collect();
        let (a, b) = data.split_at(1000);
        let folds = run_parts(2, |index, fold| {
            if index == 0 {
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            fold.update([a, b][index]);
            Ok(())
        })
        .unwrap();
        let expected = combine_reference([vec![a], vec![b]].into_iter());
        let mut combined = Fold::new();
        fold_parts(folds, &mut combined);
        assert_eq!(combined.finish(), expected);
        assert_ne!(expected, combine_reference([vec![b], vec![a]].into_iter()));
    }

    #[test]
    fn a_failing_part_fails_the_operation() {
        let outcome = run_parts(3, |index, _| {
            if index == 1 {
                Err(io::Error::other("part 1 failed"))
            } else {
                Ok(())
            }
        });
        assert_eq!(outcome.unwrap_err().to_string(), "part 1 failed");
    }
}
