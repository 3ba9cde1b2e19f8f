//! Output formats and small text-table printing.

use std::io::{BufWriter, Write};
use std::path::Path;

use anyhow::Context;
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

/// Prints `value` as pretty JSON on stdout.
pub(crate) fn print_json<T: Serialize>(value: &T) -> anyhow::Result<()> {
    println!("{}", serde_json::to_string_pretty(value)?);
    Ok(())
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

/// A progress bar of `total` steps on stderr; hidden with `--format json`.
pub(crate) fn progress_bar(
    format: Format,
    total: u64,
    message: impl Into<std::borrow::Cow<'static, str>>,
) -> indicatif::ProgressBar {
    let bar = match format {
        Format::Json => indicatif::ProgressBar::hidden(),
        Format::Text => indicatif::ProgressBar::new(total),
    };
    if let Ok(style) =
        indicatif::ProgressStyle::with_template("{msg} [{bar:30}] {pos}/{len} ({eta} left)")
    {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.set_message(message);
    bar
}

/// Runs `work` with a progress bar of unknown length on stderr (hidden with `--format json`);
/// `work` moves it by calling its argument with (done, total). The bar is cleared when `work`
/// returns.
pub(crate) fn with_progress<T>(
    format: Format,
    message: &'static str,
    work: impl FnOnce(&(dyn Fn(u64, u64) + Sync)) -> T,
) -> T {
    let bar = progress_bar(format, 0, message);
    let result = work(&|done, total| {
        bar.set_length(total);
        bar.set_position(done);
    });
    bar.finish_and_clear();
    result
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
