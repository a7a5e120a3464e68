//! sequential_read: consume every byte of one file, front to back.

use super::{Access, FieldError, Fields, Files, Io, Operate, Order, Plan, Target};
use crate::checksum::{Fold, checksum};
use crate::vocab::OperationKind;
use std::io;

/// Consume every byte, front to back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SequentialRead;

impl Operate for SequentialRead {
    const KIND: OperationKind = OperationKind::SequentialRead;
    const FIELDS: &'static [&'static str] = &[];
    const WRITES: bool = false;

    fn parse(_: &Fields) -> Result<Self, FieldError> {
        Ok(SequentialRead)
    }

    fn params_json(&self) -> serde_json::Value {
        serde_json::json!({})
    }

    fn payload_bytes(&self, size: u64) -> u64 {
        size
    }

    fn reference(&self, files: &Files, _: &Plan) -> Option<u64> {
        Some(checksum(files.first_contents()))
    }

    fn execute<M: Io + ?Sized>(
        &self,
        io: &M,
        files: &Files,
        _: &Plan,
        _: &[u8],
        fold: &mut Fold,
    ) -> io::Result<()> {
        io.read_file(files.first(), fold)
    }

    fn access(&self, size: u64) -> Option<Access> {
        Some(Access {
            target: Target::FirstInput,
            order: Order::Sequential,
            writes: false,
            offset: None,
            len: size,
            sync: false,
        })
    }
}
