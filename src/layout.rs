//! Text that fits the screen: the terminal's width, prose wrapped at word
//! boundaries, and tables that fold their cells when a row would not fit.
//! Written to a file or a pipe (no width), tables keep their full width.

use comfy_table::{CellAlignment, ContentArrangement, Table, presets};
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
        .break_words(false)
        .word_splitter(textwrap::WordSplitter::NoHyphenation);
    textwrap::wrap(text, options)
        .into_iter()
        .map(|line| line.into_owned())
        .collect()
}

/// A column of a [`table`]: its header, whether its values align right,
/// and the widest value it is laid out for.
#[derive(Debug, Clone, Copy)]
pub struct Column<'a> {
    /// The header.
    pub header: &'a str,
    /// Numbers align right, names left.
    pub right: bool,
    /// The widest value the column can hold (`-999.99 ms`, say): the
    /// column is this wide whatever this run measured, so a table that
    /// fits with it fits on every machine. Empty: as wide as its values.
    pub widest: &'a str,
}

impl<'a> Column<'a> {
    /// A left-aligned column (names).
    pub const fn left(header: &'a str) -> Column<'a> {
        Column {
            header,
            right: false,
            widest: "",
        }
    }

    /// A right-aligned column (numbers).
    pub const fn right(header: &'a str) -> Column<'a> {
        Column {
            header,
            right: true,
            widest: "",
        }
    }

    /// The same column, laid out for values as wide as `widest`.
    pub const fn holding(self, widest: &'a str) -> Column<'a> {
        Column { widest, ..self }
    }
}

/// The widest a time printed by [`crate::units::Nanos`] can be below
/// 1,000 s, and with a sign.
pub const WIDEST_TIME: &str = "999.99 ms";
/// [`WIDEST_TIME`] with a sign.
pub const WIDEST_SIGNED_TIME: &str = "-999.99 ms";
/// The widest size [`crate::units::ApproxSize`] prints.
pub const WIDEST_SIZE: &str = "1023.9 MiB";
/// The widest count the lessons' tables are laid out for (9,999,999).
pub const WIDEST_COUNT: &str = "9999999";

/// The columns a table with `columns` takes on one line when every value
/// is as wide as its column's [`Column::widest`] (two spaces apart).
pub fn widest_line(columns: &[Column]) -> usize {
    let widths: usize = columns
        .iter()
        .map(|c| c.header.chars().count().max(c.widest.chars().count()))
        .sum();
    widths + 2 * columns.len().saturating_sub(1)
}

/// How far the later lines of a folded row stand in.
const FOLD_INDENT: &str = "    ";

/// Rows under `columns`, two spaces between columns and no borders. With a
/// `width` too narrow for a whole row, each row folds onto two (or more)
/// lines: as many columns as fit on the first, the rest on the next, indented;
/// no value is ever cut. With no width (a file or a pipe), each row stays on
/// one line.
pub fn table(columns: &[Column], rows: &[Vec<String>], width: Option<usize>) -> String {
    let widths: Vec<usize> = (0..columns.len())
        .map(|index| {
            rows.iter()
                .filter_map(|row| row.get(index))
                .map(|value| value.chars().count())
                .chain([
                    columns[index].header.chars().count(),
                    columns[index].widest.chars().count(),
                ])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let groups = match width {
        Some(width) => fold(&widths, width.max(NARROWEST)),
        None => std::iter::once(0..columns.len()).collect(),
    };
    let parts: Vec<Vec<String>> = groups
        .iter()
        .map(|group| one_line_table(&columns[group.clone()], rows, group.start, &widths))
        .collect();
    let mut text = String::new();
    for line in 0..=rows.len() {
        for (index, part) in parts.iter().enumerate() {
            if let Some(piece) = part.get(line) {
                if index > 0 {
                    text.push_str(FOLD_INDENT);
                }
                text.push_str(piece.trim_end());
                text.push('\n');
            }
        }
    }
    text
}

/// Columns (by their widths) packed into groups that each fit `width` on a
/// line, two spaces apart; the groups after the first stand in by
/// [`FOLD_INDENT`]. A column wider than a whole line gets a line to itself.
fn fold(widths: &[usize], width: usize) -> Vec<std::ops::Range<usize>> {
    let mut groups = Vec::new();
    let mut start = 0;
    let mut used = 0;
    for (index, &w) in widths.iter().enumerate() {
        let room = if groups.is_empty() {
            width
        } else {
            width - FOLD_INDENT.len()
        };
        let needed = if index == start { w } else { used + 2 + w };
        if index > start && needed > room {
            groups.push(start..index);
            start = index;
            used = w;
        } else {
            used = needed;
        }
    }
    groups.push(start..widths.len());
    groups
}

/// The header line and one line per row of `columns` (which start at column
/// `first` of each row), laid out by comfy-table without wrapping.
fn one_line_table(
    columns: &[Column],
    rows: &[Vec<String>],
    first: usize,
    widths: &[usize],
) -> Vec<String> {
    let mut table = Table::new();
    table.load_style(presets::NOTHING);
    table.set_content_arrangement(ContentArrangement::Disabled);
    table.set_header(columns.iter().map(|c| c.header));
    for row in rows {
        table
            .add_row((first..first + columns.len()).map(|i| row.get(i).map_or("", String::as_str)));
    }
    for (index, column) in columns.iter().enumerate() {
        if let Some(c) = table.column_mut(index) {
            c.set_padding((0, 2));
            let width = widths.get(first + index).copied().unwrap_or(0);
            c.set_constraint(comfy_table::ColumnConstraint::Absolute(
                comfy_table::Width::Fixed(u16::try_from(width + 2).unwrap_or(u16::MAX)),
            ));
            if column.right {
                c.set_cell_alignment(CellAlignment::Right);
            }
        }
    }
    table.lines().collect()
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
        assert_eq!(
            text.lines().count(),
            6,
            "each row folds onto two lines:\n{text}"
        );
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
    fn a_column_is_as_wide_as_the_widest_value_it_can_hold() {
        let columns = [
            Column::left("way"),
            Column::right("time").holding(WIDEST_TIME),
            Column::right("n").holding(WIDEST_COUNT),
        ];
        let measured = vec![vec![
            "a".to_string(),
            "1.00 ms".to_string(),
            "7".to_string(),
        ]];
        let text = table(&columns, &measured, Some(80));
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "way       time        n");
        assert_eq!(lines[1], "a      1.00 ms        7");
        assert_eq!(widest_line(&columns), lines[0].chars().count());
        // Made-up extreme values take exactly the room laid out for them.
        let extreme = vec![vec![
            "a".to_string(),
            WIDEST_TIME.to_string(),
            WIDEST_COUNT.to_string(),
        ]];
        let text = table(&columns, &extreme, Some(80));
        assert!(
            text.lines()
                .all(|l| l.chars().count() <= widest_line(&columns)),
            "{text}"
        );
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
