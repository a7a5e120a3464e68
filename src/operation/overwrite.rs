//! overwrite: write `len` bytes at `offset` into an existing file, in place.

use super::{Access, FieldError, Fields, Files, Io, Operate, Order, Plan, Target, read_back};
use crate::checksum::Fold;
use crate::units::to_usize;
use crate::vocab::OperationKind;
use crate::workload::patch_contents;
use std::fs;
use std::io;
use std::os::unix::fs::FileExt;

/// Write `len` bytes at `offset` into an existing file, in place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Overwrite {
    /// Where the write starts.
    pub offset: u64,
    /// Bytes written.
    pub len: u64,
    /// Wait for the disk (msync / fdatasync) before returning.
    pub sync: bool,
}

impl Operate for Overwrite {
    const KIND: OperationKind = OperationKind::Overwrite;
    const FIELDS: &'static [&'static str] = &["offset", "len", "sync"];
    const WRITES: bool = true;

    fn parse(fields: &Fields) -> Result<Self, FieldError> {
        Ok(Overwrite {
            offset: fields.offset("offset")?.unwrap_or(0),
            len: fields.required("len", fields.size("len")?)?,
            sync: fields.flag("sync")?.unwrap_or(false),
        })
    }

    fn fits_size(&self, size: u64) -> Result<(), FieldError> {
        range_fits(self.offset, self.len, size)
    }

    fn params_json(&self) -> serde_json::Value {
        serde_json::json!({"offset": self.offset, "len": self.len, "sync": self.sync})
    }

    fn payload_bytes(&self, _: u64) -> u64 {
        self.len
    }

    fn request_limit(&self) -> Option<u64> {
        Some(self.len)
    }

    fn extents(&self) -> Vec<(&'static str, &'static str, u64)> {
        vec![
            ("offset", "the offset", self.offset),
            ("len", "the length", self.len),
        ]
    }

    fn plan(&self, seed: u64, _: u64) -> Plan {
        Plan {
            offsets: Vec::new(),
            data: patch_contents(seed, self.len),
            ..Plan::default()
        }
    }

    fn reference(&self, _: &Files, _: &Plan) -> Option<u64> {
        None
    }

    /// Puts back the bytes the last run overwrote.
    fn reset(&self, files: &Files, _: &Plan) -> io::Result<()> {
        let (start, end) = (to_usize(self.offset), to_usize(self.offset + self.len));
        fs::OpenOptions::new()
            .write(true)
            .open(files.first())?
            .write_all_at(&files.first_contents()[start..end], self.offset)
    }

    fn execute<M: Io + ?Sized>(
        &self,
        io: &M,
        files: &Files,
        _: &Plan,
        data: &[u8],
        _: &mut Fold,
    ) -> io::Result<()> {
        io.overwrite(files.first(), self.offset, data, self.sync)
    }

    /// The file holds the data written in its range and nothing else changed.
    fn check_files(&self, files: &Files, plan: &Plan) -> Result<(), String> {
        let on_disk = read_back(files.first())?;
        let original = files.first_contents();
        let (start, end) = (
            to_usize(self.offset),
            to_usize(self.offset) + plan.data.len(),
        );
        if on_disk.len() != original.len() {
            return Err(format!(
                "the file is {} bytes, expected {}",
                on_disk.len(),
                original.len()
            ));
        }
        if on_disk[start..end] != plan.data[..] {
            return Err(format!("bytes {start}..{end} do not hold the data written"));
        }
        if on_disk[..start] != original[..start] || on_disk[end..] != original[end..] {
            return Err("bytes outside the written range changed".to_string());
        }
        Ok(())
    }

    fn access(&self, _: u64) -> Option<Access> {
        Some(Access {
            target: Target::FirstInput,
            order: Order::Sequential,
            writes: true,
            offset: Some(self.offset),
            len: self.len,
            sync: self.sync,
        })
    }
}

/// Refuses a range `[offset, offset + len)` that runs past a file of `size` bytes.
pub(super) fn range_fits(offset: u64, len: u64, size: u64) -> Result<(), FieldError> {
    if offset.saturating_add(len) > size {
        return Err(FieldError::new(
            "len",
            format!("offset {offset} + len {len} runs past the end of the file"),
        ));
    }
    Ok(())
}
