//! What a file's pages look like in the page cache: how many of its bytes
//! sit in folios of each size, read (as root) from `/proc/self/pagemap`
//! (the frame behind each page of a map of the file) and `/proc/kpageflags`
//! (bit 15: the head of a compound page, bit 16: a tail), and a probe that
//! works for anyone: the minor faults a map takes to touch one byte per
//! resident page (one fault maps a whole folio, or fault-around's 16 pages).

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;
use std::path::Path;

/// `/proc/kpageflags` bit of the first page of a compound page (a folio
/// of more than one page).
const KPF_COMPOUND_HEAD: u64 = 1 << 15;
/// `/proc/kpageflags` bit of the other pages of a compound page.
const KPF_COMPOUND_TAIL: u64 = 1 << 16;
/// `/proc/self/pagemap` bit of a present page, and its frame number bits.
const PM_PRESENT: u64 = 1 << 63;
const PM_PFN_MASK: u64 = (1 << 55) - 1;
/// Frames read at once when counting a folio's tail pages.
const TAIL_BATCH: usize = 512;

/// How a file's resident pages sit in the page cache.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CacheLayout {
    /// Bytes of the file in folios of each size (key: the folio's size in
    /// bytes); they sum to the resident bytes. Null when they could not be
    /// read; `unreadable` says why.
    pub folio_bytes: Option<BTreeMap<u64, u64>>,
    /// Why `folio_bytes` could not be read (no root, no /proc/kpageflags).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unreadable: Option<String>,
    /// Minor faults a fresh map took to read one byte of every page of the
    /// file, per MiB: 256 means one fault per 4 KiB page, 0.5 one per 2 MiB
    /// folio. Null when the file was not wholly resident (the probe would
    /// have read it in).
    pub faults_per_mib: Option<f64>,
}

impl CacheLayout {
    /// The layout of the files at `paths` together, as they are now.
    pub fn of(paths: &[&Path]) -> io::Result<CacheLayout> {
        let frames = Frames::open();
        let mut total = BTreeMap::new();
        let mut faults = 0u64;
        let mut bytes = 0u64;
        let mut probed = true;
        for path in paths {
            let file = File::open(path)?;
            let len = file.metadata()?.len();
            if len == 0 {
                probed = false;
                continue;
            }
            let resident = resident_pages(&file, len)?;
            if let Ok(frames) = &frames {
                for (size, n) in folio_bytes(frames, &file, len, &resident)? {
                    *total.entry(size).or_insert(0) += n;
                }
            }
            if resident.iter().all(|&r| r) {
                faults += fault_probe(&file)?;
                bytes += len;
            } else {
                probed = false;
            }
        }
        let (folio_bytes, unreadable) = match frames {
            Ok(_) => (Some(total), None),
            Err(reason) => (None, Some(reason)),
        };
        Ok(CacheLayout {
            folio_bytes,
            unreadable,
            faults_per_mib: (probed && bytes > 0)
                .then(|| faults as f64 / (bytes as f64 / (1 << 20) as f64)),
        })
    }

    /// The share of the counted bytes in folios larger than one page, or
    /// `None` when the folios could not be read or nothing is resident.
    pub fn large_share(&self) -> Option<f64> {
        let map = self.folio_bytes.as_ref()?;
        let all: u64 = map.values().sum();
        let page = crate::buffer::page_size() as u64;
        let large: u64 = map.iter().filter(|(s, _)| **s > page).map(|(_, n)| n).sum();
        (all > 0).then(|| large as f64 / all as f64)
    }
}

/// The kernel's page tables and page flags, opened once for every file.
struct Frames {
    /// `/proc/self/pagemap`: the frame behind each page of this process.
    pagemap: File,
    /// `/proc/kpageflags`: the flags of each frame.
    flags: File,
}

impl Frames {
    /// Opens both, or says why they cannot be read.
    fn open() -> Result<Frames, String> {
        let flags = File::open("/proc/kpageflags").map_err(|e| match e.kind() {
            io::ErrorKind::PermissionDenied => {
                "reading folio sizes needs root: /proc/kpageflags is readable by root only"
                    .to_string()
            }
            _ => format!("cannot read /proc/kpageflags: {e}"),
        })?;
        let pagemap = File::open("/proc/self/pagemap")
            .map_err(|e| format!("cannot read /proc/self/pagemap: {e}"))?;
        if !frame_numbers_visible(&pagemap) {
            return Err(
                "reading folio sizes needs root: /proc/self/pagemap hides frame numbers from other users"
                    .to_string(),
            );
        }
        Ok(Frames { pagemap, flags })
    }
}

/// Whether pagemap shows this process frame numbers (it shows 0 to users
/// without CAP_SYS_ADMIN): read for a page of the stack, present now.
fn frame_numbers_visible(pagemap: &File) -> bool {
    let here = 0u8;
    let page = crate::buffer::page_size() as u64;
    let address = std::hint::black_box(&here) as *const u8 as u64;
    let mut entry = [0u8; 8];
    pagemap
        .read_exact_at(&mut entry, address / page * 8)
        .is_ok()
        && u64::from_le_bytes(entry) & PM_PFN_MASK != 0
}

/// Bytes of the file's resident pages (`resident`, one flag per page of
/// its `len` bytes) by folio size.
fn folio_bytes(
    frames: &Frames,
    file: &File,
    len: u64,
    resident: &[bool],
) -> io::Result<BTreeMap<u64, u64>> {
    let page = crate::buffer::page_size() as u64;
    let pages = len.div_ceil(page) as usize;
    // SAFETY: the file is private to this run and not truncated while mapped.
    let map = unsafe { memmap2::Mmap::map(file)? };
    populate_resident(&map, resident, page as usize);
    let mut entries = vec![0u8; pages * 8];
    frames
        .pagemap
        .read_exact_at(&mut entries, map.as_ptr() as u64 / page * 8)?;
    let frame = |i: usize| {
        let entry = u64::from_le_bytes(entries[i * 8..i * 8 + 8].try_into().expect("8 bytes"));
        (entry & PM_PRESENT != 0).then_some(entry & PM_PFN_MASK)
    };
    let mut sizes = BTreeMap::new();
    let mut i = 0;
    while i < pages {
        let Some(pfn) = frame(i).filter(|&pfn| resident[i] && pfn != 0) else {
            i += 1;
            continue;
        };
        let head = read_flags(&frames.flags, pfn, 1)?
            .first()
            .copied()
            .unwrap_or(0);
        let folio_pages = if head & KPF_COMPOUND_HEAD != 0 {
            1 + tail_pages(&frames.flags, pfn)?
        } else {
            1
        };
        // The pages of this folio that are pages of the file, from here on.
        let here = folio_pages.min(pages - i);
        *sizes.entry(folio_pages as u64 * page).or_insert(0) += here as u64 * page;
        i += here;
    }
    Ok(sizes)
}

/// The tail pages following the head frame `pfn`.
fn tail_pages(flags: &File, pfn: u64) -> io::Result<usize> {
    let mut tails = 0;
    loop {
        let batch = read_flags(flags, pfn + 1 + tails as u64, TAIL_BATCH)?;
        let run = batch
            .iter()
            .take_while(|f| **f & KPF_COMPOUND_TAIL != 0)
            .count();
        tails += run;
        if run < batch.len() || batch.is_empty() {
            return Ok(tails);
        }
    }
}

/// The kpageflags words of `count` frames from `pfn` (fewer at the end).
fn read_flags(flags: &File, pfn: u64, count: usize) -> io::Result<Vec<u64>> {
    let mut bytes = vec![0u8; count * 8];
    let got = flags.read_at(&mut bytes, pfn * 8)?;
    Ok(bytes[..got - got % 8]
        .chunks_exact(8)
        .map(|b| u64::from_le_bytes(b.try_into().expect("8 bytes")))
        .collect())
}

/// Which of the file's pages are in the page cache (mincore).
fn resident_pages(file: &File, len: u64) -> io::Result<Vec<bool>> {
    let page = crate::buffer::page_size() as u64;
    // SAFETY: the file is private to this run and not truncated while mapped.
    let map = unsafe { memmap2::Mmap::map(file)? };
    let mut vector = vec![0u8; len.div_ceil(page) as usize];
    // SAFETY: the map is page-aligned and `vector` has one byte per page.
    let rc = unsafe {
        libc::mincore(
            map.as_ptr() as *mut libc::c_void,
            map.len(),
            vector.as_mut_ptr(),
        )
    };
    if rc != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(vector.iter().map(|v| v & 1 == 1).collect())
}

/// Maps the resident pages of `map` into this process's page table, so
/// pagemap can name their frames, without reading any other page in: one
/// read of each resident page (a fault on a resident page does no I/O; a
/// page not resident is never touched).
fn populate_resident(map: &[u8], resident: &[bool], page: usize) {
    let mut sum = 0u8;
    for (i, _) in resident.iter().enumerate().filter(|(_, r)| **r) {
        sum = sum.wrapping_add(map[i * page]);
    }
    std::hint::black_box(sum);
}

/// Minor faults a fresh map takes to read one byte of every page of a
/// wholly resident file (the caller checks: touching a file that is not
/// would read the rest in and change what is measured).
fn fault_probe(file: &File) -> io::Result<u64> {
    let page = crate::buffer::page_size();
    // SAFETY: the file is private to this run and not truncated while mapped.
    let map = unsafe { memmap2::Mmap::map(file)? };
    let before = crate::probe::thread_minor_faults()?;
    let mut sum = 0u8;
    for at in (0..map.len()).step_by(page) {
        sum = sum.wrapping_add(map[at]);
    }
    std::hint::black_box(sum);
    Ok(crate::probe::thread_minor_faults()? - before)
}

/// Whether a file written in one write in `dir` sits in folios larger than
/// a page: from the folio sizes where they can be read, else from the
/// fault probe (fault-around maps 16 pages a fault, a 2 MiB folio 512).
pub fn large_folios_in(dir: &Path) -> io::Result<bool> {
    let path = dir.join("folio-probe.bin");
    let bytes = crate::workload::file_contents(1, 0, PROBE_BYTES);
    let layout = crate::fill::CacheFill::OneWrite
        .lay_out(&path, &bytes)
        .and_then(|()| CacheLayout::of(&[&path]));
    let _ = std::fs::remove_file(&path);
    let layout = layout?;
    match (layout.large_share(), layout.faults_per_mib) {
        (Some(share), _) => Ok(share > 0.5),
        (None, Some(faults)) => Ok(faults < FAULT_AROUND_PER_MIB / 2.0),
        (None, None) => Err(io::Error::other("the probe file was not resident")),
    }
}

/// Bytes of the file [`large_folios_in`] writes.
const PROBE_BYTES: u64 = 4 << 20;
/// Faults per MiB when each fault maps fault-around's 16 pages of 4 KiB.
const FAULT_AROUND_PER_MIB: f64 = 16.0;
