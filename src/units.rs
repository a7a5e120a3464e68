//! Byte sizes: parsing `"4 KiB"`-style strings and printing sizes and rates for people.

use std::fmt;

/// Binary unit suffixes accepted in scenario files, largest first.
const UNITS: [(&str, u64); 5] = [
    ("TiB", 1 << 40),
    ("GiB", 1 << 30),
    ("MiB", 1 << 20),
    ("KiB", 1 << 10),
    ("B", 1),
];

/// Why a size string could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SizeError {
    /// The text was not a number followed by an optional unit.
    #[error(
        "cannot read {0:?} as a size: write a whole number of bytes, or a number with B, KiB, MiB or GiB (e.g. \"64 KiB\")"
    )]
    Unparsable(String),
    /// The unit is not one of B, KiB, MiB, GiB, TiB.
    #[error(
        "unknown unit {unit:?} in {text:?}: use B, KiB, MiB or GiB (binary units: 1 KiB = 1024 B)"
    )]
    UnknownUnit {
        /// The whole text given.
        text: String,
        /// The unit part that was not recognised.
        unit: String,
    },
    /// The number times its unit does not fit in 64 bits.
    #[error("{0:?} is too large")]
    Overflow(String),
}

/// Parses `"4 KiB"`, `"1MiB"`, `"512 B"` or `"4096"` into a byte count.
///
/// ```
/// assert_eq!(mmap_lab::units::parse_size("64 KiB"), Ok(65536));
/// assert!(mmap_lab::units::parse_size("64 KB").is_err());
/// ```
pub fn parse_size(text: &str) -> Result<u64, SizeError> {
    let trimmed = text.trim();
    let digits_end = trimmed
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(trimmed.len());
    let (number, unit) = trimmed.split_at(digits_end);
    if number.is_empty() {
        return Err(SizeError::Unparsable(text.to_string()));
    }
    let unit = unit.trim();
    let multiplier = if unit.is_empty() {
        1
    } else {
        UNITS
            .iter()
            .find(|(name, _)| *name == unit)
            .map(|(_, factor)| *factor)
            .ok_or_else(|| SizeError::UnknownUnit {
                text: text.to_string(),
                unit: unit.to_string(),
            })?
    };
    let value: u64 = number
        .parse()
        .map_err(|_| SizeError::Overflow(text.to_string()))?;
    value
        .checked_mul(multiplier)
        .ok_or_else(|| SizeError::Overflow(text.to_string()))
}

/// Sizes are u64 in files and scenarios; buffers and slices are usize (the
/// same width on the 64-bit Linux this suite runs on).
pub fn to_usize(value: u64) -> usize {
    usize::try_from(value).expect("sizes fit in memory on a 64-bit machine")
}

/// Deserializes a byte count as written in scenario files: a whole number,
/// or a string such as `"4 KiB"`. May be 0 (offsets).
pub fn deserialize_byte_count<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<u64, D::Error> {
    use serde::Deserialize;
    use serde::de::Error;

    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        Bytes(u64),
        Text(String),
    }
    let raw = Raw::deserialize(deserializer).map_err(|_| {
        D::Error::custom("expected a byte count: a whole number, or a string like \"64 KiB\"")
    })?;
    match raw {
        Raw::Bytes(bytes) => Ok(bytes),
        Raw::Text(text) => parse_size(&text).map_err(D::Error::custom),
    }
}

/// Deserializes a size (a byte count of at least 1) into a usize, for the
/// options of a method (`chunk`, `capacity`...).
pub fn deserialize_size<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<usize, D::Error> {
    match deserialize_byte_count(deserializer)? {
        0 => Err(serde::de::Error::custom(
            "a size must be at least 1 byte, not 0",
        )),
        bytes => usize::try_from(bytes).map_err(serde::de::Error::custom),
    }
}

/// A byte count printed with the largest binary unit that divides it exactly
/// (`4096` prints as `4 KiB`, `1000` as `1000 B`), so labels round-trip.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExactSize(pub u64);

impl fmt::Display for ExactSize {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let bytes = self.0;
        for (name, factor) in UNITS {
            if bytes >= factor && bytes % factor == 0 {
                return write!(f, "{} {}", bytes / factor, name);
            }
        }
        write!(f, "{bytes} B")
    }
}

/// A byte count printed approximately (`1.5 MiB`), for tables of measured amounts.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ApproxSize(pub f64);

impl fmt::Display for ApproxSize {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let bytes = self.0;
        for (name, factor) in UNITS {
            let factor = factor as f64;
            if bytes.abs() >= factor && factor > 1.0 {
                return write!(f, "{:.1} {}", bytes / factor, name);
            }
        }
        write!(f, "{bytes:.0} B")
    }
}

/// A rate in bytes per second printed in decimal units (MB/s, GB/s), as fio and criterion do.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rate(pub f64);

impl fmt::Display for Rate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let rate = self.0;
        if rate >= 1e9 {
            write!(f, "{:.2} GB/s", rate / 1e9)
        } else if rate >= 1e6 {
            write!(f, "{:.0} MB/s", rate / 1e6)
        } else if rate >= 1e3 {
            write!(f, "{:.0} kB/s", rate / 1e3)
        } else {
            write!(f, "{rate:.0} B/s")
        }
    }
}

/// A duration in nanoseconds printed with a unit that keeps three significant digits.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Nanos(pub f64);

impl fmt::Display for Nanos {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ns = self.0;
        if ns >= 1e9 {
            write!(f, "{:.2} s", ns / 1e9)
        } else if ns >= 1e6 {
            write!(f, "{:.2} ms", ns / 1e6)
        } else if ns >= 1e3 {
            write!(f, "{:.1} µs", ns / 1e3)
        } else {
            write!(f, "{ns:.0} ns")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_plain_and_suffixed_sizes() {
        assert_eq!(parse_size("4096"), Ok(4096));
        assert_eq!(parse_size("4 KiB"), Ok(4096));
        assert_eq!(parse_size("4KiB"), Ok(4096));
        assert_eq!(parse_size(" 1 MiB "), Ok(1 << 20));
        assert_eq!(parse_size("2 GiB"), Ok(2 << 30));
        assert_eq!(parse_size("7 B"), Ok(7));
    }

    #[test]
    fn rejects_bad_sizes() {
        assert!(matches!(parse_size(""), Err(SizeError::Unparsable(_))));
        assert!(matches!(parse_size("KiB"), Err(SizeError::Unparsable(_))));
        assert!(matches!(
            parse_size("-4 KiB"),
            Err(SizeError::Unparsable(_))
        ));
        assert!(matches!(
            parse_size("1.5 MiB"),
            Err(SizeError::UnknownUnit { .. })
        ));
        assert!(matches!(
            parse_size("4 KB"),
            Err(SizeError::UnknownUnit { .. })
        ));
        assert!(matches!(
            parse_size("99999999999 TiB"),
            Err(SizeError::Overflow(_))
        ));
    }

    #[test]
    fn exact_sizes_round_trip() {
        for bytes in [1u64, 1000, 4096, 65536, 1 << 20, 3 << 20, 1 << 30, 12345] {
            let text = ExactSize(bytes).to_string();
            assert_eq!(parse_size(&text), Ok(bytes), "{text}");
        }
        assert_eq!(ExactSize(4096).to_string(), "4 KiB");
        assert_eq!(ExactSize(256 << 20).to_string(), "256 MiB");
    }

    #[test]
    fn rates_and_durations_pick_readable_units() {
        assert_eq!(Rate(9.1e9).to_string(), "9.10 GB/s");
        assert_eq!(Rate(450e6).to_string(), "450 MB/s");
        assert_eq!(Nanos(210.0).to_string(), "210 ns");
        assert_eq!(Nanos(2.5e6).to_string(), "2.50 ms");
        assert_eq!(ApproxSize(1536.0 * 1024.0).to_string(), "1.5 MiB");
    }
}
