//! Lesson `faults`: how many page faults reading through a map takes, why it
//! is far fewer than one per page (fault-around, large folios), and how
//! `populate` and `madvise` advice change the count.

use super::sandbox::open_read;
use super::{Sandbox, Steps};
use crate::cache;
use crate::checksum::checksum;
use crate::layout::{Column, WIDEST_COUNT};
use crate::machine::page_size;
use crate::probe::Probe;
use crate::units::ExactSize;
use crate::workdir::WorkDir;
use crate::workload::file_contents;
use anyhow::Context;
use memmap2::{Advice, Mmap, MmapOptions};
use std::path::Path;

/// This file: the code its steps show ([`super::shown`]).
pub const SOURCE: &str = include_str!("faults.rs");

/// The file mapped.
pub const SIZE: u64 = 32 << 20;
/// Where a memory-backed (tmpfs) copy is tried, for comparison.
const MEMORY_DIR: &str = "/dev/shm";

/// One way of mapping, and the faults it took.
#[derive(Debug, Clone)]
pub struct FaultRow {
    /// How the lesson names the way.
    pub label: String,
    /// Page faults during the mmap call itself.
    pub while_mapping: u64,
    /// Page faults while reading every byte of the map.
    pub while_reading: u64,
    /// Of all those faults, the ones that waited for the disk.
    pub major: u64,
}

/// What the lesson saw.
#[derive(Debug, Clone)]
pub struct FaultFacts {
    /// Pages in the file.
    pub pages: u64,
    /// One row per way of mapping, the plain map first, on the warm file.
    pub rows: Vec<FaultRow>,
    /// The same ways on the file evicted from the page cache first.
    pub cold: Vec<FaultRow>,
    /// The same rows for a copy of the file on tmpfs, when one was available.
    pub tmpfs: Vec<FaultRow>,
}

/// How one row maps the file.
#[derive(Clone, Copy)]
struct Way {
    label: &'static str,
    populate: bool,
    advice: Option<Advice>,
}

const WAYS: [Way; 6] = [
    Way {
        label: "plain",
        populate: false,
        advice: None,
    },
    Way {
        label: "populate",
        populate: true,
        advice: None,
    },
    Way {
        label: "advice random",
        populate: false,
        advice: Some(Advice::Random),
    },
    Way {
        label: "advice sequential",
        populate: false,
        advice: Some(Advice::Sequential),
    },
    Way {
        label: "advice willneed",
        populate: false,
        advice: Some(Advice::WillNeed),
    },
    Way {
        label: "advice hugepage",
        populate: false,
        advice: Some(Advice::HugePage),
    },
];

/// Runs the lesson on a 32 MiB file.
pub fn run(steps: &mut Steps) -> anyhow::Result<FaultFacts> {
    run_sized(steps, SIZE)
}

/// Runs the lesson on a file of `size` bytes.
pub fn run_sized(steps: &mut Steps, size: u64) -> anyhow::Result<FaultFacts> {
    let sandbox = Sandbox::new()?;
    let page = page_size();
    let pages = size / page;
    let mut probe = Probe::counting()?; // counts; times nothing

    steps.step(&format!(
        "Make a {} file: {pages} pages of {page} bytes.",
        ExactSize(size)
    ))?;
    steps.show(SOURCE, "make")?;
    // lesson:make begin
    let contents = file_contents(7, 0, size);
    // one std::fs::write: now in the page cache (warm)
    let path = sandbox.file("pages.bin", &contents)?;
    let expected = checksum(&contents);
    // lesson:make end
    steps.result(&format!(
        "{} on {}, written in one write",
        ExactSize(size),
        sandbox.work().filesystem()
    ))?;
    steps.say(
        "One write lays the file out in the largest folios the file system\n\
         makes; written a page at a time it would sit in 4 KiB ones, and every\n\
         count below would be larger (lesson layout).",
    )?;
    steps.say(
        "A page fault is the CPU stopping at an address that has no page table\n\
         entry yet, and the kernel filling one in. A new map has none: each\n\
         first touch of the file's pages faults. One fault per page would be\n\
         one per 4 KiB. Count them.",
    )?;

    steps.step("Map the file, then read every byte, counting faults in each part.")?;
    steps.show(SOURCE, "map-and-read")?;
    let plain = map_and_read(&mut probe, &path, WAYS[0], expected, false)?;
    steps.result(&format!(
        "faults while mapping: {}, while reading: {}  ({} pages)",
        plain.while_mapping, plain.while_reading, pages
    ))?;
    steps.result(&format!(
        "about {} pages per fault",
        per_fault(pages, plain.while_reading)
    ))?;
    steps.say(&mapping_sentence(plain.while_mapping))?;
    steps.say(&reading_sentence(pages, plain.while_reading))?;

    steps.step("The same file on tmpfs (/dev/shm), where files live in memory.")?;
    steps.say(&tmpfs_pages_sentence(shmem_enabled().as_deref()))?;
    steps.show(SOURCE, "tmpfs")?;
    let tmpfs = match tmpfs_rows(&mut probe, &contents, expected) {
        Ok(rows) if !rows.is_empty() => {
            let row = &rows[0];
            steps.result(&format!(
                "tmpfs: faults while reading: {}  → about {} pages per fault",
                row.while_reading,
                per_fault(pages, row.while_reading)
            ))?;
            steps.say(&reading_sentence(pages, row.while_reading))?;
            rows
        }
        Ok(_) => {
            steps.result("no tmpfs at /dev/shm here; skipped")?;
            Vec::new()
        }
        Err(e) => {
            steps.result(&format!("skipped: {e:#}"))?;
            Vec::new()
        }
    };

    steps.step("Change the count: MAP_POPULATE, and madvise advice.")?;
    steps.show(SOURCE, "ways")?;
    steps.say(
        "Each way runs the code of step 2: populate() before the map,\nthe advice right after it.",
    )?;
    // lesson:ways begin
    let mut rows = vec![plain];
    for way in &WAYS[1..] {
        rows.push(map_and_read(&mut probe, &path, *way, expected, false)?);
    }
    let cold = WAYS
        .iter()
        .map(|way| map_and_read(&mut probe, &path, *way, expected, true))
        .collect::<anyhow::Result<Vec<_>>>()?;
    // lesson:ways end
    fault_table(steps, &rows, &cold, &tmpfs)?;
    explain_ways(steps, &rows, &cold)?;

    Ok(FaultFacts {
        pages,
        rows,
        cold,
        tmpfs,
    })
}

/// Maps `path` one way and reads it all, counting faults in each part.
fn map_and_read(
    probe: &mut Probe,
    path: &Path,
    way: Way,
    expected: u64,
    cold: bool,
) -> anyhow::Result<FaultRow> {
    if cold {
        cache::evict(path)?;
    }
    // lesson:map-and-read begin
    let file = open_read(path)?;
    let mut options = MmapOptions::new();
    if way.populate {
        options.populate();
    }
    // SAFETY: the file is private to this lesson and nothing truncates it.
    let (map, _, mapping) = probe.measure(|| unsafe { options.map(&file) })?;
    let map: Mmap = map.context("cannot map it")?;
    if let Some(advice) = way.advice {
        map.advise(advice).context("madvise")?;
    }
    let (sum, _, reading) = probe.measure(|| checksum(&map))?;
    // lesson:map-and-read end
    anyhow::ensure!(
        sum == expected,
        "the map of {} read wrong bytes",
        path.display()
    );
    Ok(FaultRow {
        label: way.label.to_string(),
        while_mapping: mapping.minor_faults + mapping.major_faults,
        while_reading: reading.minor_faults + reading.major_faults,
        major: mapping.major_faults + reading.major_faults,
    })
}

/// The plain map of a copy of the file on tmpfs, if there is a tmpfs at /dev/shm.
fn tmpfs_rows(probe: &mut Probe, contents: &[u8], expected: u64) -> anyhow::Result<Vec<FaultRow>> {
    let dir = Path::new(MEMORY_DIR);
    if !dir.is_dir() {
        return Ok(Vec::new());
    }
    let work = WorkDir::create(Some(dir))?;
    if !work.is_memory_backed() {
        return Ok(Vec::new());
    }
    // lesson:tmpfs begin
    let path = work.path().join("pages.bin"); // under /dev/shm
    std::fs::write(&path, contents).context("cannot write on tmpfs")?;
    WAYS.iter()
        .map(|way| map_and_read(probe, &path, *way, expected, false))
        .collect()
    // lesson:tmpfs end
}

/// What the table shows, with this run's numbers.
fn explain_ways(steps: &mut Steps, warm: &[FaultRow], cold: &[FaultRow]) -> anyhow::Result<()> {
    let [plain, populate, random, ..] = warm else {
        return Ok(());
    };
    steps.say(&format!(
        "populate: the faults move into the mmap call ({} there, {} while reading).\n\
         The kernel fills the page table before mmap returns; you pay for every\n\
         page up front, even the ones you never read.",
        populate.while_mapping, populate.while_reading
    ))?;
    steps.say(&warm_advice_sentence(
        random.while_reading,
        plain.while_reading,
    ))?;
    if let [cold_plain, ..] = cold {
        steps.say(&cold_count_sentence(
            cold_plain.while_reading,
            plain.while_reading,
        ))?;
    }
    if let (Some(cold_plain), Some(willneed)) = (cold.first(), cold.get(4)) {
        steps.say(&willneed_cold_sentence(
            willneed.while_reading,
            cold_plain.while_reading,
        ))?;
    }
    if let (Some(cold_plain), Some(huge)) = (cold.first(), cold.get(5)) {
        steps.say(&hugepage_cold_sentence(
            huge.while_reading,
            cold_plain.while_reading,
        ))?;
    }
    if let [_, cold_populate, ..] = cold {
        steps.say(&populate_cold_sentence(cold_populate.major))?;
    }
    if let [cold_plain, _, cold_random, ..] = cold {
        steps.say(&format!(
            "Advice on the cold file: plain took {} faults reading, {} of them major (waiting\n\
             for the disk); random took {}, {} major. MADV_RANDOM turns read-ahead\n\
             from disk off, so each page is read on its own fault. Without it the\n\
             kernel reads ahead in large chunks, and later faults find the pages\n\
             already in the cache (minor faults). Fault-around, which maps pages\n\
             that are already cached, is another thing and works either way: on\n\
             tmpfs, where nothing comes from disk, advice changes nothing.",
            cold_plain.while_reading,
            cold_plain.major,
            cold_random.while_reading,
            cold_random.major
        ))?;
    }
    Ok(())
}

/// Where the kernel says whether tmpfs may use huge pages.
const SHMEM_ENABLED: &str = "/sys/kernel/mm/transparent_hugepage/shmem_enabled";

/// The chosen `shmem_enabled` setting (the bracketed word), if readable.
fn shmem_enabled() -> Option<String> {
    let text = std::fs::read_to_string(SHMEM_ENABLED).ok()?;
    let start = text.find('[')? + 1;
    let end = start + text[start..].find(']')?;
    Some(text[start..end].to_string())
}

/// What tmpfs's page size is, from the `shmem_enabled` setting.
pub fn tmpfs_pages_sentence(setting: Option<&str>) -> String {
    match setting {
        Some("never") | Some("deny") => format!(
            "Here {SHMEM_ENABLED} is \"never\": tmpfs keeps this file in 4 KiB \
             pages, a setting, not a property of tmpfs. So the faults below show \
             fault-around alone."
        ),
        Some(other) => format!(
            "Here {SHMEM_ENABLED} is \"{other}\": tmpfs may keep this file in \
             huge pages, so the faults below are not fault-around alone."
        ),
        None => format!(
            "({SHMEM_ENABLED} cannot be read here: whether tmpfs uses huge pages \
             is a setting, unknown on this machine.)"
        ),
    }
}

/// What the faults counted during the mmap call mean, from their number.
pub fn mapping_sentence(while_mapping: u64) -> String {
    if while_mapping == 0 {
        "mmap() itself took no fault: it only made the address range.".to_string()
    } else {
        format!(
            "The {while_mapping} fault counted during mmap() was not on the file: the counter\n\
             sees every fault of this thread, and without populate mmap() maps no\n\
             page of the file, it only makes the address range. (Which call takes\n\
             such a stray fault varies from run to run.)"
        )
    }
}

/// Why reading took `faults` faults for `pages` pages, from their ratio.
pub fn reading_sentence(pages: u64, faults: u64) -> String {
    let per = pages / faults.max(1);
    if per > 16 {
        format!(
            "Far fewer than one per page: {per} pages per fault, more than the 16 that\n\
             fault-around maps (the cached neighbours of the page asked for). The page\n\
             cache holds this file in large folios (blocks of many pages, up to\n\
             2 MiB on ext4 in recent kernels), and a fault maps as much of its folio\n\
             as the map covers. Whether large folios are used depends on the kernel\n\
             and the file system; a whole 2 MiB folio goes in one page-table entry\n\
             (a PMD mapping) only when the map's addresses line up with it."
        )
    } else if per > 1 {
        format!(
            "Fewer than one per page: {per} pages per fault. On a fault the kernel\n\
             also maps the neighbouring pages already in the page cache, up to 16\n\
             (\"fault-around\"). The cache holds this file in small folios here."
        )
    } else {
        "One fault per page: nothing was mapped around the pages asked for.".to_string()
    }
}

/// Random advice against none on the warm file, from the two fault counts.
pub fn warm_advice_sentence(random: u64, plain: u64) -> String {
    if random == plain {
        format!(
            "Advice on the warm file: {random} faults with random, the same as plain.\n\
             When the pages are already cached, read-ahead advice has nothing to change."
        )
    } else {
        format!(
            "Advice on the warm file: {random} faults with random against {plain} plain.\n\
             No disk read was saved or added either way: the pages were cached, and\n\
             read-ahead advice is about reading from disk."
        )
    }
}

/// WILLNEED's faults while reading the cold file against no advice's.
pub fn willneed_cold_sentence(willneed: u64, plain: u64) -> String {
    let how = if willneed > plain {
        "more than"
    } else if willneed < plain {
        "fewer than"
    } else {
        "as many as"
    };
    format!(
        "Cold, willneed took {willneed} faults reading, {how} plain's {plain}: it \
         asks the kernel to start reading the whole file in at once, which \
         saves no fault by itself; how the pages were read in decides the folio \
         sizes and so how many pages each fault maps (this lesson counts \
         faults, not folios: lesson layout shows folios)."
    )
}

/// MADV_HUGEPAGE's faults while reading the cold file against no advice's.
pub fn hugepage_cold_sentence(huge: u64, plain: u64) -> String {
    if huge < plain {
        format!(
            "Cold, hugepage took {huge} faults reading against plain's {plain}: \
             MADV_HUGEPAGE asks for large folios (and 2 MiB mappings) for this \
             range, so the file read back from disk sits in bigger blocks and \
             each fault maps more of it."
        )
    } else {
        format!(
            "Cold, hugepage took {huge} faults reading against plain's {plain}: \
             MADV_HUGEPAGE asks for large folios for this range, which this \
             kernel and file system did not give a map here."
        )
    }
}

/// The plain map's faults while reading the cold file against the warm one
/// (the stray fault mmap itself may take left out of both).
pub fn cold_count_sentence(cold: u64, warm: u64) -> String {
    if cold > warm {
        format!(
            "Cold, the plain map took {cold} faults reading against {warm} warm: pages a\n\
             map faults in from disk sit in the smaller folios its read-around makes\n\
             (read() from disk leaves larger ones: lesson cold), not the large ones a\n\
             big write makes, so each fault maps fewer pages."
        )
    } else {
        format!(
            "Cold, the plain map took {cold} faults reading against {warm} warm: read-ahead\n\
             cached the file in folios as large as a fresh write's here."
        )
    }
}

/// What populate's major faults on the cold file mean, from their number.
pub fn populate_cold_sentence(major: u64) -> String {
    if major == 0 {
        "populate on the cold file: 0 major faults, yet the whole file came from\n\
         disk inside the mmap call. The kernel pre-faults the map itself, and the\n\
         disk waits happened in its read-ahead rather than in faults counted as\n\
         major. Major faults undercount disk work; lesson cold counts disk bytes."
            .to_string()
    } else {
        format!(
            "populate on the cold file: {major} major faults, all inside the mmap\n\
             call, where the kernel read the file in before returning."
        )
    }
}

/// Pages per fault, rounded; "all" when there were no faults.
fn per_fault(pages: u64, faults: u64) -> String {
    if faults == 0 {
        "all".to_string()
    } else {
        (pages as f64 / faults as f64).round().to_string()
    }
}

/// The columns of the warm table (the tmpfs pair only when measured),
/// laid out for the widest way label and fault counts.
fn warm_columns(tmpfs: bool) -> Vec<Column<'static>> {
    let mut columns = vec![
        Column::left("warm").holding(WIDEST_WAY),
        Column::right("in mmap").holding(WIDEST_COUNT),
        Column::right("reading").holding(WIDEST_COUNT),
    ];
    if tmpfs {
        columns.push(Column::right("tmpfs: in mmap").holding(WIDEST_COUNT));
        columns.push(Column::right("reading").holding(WIDEST_COUNT));
    }
    columns
}

/// The columns of the cold table.
const COLD_COLUMNS: [Column<'static>; 4] = [
    Column::left("cold").holding(WIDEST_WAY),
    Column::right("in mmap").holding(WIDEST_COUNT),
    Column::right("reading").holding(WIDEST_COUNT),
    Column::right("major").holding(WIDEST_COUNT),
];

/// The longest way label in [`WAYS`].
const WIDEST_WAY: &str = "advice sequential";

/// Faults per way, in two tables: warm (and, when measured, on tmpfs),
/// then cold, with how many faults waited for the disk.
fn fault_table(
    steps: &mut Steps,
    warm: &[FaultRow],
    cold: &[FaultRow],
    tmpfs: &[FaultRow],
) -> std::io::Result<()> {
    let rows: Vec<Vec<String>> = warm
        .iter()
        .enumerate()
        .map(|(index, row)| {
            let mut cells = vec![
                row.label.clone(),
                row.while_mapping.to_string(),
                row.while_reading.to_string(),
            ];
            if let Some(t) = tmpfs.get(index) {
                cells.extend([t.while_mapping, t.while_reading].map(|n| n.to_string()));
            }
            cells
        })
        .collect();
    steps.table(&warm_columns(!tmpfs.is_empty()), &rows)?;
    let rows: Vec<Vec<String>> = cold
        .iter()
        .map(|c| {
            vec![
                c.label.clone(),
                c.while_mapping.to_string(),
                c.while_reading.to_string(),
                c.major.to_string(),
            ]
        })
        .collect();
    steps.table(&COLD_COLUMNS, &rows)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layout::widest_line;

    #[test]
    fn tmpfs_small_pages_are_named_a_setting() {
        assert!(tmpfs_pages_sentence(Some("never")).contains("a setting, not a property"));
        assert!(tmpfs_pages_sentence(Some("always")).contains("may keep this file in huge pages"));
        assert!(tmpfs_pages_sentence(None).contains("cannot be read"));
    }

    #[test]
    fn sentences_follow_the_counts() {
        assert!(cold_count_sentence(17, 16).contains("took 17 faults reading against 16 warm"));
        assert!(willneed_cold_sentence(40, 17).contains("more than plain's 17"));
        assert!(hugepage_cold_sentence(15, 200).contains("each fault maps more"));
        assert!(hugepage_cold_sentence(200, 200).contains("did not give"));
    }

    #[test]
    fn the_fault_tables_fit_80_columns_for_any_counts() {
        assert!(WAYS.iter().all(|w| w.label.len() <= WIDEST_WAY.len()));
        // Indented 5 under the results, with every count 7 digits wide.
        assert!(widest_line(&warm_columns(true)) + 5 <= 80);
        assert!(widest_line(&COLD_COLUMNS) + 5 <= 80);
    }
}
