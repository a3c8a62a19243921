//! `sluice`: check, format, run and test stream apps.

mod cli;
mod json_lines;
mod serve;

use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

/// jemalloc instead of the system allocator: rows held in large windows are
/// freed long after, and on another thread than, where they were made, which
/// glibc's malloc pays for in consolidation (see `docs/architecture.md`).
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// Sluice runs stream apps (Siddhi / Macrometa Stream Workers language) on
/// timely and differential dataflow.
#[derive(Parser)]
#[command(name = "sluice", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Check apps: print a summary of each valid app, or every error with its
    /// `file:line:col`; exits non-zero when any app has errors.
    Check {
        /// App files (either spelling).
        #[arg(required = true)]
        apps: Vec<PathBuf>,
    },
    /// Print an app back in canonical form, in either spelling. Macrometa's
    /// spelling (`CREATE STREAM …`, `INSERT INTO … SELECT … FROM … WINDOW
    /// SLIDING_TIME(…)`) prints the few forms it lacks classically — a query that
    /// returns expired or all events (`… return all events`) and a trigger whose
    /// period is not a plain time — which is valid in a Macrometa app too;
    /// annotations such as `@primaryKey` stay annotations; patterns, partitions
    /// and expressions read the same in both. Nothing is refused.
    Fmt {
        /// The app file.
        app: PathBuf,
        /// `classic` (`define stream …`, `#window.length(5)`) or `macrometa`.
        #[arg(long, value_enum, default_value_t = cli::fmt::SpellingArg::Classic)]
        spelling: cli::fmt::SpellingArg,
    },
    /// Run an app over events from a file or stdin; print output events as JSON lines.
    /// Bad input lines are reported on stderr and skipped; the exit code is then 3
    /// (1 when the app is refused or fails).
    Run {
        /// The app file.
        app: PathBuf,
        /// The events (`-` or absent: stdin).
        #[arg(long)]
        input: Option<PathBuf>,
        /// Timely worker threads.
        #[arg(long, default_value_t = 1)]
        workers: usize,
        /// The input format.
        #[arg(long, value_enum, default_value_t = cli::run::Format::Jsonl)]
        format: cli::run::Format,
        #[command(flatten)]
        cluster: cli::ClusterArgs,
    },
    /// Serve apps over HTTP: create them, push events, follow outputs (SSE,
    /// WebSocket), query tables, named windows and aggregations. See docs/http-api.md.
    Serve(Box<serve::ServeArgs>),
    /// Run golden YAML cases; ends with `N passed, M failed`.
    Test {
        /// Case files or folders of them.
        #[arg(required = true)]
        cases: Vec<PathBuf>,
        /// Timely worker threads.
        #[arg(long, default_value_t = 1)]
        workers: usize,
        /// Also list the cases that pass.
        #[arg(long)]
        verbose: bool,
        /// A list of cases allowed to fail (`case_name: reason` a line): only other
        /// failures, and listed cases that pass, fail the run.
        #[arg(long)]
        known_failures: Option<PathBuf>,
        /// Run each case's app as `sluice fmt --spelling S` prints it (to check that
        /// formatting keeps an app's meaning); apps that do not parse run as written.
        #[arg(long, value_enum)]
        fmt_spelling: Option<cli::fmt::SpellingArg>,
    },
}

/// A command-line tool whose output is piped into `head` ends quietly when the
/// reader goes away, as Unix tools do, instead of panicking on the broken pipe
/// (Rust ignores SIGPIPE by default). The server keeps ignoring it: its sockets
/// report a gone peer as an error.
fn end_quietly_on_broken_pipe() {
    // SAFETY: restores the default disposition of one signal before any thread starts.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    if !matches!(cli.command, Command::Serve(_)) {
        end_quietly_on_broken_pipe();
    }
    match cli.command {
        Command::Check { apps } => cli::check::run(&apps),
        Command::Fmt { app, spelling } => cli::fmt::run(&app, spelling.into()),
        Command::Run { app, input, workers, format, cluster } => match cluster.workers(workers) {
            Ok(w) => cli::run::run(&app, input.as_deref(), w, format),
            Err(e) => {
                eprintln!("sluice run: {e}");
                ExitCode::FAILURE
            }
        },
        Command::Test { cases, workers, verbose, known_failures, fmt_spelling } => {
            let options = cli::test::Options { workers, verbose, fmt_spelling: fmt_spelling.map(Into::into) };
            cli::test::run(&cases, &options, known_failures.as_deref())
        }
        Command::Serve(args) => serve::run(*args),
    }
}
