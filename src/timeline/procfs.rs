//! Parsers for the system-wide procfs files a timeline samples, each pure
//! (a text in, figures out) so it is tested on made-up texts.

/// The reclaim and fault counters of `/proc/vmstat` (pages or events,
/// cumulative since boot).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct VmStat {
    /// `pgscan_kswapd`: pages kswapd scanned.
    pub pgscan_kswapd: u64,
    /// `pgscan_direct`: pages scanned by direct reclaim (an allocating task).
    pub pgscan_direct: u64,
    /// `pgsteal_kswapd`: pages kswapd reclaimed.
    pub pgsteal_kswapd: u64,
    /// `pgsteal_direct`: pages direct reclaim reclaimed.
    pub pgsteal_direct: u64,
    /// `allocstall_*` summed over zones: times a task entered direct reclaim.
    pub allocstall: u64,
    /// `workingset_refault_file`: file pages read again soon after eviction.
    pub workingset_refault_file: u64,
    /// `pgmajfault`: major faults, every process.
    pub pgmajfault: u64,
}

/// Parses `/proc/vmstat` (`name value` lines); absent counters stay 0.
pub fn parse_vmstat(text: &str) -> VmStat {
    let mut stat = VmStat::default();
    for line in text.lines() {
        let mut words = line.split_whitespace();
        let (Some(name), Some(value)) = (words.next(), words.next()) else {
            continue;
        };
        let Ok(value) = value.parse::<u64>() else {
            continue;
        };
        match name {
            "pgscan_kswapd" => stat.pgscan_kswapd = value,
            "pgscan_direct" => stat.pgscan_direct = value,
            "pgsteal_kswapd" => stat.pgsteal_kswapd = value,
            "pgsteal_direct" => stat.pgsteal_direct = value,
            "workingset_refault_file" => stat.workingset_refault_file = value,
            "pgmajfault" => stat.pgmajfault = value,
            _ if name.starts_with("allocstall_") => stat.allocstall += value,
            _ => {}
        }
    }
    stat
}

/// TLB shootdowns from `/proc/interrupts`: the `TLB:` row summed over
/// CPUs; `None` where the row is absent (not x86, say).
pub fn parse_tlb_shootdowns(text: &str) -> Option<u64> {
    let line = text.lines().find(|l| l.trim_start().starts_with("TLB:"))?;
    let counts = line.trim_start()["TLB:".len()..]
        .split_whitespace()
        .map_while(|w| w.parse::<u64>().ok());
    Some(counts.sum())
}

/// `/proc/pressure/memory`: how long tasks stalled waiting for memory.
#[derive(Debug, Clone, Copy, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct MemoryPressure {
    /// `some avg10`: % of the last 10 s in which at least one task stalled.
    pub some_avg10: f64,
    /// `some total`: microseconds with at least one task stalled.
    pub some_total_us: u64,
    /// `full avg10`: % of the last 10 s in which every non-idle task stalled.
    pub full_avg10: f64,
    /// `full total`: microseconds with every non-idle task stalled.
    pub full_total_us: u64,
}

/// Parses `/proc/pressure/memory`; `None` when a line is missing.
pub fn parse_pressure(text: &str) -> Option<MemoryPressure> {
    let line = |kind: &str| -> Option<(f64, u64)> {
        let line = text.lines().find(|l| l.starts_with(kind))?;
        let field = |name: &str| {
            line.split_whitespace()
                .find_map(|w| w.strip_prefix(name)?.strip_prefix('='))
        };
        Some((field("avg10")?.parse().ok()?, field("total")?.parse().ok()?))
    };
    let (some_avg10, some_total_us) = line("some ")?;
    let (full_avg10, full_total_us) = line("full ")?;
    Some(MemoryPressure {
        some_avg10,
        some_total_us,
        full_avg10,
        full_total_us,
    })
}

/// Sectors read (512 bytes each) by the device `major:minor` in
/// `/proc/diskstats`; `None` if it is not listed.
pub fn parse_sectors_read(text: &str, major: u32, minor: u32) -> Option<u64> {
    text.lines().find_map(|line| {
        let words: Vec<&str> = line.split_whitespace().collect();
        if words.len() < 6 || words[0].parse() != Ok(major) || words[1].parse() != Ok(minor) {
            return None;
        }
        // major minor name reads merged sectors ...
        words[5].parse().ok()
    })
}

/// User plus system CPU time, in clock ticks, from a `/proc/<pid>/stat`
/// text (fields 14 and 15; the name in parentheses may hold spaces).
pub fn parse_cpu_ticks(stat: &str) -> Option<u64> {
    let after_name = &stat[stat.rfind(')')? + 1..];
    let words: Vec<&str> = after_name.split_whitespace().collect();
    // After the name: state (field 3) is words[0], so field n is words[n - 3].
    let utime: u64 = words.get(14 - 3)?.parse().ok()?;
    let stime: u64 = words.get(15 - 3)?.parse().ok()?;
    Some(utime + stime)
}

/// Minor and major faults of a whole process from its `/proc/<pid>/stat`
/// text (fields 10 and 12).
pub fn parse_faults(stat: &str) -> Option<(u64, u64)> {
    let after_name = &stat[stat.rfind(')')? + 1..];
    let words: Vec<&str> = after_name.split_whitespace().collect();
    Some((
        words.get(10 - 3)?.parse().ok()?,
        words.get(12 - 3)?.parse().ok()?,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vmstat_sums_allocstalls_and_keeps_the_rest_apart() {
        let text = "nr_free_pages 100\npgmajfault 7\npgscan_kswapd 11\npgscan_direct 12\npgscan_file 99\npgsteal_kswapd 13\npgsteal_direct 14\nallocstall_dma 1\nallocstall_dma32 2\nallocstall_normal 3\nallocstall_movable 4\nworkingset_refault_anon 50\nworkingset_refault_file 15\n";
        assert_eq!(
            parse_vmstat(text),
            VmStat {
                pgscan_kswapd: 11,
                pgscan_direct: 12,
                pgsteal_kswapd: 13,
                pgsteal_direct: 14,
                allocstall: 10,
                workingset_refault_file: 15,
                pgmajfault: 7,
            }
        );
    }

    #[test]
    fn the_tlb_row_is_summed_over_cpus() {
        let text = "           CPU0       CPU1       \n  0:         44          0   IO-APIC   2-edge      timer\nNMI:          0          0   Non-maskable interrupts\nTLB:       1234        766   TLB shootdowns\nTRM:          0          0   Thermal event interrupts\n";
        assert_eq!(parse_tlb_shootdowns(text), Some(2000));
        assert_eq!(parse_tlb_shootdowns("NMI: 0 0 x\n"), None);
    }

    #[test]
    fn memory_pressure_reads_both_lines() {
        let text = "some avg10=1.50 avg60=0.30 avg300=0.05 total=123456\nfull avg10=0.75 avg60=0.10 avg300=0.00 total=654\n";
        let p = parse_pressure(text).unwrap();
        assert_eq!((p.some_avg10, p.some_total_us), (1.5, 123456));
        assert_eq!((p.full_avg10, p.full_total_us), (0.75, 654));
        assert_eq!(parse_pressure("some avg10=1.0 total=1\n"), None);
    }

    #[test]
    fn diskstats_finds_the_device_by_number() {
        let text = " 253       0 vda 1000 20 88888 300 400 0 5000 600 0 700 900\n 253       1 vda1 10 0 77 3 4 0 50 6 0 7 9\n";
        assert_eq!(parse_sectors_read(text, 253, 0), Some(88888));
        assert_eq!(parse_sectors_read(text, 253, 1), Some(77));
        assert_eq!(parse_sectors_read(text, 8, 0), None);
    }

    #[test]
    fn cpu_time_and_faults_come_from_the_right_fields() {
        let stat = "90 (kswapd 0) S 2 0 0 0 -1 2129984 5 0 6 0 321 654 0 0 20 0 1 0 33 0 0";
        assert_eq!(parse_cpu_ticks(stat), Some(975));
        assert_eq!(parse_faults(stat), Some((5, 6)));
        assert_eq!(parse_cpu_ticks("90 (x) S 2"), None);
    }

    #[test]
    fn the_live_files_parse() {
        let vm = parse_vmstat(&std::fs::read_to_string("/proc/vmstat").unwrap());
        assert!(vm.pgmajfault > 0, "{vm:?}");
        let own = std::fs::read_to_string("/proc/self/stat").unwrap();
        assert!(parse_faults(&own).unwrap().0 > 0);
        assert!(parse_cpu_ticks(&own).is_some());
        if let Ok(text) = std::fs::read_to_string("/proc/pressure/memory") {
            assert!(parse_pressure(&text).is_some(), "{text}");
        }
    }
}
