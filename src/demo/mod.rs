//! `mmap-lab demo`: short live lessons, one file each, that teach memory maps
//! step by step (the points of the Python mmap tutorial the suite grew from,
//! then what the kernel does underneath). Each lesson makes its own small
//! files in a private temporary directory and returns the facts it saw, so
//! tests can check them.

mod breakdown;
mod raw;
mod sandbox;
pub mod shown;
mod steps;
mod trial;

use crate::error::AppError;
use std::io::{self, IsTerminal};

pub use sandbox::Sandbox;
pub use steps::{Steps, byte_literal};

/// One lesson: its name on the command line, one line about it, and how to run it.
pub struct Lesson {
    /// The name `mmap-lab demo NAME` takes; also docs/lessons/NAME.md.
    pub name: &'static str,
    /// One line saying what it shows.
    pub summary: &'static str,
    /// The lesson's own source, whose `// lesson:NAME` regions its steps
    /// and its page show ([`shown`]).
    pub source: &'static str,
    run: fn(&mut Steps) -> anyhow::Result<()>,
}

impl Lesson {
    /// Runs the lesson, writing its steps to `steps`.
    pub fn run(&self, steps: &mut Steps) -> anyhow::Result<()> {
        steps.heading(self.name, self.summary)?;
        (self.run)(steps)?;
        steps.finish()?;
        Ok(())
    }
}

/// The registry: every lesson, in teaching order, one line each: its
/// module (`src/demo/NAME.rs`, which holds `run` and `SOURCE`; its page is
/// docs/lessons/NAME.md) and its one-line summary. `demo --list` and
/// docs/lessons/README.md's index come from here.
macro_rules! lessons {
    ($($name:ident: $summary:literal,)*) => {
        $(pub mod $name;)*

        /// Every lesson, in teaching order.
        pub static LESSONS: &[Lesson] = &[$(Lesson {
            name: stringify!($name),
            summary: $summary,
            source: $name::SOURCE,
            run: |s| $name::run(s).map(drop),
        },)*];
    };
}

lessons! {
    read: "map a file and read it whole: bytes, text, and what a map is",
    write: "write through a shared map: the file itself changes",
    copy: "a private copy-on-write map: change the map, not the file",
    slice: "bytes 9..98 by slicing a map and by seek + read, with call counts",
    empty: "an empty file cannot be mapped by mmap(2); give it a length first",
    offset: "mapping from an offset: page alignment, and how memmap2 hides it",
    why: "is a map faster? nine ways to read 64 MiB and 4 KiB, measured now",
    faults: "a map's page faults: far fewer than pages, and how to change that",
    layout: "the same file written two ways: folios, map faults and speed",
    cold: "cold versus warm page cache: disk reads and major faults",
    align: "where a read buffer starts, and how fast pread fills it",
    sigbus: "a file shrinks under a map: SIGBUS, and why memmap2 says unsafe",
    share: "two processes, one file: shared and private maps, crash, fallocate",
    uring: "fewer system calls without a map: io_uring, queue depth, O_DIRECT",
    pressure: "a file that no longer fits: maps and O_DIRECT under reclaim",
}

/// The lesson called `name`, if there is one.
pub fn find(name: &str) -> Option<&'static Lesson> {
    LESSONS.iter().find(|lesson| lesson.name == name)
}

/// What `mmap-lab demo` was asked to do.
#[derive(Debug, Clone, Default)]
pub struct DemoOptions {
    /// The lesson to run, by name.
    pub lesson: Option<String>,
    /// List the lessons instead of running one.
    pub list: bool,
    /// Run every lesson in order.
    pub all: bool,
    /// Wait for Enter between steps.
    pub pause: bool,
    /// Never use colour.
    pub no_color: bool,
    /// The columns to lay out for; `None`: the terminal's, or
    /// [`HANDOUT_WIDTH`] for a file or a pipe.
    pub width: Option<usize>,
}

/// The width lessons are laid out for in a file or a pipe: a handout.
pub const HANDOUT_WIDTH: usize = 80;

/// The width to lay out for: the one asked for, else the terminal's, else
/// [`HANDOUT_WIDTH`].
pub fn layout_width(asked: Option<usize>, terminal: Option<usize>) -> usize {
    asked.or(terminal).unwrap_or(HANDOUT_WIDTH)
}

/// Colour only on a terminal, and never with `--no-color` or a non-empty `NO_COLOR`.
pub fn color_wanted(no_color: bool) -> bool {
    let env_says_no = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    !no_color && !env_says_no && io::stdout().is_terminal()
}

/// `mmap-lab demo`: lists the lessons, or runs one or all of them on stdout.
pub fn command(options: &DemoOptions) -> Result<(), AppError> {
    if options.list {
        print!("{}", listing());
        return Ok(());
    }
    let chosen: Vec<&Lesson> = match (&options.lesson, options.all) {
        (Some(_), true) => {
            return Err(AppError::Usage(
                "name one lesson or pass --all, not both".to_string(),
            ));
        }
        (None, true) => LESSONS.iter().collect(),
        (Some(name), false) => match find(name) {
            Some(lesson) => vec![lesson],
            None => {
                return Err(AppError::Usage(format!(
                    "no lesson called {name:?}; the lessons are:\n{}",
                    listing().trim_end()
                )));
            }
        },
        (None, false) => {
            return Err(AppError::Usage(format!(
                "name a lesson (or pass --all); the lessons are:\n{}",
                listing().trim_end()
            )));
        }
    };
    // Ctrl-C during a lesson, say while it waits for Enter: remove the
    // lesson's files and exit.
    crate::workdir::clean_up_on_interrupt(false);
    let stdout = io::stdout().lock();
    let mut steps = Steps::new(stdout)
        .with_color(color_wanted(options.no_color))
        .with_width(Some(layout_width(
            options.width,
            crate::layout::terminal_width(),
        )));
    if options.pause {
        steps = steps.with_pause(io::stdin().lock());
    }
    for lesson in chosen {
        lesson
            .run(&mut steps)
            .map_err(|e| AppError::Failed(format!("lesson {}: {e:#}", lesson.name)))?;
    }
    Ok(())
}

/// The lessons' table as docs/lessons/README.md must hold it: number, link
/// to the lesson's page and summary, in teaching order, all from
/// [`LESSONS`] (a test fails when the page's copy differs).
pub fn docs_index() -> String {
    let mut table =
        String::from("| # | lesson | what it shows |\n|---|--------|---------------|\n");
    for (index, lesson) in LESSONS.iter().enumerate() {
        table.push_str(&format!(
            "| {} | [{name}]({name}.md) | {} |\n",
            index + 1,
            lesson.summary,
            name = lesson.name
        ));
    }
    table
}

/// One line per lesson: name and summary.
pub fn listing() -> String {
    let width = LESSONS.iter().map(|l| l.name.len()).max().unwrap_or(0);
    LESSONS
        .iter()
        .map(|l| format!("  {:width$}  {}\n", l.name, l.summary))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lessons_have_unique_names_and_one_line_summaries() {
        for (index, lesson) in LESSONS.iter().enumerate() {
            assert!(find(lesson.name).is_some_and(|found| std::ptr::eq(found, lesson)));
            assert!(LESSONS[..index].iter().all(|l| l.name != lesson.name));
            assert!(!lesson.summary.contains('\n') && lesson.summary.len() < 80);
        }
        assert!(find("nosuch").is_none());
    }

    #[test]
    fn the_listing_has_one_line_per_lesson_in_order() {
        let listing = listing();
        let names: Vec<&str> = listing
            .lines()
            .map(|line| line.split_whitespace().next().unwrap())
            .collect();
        let expected: Vec<&str> = LESSONS.iter().map(|l| l.name).collect();
        assert_eq!(names, expected);
    }

    #[test]
    fn the_docs_index_has_one_row_per_lesson_in_order() {
        let index = docs_index();
        let rows: Vec<&str> = index.lines().skip(2).collect();
        assert_eq!(rows.len(), LESSONS.len());
        assert_eq!(
            rows[0],
            format!("| 1 | [read](read.md) | {} |", LESSONS[0].summary)
        );
    }

    #[test]
    fn the_width_asked_for_wins_then_the_terminal_then_a_handout() {
        assert_eq!(layout_width(Some(100), Some(120)), 100);
        assert_eq!(layout_width(None, Some(120)), 120);
        assert_eq!(layout_width(None, None), HANDOUT_WIDTH);
    }

    #[test]
    fn an_unknown_lesson_is_a_usage_error_that_lists_the_lessons() {
        let options = DemoOptions {
            lesson: Some("nosuch".to_string()),
            ..DemoOptions::default()
        };
        let error = command(&options).unwrap_err();
        assert_eq!(error.exit_code(), 2);
        assert!(error.to_string().contains("sigbus"));
    }
}
