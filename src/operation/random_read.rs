//! random_read: consume `count` records of `record` bytes at record-aligned
//! offsets drawn from the seed; with `threads` above 1, each thread reads
//! one contiguous run of the offsets list.

use super::{
    Access, FieldError, Fields, Files, Io, Operate, Order, Plan, Target, ThreadPart,
    combine_reference, fold_parts, parse_threads, split_offsets,
};
use crate::checksum::Fold;
use crate::units::to_usize;
use crate::vocab::OperationKind;
use crate::workload::record_offsets;
use std::io;

/// Most records one operation may read (`count`).
pub const MAX_COUNT: u64 = 1 << 24;

/// `count` records of `record` bytes at record-aligned offsets drawn from the seed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RandomRead {
    /// Records per operation.
    pub count: u64,
    /// Bytes per record.
    pub record: u64,
    /// Threads sharing each operation, each reading one run of the offsets.
    pub threads: u32,
}

impl Operate for RandomRead {
    const KIND: OperationKind = OperationKind::RandomRead;
    const FIELDS: &'static [&'static str] = &["count", "record", "threads"];
    const WRITES: bool = false;

    fn parse(fields: &Fields) -> Result<Self, FieldError> {
        let count = fields.required("count", fields.count("count")?)?;
        if count > MAX_COUNT {
            return Err(FieldError::new(
                "count",
                format!("{count} records per operation is more than the {MAX_COUNT} allowed"),
            ));
        }
        let threads = parse_threads(fields)?;
        if u64::from(threads) > count {
            return Err(FieldError::new(
                "threads",
                format!("{threads} threads cannot share {count} records: each needs one"),
            ));
        }
        Ok(RandomRead {
            count,
            record: fields.required("record", fields.size("record")?)?,
            threads,
        })
    }

    fn fits_size(&self, size: u64) -> Result<(), FieldError> {
        if self.record > size {
            return Err(FieldError::new(
                "record",
                format!("a record of {} bytes is larger than the file", self.record),
            ));
        }
        Ok(())
    }

    fn params_json(&self) -> serde_json::Value {
        if self.threads > 1 {
            serde_json::json!({"count": self.count, "record": self.record, "threads": self.threads})
        } else {
            serde_json::json!({"count": self.count, "record": self.record})
        }
    }

    fn payload_bytes(&self, _: u64) -> u64 {
        self.count * self.record
    }

    fn request_limit(&self) -> Option<u64> {
        Some(self.record)
    }

    fn extents(&self) -> Vec<(&'static str, &'static str, u64)> {
        vec![("record", "the record", self.record)]
    }

    fn plan(&self, seed: u64, size: u64) -> Plan {
        Plan {
            offsets: record_offsets(seed, size, self.record, self.count),
            ..Plan::default()
        }
    }

    fn reference(&self, files: &Files, plan: &Plan) -> Option<u64> {
        let bytes = files.first_contents();
        let record = |&offset: &u64| &bytes[to_usize(offset)..to_usize(offset + self.record)];
        if self.threads > 1 {
            let parts = split_offsets(&plan.offsets, self.threads);
            return Some(combine_reference(
                parts
                    .into_iter()
                    .map(|part| part.iter().map(record).collect()),
            ));
        }
        let mut fold = Fold::new();
        for offset in &plan.offsets {
            fold.update(record(offset));
        }
        Some(fold.finish())
    }

    fn execute<M: Io + ?Sized>(
        &self,
        io: &M,
        files: &Files,
        plan: &Plan,
        _: &[u8],
        fold: &mut Fold,
    ) -> io::Result<()> {
        if self.threads > 1 {
            let parts = split_offsets(&plan.offsets, self.threads);
            let folds = io.read_records_in_threads(files.first(), &parts, self.record)?;
            fold_parts(folds, fold);
            return Ok(());
        }
        io.read_records(files.first(), &plan.offsets, self.record, fold)
    }

    fn access(&self, size: u64) -> Option<Access> {
        if self.threads > 1 {
            // fio's jobs would each read the whole pattern, not a part.
            return None;
        }
        Some(Access {
            target: Target::FirstInput,
            order: Order::Random {
                count: self.count,
                record: self.record,
            },
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
        if self.threads < 2 {
            return None;
        }
        let parts = split_offsets(&plan.offsets, self.threads);
        Some(
            parts
                .iter()
                .map(|part| ThreadPart {
                    bytes: part.len() as u64 * self.record,
                    accesses: part.len() as u64,
                })
                .collect(),
        )
    }
}
