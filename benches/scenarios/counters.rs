//! The counters line printed under each benchmark's timing. Counters cannot be
//! a criterion measurement (criterion drops a benchmark whose samples are all
//! zero, and an mmap read makes zero read calls), so one extra, untimed
//! operation is counted with the library's probe and printed here.

use mmap_lab::results::Counters;
use mmap_lab::units::ApproxSize;

/// One operation's counters, indented to sit under criterion's `time:` line.
pub fn describe(counters: &Counters, resident: Option<f64>) -> String {
    let mut line = format!(
        "{:24}counters: {} read calls ({} to user), {} write calls ({} from user), \
         {} minor + {} major faults, {} read from disk",
        "",
        counters.read_calls,
        ApproxSize(counters.bytes_to_user as f64),
        counters.write_calls,
        ApproxSize(counters.bytes_from_user as f64),
        counters.minor_faults,
        counters.major_faults,
        ApproxSize(counters.disk_read_bytes as f64),
    );
    if let (Some(all), Some(map)) = (counters.syscalls, counters.map_calls) {
        line.push_str(&format!(", {all} syscalls ({map} map-family)"));
    }
    if let Some(fraction) = resident {
        line.push_str(&format!(", {:.0}% resident before", fraction * 100.0));
    }
    line
}
