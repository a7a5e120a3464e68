//! many_files: consume `files` files of the scenario's size, each whole.

use super::{Access, FieldError, Fields, Files, Io, Operate, Order, Plan, Target};
use crate::checksum::Fold;
use crate::vocab::OperationKind;
use std::io;

/// Most files one operation may read (`files`).
pub const MAX_FILES: u64 = 10_000;

/// Read `files` files of the scenario's size each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ManyFiles {
    /// Number of files.
    pub files: u64,
}

impl Operate for ManyFiles {
    const KIND: OperationKind = OperationKind::ManyFiles;
    const FIELDS: &'static [&'static str] = &["files"];
    const WRITES: bool = false;

    fn parse(fields: &Fields) -> Result<Self, FieldError> {
        let files = fields.required("files", fields.count("files")?)?;
        if files > MAX_FILES {
            return Err(FieldError::new(
                "files",
                format!("{files} files is more than the {MAX_FILES} allowed"),
            ));
        }
        Ok(ManyFiles { files })
    }

    fn params_json(&self) -> serde_json::Value {
        serde_json::json!({"files": self.files})
    }

    fn payload_bytes(&self, size: u64) -> u64 {
        self.files * size
    }

    fn input_files(&self) -> u64 {
        self.files
    }

    fn reference(&self, files: &Files, _: &Plan) -> Option<u64> {
        let mut fold = Fold::new();
        for bytes in &files.inputs.contents {
            fold.update(bytes);
        }
        Some(fold.finish())
    }

    fn execute<M: Io + ?Sized>(
        &self,
        io: &M,
        files: &Files,
        _: &Plan,
        _: &[u8],
        fold: &mut Fold,
    ) -> io::Result<()> {
        io.read_files(&files.inputs.paths, fold)
    }

    fn access(&self, size: u64) -> Option<Access> {
        Some(Access {
            target: Target::AllInputs,
            order: Order::Sequential,
            writes: false,
            offset: None,
            len: self.files * size,
            sync: false,
        })
    }
}
