//! What the threads of a run that lasts do: the order of their accesses,
//! how they reach the file (one shared map, or a descriptor and a buffer
//! per thread) and how they consume what they read.

use super::content::Content;
use super::ring::RingReader;
use crate::buffer::PlacedBuffer;
use crate::checksum::Fold;
use crate::vocab::Advice;
use memmap2::Mmap;
use rand::{RngExt, SeedableRng};
use rand_pcg::Pcg64;
use std::fs::{File, OpenOptions};
use std::io;
use std::os::unix::fs::{FileExt, OpenOptionsExt};
use std::path::Path;

/// The bytes of a page, for touching one byte per page.
pub const PAGE: u64 = 4096;

/// The order of the accesses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "pattern", rename_all = "snake_case")]
pub enum Pattern {
    /// Records at record-aligned offsets, drawn per thread from the seed.
    Random {
        /// Bytes per access.
        record: u64,
    },
    /// Front to back in `record`-sized chunks; thread t of n takes chunks
    /// t, t + n, t + 2n... and starts again at the end of the file.
    Sequential {
        /// Bytes per access.
        record: u64,
    },
}

impl Pattern {
    /// Bytes per access.
    pub fn record(&self) -> u64 {
        match self {
            Pattern::Random { record } | Pattern::Sequential { record } => *record,
        }
    }
}

/// How what was read is consumed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Consume {
    /// The project's fold over every byte (src/checksum.rs).
    Fold,
    /// One byte per 4 KiB page, as mmapbench does: for a map, only the
    /// touched page is faulted in.
    Touch,
}

/// How the threads reach the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "method", rename_all = "snake_case", deny_unknown_fields)]
pub enum Way {
    /// One read-only map of the whole file, shared by every thread (as a
    /// database keeps its map), with `advice` given once.
    Mmap {
        /// `madvise` advice for the whole map.
        advice: Advice,
    },
    /// `pread` into a page-aligned buffer, a descriptor per thread.
    Positioned {},
    /// `pread` on a descriptor opened with O_DIRECT, a descriptor and a
    /// page-aligned buffer per thread: no page cache.
    Direct {},
    /// io_uring with O_DIRECT, a ring per thread with `depth` reads in
    /// flight, consumed in the order asked for.
    Uring {
        /// Requests in flight per thread.
        #[serde(default = "default_depth")]
        depth: u32,
    },
}

/// The ring depth when a scenario does not say (the paper's fio runs).
pub const DEFAULT_DEPTH: u32 = 32;

fn default_depth() -> u32 {
    DEFAULT_DEPTH
}

impl Way {
    /// A short label: `mmap advice=random`, `positioned`, `direct`.
    pub fn label(&self) -> String {
        match self {
            Way::Mmap { advice } => format!("mmap advice={advice}"),
            Way::Positioned {} => "positioned".to_string(),
            Way::Direct {} => "direct".to_string(),
            Way::Uring { depth } => format!("uring direct depth={depth}"),
        }
    }

    /// True when its reads go through the page cache (a map, `pread`);
    /// false for O_DIRECT (direct, uring).
    pub fn uses_page_cache(&self) -> bool {
        match self {
            Way::Mmap { .. } | Way::Positioned {} => true,
            Way::Direct {} | Way::Uring { .. } => false,
        }
    }
}

/// The offsets one thread reads, in order.
pub struct Offsets {
    pattern: Pattern,
    slots: u64,
    rng: Pcg64,
    next: u64,
    step: u64,
}

impl Offsets {
    /// Thread `thread` of `threads` on a file of `size` bytes.
    pub fn new(pattern: Pattern, seed: u64, size: u64, thread: u64, threads: u64) -> Offsets {
        Offsets {
            pattern,
            slots: (size / pattern.record()).max(1),
            rng: Pcg64::seed_from_u64(seed ^ thread.wrapping_mul(0x9E37_79B9_7F4A_7C15)),
            next: thread,
            step: threads.max(1),
        }
    }
}

impl Iterator for Offsets {
    type Item = u64;

    fn next(&mut self) -> Option<u64> {
        let record = self.pattern.record();
        Some(match self.pattern {
            Pattern::Random { .. } => self.rng.random_range(0..self.slots) * record,
            Pattern::Sequential { .. } => {
                let slot = self.next % self.slots;
                self.next = self.next.wrapping_add(self.step);
                slot * record
            }
        })
    }
}

/// What one thread consumed: a fold or a hash of the touched bytes.
pub struct Consumer {
    consume: Consume,
    fold: Fold,
    touched: u64,
}

impl Consumer {
    /// An empty consumer.
    pub fn new(consume: Consume) -> Consumer {
        Consumer {
            consume,
            fold: Fold::new(),
            touched: 0,
        }
    }

    /// Consumes one record's bytes.
    pub fn take(&mut self, bytes: &[u8]) {
        match self.consume {
            Consume::Fold => self.fold.update(bytes),
            Consume::Touch => {
                for page in bytes.chunks(PAGE as usize) {
                    // SAFETY: page is a non-empty slice; a volatile read makes
                    // the access (and so, for a map, the fault) happen.
                    let byte = unsafe { std::ptr::read_volatile(page.as_ptr()) };
                    self.touched = self
                        .touched
                        .wrapping_mul(31)
                        .wrapping_add(u64::from(byte) + 1);
                }
            }
        }
    }

    /// The checksum of everything consumed.
    pub fn finish(self) -> u64 {
        match self.consume {
            Consume::Fold => self.fold.finish(),
            Consume::Touch => self.touched,
        }
    }
}

/// The checksum thread `thread` of `threads` must produce after `count`
/// accesses, computed from the content, not the file.
pub fn reference(
    content: &Content,
    pattern: Pattern,
    consume: Consume,
    (seed, size): (u64, u64),
    (thread, threads): (u64, u64),
    count: u64,
) -> u64 {
    let mut consumer = Consumer::new(consume);
    let mut bytes = vec![0u8; pattern.record() as usize];
    for offset in Offsets::new(pattern, seed, size, thread, threads).take(count as usize) {
        content.fill(offset, &mut bytes);
        consumer.take(&bytes);
    }
    consumer.finish()
}

/// The file as the threads share it: a map, or only its path.
pub enum Shared {
    /// One map of the whole file.
    Map(Mmap),
    /// Each thread opens its own descriptor.
    Calls {
        /// With O_DIRECT.
        direct: bool,
    },
    /// Each thread opens its own O_DIRECT descriptor under its own ring.
    Ring {
        /// Requests in flight per thread.
        depth: u32,
    },
}

impl Shared {
    /// Opens `path` for `way`: maps it (and advises) once, or checks that
    /// it opens; errors name the file.
    pub fn open(path: &Path, way: Way) -> io::Result<Shared> {
        let named = |e: io::Error| io::Error::new(e.kind(), format!("{}: {e}", path.display()));
        match way {
            Way::Mmap { advice } => {
                let file = File::open(path).map_err(named)?;
                // SAFETY: the file is private to this run's work directory and
                // nothing truncates it while the map lives.
                let map = unsafe { Mmap::map(&file) }.map_err(named)?;
                map.advise(crate::method::memmap_advice(advice))
                    .map_err(named)?;
                Ok(Shared::Map(map))
            }
            Way::Positioned {} => Ok(Shared::Calls { direct: false }),
            Way::Direct {} => {
                open_calls(path, true)?;
                Ok(Shared::Calls { direct: true })
            }
            Way::Uring { depth } => {
                open_calls(path, true)?;
                Ok(Shared::Ring { depth })
            }
        }
    }

    /// One thread's reader.
    pub fn reader(&self, path: &Path, record: u64) -> io::Result<Reader<'_>> {
        Ok(match self {
            Shared::Map(map) => Reader::Map {
                map,
                record: record as usize,
            },
            Shared::Calls { direct } => Reader::Calls {
                file: open_calls(path, *direct)?,
                buffer: PlacedBuffer::new(record as usize, 0),
            },
            Shared::Ring { depth } => Reader::Ring(Box::new(RingReader::new(
                open_calls(path, true)?,
                *depth,
                record as usize,
            )?)),
        })
    }
}

fn open_calls(path: &Path, direct: bool) -> io::Result<File> {
    let flags = if direct { libc::O_DIRECT } else { 0 };
    OpenOptions::new()
        .read(true)
        .custom_flags(flags)
        .open(path)
        .map_err(|e| {
            let what = if direct { " with O_DIRECT" } else { "" };
            io::Error::new(
                e.kind(),
                format!("cannot open {}{what}: {e}", path.display()),
            )
        })
}

/// One thread's way to the file.
pub enum Reader<'a> {
    /// Slices of the shared map.
    Map {
        /// The map.
        map: &'a Mmap,
        /// Bytes per access.
        record: usize,
    },
    /// Its own descriptor and page-aligned buffer.
    Calls {
        /// The descriptor.
        file: File,
        /// The buffer, one record long.
        buffer: PlacedBuffer,
    },
    /// Its own ring, descriptor and buffers.
    Ring(Box<RingReader>),
}

impl Reader<'_> {
    /// Reads the record at `offset` and gives it to `consumer`; returns
    /// how many records were consumed (a ring consumes later, in order:
    /// see [`Reader::drain`]).
    pub fn access(&mut self, offset: u64, consumer: &mut Consumer) -> io::Result<u64> {
        match self {
            Reader::Map { map, record } => {
                let start = offset as usize;
                let bytes = map.get(start..start + *record).ok_or_else(|| {
                    io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "a record past the end of the map",
                    )
                })?;
                consumer.take(bytes);
                Ok(1)
            }
            Reader::Calls { file, buffer } => {
                let bytes = buffer.as_mut_slice();
                file.read_exact_at(bytes, offset)?;
                consumer.take(bytes);
                Ok(1)
            }
            Reader::Ring(ring) => ring.access(offset, consumer),
        }
    }

    /// True when each access is one call that can be timed cheaply.
    pub fn times_cheaply(&self) -> bool {
        matches!(self, Reader::Calls { .. })
    }

    /// Consumes what is still in flight; returns how many records.
    pub fn drain(&mut self, consumer: &mut Consumer) -> io::Result<u64> {
        match self {
            Reader::Ring(ring) => ring.drain(consumer),
            Reader::Map { .. } | Reader::Calls { .. } => Ok(0),
        }
    }
}
