//! What the reference data files (`infra/sessions/*.toml`,
//! `infra/catalogue.toml`) share when they are loaded: their TOML errors and
//! their problems reported on one line.

use std::fmt;

/// `text` on one line: line breaks and other control characters that a
/// quoted value may hold are written as escapes (`\n`).
pub(crate) fn one_line(text: impl fmt::Display) -> String {
    text.to_string()
        .chars()
        .flat_map(|c| {
            let escape = c.is_control() || matches!(c, '\u{2028}' | '\u{2029}');
            let shown: Vec<char> = if escape {
                c.escape_default().collect()
            } else {
                vec![c]
            };
            shown
        })
        .collect()
}

/// " at line L, column C" when known, for one-line TOML error messages.
pub(crate) fn toml_position(line: Option<usize>, column: Option<usize>) -> String {
    match (line, column) {
        (Some(line), Some(column)) => format!(" at line {line}, column {column}"),
        (Some(line), None) => format!(" at line {line}"),
        _ => String::new(),
    }
}

/// A TOML error as one line: toml's message with its line and column (1-based).
pub(crate) fn toml_error_parts(
    text: &str,
    error: &toml::de::Error,
) -> (Option<usize>, Option<usize>, String) {
    let message = error
        .message()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    match error.span() {
        Some(span) => {
            let before = text.get(..span.start).unwrap_or(text);
            let line = before.matches('\n').count() + 1;
            let line_start = before.rfind('\n').map_or(0, |i| i + 1);
            let column = before.get(line_start..).map_or(0, |s| s.chars().count()) + 1;
            (Some(line), Some(column), message)
        }
        None => (None, None, message),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_escaped_onto_one_line() {
        assert_eq!(one_line("a\nb\tc\u{2028}d"), "a\\nb\\tc\\u{2028}d");
        assert_eq!(one_line("déjà vu"), "déjà vu");
    }

    #[test]
    fn positions_say_what_is_known() {
        assert_eq!(toml_position(Some(3), Some(7)), " at line 3, column 7");
        assert_eq!(toml_position(Some(3), None), " at line 3");
        assert_eq!(toml_position(None, None), "");
    }

    #[test]
    fn a_toml_error_is_placed_by_line_and_column() {
        let text = "a = 1\nb = = 2\n";
        let error = toml::from_str::<toml::Table>(text).unwrap_err();
        let (line, column, message) = toml_error_parts(text, &error);
        assert_eq!(line, Some(2));
        assert!(column.is_some());
        assert!(!message.contains('\n'), "{message}");
    }
}
