//! Text from outside (a file, a flag) inside an error message: one line, no control characters,
//! bounded length.
//!
//! An error message is printed on one line of a terminal or a log. Text a user or a file supplied
//! may hold a newline (which would split the message, so a log reader sees two events), terminal
//! escapes (which would repaint the screen or retitle the window) or ten megabytes. [`quote`]
//! makes such text safe to print inside a message, and [`escape`] does the same for a whole
//! message without shortening it.
//!
//! Quoting never makes text safe to show when it is protected health information: messages about
//! members' data name the field and the rule, and quote nothing (see [`crate::phi`]).

use std::fmt;

/// The most characters of outside text a message quotes; longer text is cut and ends with `…`.
pub const MAX_QUOTED_CHARS: usize = 60;

/// `text` for an error message: control and bidirectional-override characters escaped (`\n`,
/// `\u{1b}`), and cut after [`MAX_QUOTED_CHARS`] characters. Displays without the surrounding
/// backticks, which the message supplies.
pub fn quote(text: &str) -> Quoted<'_> {
    Quoted {
        text,
        limit: Some(MAX_QUOTED_CHARS),
    }
}

/// A whole message with its control characters escaped, and its length kept.
pub fn escape(text: &str) -> Quoted<'_> {
    Quoted { text, limit: None }
}

/// Text made safe for a one-line message; see [`quote`] and [`escape`].
#[derive(Clone, Copy, Debug)]
pub struct Quoted<'a> {
    text: &'a str,
    limit: Option<usize>,
}

/// Characters that would change how the rest of a line reads: C0 and C1 controls (newlines and
/// terminal escapes among them) and the Unicode bidirectional overrides and isolates, which can
/// make a terminal show text in another order than it was written. The binary escapes the same
/// characters in everything it prints.
pub fn unsafe_in_a_line(c: char) -> bool {
    c.is_control() || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

impl fmt::Display for Quoted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (count, c) in self.text.chars().enumerate() {
            if self.limit.is_some_and(|limit| count == limit) {
                return f.write_str("…");
            }
            if unsafe_in_a_line(c) {
                write!(f, "{}", c.escape_default())?;
            } else {
                fmt::Write::write_char(f, c)?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_text_stays_on_one_line_without_escapes() {
        assert_eq!(quote("ca-dmhc").to_string(), "ca-dmhc");
        assert_eq!(quote("a\nb").to_string(), "a\\nb");
        assert_eq!(quote("\u{1b}[2J").to_string(), "\\u{1b}[2J");
        assert_eq!(quote("\u{202e}abc").to_string(), "\\u{202e}abc");
        assert_eq!(quote("día").to_string(), "día");
    }

    #[test]
    fn long_text_is_cut() {
        let long = "x".repeat(10_000);
        let quoted = quote(&long).to_string();
        assert_eq!(quoted.chars().count(), MAX_QUOTED_CHARS + 1);
        assert!(quoted.ends_with('…'));
        assert_eq!(escape(&long).to_string(), long);
    }
}
