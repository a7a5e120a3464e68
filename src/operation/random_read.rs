//! random_read: consume `count` records of `record` bytes at record-aligned
//! offsets drawn from the seed.

use super::{Access, FieldError, Fields, Files, Io, Operate, Order, Plan, Target};
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
}

impl Operate for RandomRead {
    const KIND: OperationKind = OperationKind::RandomRead;
    const FIELDS: &'static [&'static str] = &["count", "record"];
    const WRITES: bool = false;

    fn parse(fields: &Fields) -> Result<Self, FieldError> {
        let count = fields.required("count", fields.count("count")?)?;
        if count > MAX_COUNT {
            return Err(FieldError::new(
                "count",
                format!("{count} records per operation is more than the {MAX_COUNT} allowed"),
            ));
        }
        Ok(RandomRead {
            count,
            record: fields.required("record", fields.size("record")?)?,
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
        serde_json::json!({"count": self.count, "record": self.record})
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
            data: Vec::new(),
        }
    }

    fn reference(&self, files: &Files, plan: &Plan) -> Option<u64> {
        let bytes = files.first_contents();
        let mut fold = Fold::new();
        for &offset in &plan.offsets {
            fold.update(&bytes[to_usize(offset)..to_usize(offset + self.record)]);
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
        io.read_records(files.first(), &plan.offsets, self.record, fold)
    }

    fn access(&self, size: u64) -> Option<Access> {
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
}
