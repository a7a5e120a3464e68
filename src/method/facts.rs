//! What a method is and does, as the layers above it need to know: said
//! once by the method ([`super::IoMethod::facts`]) and recorded in every
//! cell it makes, so the report, the cost model and `compare` read these
//! fields and never work them out again from the method's options.

use crate::vocab::Unmodelled;
use serde::{Deserialize, Serialize};

/// What a method is and does.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MethodFacts {
    /// Opens its files with O_DIRECT: every call goes to the device, warm
    /// or cold, and nothing it reads stays in the page cache.
    pub bypasses_page_cache: bool,
    /// How many bytes one of its read calls asks the kernel for.
    pub calls: CallSize,
    /// Where the bytes it consumes lie when they are folded.
    pub consumes_from: ConsumeFrom,
    /// It copies every byte it reads a second time, from its own buffer
    /// to the program (BufReader).
    pub copies_twice: bool,
    /// Where it was asked to place its copy buffer, for methods that take
    /// a `buffer_offset`; null for the others.
    pub placement: Option<Placement>,
    /// Why the cost model leaves this method out whatever the operation;
    /// null when it may explain it.
    pub unmodelled: Option<Unmodelled>,
}

/// How many bytes one read call asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CallSize {
    /// No read calls: the bytes are read through a map.
    NoCalls,
    /// One call takes the whole file (fs::read).
    Whole,
    /// At most this many bytes a call, and never more than the operation
    /// asks for (a record, a range).
    Chunk(u64),
    /// A buffer of this many bytes filled a call, whatever the operation
    /// asks for (BufReader).
    Fill(u64),
}

/// Where the bytes a method consumes lie when they are folded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConsumeFrom {
    /// In the page cache's own pages, through a map.
    Map,
    /// In a heap buffer the size of the file (fs::read's vector).
    WholeBuffer,
    /// In a chunk just copied into a small buffer, still in the caches.
    Chunk,
}

/// Where a method's copy buffer was asked to start, and what it is apart
/// from that.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Placement {
    /// Bytes past a page boundary (the `buffer_offset` option).
    pub buffer_offset: u64,
    /// The method's label with its buffer at a page boundary: two cells of
    /// one method with the same `unplaced` differ only in where their
    /// buffer starts.
    pub unplaced: String,
}
