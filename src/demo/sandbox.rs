//! A lesson's private directory and the small files it makes there.

use crate::workdir::WorkDir;
use anyhow::Context;
use std::fs::{File, OpenOptions};
use std::path::{Path, PathBuf};

/// A private (0700) temporary directory, removed when the lesson drops it.
pub struct Sandbox {
    work: WorkDir,
}

impl Sandbox {
    /// Creates the directory on a disk-backed filesystem when one is found.
    pub fn new() -> anyhow::Result<Sandbox> {
        Ok(Sandbox {
            work: WorkDir::create(None)?,
        })
    }

    /// Writes `contents` to a new file `name` in the directory; returns its path.
    pub fn file(&self, name: &str, contents: &[u8]) -> anyhow::Result<PathBuf> {
        let path = self.path(name);
        std::fs::write(&path, contents)
            .with_context(|| format!("cannot write {}", path.display()))?;
        Ok(path)
    }

    /// The path `name` would have in the directory.
    pub fn path(&self, name: &str) -> PathBuf {
        self.work.path().join(name)
    }

    /// The directory itself.
    pub fn work(&self) -> &WorkDir {
        &self.work
    }
}

/// Opens `path` read-only; the error names the path.
pub fn open_read(path: &Path) -> anyhow::Result<File> {
    File::open(path).with_context(|| format!("cannot open {}", path.display()))
}

/// Opens `path` for reading and writing (Python's `"r+"`); the error names the path.
pub fn open_read_write(path: &Path) -> anyhow::Result<File> {
    OpenOptions::new()
        .read(true)
        .write(true)
        .open(path)
        .with_context(|| format!("cannot open {} for reading and writing", path.display()))
}

/// The file's bytes, read with plain std I/O; the error names the path.
pub fn read_back(path: &Path) -> anyhow::Result<Vec<u8>> {
    std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))
}
