//! Lesson `why`.

use super::Steps;

/// Runs the lesson.
pub fn run(steps: &mut Steps) -> anyhow::Result<()> {
    steps.step("todo")?;
    Ok(())
}
