//! Finding fio on PATH and running one job: the only place mmap-lab starts
//! another program. The runner sees it through [`PeerTool`], so tests can
//! stand in for fio.

use super::{FioFigures, Job, MIN_VERSION, parse_output};
use crate::stop::{ChildOutput, run_child};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

/// Most `fio --version` may take.
pub const VERSION_TIMEOUT: Duration = Duration::from_secs(10);
/// Most one fio job may take: jobs are sized to last about a second at
/// mmap-lab's speed, so this leaves room for a fio a hundred times slower.
pub const JOB_TIMEOUT: Duration = Duration::from_secs(120);
/// Most of fio's standard output (and error) kept: its JSON for one job is
/// a few tens of KiB; more means it is not the JSON asked for.
pub const OUTPUT_CAP: u64 = 16 << 20;

/// Something that runs a fio job and returns its figures.
pub trait PeerTool {
    /// The tool's version, as recorded in results.json.
    fn version(&self) -> &str;
    /// The command line that runs `job`, as recorded in results.json.
    fn command(&self, job: &Job) -> String;
    /// Runs `job` to completion and reads its figures.
    fn run(&self, job: &Job) -> Result<FioFigures, FioError>;
}

/// Why fio could not be used.
#[derive(Debug, thiserror::Error)]
pub enum FioError {
    /// No `fio` on PATH.
    #[error("fio is not on PATH (on Debian-like systems: apt-get install fio)")]
    Missing,
    /// fio is there but too old, or its version cannot be read.
    #[error("{program} reports version {version:?}; fio {}.{} or newer is needed", MIN_VERSION.0, MIN_VERSION.1)]
    TooOld {
        /// The program found.
        program: PathBuf,
        /// What `--version` printed.
        version: String,
    },
    /// fio could not be started, exited with an error, or printed output
    /// that does not parse.
    #[error("{program}: {detail}")]
    Failed {
        /// The program run.
        program: PathBuf,
        /// What went wrong.
        detail: String,
    },
}

/// fio, found on PATH, with its version.
#[derive(Debug, Clone)]
pub struct Fio {
    program: PathBuf,
    version: String,
}

impl Fio {
    /// Finds `fio` on PATH and checks that it is new enough.
    pub fn find() -> Result<Fio, FioError> {
        let path = std::env::var_os("PATH").unwrap_or_default();
        let program = std::env::split_paths(&path)
            .map(|dir| dir.join("fio"))
            .find(|candidate| is_executable(candidate))
            .ok_or(FioError::Missing)?;
        Fio::at(program)
    }

    /// Uses the fio at `program`, checking its version.
    pub fn at(program: PathBuf) -> Result<Fio, FioError> {
        let output = run_child(
            Command::new(&program).arg("--version"),
            VERSION_TIMEOUT,
            OUTPUT_CAP,
        )
        .map_err(|e| FioError::Failed {
            program: program.clone(),
            detail: format!("fio --version: {e}"),
        })?;
        let version = String::from_utf8_lossy(&output.stdout).trim().to_string();
        match parse_version(&version) {
            Some(v) if output.status.success() && v >= MIN_VERSION => Ok(Fio { program, version }),
            _ => Err(FioError::TooOld { program, version }),
        }
    }
}

impl PeerTool for Fio {
    fn version(&self) -> &str {
        &self.version
    }

    fn command(&self, job: &Job) -> String {
        job.command(&self.program.display().to_string())
    }

    fn run(&self, job: &Job) -> Result<FioFigures, FioError> {
        let failed = |detail: String| FioError::Failed {
            program: self.program.clone(),
            detail,
        };
        let output: Result<ChildOutput, _> = run_child(
            Command::new(&self.program).args(job.args()),
            JOB_TIMEOUT,
            OUTPUT_CAP,
        );
        for path in &job.created {
            match std::fs::remove_file(path) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                    return Err(failed(format!("cannot remove {}: {e}", path.display())));
                }
                _ => {}
            }
        }
        let output = output.map_err(|e| failed(e.to_string()))?;
        if output.stdout_cut {
            return Err(failed(format!(
                "printed more than {} on its standard output; that is not the JSON of one job",
                crate::units::ExactSize(OUTPUT_CAP)
            )));
        }
        let stdout = String::from_utf8_lossy(&output.stdout);
        if !output.status.success() {
            let stderr = String::from_utf8_lossy(&output.stderr);
            let said = stderr.lines().chain(stdout.lines()).next().unwrap_or("");
            return Err(failed(format!("exited with {}: {said}", output.status)));
        }
        parse_output(&stdout, job.direction).map_err(failed)
    }
}

/// `fio-3.33` → (3, 33).
pub fn parse_version(text: &str) -> Option<(u32, u32)> {
    let digits = text.trim().strip_prefix("fio-")?;
    let mut parts = digits.split(|c: char| !c.is_ascii_digit());
    let major = parts.next()?.parse().ok()?;
    let minor = parts.next().and_then(|m| m.parse().ok()).unwrap_or(0);
    Some((major, minor))
}

/// True for a file someone may execute.
fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    path.metadata()
        .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_parse() {
        assert_eq!(parse_version("fio-3.33\n"), Some((3, 33)));
        assert_eq!(parse_version("fio-3.36-12-gabc"), Some((3, 36)));
        assert_eq!(parse_version("fio-2.2.10"), Some((2, 2)));
        assert_eq!(parse_version("something"), None);
    }
}
