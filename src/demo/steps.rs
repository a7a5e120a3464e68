//! How a lesson talks: numbered steps, the Rust that does each one, and what
//! came out; colour only when asked for, and an optional pause between steps.

use crate::layout::{self, Column};
use std::io::{self, BufRead, Write};

/// ANSI styles used on a terminal.
const BOLD: &str = "\x1b[1m";
const CYAN: &str = "\x1b[36m";
const GREEN: &str = "\x1b[32m";
const RESET: &str = "\x1b[0m";

/// Where a lesson's output goes and how it looks.
pub struct Steps<'a> {
    out: Box<dyn Write + 'a>,
    color: bool,
    pause: Option<Box<dyn BufRead + 'a>>,
    number: usize,
    lessons: usize,
    width: Option<usize>,
}

/// Prose is wrapped to this many columns at most, even on a wider screen
/// or in a file, so it reads as it does in a book.
const PROSE: usize = 80;
/// What stands before each line of a result.
const ARROW: &str = "   → ";
/// What stands before the later lines of a wrapped result.
const UNDER_ARROW: &str = "     ";
/// What stands before each line of prose.
const INDENT: &str = "   ";

impl<'a> Steps<'a> {
    /// Plain output to `out`, without colour or pauses (what tests use).
    pub fn new(out: impl Write + 'a) -> Steps<'a> {
        Steps {
            out: Box::new(out),
            color: false,
            pause: None,
            number: 0,
            lessons: 0,
            width: None,
        }
    }

    /// Lays tables out for a screen `width` columns wide (`None`: a file or
    /// a pipe, where each table row stays on one line).
    pub fn with_width(mut self, width: Option<usize>) -> Steps<'a> {
        self.width = width;
        self
    }

    /// The columns prose and results wrap at.
    fn prose_width(&self) -> usize {
        self.width.unwrap_or(PROSE).min(PROSE)
    }

    /// Turns ANSI colour on or off.
    pub fn with_color(mut self, color: bool) -> Steps<'a> {
        self.color = color;
        self
    }

    /// Waits for a line on `input` before each step after the first.
    pub fn with_pause(mut self, input: impl BufRead + 'a) -> Steps<'a> {
        self.pause = Some(Box::new(input));
        self
    }

    /// The lesson's heading; restarts the step numbers. With pauses, waits
    /// first when a lesson came before.
    pub fn heading(&mut self, name: &str, summary: &str) -> io::Result<()> {
        if self.lessons > 0 {
            self.wait(&format!("lesson {name}"))?;
        }
        self.lessons += 1;
        self.number = 0;
        let line = format!("== {name}: {summary} ==");
        for line in layout::wrap(&line, self.prose_width(), "", "   ") {
            let styled = self.paint(BOLD, &line);
            writeln!(self.out, "{styled}")?;
        }
        Ok(())
    }

    /// Starts the next numbered step, saying what it does.
    pub fn step(&mut self, what: &str) -> io::Result<()> {
        if self.number > 0 {
            self.wait(&format!("step {}", self.number + 1))?;
        }
        self.number += 1;
        let line = format!("{}. {what}", self.number);
        writeln!(self.out)?;
        for line in layout::wrap(&line, self.prose_width(), "", "   ") {
            let styled = self.paint(BOLD, &line);
            writeln!(self.out, "{styled}")?;
        }
        Ok(())
    }

    /// Shows the region called `name` of a lesson's own `source` (see
    /// [`super::shown`]): the lines of Rust that do the step, as they run.
    /// A missing region is an error naming it.
    pub fn show(&mut self, source: &str, name: &str) -> io::Result<()> {
        let code = super::shown::region(source, name).map_err(io::Error::other)?;
        self.code(&code)
    }

    /// Shows lines of Rust. On a screen too narrow for a line, its trailing
    /// `// comment` moves onto a line of its own above it.
    fn code(&mut self, code: &str) -> io::Result<()> {
        const BAR: &str = "     | ";
        for line in code.lines() {
            let fits = |line: &str| {
                self.width
                    .is_none_or(|w| BAR.chars().count() + line.chars().count() <= w)
            };
            let split = line
                .find("  //")
                .filter(|_| !fits(line))
                .map(|at| line.split_at(at));
            let lines = match split {
                Some((statement, comment)) => {
                    let indent = &statement[..statement.len() - statement.trim_start().len()];
                    vec![
                        format!("{indent}{}", comment.trim_start()),
                        statement.trim_end().to_string(),
                    ]
                }
                None => vec![line.to_string()],
            };
            for line in lines {
                let styled = self.paint(CYAN, &line);
                writeln!(self.out, "{BAR}{styled}")?;
            }
        }
        Ok(())
    }

    /// Shows what came out; each line gets an arrow, and a line too long
    /// for the screen wraps under it.
    pub fn result(&mut self, text: &str) -> io::Result<()> {
        let width = self.prose_width();
        for line in text.lines() {
            for piece in layout::wrap(line, width, ARROW, UNDER_ARROW) {
                let (lead, rest) = piece.split_at(piece.len().min(ARROW.len()));
                let styled = self.paint(GREEN, rest);
                writeln!(self.out, "{lead}{styled}")?;
            }
        }
        Ok(())
    }

    /// Shows measured rows as a table, indented under the results, that
    /// fits the screen: on a narrow one each row folds onto two lines.
    pub fn table(&mut self, columns: &[Column], rows: &[Vec<String>]) -> io::Result<()> {
        let width = self.width.map(|w| w.saturating_sub(UNDER_ARROW.len()));
        for line in layout::table(columns, rows, width).lines() {
            let styled = self.paint(GREEN, line);
            writeln!(self.out, "{UNDER_ARROW}{styled}")?;
        }
        Ok(())
    }

    /// Explains, in prose. Lines written next to each other form one
    /// paragraph, rewrapped at word boundaries to fit the screen; a line
    /// starting with "- " starts a list item, and a blank line a paragraph.
    pub fn say(&mut self, text: &str) -> io::Result<()> {
        for (item, paragraph) in paragraphs(text) {
            let rest = if item { "     " } else { INDENT };
            for line in layout::wrap(&paragraph, self.prose_width(), INDENT, rest) {
                writeln!(self.out, "{line}")?;
            }
        }
        Ok(())
    }

    /// Ends the lesson with a blank line and flushes.
    pub fn finish(&mut self) -> io::Result<()> {
        writeln!(self.out)?;
        self.out.flush()
    }

    /// With pauses on, asks for Enter before `next` and waits for a line.
    fn wait(&mut self, next: &str) -> io::Result<()> {
        let Some(input) = self.pause.as_mut() else {
            return Ok(());
        };
        write!(self.out, "\n   [Enter for {next}] ")?;
        self.out.flush()?;
        let mut line = String::new();
        input.read_line(&mut line)?;
        Ok(())
    }

    fn paint(&self, style: &str, text: &str) -> String {
        if self.color {
            format!("{style}{text}{RESET}")
        } else {
            text.to_string()
        }
    }
}

/// The paragraphs of `text`, each joined onto one line, and whether each
/// is a list item ("- ..."); a blank line separates paragraphs (and is kept).
fn paragraphs(text: &str) -> Vec<(bool, String)> {
    let mut out: Vec<(bool, String)> = Vec::new();
    let mut open = false;
    for line in text.lines() {
        let trimmed = line.trim();
        if trimmed.is_empty() {
            out.push((false, String::new()));
            open = false;
        } else if trimmed.starts_with("- ") || !open {
            out.push((trimmed.starts_with("- "), trimmed.to_string()));
            open = true;
        } else if let Some((_, last)) = out.last_mut() {
            last.push(' ');
            last.push_str(trimmed);
        }
    }
    out
}

/// Bytes as a Rust byte-string literal (`b"abc\n"`), the way Python prints `b'abc\n'`.
pub fn byte_literal(bytes: &[u8]) -> String {
    format!("b\"{}\"", bytes.escape_ascii())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_steps_and_marks_code_and_results() {
        let mut buffer = Vec::new();
        let mut steps = Steps::new(&mut buffer);
        steps.heading("x", "a lesson").unwrap();
        steps.step("first").unwrap();
        steps.code("let a = 1;").unwrap();
        steps.step("second").unwrap();
        steps.result("1").unwrap();
        steps.finish().unwrap();
        drop(steps);
        let text = String::from_utf8(buffer).unwrap();
        assert_eq!(
            text,
            "== x: a lesson ==\n\n1. first\n     | let a = 1;\n\n2. second\n   → 1\n\n"
        );
        assert!(!text.contains('\x1b'));
    }

    #[test]
    fn colours_only_when_asked_and_pauses_between_steps() {
        let mut buffer = Vec::new();
        let mut steps = Steps::new(&mut buffer)
            .with_color(true)
            .with_pause(&b"\n\n"[..]);
        steps.heading("a", "first").unwrap();
        steps.step("one").unwrap();
        steps.step("two").unwrap();
        steps.heading("b", "second").unwrap();
        steps.step("one").unwrap();
        drop(steps);
        let text = String::from_utf8(buffer).unwrap();
        assert!(text.contains("\x1b[1m1. one\x1b[0m"));
        assert!(text.contains("[Enter for step 2]"));
        assert!(!text.contains("[Enter for step 1]"));
        assert!(text.contains("[Enter for lesson b]"));
    }

    #[test]
    fn prose_is_rewrapped_to_the_screen_and_list_items_hang() {
        let mut buffer = Vec::new();
        let mut steps = Steps::new(&mut buffer).with_width(Some(44));
        steps
            .say("One sentence that is written on\ntwo lines.\n- an item that goes on for long enough to wrap\n  onto a second line")
            .unwrap();
        drop(steps);
        let text = String::from_utf8(buffer).unwrap();
        assert_eq!(
            text,
            "   One sentence that is written on two\n   lines.\n   - an item that goes on for long enough to\n     wrap onto a second line\n"
        );
    }

    #[test]
    fn a_code_comment_moves_above_its_line_when_the_line_is_too_wide() {
        let mut buffer = Vec::new();
        let mut steps = Steps::new(&mut buffer).with_width(Some(40));
        steps
            .code("    let x = 1;   // a comment that makes it long")
            .unwrap();
        steps.code("let y = 2;  // short").unwrap();
        drop(steps);
        let text = String::from_utf8(buffer).unwrap();
        assert_eq!(
            text,
            "     |     // a comment that makes it long\n     |     let x = 1;\n     | let y = 2;  // short\n"
        );
    }

    #[test]
    fn byte_literals_escape_like_python() {
        assert_eq!(byte_literal(b"hi\n\"\xff"), "b\"hi\\n\\\"\\xff\"");
    }
}
