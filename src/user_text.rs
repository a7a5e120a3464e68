//! Strings a user wrote (scenario names, `about`, labels) on their way in
//! and out. On the way in, control characters are refused by field
//! ([`check_scenario`]); on the way out each output escapes them anyway,
//! because results files may be edited by hand: [`for_terminal`],
//! [`for_markdown_cell`] and [`for_fio_comment`] (HTML escapes in
//! [`crate::report`]).

use crate::scenario::Scenario;

/// Refuses control characters (newline, tab, ESC, DEL...) in the scenario's
/// `about` and in every method label; returns the field and why.
pub fn check_scenario(scenario: &Scenario) -> Result<(), (String, String)> {
    check_field("about", &scenario.about)?;
    for (index, spec) in scenario.methods.iter().enumerate() {
        check_field(&format!("methods[{index}].label"), &spec.label)?;
    }
    Ok(())
}

fn check_field(field: &str, text: &str) -> Result<(), (String, String)> {
    match text.chars().find(|c| c.is_control()) {
        None => Ok(()),
        Some(c) => Err((
            field.to_string(),
            format!(
                "holds the control character {:?} ({}); labels and descriptions are one line of printable text",
                c,
                c.escape_unicode()
            ),
        )),
    }
}

/// `text` with every control character written as a visible escape
/// (`\n`, `\u{1b}`), for a terminal or any line-based output.
pub fn for_terminal(text: &str) -> String {
    if !text.chars().any(char::is_control) {
        return text.to_string();
    }
    text.chars()
        .map(|c| {
            if c.is_control() {
                c.escape_default().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

/// `text` with control characters other than line breaks and tabs written
/// as visible escapes: for multi-line outputs (HTML, SVG) where an escape
/// code must show as text and never act.
pub fn visible_controls(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '\n' | '\r' | '\t' => c.to_string(),
            c if c.is_control() => c.escape_default().to_string(),
            c => c.to_string(),
        })
        .collect()
}

/// `text` safe inside one Markdown table cell: control characters escaped
/// as on a terminal, `|` escaped so it cannot end the cell.
pub fn for_markdown_cell(text: &str) -> String {
    for_terminal(text).replace('|', "\\|")
}

/// `text` safe after a `;` comment in a fio job file: one line, so it
/// cannot start an option line of its own.
pub fn for_fio_comment(text: &str) -> String {
    for_terminal(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_leave_no_line_break_or_escape_code() {
        let hostile = "y\nfilename=/etc/passwd\r\nrw=write\u{1b}[31m|x";
        for escaped in [
            for_terminal(hostile),
            for_markdown_cell(hostile),
            for_fio_comment(hostile),
        ] {
            assert!(!escaped.chars().any(char::is_control), "{escaped}");
            assert!(escaped.contains("filename=/etc/passwd"), "{escaped}");
        }
        assert!(for_markdown_cell(hostile).ends_with("\\|x"));
        assert_eq!(for_terminal("plain 4 KiB"), "plain 4 KiB");
    }
}
