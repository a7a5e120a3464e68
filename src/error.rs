//! How a command fails, sorted by who can fix it, and the exit code each gives.

use crate::scenario::ScenarioError;

/// Exit code of `compare --fail-above` when a cell regressed by more than
/// the given percentage (kept apart from 1, a failure to compare at all).
pub const REGRESSED_EXIT_CODE: i32 = 3;

/// A command's failure, sorted by who can fix it.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// Bad input from the user (a scenario file, an argument): exit code 2.
    #[error("{0}")]
    Usage(String),
    /// The run itself failed (I/O, verification): exit code 1.
    #[error("{0}")]
    Failed(String),
    /// `compare --fail-above`: a cell regressed beyond the gate: exit code
    /// [`REGRESSED_EXIT_CODE`].
    #[error("{0}")]
    Regressed(String),
    /// Interrupted by a signal: exit code 130.
    #[error("interrupted; results of the scenarios that finished are kept")]
    Interrupted,
}

impl AppError {
    /// The process exit code for this error.
    pub fn exit_code(&self) -> i32 {
        match self {
            AppError::Usage(_) => 2,
            AppError::Failed(_) => 1,
            AppError::Regressed(_) => REGRESSED_EXIT_CODE,
            AppError::Interrupted => crate::workdir::INTERRUPTED_EXIT_CODE,
        }
    }
}

impl From<ScenarioError> for AppError {
    fn from(e: ScenarioError) -> Self {
        AppError::Usage(e.to_string())
    }
}
