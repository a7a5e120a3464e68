//! `/proc/meminfo`, read without allocating: the page-cache budget's helper
//! reads it in a forked child, where only async-signal-safe calls are
//! allowed, so the parser works on bytes in a caller's buffer.

/// The `/proc/meminfo` fields the budget and the timeline use, in bytes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct MemInfo {
    /// `MemTotal`: usable RAM.
    pub mem_total: u64,
    /// `MemAvailable`: the kernel's estimate of what can be allocated
    /// without swapping (free memory plus reclaimable page cache and slab).
    pub mem_available: u64,
    /// `Cached`: the page cache (file pages, including tmpfs/shmem).
    pub cached: u64,
    /// `Mapped`: page-cache pages mapped into some process.
    pub mapped: u64,
    /// `Shmem`: tmpfs and shared anonymous memory, counted in `Cached` but
    /// not reclaimable without swap.
    pub shmem: u64,
    /// `SwapTotal`: swap space; with any, the helper would be swapped out
    /// instead of the page cache being squeezed.
    pub swap_total: u64,
}

/// Why a `/proc/meminfo` text could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MemInfoError {
    /// A field the budget needs is absent (its name).
    Missing(&'static str),
}

impl std::fmt::Display for MemInfoError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            MemInfoError::Missing(name) => {
                write!(
                    f,
                    "/proc/meminfo has no `{name}` line (Linux 3.14 or newer has it)"
                )
            }
        }
    }
}

/// Parses the text of `/proc/meminfo` (lines `Name:   123 kB`). Allocates
/// nothing, so it is safe in a forked child.
pub fn parse(text: &[u8]) -> Result<MemInfo, MemInfoError> {
    let mut found = [false; 6];
    let mut info = MemInfo::default();
    for line in text.split(|&b| b == b'\n') {
        let Some(colon) = line.iter().position(|&b| b == b':') else {
            continue;
        };
        let (name, rest) = (&line[..colon], &line[colon + 1..]);
        let slot = match name {
            b"MemTotal" => 0,
            b"MemAvailable" => 1,
            b"Cached" => 2,
            b"Mapped" => 3,
            b"Shmem" => 4,
            b"SwapTotal" => 5,
            _ => continue,
        };
        let Some(value) = kib_value(rest) else {
            continue;
        };
        let field = match slot {
            0 => &mut info.mem_total,
            1 => &mut info.mem_available,
            2 => &mut info.cached,
            3 => &mut info.mapped,
            4 => &mut info.shmem,
            _ => &mut info.swap_total,
        };
        *field = value;
        found[slot] = true;
    }
    const NAMES: [&str; 6] = [
        "MemTotal",
        "MemAvailable",
        "Cached",
        "Mapped",
        "Shmem",
        "SwapTotal",
    ];
    for (slot, name) in NAMES.iter().enumerate() {
        if !found[slot] {
            return Err(MemInfoError::Missing(name));
        }
    }
    Ok(info)
}

/// The number in `   123 kB`, in bytes.
fn kib_value(rest: &[u8]) -> Option<u64> {
    let digits = rest.iter().skip_while(|b| b.is_ascii_whitespace());
    let mut value: u64 = 0;
    let mut any = false;
    for &b in digits.take_while(|b| b.is_ascii_digit()) {
        value = value.checked_mul(10)?.checked_add(u64::from(b - b'0'))?;
        any = true;
    }
    if !any {
        return None;
    }
    value.checked_mul(1024)
}

/// Reads `/proc/meminfo` now.
pub fn read() -> std::io::Result<MemInfo> {
    let path = "/proc/meminfo";
    let text = std::fs::read(path)
        .map_err(|e| std::io::Error::new(e.kind(), format!("cannot read {path}: {e}")))?;
    parse(&text).map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e.to_string()))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A made-up `/proc/meminfo` with the given figures in KiB.
    pub(crate) fn text(total: u64, available: u64, cached: u64, swap: u64) -> String {
        format!(
            "MemTotal:       {total} kB\nMemFree:          100 kB\nMemAvailable:   {available} kB\nBuffers:          10 kB\nCached:         {cached} kB\nSwapCached:            0 kB\nShmem:            2048 kB\nMapped:          4096 kB\nSwapTotal:      {swap} kB\nHugePages_Total:       0\n"
        )
    }

    #[test]
    fn fields_are_read_in_bytes() {
        let info = parse(text(24 << 20, 20 << 20, 9 << 20, 0).as_bytes()).unwrap();
        assert_eq!(info.mem_total, 24 << 30);
        assert_eq!(info.mem_available, 20 << 30);
        assert_eq!(info.cached, 9 << 30);
        assert_eq!(info.mapped, 4 << 20);
        assert_eq!(info.shmem, 2 << 20);
        assert_eq!(info.swap_total, 0);
    }

    #[test]
    fn a_missing_field_is_named() {
        let error = parse(b"MemTotal: 10 kB\nCached: 5 kB\n").unwrap_err();
        assert_eq!(error, MemInfoError::Missing("MemAvailable"));
        assert!(error.to_string().contains("MemAvailable"));
    }

    #[test]
    fn the_live_file_parses() {
        let info = read().unwrap();
        assert!(info.mem_total > 0 && info.mem_available <= info.mem_total);
    }
}
