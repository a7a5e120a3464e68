//! sequential_read: consume every byte of one file, front to back; with
//! `threads` above 1, each thread consumes one contiguous range of it.

use super::{
    Access, FieldError, Fields, Files, Io, Operate, Order, Plan, RANGE_GRANULE, Target, ThreadPart,
    combine_reference, fold_parts, parse_threads, split_range,
};
use crate::checksum::{Fold, checksum};
use crate::units::to_usize;
use crate::vocab::OperationKind;
use std::io;

/// Consume every byte, front to back, on one thread or shared by several.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SequentialRead {
    /// Threads sharing each operation, each reading one contiguous range.
    pub threads: u32,
}

impl Default for SequentialRead {
    fn default() -> Self {
        SequentialRead { threads: 1 }
    }
}

impl Operate for SequentialRead {
    const KIND: OperationKind = OperationKind::SequentialRead;
    const FIELDS: &'static [&'static str] = &["threads"];
    const WRITES: bool = false;

    fn parse(fields: &Fields) -> Result<Self, FieldError> {
        Ok(SequentialRead {
            threads: parse_threads(fields)?,
        })
    }

    fn fits_size(&self, size: u64) -> Result<(), FieldError> {
        if self.threads > 1 && size < u64::from(self.threads) * RANGE_GRANULE {
            return Err(FieldError::new(
                "threads",
                format!(
                    "a file of {size} bytes gives some of {} threads less than one range of {RANGE_GRANULE} bytes",
                    self.threads
                ),
            ));
        }
        Ok(())
    }

    fn params_json(&self) -> serde_json::Value {
        if self.threads > 1 {
            serde_json::json!({"threads": self.threads})
        } else {
            serde_json::json!({})
        }
    }

    fn payload_bytes(&self, size: u64) -> u64 {
        size
    }

    fn plan(&self, _: u64, size: u64) -> Plan {
        Plan {
            ranges: if self.threads > 1 {
                split_range(size, self.threads)
            } else {
                Vec::new()
            },
            ..Plan::default()
        }
    }

    fn reference(&self, files: &Files, plan: &Plan) -> Option<u64> {
        let bytes = files.first_contents();
        if plan.ranges.is_empty() {
            return Some(checksum(bytes));
        }
        Some(combine_reference(plan.ranges.iter().map(
            |&(start, end)| vec![&bytes[to_usize(start)..to_usize(end)]],
        )))
    }

    fn execute<M: Io + ?Sized>(
        &self,
        io: &M,
        files: &Files,
        plan: &Plan,
        _: &[u8],
        fold: &mut Fold,
    ) -> io::Result<()> {
        if plan.ranges.is_empty() {
            return io.read_file(files.first(), fold);
        }
        fold_parts(
            io.read_ranges_in_threads(files.first(), &plan.ranges)?,
            fold,
        );
        Ok(())
    }

    fn access(&self, size: u64) -> Option<Access> {
        if self.threads > 1 {
            // fio's jobs would each read the whole pattern, not a part.
            return None;
        }
        Some(Access {
            target: Target::FirstInput,
            order: Order::Sequential,
            writes: false,
            offset: None,
            len: size,
            sync: false,
        })
    }

    fn threads(&self) -> u32 {
        self.threads
    }

    fn split(&self, plan: &Plan, _: u64) -> Option<Vec<ThreadPart>> {
        if plan.ranges.is_empty() {
            return None;
        }
        Some(
            plan.ranges
                .iter()
                .map(|&(start, end)| ThreadPart {
                    bytes: end - start,
                    accesses: 1,
                })
                .collect(),
        )
    }
}
