//! copy_on_write: change `len` bytes at `offset` in a private copy of the
//! file, then consume the whole copy; the file must stay unchanged.

use super::overwrite::range_fits;
use super::{Access, FieldError, Fields, Files, Io, Operate, Plan, read_back};
use crate::checksum::{Fold, checksum};
use crate::units::to_usize;
use crate::vocab::OperationKind;
use crate::workload::patch_contents;
use std::io;

/// Change `len` bytes at `offset` in a private copy, then consume the whole copy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CopyOnWrite {
    /// Where the change starts.
    pub offset: u64,
    /// Bytes changed.
    pub len: u64,
}

impl Operate for CopyOnWrite {
    const KIND: OperationKind = OperationKind::CopyOnWrite;
    const FIELDS: &'static [&'static str] = &["offset", "len"];
    const WRITES: bool = false;

    fn parse(fields: &Fields) -> Result<Self, FieldError> {
        Ok(CopyOnWrite {
            offset: fields.offset("offset")?.unwrap_or(0),
            len: fields.required("len", fields.size("len")?)?,
        })
    }

    fn fits_size(&self, size: u64) -> Result<(), FieldError> {
        range_fits(self.offset, self.len, size)
    }

    fn params_json(&self) -> serde_json::Value {
        serde_json::json!({"offset": self.offset, "len": self.len})
    }

    fn payload_bytes(&self, size: u64) -> u64 {
        size
    }

    fn needs_private_copy(&self) -> bool {
        true
    }

    fn plan(&self, seed: u64, _: u64) -> Plan {
        Plan {
            offsets: Vec::new(),
            data: patch_contents(seed, self.len),
            ..Plan::default()
        }
    }

    fn reference(&self, files: &Files, plan: &Plan) -> Option<u64> {
        let mut changed = files.first_contents().to_vec();
        let start = to_usize(self.offset);
        changed[start..start + plan.data.len()].copy_from_slice(&plan.data);
        Some(checksum(&changed))
    }

    fn execute<M: Io + ?Sized>(
        &self,
        io: &M,
        files: &Files,
        _: &Plan,
        data: &[u8],
        fold: &mut Fold,
    ) -> io::Result<()> {
        io.change_private_copy(files.first(), self.offset, data, fold)
    }

    /// The file on disk is unchanged.
    fn check_files(&self, files: &Files, _: &Plan) -> Result<(), String> {
        if read_back(files.first())? != files.first_contents() {
            return Err("the file on disk changed: a private copy must leave it alone".to_string());
        }
        Ok(())
    }

    /// No tool reproduces a private copy.
    fn access(&self, _: u64) -> Option<Access> {
        None
    }
}
