//! Text that fits the screen: the terminal's width, prose wrapped at word
//! boundaries, and tables that fold their cells when a row would not fit.
//! Written to a file or a pipe (no width), tables keep their full width.

use comfy_table::{CellAlignment, ColumnConstraint, ContentArrangement, Table, Width, presets};
use std::io::IsTerminal;

/// The narrowest width anything is laid out for.
pub const NARROWEST: usize = 40;

/// The width of the terminal stdout writes to, or `None` when stdout is a
/// file or a pipe (or the size cannot be read).
pub fn terminal_width() -> Option<usize> {
    let stdout = std::io::stdout();
    if !stdout.is_terminal() {
        return None;
    }
    terminal_size::terminal_size_of(&stdout).map(|(width, _)| usize::from(width.0))
}

/// `text` wrapped at word boundaries to `width` columns, every line starting
/// with `first` (the first line) or `rest` (the others).
pub fn wrap(text: &str, width: usize, first: &str, rest: &str) -> Vec<String> {
    let options = textwrap::Options::new(width.max(NARROWEST))
        .initial_indent(first)
        .subsequent_indent(rest)
        .break_words(false);
    textwrap::wrap(text, options)
        .into_iter()
        .map(|line| line.into_owned())
        .collect()
}

/// A column of a [`table`]: its header and whether its values align right.
#[derive(Debug, Clone, Copy)]
pub struct Column<'a> {
    /// The header.
    pub header: &'a str,
    /// Numbers align right, names left.
    pub right: bool,
}

impl<'a> Column<'a> {
    /// A left-aligned column (names).
    pub const fn left(header: &'a str) -> Column<'a> {
        Column {
            header,
            right: false,
        }
    }

    /// A right-aligned column (numbers).
    pub const fn right(header: &'a str) -> Column<'a> {
        Column {
            header,
            right: true,
        }
    }
}

/// Rows under `columns`, two spaces between columns and no borders. With a
/// `width`, cells wrap at spaces so that each line fits it (a header or a
/// name folds onto two lines); with none, every row stays on one line.
pub fn table(columns: &[Column], rows: &[Vec<String>], width: Option<usize>) -> String {
    let mut table = Table::new();
    table.load_style(presets::NOTHING);
    table.set_header(columns.iter().map(|c| c.header));
    for row in rows {
        table.add_row(row.iter().map(String::as_str));
    }
    match width {
        Some(width) => {
            let width = u16::try_from(width.max(NARROWEST)).unwrap_or(u16::MAX);
            table
                .set_width(width)
                .set_content_arrangement(ContentArrangement::Dynamic);
        }
        None => {
            table.set_content_arrangement(ContentArrangement::Disabled);
        }
    }
    for (index, column) in columns.iter().enumerate() {
        if let Some(c) = table.column_mut(index) {
            c.set_padding((0, 2));
            if column.right {
                c.set_cell_alignment(CellAlignment::Right);
                // A number never folds: its column is at least as wide as
                // its widest value (the header may fold instead).
                let widest = rows
                    .iter()
                    .filter_map(|row| row.get(index))
                    .map(|value| value.chars().count())
                    .max()
                    .unwrap_or(0);
                let widest = u16::try_from(widest + 2).unwrap_or(u16::MAX);
                c.set_constraint(ColumnConstraint::LowerBoundary(Width::Fixed(widest)));
            }
        }
    }
    let mut text = String::new();
    for line in table.lines() {
        text.push_str(line.trim_end());
        text.push('\n');
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows() -> Vec<Vec<String>> {
        vec![
            vec![
                "read() 64 KiB into a page-aligned buffer".into(),
                "1.25 ms".into(),
                "26.8 GB/s".into(),
                "1025".into(),
                "32.0 MiB".into(),
                "17".into(),
            ],
            vec![
                "mmap".into(),
                "3.10 ms".into(),
                "10.8 GB/s".into(),
                "0".into(),
                "0 B".into(),
                "512".into(),
            ],
        ]
    }

    fn columns() -> Vec<Column<'static>> {
        vec![
            Column::left("method"),
            Column::right("time"),
            Column::right("rate"),
            Column::right("read calls"),
            Column::right("bytes copied by the kernel"),
            Column::right("page faults"),
        ]
    }

    #[test]
    fn a_table_fits_the_width_it_is_given_and_keeps_numbers_whole() {
        let text = table(&columns(), &rows(), Some(60));
        for line in text.lines() {
            assert!(line.chars().count() <= 60, "too wide: {line:?}");
        }
        for value in ["1.25 ms", "26.8 GB/s", "32.0 MiB", "1025"] {
            assert!(text.contains(value), "{value} whole in:\n{text}");
        }
    }

    #[test]
    fn without_a_width_each_row_is_one_line() {
        let text = table(&columns(), &rows(), None);
        assert_eq!(text.lines().count(), 3);
        assert!(text.lines().nth(1).unwrap().starts_with("read() 64 KiB"));
    }

    #[test]
    fn prose_wraps_at_word_boundaries() {
        let lines = wrap(&"word ".repeat(40), 42, "   ", "   ");
        assert!(
            lines
                .iter()
                .all(|l| l.len() <= 42 && l.starts_with("   word"))
        );
    }
}
