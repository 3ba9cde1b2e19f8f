//! What the tests of `caretime serve` processes share: a server process on a free port, the
//! CLI run on a database, and requests over HTTP.

// Each test file uses its own part of this module.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, ChildStdout, Command, Stdio};

use reqwest::StatusCode;
use serde_json::{Value, json};

/// A `caretime serve` process; killed if a failed test drops it still running.
pub(crate) struct Server {
    pub(crate) child: Child,
    pub(crate) base: String,
    // Held open so that the server's stdout never becomes a broken pipe.
    _stdout: BufReader<ChildStdout>,
}

impl Server {
    /// Starts `caretime serve` on `url` on a free port, its log in `log`, and waits for the
    /// address it prints.
    pub(crate) fn start(url: &str, log: &Path) -> Server {
        Server::start_logging(url, log, "warn")
    }

    /// [`Server::start`] with `RUST_LOG` set to `filter`.
    pub(crate) fn start_logging(url: &str, log: &Path, filter: &str) -> Server {
        let log_file = std::fs::File::create(log).expect("the server log file");
        let mut child = Command::new(env!("CARGO_BIN_EXE_caretime"))
            .args(["serve", "--database", url, "--bind", "127.0.0.1:0"])
            .env("RUST_LOG", filter)
            .stdout(Stdio::piped())
            .stderr(log_file)
            .spawn()
            .expect("the binary starts");
        let mut stdout = BufReader::new(child.stdout.take().expect("a piped stdout"));
        let mut line = String::new();
        stdout.read_line(&mut line).expect("the server's stdout");
        let base = line
            .trim_end()
            .rsplit_once(" on ")
            .map(|(_, base)| base.to_owned())
            .filter(|base| base.starts_with("http://"))
            .unwrap_or_else(|| {
                let log = std::fs::read_to_string(log).unwrap_or_default();
                panic!("caretime serve printed {line:?}, not its address; log: {log}")
            });
        Server {
            child,
            base,
            _stdout: stdout,
        }
    }

    /// SIGTERM, then the exit status: 0 when it finished its requests and stopped.
    pub(crate) fn terminate(mut self) -> Option<i32> {
        let pid = self.child.id().to_string();
        let sent = Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .expect("kill runs");
        assert!(sent.success(), "SIGTERM to {pid}");
        self.child.wait().expect("the server exits").code()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Runs `caretime` with `args` on `url` and returns its stdout; panics unless it exits 0.
pub(crate) fn caretime(url: &str, args: &[&str]) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_caretime"))
        .args(args)
        .env("CARETIME_DATABASE_URL", url)
        .output()
        .expect("the binary runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "caretime {args:?}: {stderr}");
    String::from_utf8(output.stdout).expect("utf-8 stdout")
}

pub(crate) fn words(line: &str) -> Vec<&str> {
    line.split_whitespace().collect()
}

pub(crate) fn parameters(name: &str, value: Value) -> Value {
    json!({ "resourceType": "Parameters", "parameter": [{ "name": name, "valueReference": value }] })
}

pub(crate) async fn post(
    client: &reqwest::Client,
    url: String,
    token: &str,
    body: &Value,
) -> (StatusCode, Value) {
    let response = client
        .post(url)
        .bearer_auth(token)
        .header(reqwest::header::CONTENT_TYPE, "application/fhir+json")
        .body(body.to_string())
        .send()
        .await
        .expect("the server answers");
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// The first member (from 1) with a proposal, and that proposal.
pub(crate) async fn a_proposal(client: &reqwest::Client, base: &str, token: &str) -> Value {
    for member in 1..200 {
        let find = json!({
            "resourceType": "Parameters",
            "parameter": [
                { "name": "patient-reference", "valueReference": { "reference": format!("Patient/{member}") } },
                { "name": "visit-type", "valueCoding": { "code": "initial" } },
                { "name": "_count", "valueInteger": 1 },
            ]
        });
        let (status, bundle) =
            post(client, format!("{base}/Appointment/$find"), token, &find).await;
        assert_eq!(status, StatusCode::OK, "{bundle}");
        if bundle["total"].as_u64().unwrap_or(0) > 0 {
            return bundle["entry"][0]["resource"].clone();
        }
    }
    panic!("no member among the first 200 has a proposal")
}
