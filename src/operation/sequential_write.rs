//! sequential_write: create a file from nothing and fill it.

use super::{Access, FieldError, Fields, Files, Io, Operate, Order, Plan, Target, read_back};
use crate::checksum::Fold;
use crate::vocab::OperationKind;
use crate::workload::file_contents;
use std::fs;
use std::io;

/// Create the file from nothing and fill it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SequentialWrite {
    /// Wait for the disk before returning.
    pub sync: bool,
}

impl Operate for SequentialWrite {
    const KIND: OperationKind = OperationKind::SequentialWrite;
    const FIELDS: &'static [&'static str] = &["sync"];
    const WRITES: bool = true;

    fn parse(fields: &Fields) -> Result<Self, FieldError> {
        Ok(SequentialWrite {
            sync: fields.flag("sync")?.unwrap_or(false),
        })
    }

    fn params_json(&self) -> serde_json::Value {
        serde_json::json!({"sync": self.sync})
    }

    fn payload_bytes(&self, size: u64) -> u64 {
        size
    }

    fn input_files(&self) -> u64 {
        0
    }

    fn plan(&self, seed: u64, size: u64) -> Plan {
        Plan {
            offsets: Vec::new(),
            data: file_contents(seed, 0, size),
            ..Plan::default()
        }
    }

    fn reference(&self, _: &Files, _: &Plan) -> Option<u64> {
        None
    }

    /// Removes the file the last run created.
    fn reset(&self, files: &Files, _: &Plan) -> io::Result<()> {
        match fs::remove_file(files.output) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        }
    }

    fn execute<M: Io + ?Sized>(
        &self,
        io: &M,
        files: &Files,
        _: &Plan,
        data: &[u8],
        _: &mut Fold,
    ) -> io::Result<()> {
        io.create(files.output, data, self.sync)
    }

    /// The created file holds exactly the data written.
    fn check_files(&self, files: &Files, plan: &Plan) -> Result<(), String> {
        let on_disk = read_back(files.output)?;
        if on_disk != plan.data {
            return Err(format!(
                "the created file ({} bytes) differs from the data written ({} bytes)",
                on_disk.len(),
                plan.data.len()
            ));
        }
        Ok(())
    }

    fn access(&self, size: u64) -> Option<Access> {
        Some(Access {
            target: Target::Output,
            order: Order::Sequential,
            writes: true,
            offset: None,
            len: size,
            sync: self.sync,
        })
    }
}
