//! slice: consume the bytes `[start, end)` of one file.

use super::{Access, FieldError, Fields, Files, Io, Operate, Plan};
use crate::checksum::{Fold, checksum};
use crate::units::to_usize;
use crate::vocab::OperationKind;
use std::io;

/// Read the bytes `[start, end)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Slice {
    /// First byte.
    pub start: u64,
    /// One past the last byte.
    pub end: u64,
}

impl Operate for Slice {
    const KIND: OperationKind = OperationKind::Slice;
    const FIELDS: &'static [&'static str] = &["range"];
    const WRITES: bool = false;

    fn parse(fields: &Fields) -> Result<Self, FieldError> {
        let (start, end) = fields.range("range")?.ok_or_else(|| {
            FieldError::new("range", "is required for operation slice: [start, end)")
        })?;
        if start >= end {
            return Err(FieldError::new(
                "range",
                format!("start ({start}) must be below end ({end}): the range is [start, end)"),
            ));
        }
        Ok(Slice { start, end })
    }

    fn fits_size(&self, size: u64) -> Result<(), FieldError> {
        if self.end > size {
            return Err(FieldError::new(
                "range",
                format!(
                    "the range ends at byte {}, past the end of the file",
                    self.end
                ),
            ));
        }
        Ok(())
    }

    fn params_json(&self) -> serde_json::Value {
        serde_json::json!({"range": [self.start, self.end]})
    }

    fn payload_bytes(&self, _: u64) -> u64 {
        self.end - self.start
    }

    fn request_limit(&self) -> Option<u64> {
        Some(self.end - self.start)
    }

    fn extents(&self) -> Vec<(&'static str, &'static str, u64)> {
        vec![
            ("range", "the start", self.start),
            ("range", "the end", self.end),
        ]
    }

    fn reference(&self, files: &Files, _: &Plan) -> Option<u64> {
        Some(checksum(
            &files.first_contents()[to_usize(self.start)..to_usize(self.end)],
        ))
    }

    fn execute<M: Io + ?Sized>(
        &self,
        io: &M,
        files: &Files,
        _: &Plan,
        _: &[u8],
        fold: &mut Fold,
    ) -> io::Result<()> {
        io.read_range(files.first(), self.start, self.end, fold)
    }

    /// A slice is timed with its own open and map; fio has no job that
    /// opens a file for one range, so none is run.
    fn access(&self, _: u64) -> Option<Access> {
        None
    }
}
