//! Output formats, printing to stdout, and small text-table printing.
//!
//! Everything the binary prints on stdout goes through [`print()`], [`print_json`] or [`stdout`],
//! so that a reader who closes the pipe early (`caretime ... | head`) ends the command quietly
//! instead of a panic or an error about a broken pipe: see [`stdout_closed`].

use std::io::{BufWriter, Write};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::Context;
// A character escaped before it reaches a terminal (a control character, or a bidirectional
// override that reorders what the terminal shows): core's rule for messages, for all output.
use caretime_core::quote::unsafe_in_a_line as unsafe_on_terminal;
use clap::ValueEnum;
use serde::Serialize;

/// How a command prints its result.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Format {
    /// Aligned text for people.
    Text,
    /// JSON for programs (one document on stdout).
    Json,
}

/// Set once a write to stdout found its reader gone (EPIPE).
static STDOUT_CLOSED: AtomicBool = AtomicBool::new(false);

/// Whether stdout's reader has gone: the command's output is no longer wanted, so `main` ends
/// without a message and with status 0, as ripgrep and other Unix filters do when `head` has
/// read enough.
pub(crate) fn stdout_closed() -> bool {
    STDOUT_CLOSED.load(Ordering::Relaxed)
}

/// Stdout as a writer that notes a closed pipe (see [`stdout_closed`]); the error still
/// propagates, so the command stops where it is.
pub(crate) struct Stdout(std::io::StdoutLock<'static>);

/// Stdout, locked for the caller, for output written piece by piece (a region file on `-o -`).
pub(crate) fn stdout() -> Stdout {
    Stdout(std::io::stdout().lock())
}

fn note_closed<T>(result: std::io::Result<T>) -> std::io::Result<T> {
    if let Err(err) = &result
        && err.kind() == std::io::ErrorKind::BrokenPipe
    {
        STDOUT_CLOSED.store(true, Ordering::Relaxed);
    }
    result
}

impl Write for Stdout {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        note_closed(self.0.write(buf))
    }

    fn flush(&mut self) -> std::io::Result<()> {
        note_closed(self.0.flush())
    }
}

/// Prints `text` on stdout (no newline added), with control characters other than line breaks
/// and tabs escaped: names and titles come from data files, and an escape sequence in one must
/// not reach the terminal. (JSON escapes them itself.)
pub(crate) fn print(text: &str) -> anyhow::Result<()> {
    let text = terminal_safe(text);
    let mut out = stdout();
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .context("cannot write to stdout")
}

/// Prints `value` as pretty JSON on stdout, with a final newline.
pub(crate) fn print_json<T: Serialize>(value: &T) -> anyhow::Result<()> {
    print(&(serde_json::to_string_pretty(value)? + "\n"))
}

/// `text` with every character [`unsafe_on_terminal`] but line breaks and tabs escaped.
fn terminal_safe(text: &str) -> std::borrow::Cow<'_, str> {
    let keep = |character: char| matches!(character, '\n' | '\t') || !unsafe_on_terminal(character);
    if text.chars().all(keep) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    for character in text.chars() {
        if keep(character) {
            out.push(character);
        } else {
            out.extend(character.escape_debug());
        }
    }
    std::borrow::Cow::Owned(out)
}

/// The longest error line, in characters: a message quotes names and values from the user, and
/// a 10 MB key or flag value must not become a 10 MB line.
const MAX_ERROR_CHARS: usize = 1_000;

/// `text` as one line that is safe on a terminal, at most [`MAX_ERROR_CHARS`] long: line breaks, tabs, escape sequences and other
/// control characters (and the bidirectional overrides that reorder what a terminal shows) are
/// written as Rust escapes (`\n`, `\u{1b}`), and a longer line is cut with a note of how much
/// was left out. Every error message goes through it, since file names and values in errors come
/// from the user.
pub(crate) fn one_line(text: &str) -> String {
    let mut out = String::with_capacity(text.len().min(MAX_ERROR_CHARS + 40));
    for (idx, character) in text.chars().enumerate() {
        if idx == MAX_ERROR_CHARS {
            let left = text.chars().count() - idx;
            out.push_str(&format!("... ({left} more characters)"));
            break;
        }
        if unsafe_on_terminal(character) {
            out.extend(character.escape_debug());
        } else {
            out.push(character);
        }
    }
    out
}

/// Renders rows as left-aligned columns separated by two spaces; the last column is not padded.
pub(crate) fn table(rows: &[Vec<String>]) -> String {
    let n_columns = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..n_columns)
        .map(|column| {
            rows.iter()
                .filter_map(|row| row.get(column))
                .map(|cell| cell.chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for row in rows {
        let mut line = String::new();
        for (column, cell) in row.iter().enumerate() {
            if column + 1 == row.len() {
                line.push_str(cell);
            } else {
                line.push_str(&format!("{cell:<width$}  ", width = widths[column]));
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// RFC 3339 with the zone's offset (`2025-12-12T00:00:00-08:00`).
pub(crate) fn rfc3339(zoned: &jiff::Zoned) -> String {
    zoned
        .timestamp()
        .display_with_offset(zoned.offset())
        .to_string()
}

/// A spinner on stderr for long work; hidden with `--format json` (and when stderr is not a
/// terminal, as indicatif does by itself).
pub(crate) fn spinner(format: Format, message: &'static str) -> indicatif::ProgressBar {
    let bar = match format {
        Format::Json => indicatif::ProgressBar::hidden(),
        Format::Text => indicatif::ProgressBar::new_spinner(),
    };
    bar.set_message(message);
    bar.enable_steady_tick(std::time::Duration::from_millis(120));
    bar
}

/// A progress bar of `total` steps on stderr; hidden with `--format json`. The time left shows
/// once it means something (see [`time_left`]).
pub(crate) fn progress_bar(
    format: Format,
    total: u64,
    message: impl Into<std::borrow::Cow<'static, str>>,
) -> indicatif::ProgressBar {
    let bar = match format {
        Format::Json => indicatif::ProgressBar::hidden(),
        Format::Text => indicatif::ProgressBar::new(total),
    };
    bar.set_style(bar_style());
    bar.set_message(message);
    bar
}

/// `message [=====>    ] 40/124 (3s left)`, the time left measured from the bar's first step
/// (setup before it, such as generating a region, does not count).
fn bar_style() -> indicatif::ProgressStyle {
    // The first step seen (when and at which position): the rate is measured from there.
    let first_step: std::sync::OnceLock<(std::time::Instant, u64)> = std::sync::OnceLock::new();
    let time_left_key = move |state: &indicatif::ProgressState, out: &mut dyn std::fmt::Write| {
        if state.pos() == 0 {
            return;
        }
        let (since, from) = *first_step.get_or_init(|| (std::time::Instant::now(), state.pos()));
        let total = state.len().unwrap_or(0);
        // Steps reported from parallel threads may arrive out of order: the position can step
        // back a little.
        let measured = state.pos().saturating_sub(from);
        let left = total.saturating_sub(state.pos());
        if let Some(left) = time_left(since.elapsed(), measured, left, total) {
            let _ = write!(out, " ({} left)", indicatif::HumanDuration(left));
        }
    };
    indicatif::ProgressStyle::with_template("{msg} [{bar:30}] {pos}/{len}{time_left}")
        .expect("the template is valid")
        .progress_chars("=> ")
        .with_key("time_left", time_left_key)
}

/// The time left at the rate of the steps done since the first, once that rate means something:
/// at least a second and a twentieth of the work measured. Before that an estimate swings wildly
/// (a five-second run showed "16m left" at its first step).
fn time_left(
    measured: std::time::Duration,
    steps_measured: u64,
    steps_left: u64,
    total: u64,
) -> Option<std::time::Duration> {
    let enough = measured >= std::time::Duration::from_secs(1)
        && steps_measured > 0
        && steps_measured.saturating_mul(20) >= total;
    enough.then(|| measured.mul_f64(steps_left as f64 / steps_measured as f64))
}

/// Runs `work` with a spinner on stderr until it knows its total, then a progress bar (hidden
/// with `--format json`); `work` moves it by calling its argument with (done, total). The bar is
/// cleared when `work` returns.
pub(crate) fn with_progress<T>(
    format: Format,
    message: &'static str,
    work: impl FnOnce(&(dyn Fn(u64, u64) + Sync)) -> T,
) -> T {
    // A bar of unknown length would draw full, "0/0"; a spinner says "working" instead.
    let bar = spinner(format, message);
    let sized = std::sync::Once::new();
    let result = work(&|done, total| {
        if total == 0 {
            return;
        }
        sized.call_once(|| {
            bar.disable_steady_tick();
            bar.set_length(total);
            bar.set_style(bar_style());
        });
        bar.set_position(done);
    });
    bar.finish_and_clear();
    result
}

/// Refuses every output path that names one of the input files, by any name (a symbolic or hard
/// link included): writing it would destroy an input, and on a second run the command would
/// read its own output. Call it before writing anything.
/// Two outputs that name the same file are refused too: one would overwrite the other.
pub(crate) fn refuse_overwriting<'a>(
    outputs: impl IntoIterator<Item = &'a Path>,
    inputs: &[&Path],
) -> anyhow::Result<()> {
    let outputs: Vec<&Path> = outputs.into_iter().collect();
    for (idx, output) in outputs.iter().enumerate() {
        if let Some(input) = inputs.iter().find(|input| same_file(output, input)) {
            anyhow::bail!(
                "the output `{}` is the input `{}`: give another output path",
                output.display(),
                input.display()
            );
        }
        let same_path = |other: &&Path| {
            same_file(output, other)
                || matches!(
                    (std::path::absolute(output), std::path::absolute(other)),
                    (Ok(first), Ok(second)) if first == second
                )
        };
        if let Some(other) = outputs[idx + 1..].iter().find(|other| same_path(other)) {
            anyhow::bail!(
                "two outputs are the same file, `{}` and `{}`: give each its own path",
                output.display(),
                other.display()
            );
        }
    }
    Ok(())
}

/// Whether both paths exist and are the same file.
fn same_file(first: &Path, second: &Path) -> bool {
    let (Ok(first_meta), Ok(second_meta)) = (std::fs::metadata(first), std::fs::metadata(second))
    else {
        return false;
    };
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        if (first_meta.dev(), first_meta.ino()) == (second_meta.dev(), second_meta.ino()) {
            return true;
        }
    }
    let _ = (first_meta, second_meta);
    matches!(
        (std::fs::canonicalize(first), std::fs::canonicalize(second)),
        (Ok(first), Ok(second)) if first == second
    )
}

/// Writes each (file name, text) into `dir`, which is created if missing.
pub(crate) fn write_files(
    dir: &Path,
    files: impl IntoIterator<Item = (&'static str, String)>,
) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create `{}`", dir.display()))?;
    for (name, text) in files {
        let path = dir.join(name);
        std::fs::write(&path, text)
            .with_context(|| format!("cannot write `{}`", path.display()))?;
    }
    Ok(())
}

/// Creates `path` and hands a buffered writer to `write`.
pub(crate) fn write_file(
    path: &Path,
    write: impl FnOnce(&mut BufWriter<std::fs::File>) -> std::io::Result<()>,
) -> anyhow::Result<()> {
    let shown = path.display();
    let file = std::fs::File::create(path).with_context(|| format!("cannot create `{shown}`"))?;
    let mut out = BufWriter::with_capacity(1 << 20, file);
    write(&mut out).with_context(|| format!("cannot write `{shown}`"))?;
    out.flush()
        .with_context(|| format!("cannot write `{shown}`"))?;
    Ok(())
}
