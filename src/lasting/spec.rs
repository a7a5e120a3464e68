//! Pressure scenario files (`scenarios/pressure/*.json`, run by
//! `mmap-lab pressure`): a wire struct that refuses unknown fields, checked
//! into a [`PressureSpec`]; every error names the file and the field.

use super::access::{Consume, Pattern, Way};
use crate::units::deserialize_byte_count;
use serde::Deserialize;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The most threads a run may have.
pub const MAX_THREADS: u64 = 256;
/// The longest a run may last.
pub const MAX_DURATION: Duration = Duration::from_secs(3600);
/// Bytes every record and the file size must be a multiple of: a page
/// (touching one byte per page) and O_DIRECT's alignment.
pub const ALIGN: u64 = 4096;

#[derive(Deserialize)]
#[serde(rename_all = "snake_case")]
enum PatternName {
    Random,
    Sequential,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Wire {
    name: String,
    #[serde(default)]
    about: String,
    size: SizeText,
    #[serde(default)]
    sparse: bool,
    #[serde(default, deserialize_with = "optional_bytes")]
    page_cache: Option<u64>,
    #[serde(default, deserialize_with = "optional_bytes")]
    floor: Option<u64>,
    threads: Vec<u64>,
    duration: String,
    #[serde(default = "default_interval")]
    interval: String,
    pattern: PatternName,
    #[serde(deserialize_with = "deserialize_byte_count")]
    record: u64,
    consume: Consume,
    #[serde(default = "default_true")]
    warm: bool,
    #[serde(default = "default_seed")]
    seed: u64,
    methods: Vec<Way>,
}

/// `size` as written: a byte count, or `"memory + N"`.
#[derive(Deserialize)]
#[serde(untagged)]
enum SizeText {
    Bytes(u64),
    Text(String),
}

/// What `size` asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FileSize {
    /// This many bytes.
    Bytes(u64),
    /// `MemTotal` plus this many bytes: a file larger than memory.
    MemoryPlus(u64),
}

/// Reads `"6 GiB"`, `6442450944` or `"memory + 2 GiB"`.
fn file_size(size: &SizeText) -> Result<FileSize, String> {
    match size {
        SizeText::Bytes(bytes) => Ok(FileSize::Bytes(*bytes)),
        SizeText::Text(text) => match text.trim().strip_prefix("memory") {
            None => crate::units::parse_size(text)
                .map(FileSize::Bytes)
                .map_err(|e| e.to_string()),
            Some(rest) => rest
                .trim()
                .strip_prefix('+')
                .ok_or_else(|| {
                    format!("expected \"memory + N\" (such as \"memory + 2 GiB\"), not {text:?}")
                })
                .and_then(|n| crate::units::parse_size(n.trim()).map_err(|e| e.to_string()))
                .map(FileSize::MemoryPlus),
        },
    }
}

/// `MemTotal` of this machine, for `"memory + N"`.
fn mem_total() -> Result<u64, String> {
    crate::pressure::meminfo::read()
        .map(|m| m.mem_total)
        .map_err(|e| format!("cannot read /proc/meminfo for \"memory + N\": {e}"))
}

fn default_interval() -> String {
    "1 s".to_string()
}
fn default_true() -> bool {
    true
}
fn default_seed() -> u64 {
    crate::scenario::DEFAULT_SEED
}
fn optional_bytes<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    deserialize_byte_count(d).map(Some)
}

/// A checked pressure scenario.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct PressureSpec {
    /// Its name.
    pub name: String,
    /// One line about it.
    pub about: String,
    /// The file it came from.
    pub file: PathBuf,
    /// The file's size in bytes.
    pub size: u64,
    /// With `"size": "memory + N"`: N, the bytes beyond `MemTotal` (the
    /// file is larger than memory and needs no helper).
    #[serde(default)]
    pub beyond_memory: Option<u64>,
    /// A sparse file (no disk reads) instead of real data.
    pub sparse: bool,
    /// The page-cache budget, when the run holds the cache to one.
    pub page_cache: Option<u64>,
    /// The helper's safety floor, when set (otherwise the default).
    pub floor: Option<u64>,
    /// Thread counts to run, in order.
    pub threads: Vec<u64>,
    /// How long each run lasts.
    pub duration: Duration,
    /// The timeline's interval.
    pub interval: Duration,
    /// The order of accesses.
    pub pattern: Pattern,
    /// How each access is consumed.
    pub consume: Consume,
    /// Read the file once front to back before each page-cache method
    /// (not O_DIRECT), so the cache starts full.
    pub warm: bool,
    /// Seed of the content and the offsets.
    pub seed: u64,
    /// The methods, in order.
    pub methods: Vec<Way>,
}

/// Parses `"10 s"`, `"500 ms"` or `"2 min"`.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = (&text[..split], text[split..].trim());
    let value: u64 = number
        .parse()
        .map_err(|_| format!("expected a whole number and a unit (ms, s, min), not {text:?}"))?;
    match unit {
        "ms" => Ok(Duration::from_millis(value)),
        "s" => Ok(Duration::from_secs(value)),
        "min" => Ok(Duration::from_secs(value.saturating_mul(60))),
        _ => Err(format!(
            "unknown unit {unit:?} in {text:?}: use ms, s or min"
        )),
    }
}

/// Reads and checks a pressure scenario file.
pub fn load(path: &Path) -> Result<PressureSpec, String> {
    let limit = crate::bounded_read::MAX_SCENARIO_FILE;
    let text = crate::bounded_read::read_text(path, limit, "pressure scenario")
        .map_err(|e| format!("{}: cannot read: {e}", path.display()))?;
    from_json(path, &text)
}

/// Checks the text of a pressure scenario file; errors name `path`.
pub fn from_json(path: &Path, text: &str) -> Result<PressureSpec, String> {
    from_json_on(path, text, &mem_total)
}

/// [`from_json`] on a machine whose `MemTotal` `memory` gives (read only
/// for `"memory + N"`).
pub fn from_json_on(
    path: &Path,
    text: &str,
    memory: &dyn Fn() -> Result<u64, String>,
) -> Result<PressureSpec, String> {
    crate::strict_json::check(text).map_err(|e| {
        let at = e
            .position
            .map_or(String::new(), |(l, c)| format!(":{l}:{c}"));
        let field = if e.field.is_empty() {
            String::new()
        } else {
            format!(" field `{}`:", e.field)
        };
        format!("{}{at}:{field} {}", path.display(), e.message)
    })?;
    let mut reader = serde_json::Deserializer::from_str(text);
    let wire: Wire = serde_path_to_error::deserialize(&mut reader).map_err(|e| {
        let field = e.path().to_string();
        let inner = e.into_inner();
        format!(
            "{}:{}:{}: field `{field}`: {inner}",
            path.display(),
            inner.line(),
            inner.column()
        )
    })?;
    let bad = |field: &str, why: String| format!("{}: field `{field}`: {why}", path.display());
    if wire.name.is_empty()
        || !wire
            .name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return Err(bad("name", "use letters, digits, `-` and `_`".into()));
    }
    let (size, beyond_memory) = match file_size(&wire.size).map_err(|e| bad("size", e))? {
        FileSize::Bytes(bytes) => (bytes, None),
        FileSize::MemoryPlus(extra) => {
            if wire.page_cache.is_some() {
                return Err(bad(
                    "page_cache",
                    "a file larger than memory (\"memory + N\") needs no budget: drop page_cache"
                        .into(),
                ));
            }
            if extra == 0 {
                return Err(bad("size", "\"memory + N\" needs N above 0".into()));
            }
            let total = memory().map_err(|e| bad("size", e))?;
            // Whole records, so that every record is inside the file.
            let bytes = (total.saturating_add(extra)).div_ceil(wire.record.max(ALIGN))
                * wire.record.max(ALIGN);
            (bytes, Some(extra))
        }
    };
    if wire.record == 0 || wire.record % ALIGN != 0 {
        return Err(bad(
            "record",
            format!(
                "must be a multiple of {ALIGN} bytes (a page; O_DIRECT's alignment), not {}",
                wire.record
            ),
        ));
    }
    if size < wire.record || size % ALIGN != 0 {
        return Err(bad(
            "size",
            format!(
                "must be a multiple of {ALIGN} bytes and at least one record ({} bytes), not {size}",
                wire.record
            ),
        ));
    }
    if wire.threads.is_empty() {
        return Err(bad("threads", "list at least one thread count".into()));
    }
    if let Some((i, n)) = wire
        .threads
        .iter()
        .enumerate()
        .find(|(_, n)| !(1..=MAX_THREADS).contains(*n))
    {
        return Err(bad(
            &format!("threads[{i}]"),
            format!("must be 1 to {MAX_THREADS}, not {n}"),
        ));
    }
    let duration = parse_duration(&wire.duration).map_err(|e| bad("duration", e))?;
    if duration.is_zero() || duration > MAX_DURATION {
        return Err(bad("duration", "must be above 0 and at most 60 min".into()));
    }
    let interval = parse_duration(&wire.interval).map_err(|e| bad("interval", e))?;
    if interval < Duration::from_millis(10) || interval > crate::timeline::sampler::MAX_INTERVAL {
        return Err(bad("interval", "must be 10 ms to 1 s".into()));
    }
    if wire.methods.is_empty() {
        return Err(bad("methods", "list at least one method".into()));
    }
    if let (Some(budget), Some(floor)) = (wire.page_cache, wire.floor) {
        if floor > budget {
            return Err(bad(
                "floor",
                format!(
                    "the floor ({} MiB) must not be above page_cache ({} MiB)",
                    floor >> 20,
                    budget >> 20
                ),
            ));
        }
    }
    let pattern = match wire.pattern {
        PatternName::Random => Pattern::Random {
            record: wire.record,
        },
        PatternName::Sequential => Pattern::Sequential {
            record: wire.record,
        },
    };
    Ok(PressureSpec {
        name: wire.name,
        about: wire.about,
        file: path.to_path_buf(),
        size,
        beyond_memory,
        sparse: wire.sparse,
        page_cache: wire.page_cache,
        floor: wire.floor,
        threads: wire.threads,
        duration,
        interval,
        pattern,
        consume: wire.consume,
        warm: wire.warm,
        seed: wire.seed,
        methods: wire.methods,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vocab::Advice;

    const GOOD: &str = r#"{"name": "p", "size": "64 MiB", "page_cache": "1 GiB", "threads": [1, 2],
        "duration": "2 s", "pattern": "random", "record": "4 KiB", "consume": "touch",
        "methods": [{"method": "mmap", "advice": "random"}, {"method": "positioned"}, {"method": "direct"}, {"method": "uring"}]}"#;

    fn error(text: &str) -> String {
        from_json(Path::new("p.json"), text).unwrap_err()
    }

    #[test]
    fn a_good_file_is_read() {
        let spec = from_json(Path::new("p.json"), GOOD).unwrap();
        assert_eq!(spec.size, 64 << 20);
        assert_eq!(spec.page_cache, Some(1 << 30));
        assert_eq!(spec.duration, Duration::from_secs(2));
        assert_eq!(spec.interval, Duration::from_secs(1));
        assert_eq!(spec.pattern, Pattern::Random { record: 4096 });
        assert_eq!(
            spec.methods[0],
            Way::Mmap {
                advice: Advice::Random
            }
        );
        assert_eq!(spec.methods[3], Way::Uring { depth: 32 });
        assert_eq!(spec.methods.len(), 4);
    }

    #[test]
    fn errors_name_the_file_and_the_field() {
        let e = error(&GOOD.replace("\"4 KiB\"", "\"1000 B\""));
        assert!(e.starts_with("p.json: field `record`"), "{e}");
        let e = error(&GOOD.replace("[1, 2]", "[1, 0]"));
        assert!(e.contains("field `threads[1]`"), "{e}");
        let e = error(&GOOD.replace("\"2 s\"", "\"2 hours\""));
        assert!(
            e.contains("field `duration`") && e.contains("unknown unit"),
            "{e}"
        );
        let e = error(&GOOD.replace("\"positioned\"", "\"positioned\", \"chunk\": 1"));
        assert!(e.contains("methods[1]") && e.contains("chunk"), "{e}");
        let e = error(&GOOD.replace("\"consume\"", "\"consum\""));
        assert!(e.contains("consum"), "{e}");
        let e = error(&GOOD.replace(
            "\"page_cache\": \"1 GiB\"",
            "\"page_cache\": \"1 GiB\", \"floor\": \"2 GiB\"",
        ));
        assert!(e.contains("field `floor`"), "{e}");
    }

    #[test]
    fn a_file_larger_than_memory_is_memory_plus_its_margin_and_has_no_budget() {
        let text = GOOD
            .replace("\"64 MiB\"", "\"memory + 2 GiB\"")
            .replace("\"page_cache\": \"1 GiB\", ", "");
        let memory = || Ok((24u64 << 30) - 1000);
        let spec = from_json_on(Path::new("p.json"), &text, &memory).unwrap();
        assert_eq!(spec.size, 26 << 30, "rounded up to whole records");
        assert_eq!(spec.beyond_memory, Some(2 << 30));
        assert_eq!(spec.page_cache, None);
        let e = from_json_on(
            Path::new("p.json"),
            &GOOD.replace("\"64 MiB\"", "\"memory + 2 GiB\""),
            &memory,
        )
        .unwrap_err();
        assert!(
            e.contains("field `page_cache`") && e.contains("needs no budget"),
            "{e}"
        );
        let e = error(&text.replace("memory + 2 GiB", "memory * 2"));
        assert!(
            e.contains("field `size`") && e.contains("memory + N"),
            "{e}"
        );
        let e = error(&text.replace("memory + 2 GiB", "memory + 0 B"));
        assert!(e.contains("N above 0"), "{e}");
    }

    #[test]
    fn durations_take_three_units() {
        assert_eq!(parse_duration("500 ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("3 min"), Ok(Duration::from_secs(180)));
        assert!(parse_duration("1.5 s").is_err());
    }

    #[test]
    fn the_shipped_pressure_scenarios_load() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/pressure");
        let mut loaded = 0;
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "json") {
                load(&path).unwrap();
                loaded += 1;
            }
        }
        assert!(loaded >= 4, "{loaded} scenarios in {}", dir.display());
    }
}
