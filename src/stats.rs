//! The one summary statistic the suite uses: the median.

use std::cmp::Ordering;

/// The median of `values` (for an even count, the upper of the two middle
/// values, so it is always a value that was measured); `None` when empty.
///
/// ```
/// assert_eq!(mmap_lab::stats::median(&[5, 1, 3]), Some(3));
/// assert_eq!(mmap_lab::stats::median(&[4.0, 1.0]), Some(4.0));
/// assert_eq!(mmap_lab::stats::median::<u64>(&[]), None);
/// ```
pub fn median<T: Copy + PartialOrd>(values: &[T]) -> Option<T> {
    let mut sorted = values.to_vec();
    sorted.sort_by(|a, b| a.partial_cmp(b).unwrap_or(Ordering::Equal));
    sorted.get(sorted.len() / 2).copied()
}
