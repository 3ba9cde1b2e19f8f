//! [`FhirError`]: why FHIR JSON could not be read, by field path and position, never by value.
//!
//! A resource may hold PHI anywhere (a name, a birth date, a free-text comment), and serde's
//! messages quote what they found (``invalid type: string "Jose Kim", expected u32``). So an
//! error keeps the path (`participant[0].status`), the line and column, and what was expected,
//! and drops everything serde quoted from the input.

use serde_path_to_error::Segment;

/// Why FHIR JSON could not be read. Never holds a value from the input.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FhirError {
    /// The text is not JSON, or is cut short.
    #[error("malformed JSON at line {line}, column {column}")]
    Syntax {
        /// 1-based line of the problem.
        line: usize,
        /// 1-based column of the problem.
        column: usize,
    },
    /// JSON, but not the FHIR expected at `path`.
    #[error("invalid FHIR at `{path}`{}: {reason}", position(*line, *column))]
    Invalid {
        /// Where, from the document's root: `entry[2].resource.participant[0].status`; `.` for the
        /// root itself. Names fields, never values.
        path: String,
        /// What is wrong, without the value: `unknown code, expected one of ...`.
        reason: String,
        /// 1-based line, or 0 when unknown.
        line: usize,
        /// 1-based column, or 0 when unknown.
        column: usize,
    },
    /// A resource of another type than the one asked for.
    #[error("expected resource type {expected}, found {found}")]
    WrongResourceType {
        /// The type asked for.
        expected: &'static str,
        /// The type found, if this crate models it (a type from outside is not repeated).
        found: &'static str,
    },
    /// A bad line of an NDJSON file.
    #[error("line {line}: {source}")]
    Line {
        /// 1-based line number in the file.
        line: usize,
        /// What is wrong with the line.
        source: Box<FhirError>,
    },
}

fn position(line: usize, column: usize) -> String {
    if line == 0 {
        String::new()
    } else {
        format!(" (line {line}, column {column})")
    }
}

/// Messages this crate raises itself; they quote nothing from the input.
pub(crate) const MORE_THAN_ONE_VALUE: &str = "more than one value[x]";

impl FhirError {
    /// The error for a failed `serde_path_to_error` read of JSON text.
    pub(crate) fn from_serde(err: serde_path_to_error::Error<serde_json::Error>) -> FhirError {
        use serde_json::error::Category;
        let mut path = String::new();
        append_segments(&mut path, err.path());
        let inner = err.into_inner();
        let (line, column) = (inner.line(), inner.column());
        match inner.classify() {
            Category::Data => {
                let full = message(&inner);
                let mut rest = full.as_str();
                // Errors from fields read before `resourceType` carry the rest of their path.
                while let Some((sub_path, after)) = rest
                    .strip_prefix(REPLAYED)
                    .and_then(|marked| marked.split_once(REPLAYED))
                {
                    join(&mut path, sub_path);
                    rest = after;
                }
                let reason = without_values(rest);
                // serde names a missing field only in its message: put it on the path.
                if let Some(name) = reason
                    .strip_prefix("missing field `")
                    .and_then(|rest| rest.strip_suffix('`'))
                {
                    join(&mut path, name);
                }
                if path.is_empty() {
                    path.push('.');
                }
                FhirError::Invalid {
                    path,
                    reason,
                    line,
                    column,
                }
            }
            Category::Syntax | Category::Eof | Category::Io => FhirError::Syntax { line, column },
        }
    }
}

/// Marks the path carried in the message of an error from a replayed field (see
/// [`replayed_message`]). serde's own messages never start with it.
const REPLAYED: char = '\u{1}';

/// The message for an error raised while reading `key`, a field buffered because it came before
/// `resourceType`: `path` (inside the field) is lost to the outer path tracking, so the message
/// carries it, marked, for [`FhirError::from_serde`] to put back on the path.
pub(crate) fn replayed_message(
    key: &str,
    path: &serde_path_to_error::Path,
    err: &serde_json::Error,
) -> String {
    let mut sub_path = String::new();
    if is_field_name(key) {
        sub_path.push_str(key);
        append_segments(&mut sub_path, path);
    }
    format!("{REPLAYED}{sub_path}{REPLAYED}{err}")
}

/// Appends `more` (`status`, `[2].status`) to a path.
fn join(path: &mut String, more: &str) {
    if !path.is_empty() && !more.is_empty() && !more.starts_with('[') {
        path.push('.');
    }
    path.push_str(more);
}

/// serde_json's message without its trailing position.
fn message(err: &serde_json::Error) -> String {
    let full = err.to_string();
    let located = format!(" at line {} column {}", err.line(), err.column());
    match full.strip_suffix(&located) {
        Some(message) => message.to_owned(),
        None => full,
    }
}

/// A serde message without anything it quoted from the input: the kind of problem and what was
/// expected. serde writes ``<problem> <found>, expected <expected>``; what was expected comes from
/// this crate's types, and is taken after the *last* `, expected ` so that a value containing
/// those words cannot smuggle itself into it.
fn without_values(message: &str) -> String {
    let own = ["missing field `", "duplicate field `", MORE_THAN_ONE_VALUE];
    if own.iter().any(|prefix| message.starts_with(prefix)) && is_plain(message) {
        return message.to_owned();
    }
    let problem = if message.starts_with("unknown variant") {
        "unknown code"
    } else if message.starts_with("invalid type") {
        "wrong JSON type"
    } else if message.starts_with("invalid length") {
        "wrong number of items"
    } else {
        "invalid value"
    };
    match message.rsplit_once(", expected ") {
        Some((_, expected)) => format!("{problem}, expected {expected}"),
        None => problem.to_owned(),
    }
}

/// Whether a message of this crate's own form is free of quoted input: a field name is a Rust
/// identifier of this crate, so anything else is refused.
fn is_plain(message: &str) -> bool {
    message
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || " `_[]".contains(c))
}

/// Appends serde's path as `entry[2].resource.status`. A key is one of this crate's field names
/// (unknown keys are skipped without error); a segment that does not look like one ends the path.
fn append_segments(out: &mut String, path: &serde_path_to_error::Path) {
    for segment in path.iter() {
        match segment {
            Segment::Seq { index } => out.push_str(&format!("[{index}]")),
            Segment::Map { key } if is_field_name(key) => join(out, key),
            Segment::Map { .. } | Segment::Enum { .. } | Segment::Unknown => break,
        }
    }
}

fn is_field_name(key: &str) -> bool {
    !key.is_empty() && key.len() <= 64 && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}
