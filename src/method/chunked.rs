//! The options `unbuffered` and `positioned` share: calls of `chunk` bytes
//! into a buffer placed `buffer_offset` bytes past a page boundary.

use super::facts::{CallSize, ConsumeFrom, MethodFacts, Placement};
use crate::units::ExactSize;
use crate::vocab::MethodName;
use serde::{Deserialize, Serialize};

/// Calls of `chunk` bytes into a buffer placed on purpose.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ChunkedCalls {
    /// Bytes asked for per call.
    #[serde(deserialize_with = "crate::units::deserialize_size")]
    pub chunk: usize,
    /// Where the read buffer (and the data written) starts: this many bytes
    /// past a page boundary. 0, page-aligned, is what fio's aligned buffers
    /// and O_DIRECT programs use; malloc puts a large `Vec` at 16.
    pub buffer_offset: usize,
}

impl Default for ChunkedCalls {
    fn default() -> Self {
        ChunkedCalls {
            chunk: 64 * 1024,
            buffer_offset: 0,
        }
    }
}

impl ChunkedCalls {
    /// The label of method `name` with these options: `positioned 64 KiB`,
    /// or with a non-zero offset `positioned 64 KiB +16`.
    pub fn label(&self, name: MethodName) -> String {
        chunked_label(name, self.chunk, self.buffer_offset)
    }

    /// Refuses a `buffer_offset` that does not leave the buffer within its
    /// first page.
    pub fn check(&self) -> Result<(), (&'static str, String)> {
        let page = crate::buffer::page_size();
        if self.buffer_offset >= page {
            return Err((
                "buffer_offset",
                format!(
                    "must be below the page size ({page} bytes), not {}",
                    self.buffer_offset
                ),
            ));
        }
        Ok(())
    }

    /// The chunk, the buffer each call fills.
    pub fn sized_options(&self) -> Vec<super::SizedOption> {
        vec![super::SizedOption::per_call("chunk", self.chunk)]
    }

    /// The facts of method `name` making these calls.
    pub fn facts(&self, name: MethodName) -> MethodFacts {
        MethodFacts {
            bypasses_page_cache: false,
            calls: CallSize::Chunk(self.chunk as u64),
            consumes_from: ConsumeFrom::Chunk,
            copies_twice: false,
            placement: Some(Placement {
                buffer_offset: self.buffer_offset as u64,
                unplaced: chunked_label(name, self.chunk, 0),
            }),
            unmodelled: None,
        }
    }
}

/// The label of a method that reads in `chunk`-byte calls into a buffer
/// `offset` bytes past a page boundary: `positioned 64 KiB`, or with a
/// non-zero offset `positioned 64 KiB +16`.
pub(crate) fn chunked_label(name: MethodName, chunk: usize, offset: usize) -> String {
    let chunk = ExactSize(chunk as u64);
    if offset == 0 {
        format!("{name} {chunk}")
    } else {
        format!("{name} {chunk} +{offset}")
    }
}
