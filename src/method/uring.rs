//! io_uring (the `io-uring` crate): reads and writes are queued as requests
//! in a ring shared with the kernel, up to `depth` in flight, and one
//! `io_uring_enter` call submits a batch and collects what completed. The
//! tutorial's "fewer system calls" without a map: N requests at depth D take
//! about N/D calls. With `direct` the file is opened with O_DIRECT under the
//! ring; with `fixed` the read buffers are registered with the ring once,
//! so the kernel need not map them for every request (a write registers the
//! data it writes for that operation).
//!
//! The ring (and its buffers) is kept per thread between operations, as a
//! program keeps its ring; setting it up is paid once, in the untimed
//! verification pass. Reads are consumed in file order whatever order they
//! complete in: the ring has [`WINDOW`] × `depth` buffer slots, request `k`
//! uses slot `k % slots` and a slot is reused only after its request has
//! been consumed. At most `depth` requests are in flight; the extra slots
//! let completed requests wait for a slow one ahead of them while new ones
//! keep the device busy (with one slot per request in flight, one slow read
//! would stall the queue).
//!
//! Counting: ring I/O makes no read or write system call, so the per-thread
//! procfs counters (`syscr`, `rchar`) do not see it. This module keeps its
//! own tally ([`ring_tally`]): the requests it queues, the completions the
//! kernel posts, the bytes those completions report and its
//! `io_uring_enter` calls; the probe reads it like the procfs counters.

use super::direct::{
    aligned_down, aligned_up, check_aligned_data, check_direct_chunk, fits_direct, open_direct,
};
use super::{
    CallSize, ConsumeFrom, Io, IoMethod, MethodFacts, Misfit, SizedOption, Unavailable,
    fits_without_private_copy,
};
use crate::buffer::PlacedBuffer;
use crate::checksum::Fold;
use crate::counters::Counters;
use crate::operation::Operation;
use crate::units::ExactSize;
use crate::vocab::MethodName;
use crate::vocab::Unmodelled;
use io_uring::{IoUring, cqueue, opcode, squeue, types};
use serde::{Deserialize, Serialize};
use std::cell::{Cell, RefCell};
use std::fs::{File, OpenOptions};
use std::io;
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};

/// Largest `depth` accepted: well past where more requests in flight help.
pub const MAX_DEPTH: u32 = 4096;
/// Buffer slots per request in flight.
pub const WINDOW: usize = 2;
/// Most buffer bytes one ring's slots may take ([`WINDOW`] × `depth` × `chunk`).
pub const MAX_SLOT_BYTES: usize = 1 << 30;
/// Files opened at once by many_files: their requests share the ring.
const FILES_AT_ONCE: usize = 64;

/// Requests through io_uring, `chunk` bytes each, `depth` in flight.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Uring {
    /// Bytes per request (a record larger than this takes several).
    #[serde(deserialize_with = "crate::units::deserialize_size")]
    pub chunk: usize,
    /// Requests in flight at once (the queue depth).
    pub depth: u32,
    /// Register the buffers with the ring (IORING_REGISTER_BUFFERS).
    pub fixed: bool,
    /// Open the file with O_DIRECT: the device fills the buffers, the page
    /// cache is bypassed.
    pub direct: bool,
}

impl Default for Uring {
    fn default() -> Self {
        Uring {
            chunk: 64 * 1024,
            depth: 32,
            fixed: false,
            direct: false,
        }
    }
}

/// What the ring code did on this thread since it started: the source of
/// the `ring_*` counters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RingTally {
    /// Submission queue entries queued (a short read's remainder is a new one).
    pub requests: u64,
    /// Completion queue entries reaped.
    pub completions: u64,
    /// Bytes the completions reported moved (their positive results).
    pub bytes: u64,
    /// `io_uring_enter` calls made.
    pub enters: u64,
}

thread_local! {
    static TALLY: Cell<RingTally> = const { Cell::new(RingTally { requests: 0, completions: 0, bytes: 0, enters: 0 }) };
    static RINGS: RefCell<Vec<KeptRing>> = const { RefCell::new(Vec::new()) };
}

/// The calling thread's ring tally so far.
pub fn ring_tally() -> RingTally {
    TALLY.with(Cell::get)
}

fn tally(change: impl FnOnce(&mut RingTally)) {
    TALLY.with(|cell| {
        let mut tally = cell.get();
        change(&mut tally);
        cell.set(tally);
    });
}

impl IoMethod for Uring {
    fn label(&self) -> String {
        let mut label = format!(
            "{} {} depth {}",
            MethodName::Uring,
            ExactSize(self.chunk as u64),
            self.depth
        );
        if self.direct {
            label.push_str(" direct");
        }
        if self.fixed {
            label.push_str(" fixed");
        }
        label
    }

    fn check(&self) -> Result<(), (&'static str, String)> {
        if self.depth == 0 || self.depth > MAX_DEPTH {
            return Err((
                "depth",
                format!("must be 1 to {MAX_DEPTH}, not {}", self.depth),
            ));
        }
        if self.chunk == 0 || self.chunk > u32::MAX as usize {
            return Err((
                "chunk",
                format!("must be 1 byte to 4 GiB, not {}", self.chunk),
            ));
        }
        if self.chunk.saturating_mul(self.depth as usize * WINDOW) > MAX_SLOT_BYTES {
            return Err((
                "chunk",
                format!(
                    "{WINDOW} × depth × chunk is the ring's buffer memory, at most {}; {WINDOW} × {} × {} is more",
                    ExactSize(MAX_SLOT_BYTES as u64),
                    self.depth,
                    ExactSize(self.chunk as u64)
                ),
            ));
        }
        if self.direct {
            check_direct_chunk(self.chunk)?;
        }
        Ok(())
    }

    fn fits(&self, operation: &Operation) -> Result<(), Misfit> {
        if self.direct {
            fits_direct(operation, MethodName::Uring)
        } else {
            fits_without_private_copy(operation)
        }
    }

    fn sized_options(&self) -> Vec<SizedOption> {
        vec![SizedOption::per_call("chunk", self.chunk)]
    }

    fn facts(&self) -> MethodFacts {
        MethodFacts {
            bypasses_page_cache: self.direct,
            calls: CallSize::Chunk(self.chunk as u64),
            consumes_from: ConsumeFrom::Chunk,
            copies_twice: false,
            placement: None,
            unmodelled: Some(if self.direct {
                Unmodelled::Device
            } else {
                Unmodelled::Ring
            }),
        }
    }

    fn check_available(&self, dir: &Path) -> io::Result<()> {
        if self.direct {
            super::direct::check_direct_in(dir)?;
        }
        // The ring only: what fixed buffers need registered depends on the
        // operation, and a refusal there makes the method unavailable when
        // it is verified.
        self.with_ring(false, |_| Ok(()))
    }

    fn counters_note(&self) -> Option<&'static str> {
        Some(if self.direct {
            "io_uring with O_DIRECT: no read or write system calls, so \"read calls\" and \"to user\" stay 0; the ring counters are mmap-lab's tally of its requests, the completions the kernel posted and the bytes they report; the device moved those bytes, so the CPU copied none; work handed to the kernel's io-wq threads is not on this thread"
        } else {
            "io_uring: no read or write system calls, so \"read calls\" and \"to user\" stay 0; the ring counters are mmap-lab's tally of its requests, the completions the kernel posted and the bytes they report (the kernel copied those bytes to or from the page cache); faults and disk reads done by the kernel's io-wq threads are not on this thread and are not counted"
        })
    }

    fn bytes_copied(&self, counters: &Counters) -> u64 {
        if self.direct { 0 } else { counters.ring_bytes }
    }
}

impl Io for Uring {
    fn read_file(&self, path: &Path, fold: &mut Fold) -> io::Result<()> {
        let file = self.open_read(path)?;
        let len = file.metadata()?.len();
        let pieces = self.pieces(0, 0, len);
        self.with_ring(true, |ring| {
            ring.read_pieces(&[(path, &file)], &pieces, self.fixed, fold)
        })
    }

    /// Opens the files a group at a time, so that requests from different
    /// files share the ring's batches.
    fn read_files(&self, paths: &[PathBuf], fold: &mut Fold) -> io::Result<()> {
        for group in paths.chunks(FILES_AT_ONCE) {
            let mut files = Vec::with_capacity(group.len());
            for path in group {
                files.push(self.open_read(path)?);
            }
            let mut pieces = Vec::new();
            for (index, file) in files.iter().enumerate() {
                pieces.extend(self.pieces(index, 0, file.metadata()?.len()));
            }
            let named: Vec<(&Path, &File)> =
                group.iter().map(PathBuf::as_path).zip(&files).collect();
            self.with_ring(true, |ring| {
                ring.read_pieces(&named, &pieces, self.fixed, fold)
            })?;
        }
        Ok(())
    }

    fn read_records(
        &self,
        path: &Path,
        offsets: &[u64],
        record: u64,
        fold: &mut Fold,
    ) -> io::Result<()> {
        let file = self.open_read(path)?;
        let pieces: Vec<Piece> = offsets
            .iter()
            .flat_map(|&offset| self.pieces(0, offset, offset + record))
            .collect();
        self.with_ring(true, |ring| {
            ring.read_pieces(&[(path, &file)], &pieces, self.fixed, fold)
        })
    }

    fn read_range(&self, path: &Path, start: u64, end: u64, fold: &mut Fold) -> io::Result<()> {
        let file = self.open_read(path)?;
        let pieces = self.pieces(0, start, end);
        self.with_ring(true, |ring| {
            ring.read_pieces(&[(path, &file)], &pieces, self.fixed, fold)
        })
    }

    fn overwrite(&self, path: &Path, offset: u64, data: &[u8], sync: bool) -> io::Result<()> {
        let mut options = OpenOptions::new();
        options.write(true);
        let file = self.open(path, &mut options)?;
        self.with_ring(false, |ring| {
            ring.write_all(self, path, &file, offset, data)?;
            if sync {
                ring.sync(path, &file)?;
            }
            Ok(())
        })
    }

    fn create(&self, path: &Path, data: &[u8], sync: bool) -> io::Result<()> {
        let mut options = OpenOptions::new();
        options.write(true).create(true).truncate(true);
        let file = self.open(path, &mut options)?;
        self.with_ring(false, |ring| {
            if self.direct {
                // O_DIRECT writes whole blocks: the ring writes those, and
                // the partial last block is written padded, then cut back.
                let whole_blocks = aligned_down(data.len());
                ring.write_all(self, path, &file, 0, &data[..whole_blocks])?;
                super::direct::write_tail(&file, data, whole_blocks)?;
            } else {
                ring.write_all(self, path, &file, 0, data)?;
            }
            if sync {
                ring.sync(path, &file)?;
            }
            Ok(())
        })
    }
}

impl Uring {
    /// Opens a file for reading, with O_DIRECT when asked.
    fn open_read(&self, path: &Path) -> io::Result<File> {
        self.open(path, OpenOptions::new().read(true))
    }

    fn open(&self, path: &Path, options: &mut OpenOptions) -> io::Result<File> {
        if self.direct {
            open_direct(path, options)
        } else {
            options.open(path).map_err(|e| {
                io::Error::new(e.kind(), format!("cannot open {}: {e}", path.display()))
            })
        }
    }

    /// The requests that read bytes `[start, end)` of file `file`, one per
    /// chunk; with O_DIRECT each asks for whole blocks.
    fn pieces(&self, file: usize, start: u64, end: u64) -> Vec<Piece> {
        let chunk = self.chunk as u64;
        (0..(end - start).div_ceil(chunk))
            .map(|index| {
                let offset = start + index * chunk;
                let want = chunk.min(end - offset) as usize;
                let ask = if self.direct { aligned_up(want) } else { want };
                Piece {
                    file,
                    offset,
                    want,
                    ask,
                }
            })
            .collect()
    }

    /// Lends `f` this thread's ring of this depth and chunk, made on first
    /// use. For `reads` its buffer slots are made too (once), and
    /// registered with `fixed`; writes need none.
    fn with_ring<R>(
        &self,
        reads: bool,
        f: impl FnOnce(&mut KeptRing) -> io::Result<R>,
    ) -> io::Result<R> {
        RINGS.with(|cell| {
            let mut rings = cell.borrow_mut();
            let index = match rings
                .iter()
                .position(|r| r.depth == self.depth && r.slot_len == self.chunk)
            {
                Some(index) => index,
                None => {
                    rings.push(KeptRing::new(self.depth, self.chunk)?);
                    rings.len() - 1
                }
            };
            let ring = &mut rings[index];
            if reads {
                ring.prepare_slots(self.fixed)?;
            }
            f(ring)
        })
    }
}

/// One read request: `ask` bytes at `offset` of file `file`, of which the
/// first `want` are consumed.
#[derive(Debug, Clone, Copy)]
struct Piece {
    file: usize,
    offset: u64,
    want: usize,
    ask: usize,
}

/// A ring kept between operations, with its read buffers.
struct KeptRing {
    depth: u32,
    ring: IoUring,
    /// [`WINDOW`] × `depth` read buffers of `slot_len` bytes, one after
    /// another; empty until the first read.
    slots: PlacedBuffer,
    /// The chunk of the methods this ring serves.
    slot_len: usize,
    /// The memory registered with the ring as buffer 0 (address, length).
    registered: Option<(usize, usize)>,
    /// Completions reaped by one wait, reused between waits.
    reaped: Vec<(u64, i32)>,
}

impl KeptRing {
    /// Sets up a ring with room for `depth` requests; where the kernel
    /// refuses, the method is unavailable.
    fn new(depth: u32, chunk: usize) -> io::Result<KeptRing> {
        let ring = IoUring::new(depth.next_power_of_two()).map_err(|e| {
            Unavailable::error(format!("io_uring_setup failed ({e}){}", why_no_ring()))
        })?;
        Ok(KeptRing {
            depth,
            ring,
            slots: PlacedBuffer::new(0, 0),
            slot_len: chunk,
            registered: None,
            reaped: Vec::with_capacity(depth as usize),
        })
    }

    /// Makes the read slots on first use; with `fixed`, registers them.
    fn prepare_slots(&mut self, fixed: bool) -> io::Result<()> {
        if self.slots.is_empty() {
            self.slots = PlacedBuffer::new(self.slot_len * self.slot_count(), 0);
        }
        if fixed {
            let slots = self.slots.as_mut_slice();
            let region = (slots.as_mut_ptr() as usize, slots.len());
            self.register(region)?;
        }
        Ok(())
    }

    /// Registers `region` as the ring's buffer 0 (replacing any other).
    fn register(&mut self, region: (usize, usize)) -> io::Result<()> {
        if self.registered == Some(region) {
            return Ok(());
        }
        self.unregister()?;
        let iovec = libc::iovec {
            iov_base: region.0 as *mut libc::c_void,
            iov_len: region.1,
        };
        // SAFETY: the region is either this ring's own slots, which live
        // as long as the registration (it is dropped before they are), or
        // data the caller lends for one operation; a request names it only
        // while that operation runs.
        unsafe { self.ring.submitter().register_buffers(&[iovec]) }.map_err(|e| {
            Unavailable::error(format!(
                "registering {} of fixed buffers with io_uring failed ({e}); they count against RLIMIT_MEMLOCK (`ulimit -l`) unless run as root",
                ExactSize(region.1 as u64)
            ))
        })?;
        self.registered = Some(region);
        Ok(())
    }

    fn unregister(&mut self) -> io::Result<()> {
        if self.registered.take().is_some() {
            self.ring.submitter().unregister_buffers()?;
        }
        Ok(())
    }

    /// Reads `pieces` from `files` (path and file), up to `depth` in flight,
    /// and consumes them in order.
    fn read_pieces(
        &mut self,
        files: &[(&Path, &File)],
        pieces: &[Piece],
        fixed: bool,
        fold: &mut Fold,
    ) -> io::Result<()> {
        let (depth, slots) = (self.depth as usize, self.slot_count());
        // Bytes received so far for the request in each slot.
        let mut got = vec![0usize; slots];
        let (mut next_to_consume, mut next_to_issue, mut in_flight) = (0, 0, 0);
        while next_to_consume < pieces.len() {
            while next_to_issue < pieces.len()
                && next_to_issue < next_to_consume + slots
                && in_flight < depth
            {
                got[next_to_issue % slots] = 0;
                self.queue_read(files, pieces, next_to_issue, 0, fixed)?;
                next_to_issue += 1;
                in_flight += 1;
            }
            self.submit_and_wait(1)?;
            for reaped in 0..self.reaped.len() {
                let (user_data, result) = self.reaped[reaped];
                let index = user_data as usize;
                let piece = pieces[index];
                let path = files[piece.file].0;
                in_flight -= 1;
                let moved = check_result(result, path, "read")?;
                if moved == 0 {
                    return Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        format!(
                            "{} ended early: no bytes at offset {}",
                            path.display(),
                            piece.offset + got[index % slots] as u64
                        ),
                    ));
                }
                let slot = &mut got[index % slots];
                *slot += moved;
                if *slot < piece.want {
                    // A short read: ask again for the rest.
                    self.queue_read(files, pieces, index, *slot, fixed)?;
                    in_flight += 1;
                }
            }
            while next_to_consume < next_to_issue
                && got[next_to_consume % slots] >= pieces[next_to_consume].want
            {
                let start = (next_to_consume % slots) * self.slot_len;
                fold.update(
                    &self.slots.as_mut_slice()[start..start + pieces[next_to_consume].want],
                );
                next_to_consume += 1;
            }
        }
        Ok(())
    }

    /// Buffer slots: [`WINDOW`] per request in flight.
    fn slot_count(&self) -> usize {
        self.depth as usize * WINDOW
    }

    /// Queues the read of request `index`, from byte `done` of it on.
    fn queue_read(
        &mut self,
        files: &[(&Path, &File)],
        pieces: &[Piece],
        index: usize,
        done: usize,
        fixed: bool,
    ) -> io::Result<()> {
        let piece = pieces[index];
        let slot = index % self.slot_count();
        let fd = types::Fd(files[piece.file].1.as_raw_fd());
        // SAFETY (for the pointer): the slot lies inside `slots`, which
        // outlives the request: read_pieces waits for every request it queued.
        let buffer = unsafe {
            self.slots
                .as_mut_slice()
                .as_mut_ptr()
                .add(slot * self.slot_len + done)
        };
        let len = (piece.ask - done) as u32;
        let offset = piece.offset + done as u64;
        let entry = if fixed {
            opcode::ReadFixed::new(fd, buffer, len, 0)
                .offset(offset)
                .build()
        } else {
            opcode::Read::new(fd, buffer, len).offset(offset).build()
        };
        self.queue(entry.user_data(index as u64))
    }

    /// Writes `data` at `offset` of `file` as `method` says: requests of
    /// its `chunk` bytes, up to its `depth` in flight. With `fixed`, `data`
    /// is registered with the ring for this operation (its pages pinned)
    /// and unregistered after it: the caller's buffer may be freed and its
    /// address reused, and a registration would still name the old pages.
    fn write_all(
        &mut self,
        method: &Uring,
        path: &Path,
        file: &File,
        offset: u64,
        data: &[u8],
    ) -> io::Result<()> {
        if method.direct {
            check_aligned_data(data)?;
        }
        let fixed = method.fixed && !data.is_empty();
        if fixed {
            self.register((data.as_ptr() as usize, data.len()))?;
        }
        let written = self.write_requests(path, file, offset, data, method.chunk, fixed);
        if fixed {
            self.unregister()?;
        }
        written
    }

    /// The requests of [`KeptRing::write_all`]: `data` at `offset` in
    /// `chunk`-byte writes (fixed ones from registered buffer 0).
    fn write_requests(
        &mut self,
        path: &Path,
        file: &File,
        offset: u64,
        data: &[u8],
        chunk: usize,
        fixed: bool,
    ) -> io::Result<()> {
        let count = data.len().div_ceil(chunk);
        // Bytes written so far of each request.
        let mut written = vec![0usize; count];
        let (mut next_to_issue, mut in_flight) = (0, 0);
        let fd = types::Fd(file.as_raw_fd());
        let request = |index: usize, done: usize| {
            let start = index * chunk + done;
            let end = ((index + 1) * chunk).min(data.len());
            // SAFETY (for the pointer): `data` outlives the request: this
            // function waits for every request it queued.
            let source = unsafe { data.as_ptr().add(start) };
            let len = (end - start) as u32;
            let at = offset + start as u64;
            let entry = if fixed {
                opcode::WriteFixed::new(fd, source, len, 0)
                    .offset(at)
                    .build()
            } else {
                opcode::Write::new(fd, source, len).offset(at).build()
            };
            entry.user_data(index as u64)
        };
        while next_to_issue < count || in_flight > 0 {
            while next_to_issue < count && in_flight < self.depth as usize {
                self.queue(request(next_to_issue, 0))?;
                next_to_issue += 1;
                in_flight += 1;
            }
            self.submit_and_wait(1)?;
            for reaped in 0..self.reaped.len() {
                let (user_data, result) = self.reaped[reaped];
                let index = user_data as usize;
                in_flight -= 1;
                let moved = check_result(result, path, "write")?;
                written[index] += moved;
                let len = ((index + 1) * chunk).min(data.len()) - index * chunk;
                if written[index] < len {
                    if moved == 0 {
                        return Err(io::Error::new(
                            io::ErrorKind::WriteZero,
                            format!("{}: a write through io_uring wrote nothing", path.display()),
                        ));
                    }
                    self.queue(request(index, written[index]))?;
                    in_flight += 1;
                }
            }
        }
        Ok(())
    }

    /// Waits until the data written to `file` is on disk (fdatasync, as a
    /// ring request).
    fn sync(&mut self, path: &Path, file: &File) -> io::Result<()> {
        let entry = opcode::Fsync::new(types::Fd(file.as_raw_fd()))
            .flags(types::FsyncFlags::DATASYNC)
            .build()
            .user_data(0);
        self.queue(entry)?;
        let mut done = false;
        while !done {
            self.submit_and_wait(1)?;
            for &(_, result) in &self.reaped {
                check_result(result, path, "fdatasync")?;
                done = true;
            }
        }
        Ok(())
    }

    /// Puts one request in the submission queue (submitting what is there
    /// first if it is full), and tallies it.
    fn queue(&mut self, entry: squeue::Entry) -> io::Result<()> {
        // SAFETY: every buffer an entry names outlives its request (see the
        // callers), and each file stays open until its requests complete.
        while unsafe { self.ring.submission().push(&entry) }.is_err() {
            self.enter(0)?;
        }
        tally(|t| t.requests += 1);
        Ok(())
    }

    /// Submits the queued requests and waits for at least `want`
    /// completions, then reaps every completion posted into `reaped`.
    fn submit_and_wait(&mut self, want: usize) -> io::Result<()> {
        self.enter(want)?;
        self.reaped.clear();
        for entry in self.ring.completion() {
            let entry: cqueue::Entry = entry;
            self.reaped.push((entry.user_data(), entry.result()));
        }
        let (count, bytes) = (
            self.reaped.len() as u64,
            self.reaped
                .iter()
                .map(|&(_, r)| r.max(0) as u64)
                .sum::<u64>(),
        );
        tally(|t| {
            t.completions += count;
            t.bytes += bytes;
        });
        Ok(())
    }

    /// One `io_uring_enter` call (retried if a signal interrupts it).
    fn enter(&mut self, want: usize) -> io::Result<()> {
        loop {
            tally(|t| t.enters += 1);
            match self.ring.submitter().submit_and_wait(want) {
                Ok(_) => return Ok(()),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(io::Error::new(e.kind(), format!("io_uring_enter: {e}"))),
            }
        }
    }
}

impl Drop for KeptRing {
    fn drop(&mut self) {
        // The registration goes before the slots it names.
        let _ = self.unregister();
    }
}

/// The bytes a completion moved, or its error with the file's path.
fn check_result(result: i32, path: &Path, what: &str) -> io::Result<usize> {
    if result < 0 {
        let error = io::Error::from_raw_os_error(-result);
        return Err(io::Error::new(
            error.kind(),
            format!("{what} of {} through io_uring: {error}", path.display()),
        ));
    }
    Ok(result as usize)
}

/// Why io_uring may be refused here: the sysctl, when it says so.
fn why_no_ring() -> String {
    match std::fs::read_to_string("/proc/sys/kernel/io_uring_disabled") {
        Ok(value) if value.trim() == "2" => {
            "; kernel.io_uring_disabled is 2: io_uring is off for everyone".to_string()
        }
        Ok(value) if value.trim() == "1" => {
            "; kernel.io_uring_disabled is 1: only processes in the io_uring group (kernel.io_uring_group) may use it".to_string()
        }
        Ok(_) => "; kernel.io_uring_disabled allows it, so a seccomp filter (a container's) or the kernel's configuration refuses it".to_string(),
        Err(_) => "; this kernel has no io_uring (no kernel.io_uring_disabled sysctl)".to_string(),
    }
}
