//! Text for people: escaping for HTML, counts with digit grouping, ratios,
//! shares and the tick labels of chart axes.

use crate::results::Machine;
use crate::units::{ApproxSize, ExactSize, Rate};

/// Escapes the five characters that matter in HTML text and attribute
/// values, and shows control characters other than line breaks as text.
pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    // Escape codes and other controls show as text, never act.
    crate::user_text::visible_controls(&out)
}

/// A whole number with thousands grouped by commas: `65536` prints as `65,536`.
pub(crate) fn count(value: u64) -> String {
    let digits = value.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A count that may be unknown; unknown prints as `n/a`.
pub(crate) fn maybe_count(value: Option<u64>) -> String {
    value.map_or_else(|| "n/a".to_string(), count)
}

/// The CPU facts a run recorded beside the model name (vendor, microcode,
/// flags of interest, caches), named, each only when the file has it: files
/// written before they were recorded give none.
pub(crate) fn cpu_details(machine: &Machine) -> Vec<(&'static str, String)> {
    let mut details = Vec::new();
    if !machine.cpu_vendor.is_empty() {
        details.push(("vendor", machine.cpu_vendor.clone()));
    }
    if !machine.microcode.is_empty() {
        details.push(("microcode", machine.microcode.clone()));
    }
    if !machine.cpu_flags.is_empty() {
        details.push(("flags", machine.cpu_flags.join(" ")));
    }
    let c = &machine.caches;
    let caches: Vec<String> = [("L1d", c.l1d), ("L2", c.l2), ("L3", c.l3)]
        .into_iter()
        .filter_map(|(name, size)| Some(format!("{name} {}", ExactSize(size?))))
        .collect();
    if !caches.is_empty() {
        details.push(("caches", caches.join(", ")));
    }
    details
}

/// The facts that decide how a file sits in the page cache (the shmem
/// THP setting, the device's read-ahead, whether the file system makes
/// large folios), named, each only when the file has it.
pub(crate) fn page_cache_details(machine: &Machine) -> Vec<(&'static str, String)> {
    let mut details = Vec::new();
    if !machine.thp_shmem.is_empty() {
        details.push(("THP for shmem and tmpfs", machine.thp_shmem.clone()));
    }
    if let Some(kb) = machine.read_ahead_kb {
        details.push(("device read-ahead", ExactSize(kb * 1024).to_string()));
    }
    if let Some(large) = machine.large_folios {
        details.push((
            "large folios",
            if large {
                "yes: a file written in one write sits in folios larger than a page"
            } else {
                "no: every folio is one page"
            }
            .to_string(),
        ));
    }
    details
}

/// A measured byte amount: exact when zero, approximate otherwise.
pub(crate) fn bytes(value: u64) -> String {
    if value == 0 {
        "0".to_string()
    } else {
        ApproxSize(value as f64).to_string()
    }
}

/// A fractional amount with about three significant digits (`0.25`, `12.5`, `1,024`).
pub(crate) fn decimal(value: f64) -> String {
    if value == 0.0 {
        "0".to_string()
    } else if value.abs() >= 1000.0 {
        count(value.round() as u64)
    } else if value.abs() >= 100.0 {
        format!("{value:.0}")
    } else if value.abs() >= 10.0 {
        format!("{value:.1}")
    } else if value.abs() >= 0.01 {
        format!("{value:.2}")
    } else {
        format!("{value:.1e}")
    }
}

/// A speed ratio such as `1.85×`.
pub(crate) fn ratio(value: f64) -> String {
    if value >= 10.0 {
        format!("{value:.0}×")
    } else {
        format!("{value:.2}×")
    }
}

/// A fraction (0..1, or above) printed as a percentage.
pub(crate) fn percent(fraction: f64) -> String {
    let pct = fraction * 100.0;
    if pct != 0.0 && pct.abs() < 1.0 {
        format!("{pct:.1}%")
    } else {
        format!("{pct:.0}%")
    }
}

/// Drops a trailing `.0` or `.00` so tick labels read `2 GB/s`, not `2.00 GB/s`.
fn trim_zeros(text: String) -> String {
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        text
    }
}

/// Tick label for a rate axis: decimal units, no needless decimals.
pub(crate) fn rate_tick(value: f64) -> String {
    for (unit, name) in [(1e9, "GB/s"), (1e6, "MB/s"), (1e3, "kB/s")] {
        if value >= unit {
            return format!("{} {name}", trim_zeros(format!("{:.2}", value / unit)));
        }
    }
    Rate(value).to_string()
}

/// Tick label for a byte axis: exact binary units where they fit.
pub(crate) fn bytes_tick(value: f64) -> String {
    let rounded = value.round();
    if rounded >= 1.0 && (value - rounded).abs() < 1e-6 * value.max(1.0) {
        ExactSize(rounded as u64).to_string()
    } else {
        ApproxSize(value).to_string()
    }
}

/// Tick label for a plain count or ratio-of-amounts axis.
pub(crate) fn count_tick(value: f64) -> String {
    if value >= 1e6 {
        format!("{}M", trim_zeros(format!("{:.1}", value / 1e6)))
    } else if value >= 1000.0 {
        format!("{}k", trim_zeros(format!("{:.1}", value / 1e3)))
    } else {
        trim_zeros(format!("{value:.2}"))
    }
}

/// What counting cost in this run, for runs that recorded it: one system
/// call with and without the counters' tracepoints open.
pub(crate) fn observer(results: &crate::results::Results) -> Option<String> {
    let o = results.observer.as_ref()?;
    let uncounted = crate::units::Nanos(o.syscall_ns);
    Some(match o.syscall_ns_counted {
        Some(counted) => format!(
            "one {} call took {uncounted}, and {} ({}) while the syscall counters were open; timed samples ran with none open",
            o.syscall,
            crate::units::Nanos(counted),
            ratio(counted / o.syscall_ns)
        ),
        None => format!(
            "one {} call took {uncounted}; no counters could be opened, so none slowed the timings",
            o.syscall
        ),
    })
}

/// The limits per cache level in one line: `L1d (up to 48 KiB): memcpy …,
/// scan …; …`, for runs that measured them.
pub(crate) fn level_limits(limits: &crate::results::Limits) -> Option<String> {
    if limits.levels.is_empty() {
        return None;
    }
    let each: Vec<String> = limits
        .levels
        .iter()
        .map(|l| {
            format!(
                "{}{}: memcpy {}, scan {}",
                l.level,
                l.up_to_bytes
                    .map(|up| format!(" (files up to {})", crate::units::ExactSize(up)))
                    .unwrap_or_default(),
                crate::units::Rate(l.memcpy_bytes_per_sec),
                crate::units::Rate(l.scan_bytes_per_sec)
            )
        })
        .collect();
    Some(each.join("; "))
}

/// The conditions the run measured under in one line (load, other
/// processes, steal, governor, THP, swap), for runs that recorded them.
pub(crate) fn conditions(results: &crate::results::Results) -> Option<String> {
    let e = results.environment.as_ref()?;
    let mut parts = vec![format!(
        "load average {:.2} at the start, {:.2} at the end",
        e.load_average_start[0], e.load_average_end[0]
    )];
    if let Some(share) = e.others_cpu_share {
        parts.push(format!(
            "other processes took {} of the CPU time",
            percent(share)
        ));
    }
    if let Some(share) = e.steal_share {
        parts.push(format!("steal {}", percent(share)));
    }
    parts.push(format!(
        "governor {}",
        e.governor.as_deref().unwrap_or("none")
    ));
    parts.push(format!("THP {}", e.thp));
    parts.push(if e.hypervisor {
        "under a hypervisor".to_string()
    } else {
        "no hypervisor flag".to_string()
    });
    parts.push(format!(
        "swap {} used of {}",
        bytes(e.swap_used_bytes),
        bytes(e.swap_total_bytes)
    ));
    Some(parts.join("; "))
}

/// What the run's environment may have done to the numbers, one line each.
pub(crate) fn environment_warnings(results: &crate::results::Results) -> &[String] {
    results
        .environment
        .as_ref()
        .map_or(&[], |e| e.warnings.as_slice())
}

/// How sure a cell's median is, for the tables: `±1.2%, 60 samples`, and
/// `UNSTABLE` when its samples were too unsteady; empty for older files.
pub(crate) fn sureness(cell: &crate::results::Cell) -> String {
    let Some(spread) = &cell.spread else {
        return String::new();
    };
    let mut text = match crate::sampling::precision(&cell.samples_ns) {
        Some(p) => format!("±{:.1}%, {} samples", p * 100.0, spread.samples),
        None => format!("{} samples", spread.samples),
    };
    if !spread.unstable.is_empty() {
        text.push_str(", UNSTABLE");
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::Caches;

    #[test]
    fn cpu_details_show_only_what_the_file_has() {
        let mut machine = Machine {
            cpu: "AMD EPYC 9B14 96-Core Processor".to_string(),
            cores: 2,
            kernel: "6.18".to_string(),
            page_size: 4096,
            thp: "madvise".to_string(),
            filesystem: "ext4".to_string(),
            memory_bytes: 8 << 30,
            cpu_vendor: String::new(),
            cpu_flags: Vec::new(),
            caches: Caches::default(),
            microcode: String::new(),
            thp_shmem: String::new(),
            read_ahead_kb: None,
            large_folios: None,
        };
        assert!(
            cpu_details(&machine).is_empty(),
            "an older file: nothing new"
        );
        machine.cpu_vendor = "AuthenticAMD".to_string();
        machine.cpu_flags = vec!["erms".to_string(), "fsrm".to_string()];
        machine.caches.l2 = Some(1 << 20);
        machine.caches.l3 = Some(32 << 20);
        assert_eq!(
            cpu_details(&machine),
            [
                ("vendor", "AuthenticAMD".to_string()),
                ("flags", "erms fsrm".to_string()),
                ("caches", "L2 1 MiB, L3 32 MiB".to_string()),
            ]
        );
    }

    #[test]
    fn groups_digits() {
        assert_eq!(count(0), "0");
        assert_eq!(count(999), "999");
        assert_eq!(count(65536), "65,536");
        assert_eq!(count(1234567), "1,234,567");
    }

    #[test]
    fn ticks_are_short() {
        assert_eq!(rate_tick(2e9), "2 GB/s");
        assert_eq!(rate_tick(500e6), "500 MB/s");
        assert_eq!(rate_tick(1.5e9), "1.5 GB/s");
        assert_eq!(bytes_tick(4096.0), "4 KiB");
        assert_eq!(bytes_tick(1048576.0), "1 MiB");
        assert_eq!(count_tick(10000.0), "10k");
        assert_eq!(count_tick(0.5), "0.5");
    }

    #[test]
    fn escapes_markup() {
        assert_eq!(escape("a<b & \"c\""), "a&lt;b &amp; &quot;c&quot;");
    }
}
