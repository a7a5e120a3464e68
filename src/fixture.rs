//! One size of one scenario made real: the generated input files, the data
//! to write, the offsets to read, and the reference every method's output is
//! checked against. The runner and the criterion benches both use it.

use crate::cache;
use crate::checksum::{Fold, checksum};
use crate::method::{IoMethod, to_usize};
use crate::scenario::{Cache, Operation, Scenario};
use crate::workload::{InputFiles, file_contents, patch_contents, record_offsets};
use std::fs;
use std::io;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

/// Everything one size of one scenario needs: files, reference, expectations.
pub struct Fixture {
    inputs: InputFiles,
    output: PathBuf,
    patch: Vec<u8>,
    offsets: Vec<u64>,
    /// What sequential_write puts in the output file.
    write_source: Vec<u8>,
    expected_checksum: u64,
}

impl Fixture {
    /// Generates the input files of `size` bytes in `dir` and computes the reference.
    pub fn generate(scenario: &Scenario, size: u64, dir: &Path) -> io::Result<Fixture> {
        let op = scenario.operation;
        let inputs = InputFiles::generate(dir, scenario.seed, size, op.input_files())?;
        let patch = match op {
            Operation::Overwrite { len, .. } | Operation::CopyOnWrite { len, .. } => {
                patch_contents(scenario.seed, len)
            }
            _ => Vec::new(),
        };
        let offsets = match op {
            Operation::RandomRead { count, record } => {
                record_offsets(scenario.seed, size, record, count)
            }
            _ => Vec::new(),
        };
        let write_source = match op {
            Operation::SequentialWrite { .. } => file_contents(scenario.seed, 0, size),
            _ => Vec::new(),
        };
        let output = dir.join("output.bin");
        let mut fixture = Fixture {
            inputs,
            output,
            patch,
            offsets,
            write_source,
            expected_checksum: 0,
        };
        fixture.expected_checksum = fixture.reference_checksum(&op);
        Ok(fixture)
    }

    /// The checksum a correct read-type method produces, computed in memory.
    fn reference_checksum(&self, op: &Operation) -> u64 {
        let first = self.inputs.contents.first();
        match *op {
            Operation::SequentialRead => checksum(first.expect("one input")),
            Operation::RandomRead { record, .. } => {
                let bytes = first.expect("one input");
                let mut fold = Fold::new();
                for &offset in &self.offsets {
                    fold.update(&bytes[to_usize(offset)..to_usize(offset + record)]);
                }
                fold.finish()
            }
            Operation::Slice { start, end } => {
                checksum(&first.expect("one input")[to_usize(start)..to_usize(end)])
            }
            Operation::CopyOnWrite { offset, .. } => {
                let mut changed = first.expect("one input").clone();
                changed[to_usize(offset)..to_usize(offset) + self.patch.len()]
                    .copy_from_slice(&self.patch);
                checksum(&changed)
            }
            Operation::ManyFiles { .. } => {
                let mut fold = Fold::new();
                for bytes in &self.inputs.contents {
                    fold.update(bytes);
                }
                fold.finish()
            }
            Operation::SequentialWrite { .. } | Operation::Overwrite { .. } => 0,
        }
    }

    /// Untimed set-up before one operation: undo the last overwrite, remove
    /// the file to be created, and for cold runs evict the inputs. Returns the
    /// resident fraction of the inputs for cold runs.
    pub fn prepare(&self, scenario: &Scenario, cache: Cache) -> io::Result<Option<f64>> {
        match scenario.operation {
            Operation::Overwrite { offset, len, .. } => {
                let original = &self.inputs.contents[0][to_usize(offset)..to_usize(offset + len)];
                fs::OpenOptions::new()
                    .write(true)
                    .open(&self.inputs.paths[0])?
                    .write_all_at(original, offset)?;
            }
            Operation::SequentialWrite { .. } => match fs::remove_file(&self.output) {
                Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
                _ => {}
            },
            _ => {}
        }
        if cache == Cache::Warm || self.inputs.paths.is_empty() {
            return Ok(None);
        }
        let mut resident = 0.0;
        for path in &self.inputs.paths {
            resident += cache::evict(path)?;
        }
        Ok(Some(resident / self.inputs.paths.len() as f64))
    }

    /// Runs the operation once; returns the checksum of what a read consumed
    /// (0 for pure writes).
    pub fn execute(&self, op: &Operation, method: &dyn IoMethod) -> io::Result<u64> {
        let mut fold = Fold::new();
        let first = self.inputs.paths.first();
        match *op {
            Operation::SequentialRead => method.read_file(first.expect("one input"), &mut fold)?,
            Operation::RandomRead { record, .. } => {
                method.read_records(first.expect("one input"), &self.offsets, record, &mut fold)?
            }
            Operation::Slice { start, end } => {
                method.read_range(first.expect("one input"), start, end, &mut fold)?
            }
            Operation::Overwrite { offset, sync, .. } => {
                method.overwrite(first.expect("one input"), offset, &self.patch, sync)?
            }
            Operation::SequentialWrite { sync } => {
                method.create(&self.output, &self.write_source, sync)?
            }
            Operation::CopyOnWrite { offset, .. } => method.change_private_copy(
                first.expect("one input"),
                offset,
                &self.patch,
                &mut fold,
            )?,
            Operation::ManyFiles { .. } => {
                for path in &self.inputs.paths {
                    method.read_file(path, &mut fold)?;
                }
            }
        }
        Ok(fold.finish())
    }

    /// Checks one operation's outcome and the files it touched.
    pub fn verify(&self, op: &Operation, outcome: u64) -> Result<(), String> {
        match op {
            Operation::Overwrite { .. } | Operation::SequentialWrite { .. } => {
                self.verify_files_after_samples(op)
            }
            _ => {
                if outcome != self.expected_checksum {
                    return Err(format!(
                        "checksum of the consumed bytes is {outcome:#018x}, the reference is {:#018x}",
                        self.expected_checksum
                    ));
                }
                self.verify_files_after_samples(op)
            }
        }
    }

    /// Checks the files on disk: an overwritten file holds the patch and
    /// nothing else changed; a created file holds exactly its data; a file
    /// read through a private copy is unchanged.
    pub fn verify_files_after_samples(&self, op: &Operation) -> Result<(), String> {
        let read = |path: &Path| {
            fs::read(path).map_err(|e| format!("cannot read {} back: {e}", path.display()))
        };
        match *op {
            Operation::Overwrite { offset, .. } => {
                let on_disk = read(&self.inputs.paths[0])?;
                let original = &self.inputs.contents[0];
                let (start, end) = (to_usize(offset), to_usize(offset) + self.patch.len());
                if on_disk.len() != original.len() {
                    return Err(format!(
                        "the file is {} bytes, expected {}",
                        on_disk.len(),
                        original.len()
                    ));
                }
                if on_disk[start..end] != self.patch[..] {
                    return Err(format!("bytes {start}..{end} do not hold the data written"));
                }
                if on_disk[..start] != original[..start] || on_disk[end..] != original[end..] {
                    return Err("bytes outside the written range changed".to_string());
                }
                Ok(())
            }
            Operation::SequentialWrite { .. } => {
                let on_disk = read(&self.output)?;
                if on_disk != self.write_source {
                    return Err(format!(
                        "the created file ({} bytes) differs from the data written ({} bytes)",
                        on_disk.len(),
                        &self.write_source[..].len()
                    ));
                }
                Ok(())
            }
            Operation::CopyOnWrite { .. } => {
                if read(&self.inputs.paths[0])? != self.inputs.contents[0] {
                    return Err(
                        "the file on disk changed: a private copy must leave it alone".to_string(),
                    );
                }
                Ok(())
            }
            _ => Ok(()),
        }
    }

    /// Removes the generated and created files.
    pub fn remove(self) -> io::Result<()> {
        match fs::remove_file(&self.output) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
            _ => {}
        }
        self.inputs.remove()
    }
}
