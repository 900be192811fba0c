//! One module per subcommand. This layer, with `cli` and `plan`, is the only
//! code that knows the command line and the terminal.

pub(crate) mod analyze;
pub(crate) mod export;
pub(crate) mod merge;
pub(crate) mod progress;
pub(crate) mod query;
pub(crate) mod rules;
#[cfg(unix)]
pub(crate) mod tail;

use crate::cli::{Cli, Command};
use std::process::ExitCode;

/// Exit codes (SPEC §3, §5).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    Ok = 0,
    /// An I/O error after work began: an input was corrupt or could not be
    /// read part-way (the report was printed), or the output or the last
    /// checkpoint could not be written.
    InputErrors = 1,
    /// Wrong flags or a missing path; nothing was done.
    Usage = 2,
    /// `--exit-code` and the verdict is escalate.
    Escalate = 3,
    /// `--exit-code` and the verdict is no_data: nothing was judged (a
    /// broken log path must not look like a quiet service).
    NoData = 4,
}

impl From<Exit> for ExitCode {
    fn from(e: Exit) -> Self {
        ExitCode::from(e as u8)
    }
}

/// Why a command failed. `main` prints it as one line and exits with
/// [`Failure::exit`]; the kind is decided where the error arises, never from
/// its message.
#[derive(Debug)]
pub enum Failure {
    /// What was asked for cannot be done: wrong flags, a path that does not
    /// exist, a corrupt state file or one made with other settings. Found
    /// before any work; exit 2.
    Usage(anyhow::Error),
    /// An I/O error after work began: the output or the last checkpoint
    /// could not be written; exit 1.
    Io(anyhow::Error),
}

/// An error passed up with `?` arose while the command ran, so it is
/// [`Failure::Io`]; usage errors are named as such where the plan is checked.
impl<E: Into<anyhow::Error>> From<E> for Failure {
    fn from(e: E) -> Self {
        Failure::Io(e.into())
    }
}

impl Failure {
    pub fn usage(e: impl Into<anyhow::Error>) -> Self {
        Failure::Usage(e.into())
    }

    pub fn exit(&self) -> Exit {
        match self {
            Failure::Usage(_) => Exit::Usage,
            Failure::Io(_) => Exit::InputErrors,
        }
    }

    pub fn error(&self) -> &anyhow::Error {
        match self {
            Failure::Usage(e) | Failure::Io(e) => e,
        }
    }
}

pub fn run(cli: Cli) -> Result<Exit, Failure> {
    match cli.command {
        Command::Analyze(args) => analyze::run(&args),
        #[cfg(unix)]
        Command::Tail(args) => tail::run(&args),
        #[cfg(not(unix))]
        Command::Tail(_) => Err(Failure::usage(anyhow::anyhow!(
            "`tail` follows files by inode and needs a Unix system"
        ))),
        Command::Query(args) => query::run(&args),
        Command::Export(args) => export::run(&args),
        Command::Merge(args) => merge::run(&args),
        Command::Rules(args) => rules::run(&args),
    }
}

/// The width the user asked for with `COLUMNS`, if any.
pub(crate) fn columns_env() -> Option<u16> {
    std::env::var("COLUMNS").ok().and_then(|c| c.parse().ok())
}

/// The width the human view fits in: `COLUMNS`, else the terminal's when
/// stdout is one, else 80.
pub(crate) fn table_width() -> u16 {
    columns_env()
        .filter(|&w| w > 0)
        .or_else(|| comfy_table::Table::new().width())
        .unwrap_or(80)
}
