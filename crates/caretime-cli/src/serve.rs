//! `caretime serve` and `caretime user ...`: the HTTP server and its users.

use std::net::SocketAddr;

use anyhow::Context;
use caretime_core::id::ClinicianId;
use caretime_server::auth::{Role, hash_password, new_token, token_hash};
use caretime_server::{AppState, serve, shutdown_signal};
use caretime_store::live::LiveBook;
use caretime_store::shared::SharedBook;
use caretime_store::users::NewUser;
use caretime_store::{Connections, Store};
use clap::{Args, Subcommand};
use serde::Serialize;

use crate::Outcome;
use crate::find::parse_id;
use crate::output::{Format, print, print_json, table};
use crate::store::{StoreArgs, actor};

/// Arguments of `caretime serve`.
#[derive(Debug, Args)]
#[command(
    after_help = "Every request but GET /health, /metadata and /metrics carries `Authorization: Bearer \
<token>` (make one with `caretime user add NAME --role R`). Logs are JSON lines on stderr, \
without member data (RUST_LOG sets the level, default info). GET /metrics is Prometheus text \
(requests by route template and status, their durations, booking decisions by outcome; no \
member data, no token). SIGTERM or Ctrl-C stops accepting \
connections and finishes the requests in flight. Several processes may serve one PostgreSQL database."
)]
pub(crate) struct ServeArgs {
    #[command(flatten)]
    store: StoreArgs,
    /// The address to listen on (port 0: any free port, printed on start).
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8080")]
    bind: SocketAddr,
    /// Requests a second one client address may make, in bursts of twice as many; more are
    /// answered 429 with a Retry-After. 0: no limit (behind a proxy that limits, say).
    #[arg(long, value_name = "N", default_value_t = caretime_server::DEFAULT_RATE_LIMIT)]
    rate_limit: u32,
}

/// `caretime user ...`.
#[derive(Debug, Subcommand)]
pub(crate) enum UserCommand {
    /// Add a user and print their first token (shown once: the database keeps only its hash).
    Add(UserAddArgs),
    /// A new token for a user (printed once).
    Token(UserNameArgs),
    /// A calendar feed token for a clinician user (printed once, with the feed's path): it
    /// opens only their GET /Practitioner/ID/calendar.ics?token=..., for calendar programs that
    /// subscribe to a URL and cannot send an Authorization header.
    Feed(UserNameArgs),
    /// Revoke every token of a user (feed tokens too). Running servers stop taking them when
    /// the database tells them (PostgreSQL: a notification, milliseconds; SQLite: at once, as
    /// a server there reads the token at every request).
    Revoke(UserNameArgs),
    /// List the users and their roles.
    List(StoreArgs),
}

/// Arguments of `caretime user add`.
#[derive(Debug, Args)]
pub(crate) struct UserAddArgs {
    #[command(flatten)]
    store: StoreArgs,
    /// The user's name (staff, not a member): letters, digits, `.`, `_` and `-`.
    name: String,
    /// What the user may do: scheduler (books for anyone), clinician (own schedule and
    /// patients), manager (reports, replans), auditor (the audit log only), admin.
    #[arg(long, value_name = "ROLE")]
    role: String,
    /// For --role clinician: which clinician of the region the user is (`7` or `clinician-7`).
    #[arg(long, value_name = "ID")]
    clinician: Option<String>,
    /// Read a password from the first line of stdin (kept as an argon2 hash).
    #[arg(long)]
    password_stdin: bool,
}

/// Arguments naming one user.
#[derive(Debug, Args)]
pub(crate) struct UserNameArgs {
    #[command(flatten)]
    store: StoreArgs,
    /// The user's name.
    name: String,
}

pub(crate) fn run_serve(args: &ServeArgs) -> anyhow::Result<Outcome> {
    tracing_subscriber_init();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(async {
        let store = Store::open_existing_with(
            args.store.database(),
            Connections::UpTo(caretime_server::DATABASE_CONNECTIONS),
        )
        .await?;
        let now = args.store.now()?;
        let live = LiveBook::load(&store, now, &actor()).await?;
        let book = SharedBook::start(live);
        let listener = tokio::net::TcpListener::bind(args.bind)
            .await
            .with_context(|| format!("cannot listen on {}", args.bind))?;
        let address = listener.local_addr()?;
        // The one line on stdout: scripts and tests read the address from it.
        print(&format!(
            "caretime serves {} on http://{address}\n",
            store.url()
        ))?;
        tracing::info!(%address, database = store.url(), "serving");
        let mut state = AppState::new(store, book, caretime_server::Clock::system());
        state.rate_limit = caretime_server::metrics::RateLimit::per_second(args.rate_limit);
        serve(listener, state, shutdown_signal()).await?;
        tracing::info!("stopped");
        Ok(Outcome::Ok)
    })
}

fn tracing_subscriber_init() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .json()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

fn valid_name(name: &str) -> anyhow::Result<()> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
    if ok {
        Ok(())
    } else {
        anyhow::bail!("a user name is 1 to 64 letters, digits, `.`, `_` or `-`")
    }
}

#[derive(Serialize)]
struct TokenJson<'a> {
    user: &'a str,
    role: &'a str,
    token: &'a str,
}

fn print_token(format: Format, user: &str, role: &str, token: &str) -> anyhow::Result<()> {
    match format {
        Format::Json => print_json(&TokenJson { user, role, token }),
        Format::Text => print(&format!(
            "{user} ({role}): {token}\n(shown once: the database keeps only its hash)\n"
        )),
    }
}

pub(crate) fn run_user(command: &UserCommand, format: Format) -> anyhow::Result<Outcome> {
    match command {
        UserCommand::Add(args) => {
            valid_name(&args.name)?;
            let role = Role::from_name(&args.role).with_context(|| {
                format!(
                    "unknown role `{}`: one of scheduler, clinician, manager, auditor, admin",
                    args.role
                )
            })?;
            let clinician = match (&args.clinician, role) {
                (Some(text), Role::Clinician) => {
                    Some(parse_id::<ClinicianId>("--clinician", text)?.0)
                }
                (None, Role::Clinician) => {
                    anyhow::bail!("--role clinician needs --clinician ID (which clinician)")
                }
                (Some(_), _) => anyhow::bail!("--clinician is only for --role clinician"),
                (None, _) => None,
            };
            let password_hash = if args.password_stdin {
                let mut line = String::new();
                std::io::stdin()
                    .read_line(&mut line)
                    .context("cannot read the password from stdin")?;
                let password = line.trim_end_matches(['\r', '\n']);
                if password.len() < 12 {
                    anyhow::bail!("a password has at least 12 characters");
                }
                Some(
                    hash_password(password)
                        .map_err(|_| anyhow::anyhow!("cannot hash the password"))?,
                )
            } else {
                None
            };
            let token = new_token().context("no randomness from the operating system")?;
            let now = args.store.now()?;
            crate::store::block_on(async {
                let store = Store::open_existing(args.store.database()).await?;
                if let Some(clinician) = clinician
                    && (clinician as usize) >= store.region_size().await?.clinicians
                {
                    anyhow::bail!("clinician-{clinician} is not a clinician of the region");
                }
                let added = store
                    .add_user(
                        &NewUser {
                            name: &args.name,
                            role: role.name(),
                            clinician,
                            password_hash: password_hash.as_deref(),
                            token_hash: &token_hash(&token),
                        },
                        &actor(),
                        now,
                    )
                    .await;
                store.close().await;
                added?;
                Ok(())
            })?;
            print_token(format, &args.name, role.name(), &token)?;
            Ok(Outcome::Ok)
        }
        UserCommand::Token(args) => {
            let token = new_token().context("no randomness from the operating system")?;
            let now = args.store.now()?;
            let role = crate::store::block_on(async {
                let store = Store::open_existing(args.store.database()).await?;
                let added = store
                    .add_token(&args.name, &token_hash(&token), &actor(), now)
                    .await;
                let user = store.user_by_name(&args.name).await;
                store.close().await;
                added?;
                Ok(user?.map(|user| user.role).unwrap_or_default())
            })?;
            print_token(format, &args.name, &role, &token)?;
            Ok(Outcome::Ok)
        }
        UserCommand::Feed(args) => {
            let token = new_token().context("no randomness from the operating system")?;
            let now = args.store.now()?;
            // The user's clinician (`None`: no such user; `Some(None)`: not a clinician).
            let clinician = crate::store::block_on(async {
                let store = Store::open_existing(args.store.database()).await?;
                let found = async {
                    let clinician = store.user_by_name(&args.name).await?.map(|u| u.clinician);
                    if let Some(Some(_)) = clinician {
                        store
                            .add_feed_token(&args.name, &token_hash(&token), &actor(), now)
                            .await?;
                    }
                    Ok::<_, caretime_store::StoreError>(clinician)
                }
                .await;
                store.close().await;
                Ok(found?)
            })?;
            let clinician = match clinician {
                None => anyhow::bail!("there is no user named `{}`", args.name),
                Some(None) => anyhow::bail!(
                    "{} is not a clinician user: a calendar feed is a clinician's own",
                    args.name
                ),
                Some(Some(clinician)) => clinician,
            };
            let path = format!("/Practitioner/{clinician}/calendar.ics?token={token}");
            match format {
                Format::Json => print_json(&serde_json::json!({
                    "user": args.name, "token": token, "path": path
                }))?,
                Format::Text => print(&format!(
                    "{}: {path}\n(the server's address before it; shown once: the database keeps \
                     only its hash; `caretime user revoke {}` ends it)\n",
                    args.name, args.name
                ))?,
            }
            Ok(Outcome::Ok)
        }
        UserCommand::Revoke(args) => {
            let now = args.store.now()?;
            let revoked = crate::store::block_on(async {
                let store = Store::open_existing(args.store.database()).await?;
                let revoked = store.revoke_tokens(&args.name, &actor(), now).await;
                store.close().await;
                Ok(revoked?)
            })?;
            match format {
                Format::Json => print_json(&serde_json::json!({
                    "user": args.name, "revoked": revoked
                }))?,
                Format::Text => print(&format!("{}: {revoked} tokens revoked\n", args.name))?,
            }
            Ok(Outcome::Ok)
        }
        UserCommand::List(args) => {
            let users = crate::store::block_on(async {
                let store = Store::open_existing(args.database()).await?;
                let users = store.users().await;
                store.close().await;
                Ok(users?)
            })?;
            #[derive(Serialize)]
            struct UserJson<'a> {
                name: &'a str,
                role: &'a str,
                clinician: Option<u32>,
                password: bool,
            }
            let rows: Vec<UserJson<'_>> = users
                .iter()
                .map(|user| UserJson {
                    name: &user.name,
                    role: &user.role,
                    clinician: user.clinician,
                    password: user.password_hash.is_some(),
                })
                .collect();
            match format {
                Format::Json => print_json(&rows)?,
                Format::Text => {
                    let mut lines = vec![vec![
                        "name".to_owned(),
                        "role".to_owned(),
                        "clinician".to_owned(),
                        "password".to_owned(),
                    ]];
                    for row in &rows {
                        lines.push(vec![
                            row.name.to_owned(),
                            row.role.to_owned(),
                            row.clinician
                                .map_or("-".to_owned(), |id| format!("clinician-{id}")),
                            if row.password { "yes" } else { "no" }.to_owned(),
                        ]);
                    }
                    print(&table(&lines))?;
                }
            }
            Ok(Outcome::Ok)
        }
    }
}
