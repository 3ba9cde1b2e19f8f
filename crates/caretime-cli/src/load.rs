//! Reading the files the user names, and finding rule sets and contracts by built-in name or by
//! path.
//!
//! Every input file is read whole into memory, so each kind has a size limit, checked before
//! reading where the file says its size and while reading where it does not (`/dev/zero`): an
//! endless or huge input fails at once with the limit in the message instead of filling memory.

use std::io::Read;
use std::path::Path;

use anyhow::{Context, anyhow, bail};
use caretime_core::contract::Contract;
use caretime_core::files::{self, FileError, builtin};
use caretime_core::quote::quote;
use caretime_core::rules::RuleSet;

/// A kind of input file: its name in messages and the most bytes it may have.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Input {
    /// "rule set", "region": the error says "not a {what} file".
    what: &'static str,
    /// Bytes.
    limit: u64,
}

const KIB: u64 = 1 << 10;
const MIB: u64 = 1 << 20;
const GIB: u64 = 1 << 30;

/// TOML files are written by hand: the built-in ones are a few KiB, so 1 MiB leaves room for a
/// rule set with decades of holidays or a template with thousands of blocks.
const TOML_LIMIT: u64 = MIB;

impl Input {
    pub(crate) const RULE_SET: Input = Input::toml("rule set");
    pub(crate) const CONTRACT: Input = Input::toml("contract");
    pub(crate) const TEMPLATE: Input = Input::toml("template");
    pub(crate) const DISRUPTION: Input = Input::toml("disruption");
    pub(crate) const SCENARIO: Input = Input::toml("scenario");
    /// A region file: the full-scale `socal` region (4.8 million members) is about 0.9 GB.
    pub(crate) const REGION: Input = Input {
        what: "region",
        limit: GIB,
    };
    /// A shard's part file: one full-scale replication is well under a megabyte, so a GiB holds
    /// any sweep the scenario limits allow.
    pub(crate) const PART: Input = Input {
        what: "part",
        limit: GIB,
    };
    /// A DIMACS file: the full-scale strike's network (6.4 million arcs) is about 0.2 GB; 1 GiB
    /// holds some 35 million arcs.
    pub(crate) const DIMACS: Input = Input {
        what: "DIMACS",
        limit: GIB,
    };

    const fn toml(what: &'static str) -> Input {
        Input {
            what,
            limit: TOML_LIMIT,
        }
    }
}

/// "1 MiB", "1 GiB", "512 KiB".
fn size(bytes: u64) -> String {
    match bytes {
        _ if bytes >= GIB && bytes.is_multiple_of(GIB) => format!("{} GiB", bytes / GIB),
        _ if bytes >= MIB && bytes.is_multiple_of(MIB) => format!("{} MiB", bytes / MIB),
        _ if bytes >= KIB && bytes.is_multiple_of(KIB) => format!("{} KiB", bytes / KIB),
        _ => format!("{bytes} bytes"),
    }
}

/// Reads a file the user named, as text of at most `kind`'s limit; the error names the path
/// (never the content, which may be member data).
pub(crate) fn read(path: impl AsRef<Path>, kind: Input) -> anyhow::Result<String> {
    let path = path.as_ref();
    let shown = path.display();
    let what = kind.what;
    let metadata = std::fs::metadata(path).with_context(|| format!("cannot read `{shown}`"))?;
    let file_type = metadata.file_type();
    if file_type.is_dir() {
        bail!("`{shown}` is a directory, not a {what} file");
    }
    if !file_type.is_file() && !readable_stream(&file_type) {
        bail!("`{shown}` is a socket, not a {what} file (give the path of a file)");
    }
    let too_large = || {
        anyhow!(
            "`{shown}` is larger than {}, the limit for a {what} file",
            size(kind.limit)
        )
    };
    if file_type.is_file() && metadata.len() > kind.limit {
        return Err(too_large());
    }
    let file = if is_pipe(&file_type) {
        open_pipe(path).with_context(|| format!("cannot read `{shown}`"))?
    } else {
        std::fs::File::open(path).with_context(|| format!("cannot read `{shown}`"))?
    };
    let mut limited = file.take(kind.limit + 1);
    let mut bytes = Vec::with_capacity(metadata.len().min(kind.limit) as usize);
    let mut chunk = vec![0; 64 * KIB as usize];
    loop {
        let n_read = match limited.read(&mut chunk) {
            Ok(0) => break,
            Ok(n_read) => n_read,
            Err(err) if err.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(err) => return Err(err).with_context(|| format!("cannot read `{shown}`")),
        };
        // No text format caretime reads has a NUL byte: stop at the first chunk of a binary
        // file or a device such as /dev/zero instead of at the limit.
        if chunk[..n_read].contains(&0) {
            bail!("`{shown}` is not a text file, so not a {what} file");
        }
        bytes.extend_from_slice(&chunk[..n_read]);
    }
    if bytes.len() as u64 > kind.limit {
        return Err(too_large());
    }
    String::from_utf8(bytes)
        .map_err(|_| anyhow!("`{shown}` is not UTF-8 text, so not a {what} file"))
}

/// How long opening a named pipe may wait for its writer: a shell's `<(...)` has one at once;
/// a pipe nobody writes to would otherwise hold the command forever.
const PIPE_WRITER_WAIT: std::time::Duration = std::time::Duration::from_secs(10);

/// Opens a named pipe, waiting at most [`PIPE_WRITER_WAIT`] for a writer. Opening blocks until
/// one comes, so the open runs on its own thread; if none comes, the command ends with an error
/// and the thread with it.
fn open_pipe(path: &Path) -> anyhow::Result<std::fs::File> {
    let (opened, wait) = std::sync::mpsc::channel();
    let owned = path.to_owned();
    std::thread::spawn(move || {
        // The receiver is gone only if the wait timed out and the command is ending.
        let _ = opened.send(std::fs::File::open(owned));
    });
    match wait.recv_timeout(PIPE_WRITER_WAIT) {
        Ok(file) => Ok(file?),
        Err(_) => bail!(
            "it is a pipe with no writer after {} s",
            PIPE_WRITER_WAIT.as_secs()
        ),
    }
}

#[cfg(unix)]
fn is_pipe(file_type: &std::fs::FileType) -> bool {
    use std::os::unix::fs::FileTypeExt;
    file_type.is_fifo()
}

#[cfg(not(unix))]
fn is_pipe(_: &std::fs::FileType) -> bool {
    false
}

/// Character and block devices and named pipes are read like files (their size is unknown, so
/// the limit is checked while reading). A pipe is how a shell hands over a stream
/// (`--region <(gunzip -c region.json.gz)`); opening one waits for its writer, a while.
#[cfg(unix)]
fn readable_stream(file_type: &std::fs::FileType) -> bool {
    use std::os::unix::fs::FileTypeExt;
    file_type.is_char_device() || file_type.is_block_device() || file_type.is_fifo()
}

#[cfg(not(unix))]
fn readable_stream(_: &std::fs::FileType) -> bool {
    false
}

/// A built-in by name, else a file by path; `kind` names the kind of file in errors.
fn named<T>(
    kind: Input,
    name: &str,
    builtin: fn(&str) -> Option<T>,
    builtin_names: impl Iterator<Item = &'static str>,
    parse: fn(&str, &str) -> Result<T, FileError>,
) -> anyhow::Result<T> {
    if let Some(found) = builtin(name) {
        return Ok(found);
    }
    // Anything that looks like a path is read as one, so a typo in a path is reported as a
    // missing file rather than an unknown name.
    if name.ends_with(".toml") || name.contains('/') || Path::new(name).exists() {
        return Ok(parse(name, &read(name, kind)?)?);
    }
    let what = kind.what;
    Err(anyhow!(
        "unknown {what} `{}` (built in: {}; or give the path of a {what} .toml file)",
        quote(name),
        builtin_names.collect::<Vec<_>>().join(", ")
    ))
}

/// A rule set by built-in name (`ca-dmhc`) or path to a rule set file.
pub(crate) fn rule_set(name: &str) -> anyhow::Result<RuleSet> {
    named(
        Input::RULE_SET,
        name,
        builtin::rule_set,
        builtin::rule_set_names(),
        files::parse_rule_set,
    )
}

/// A rule set as [`rule_set`] finds it, with its TOML text (what a database stores).
pub(crate) fn rule_set_with_text(name: &str) -> anyhow::Result<(RuleSet, String)> {
    let rules = rule_set(name)?;
    let text = match builtin::rule_set_text(name) {
        Some(text) => text.to_owned(),
        None => read(name, Input::RULE_SET)?,
    };
    Ok((rules, text))
}

/// A contract by built-in name (`socal-2025`) or path to a contract file.
pub(crate) fn contract(name: &str) -> anyhow::Result<Contract> {
    named(
        Input::CONTRACT,
        name,
        builtin::contract,
        builtin::contract_names(),
        files::parse_contract,
    )
}
