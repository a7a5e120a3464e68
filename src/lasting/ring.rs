//! One thread's io_uring reader for a run that lasts: O_DIRECT reads, up
//! to `depth` in flight, consumed in the order they were asked for (so a
//! thread's checksum does not depend on the order the device finishes).

use super::access::Consumer;
use crate::buffer::PlacedBuffer;
use io_uring::{IoUring, opcode, types};
use std::fs::File;
use std::io;
use std::os::fd::AsRawFd;

/// A ring, its buffers and the requests in flight.
pub struct RingReader {
    ring: IoUring,
    file: File,
    buffers: Vec<PlacedBuffer>,
    /// Each slot's result once its completion arrived.
    results: Vec<Option<i32>>,
    /// Sequence number of the oldest request not yet consumed.
    head: u64,
    /// Sequence number of the next request.
    tail: u64,
    record: usize,
}

impl RingReader {
    /// A ring of `depth` entries over `file`, with a buffer per entry.
    pub fn new(file: File, depth: u32, record: usize) -> io::Result<RingReader> {
        let ring = IoUring::new(depth.next_power_of_two())
            .map_err(|e| io::Error::new(e.kind(), format!("cannot set up io_uring: {e}")))?;
        Ok(RingReader {
            ring,
            file,
            buffers: (0..depth).map(|_| PlacedBuffer::new(record, 0)).collect(),
            results: vec![None; depth as usize],
            head: 0,
            tail: 0,
            record,
        })
    }

    fn depth(&self) -> u64 {
        self.buffers.len() as u64
    }

    /// Asks for the record at `offset`; when `depth` are in flight, first
    /// consumes the oldest. Returns how many records it consumed (0 or 1).
    pub fn access(&mut self, offset: u64, consumer: &mut Consumer) -> io::Result<u64> {
        let mut consumed = 0;
        if self.tail - self.head == self.depth() {
            self.consume_oldest(consumer)?;
            consumed = 1;
        }
        let slot = (self.tail % self.depth()) as usize;
        let buffer = self.buffers[slot].as_mut_slice();
        let entry = opcode::Read::new(
            types::Fd(self.file.as_raw_fd()),
            buffer.as_mut_ptr(),
            self.record as u32,
        )
        .offset(offset)
        .build()
        .user_data(slot as u64);
        // SAFETY: the buffer lives in self and is not touched again until
        // this slot's completion has been reaped.
        while unsafe { self.ring.submission().push(&entry) }.is_err() {
            self.ring.submit()?;
        }
        self.tail += 1;
        Ok(consumed)
    }

    /// Consumes every request still in flight; returns how many.
    pub fn drain(&mut self, consumer: &mut Consumer) -> io::Result<u64> {
        let mut consumed = 0;
        while self.head < self.tail {
            self.consume_oldest(consumer)?;
            consumed += 1;
        }
        Ok(consumed)
    }

    fn consume_oldest(&mut self, consumer: &mut Consumer) -> io::Result<()> {
        let slot = (self.head % self.depth()) as usize;
        while self.results[slot].is_none() {
            match self.ring.submit_and_wait(1) {
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
            for entry in self.ring.completion() {
                self.results[entry.user_data() as usize] = Some(entry.result());
            }
        }
        let result = self.results[slot].take().unwrap_or_default();
        if result < 0 {
            return Err(io::Error::from_raw_os_error(-result));
        }
        if result as usize != self.record {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                format!("a ring read returned {result} bytes of {}", self.record),
            ));
        }
        consumer.take(self.buffers[slot].as_slice());
        self.head += 1;
        Ok(())
    }
}

impl Drop for RingReader {
    fn drop(&mut self) {
        // The kernel may still write into the buffers: wait for every
        // request not yet reaped before they are freed.
        let reaped = self.results.iter().filter(|r| r.is_some()).count() as u64;
        let mut outstanding = (self.tail - self.head).saturating_sub(reaped);
        while outstanding > 0 {
            if self.ring.submit_and_wait(1).is_err() {
                break;
            }
            outstanding = outstanding.saturating_sub(self.ring.completion().count() as u64);
        }
    }
}
