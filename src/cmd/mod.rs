//! One module per subcommand. This layer, with `cli` and `plan`, is the only
//! code that knows the command line and the terminal.

pub(crate) mod analyze;
pub(crate) mod query;
#[cfg(unix)]
pub(crate) mod tail;

use crate::cli::{Cli, Command};
use std::process::ExitCode;

/// Exit codes (SPEC §3, §5).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    Ok = 0,
    /// An input was corrupt or could not be read part-way; the report was printed.
    InputErrors = 1,
    /// Wrong flags or a missing path; nothing was done.
    Usage = 2,
    /// `--exit-code` and the verdict is escalate.
    Escalate = 3,
}

impl From<Exit> for ExitCode {
    fn from(e: Exit) -> Self {
        ExitCode::from(e as u8)
    }
}

pub fn run(cli: Cli) -> anyhow::Result<Exit> {
    match cli.command {
        Command::Analyze(args) => analyze::run(&args),
        #[cfg(unix)]
        Command::Tail(args) => tail::run(&args),
        #[cfg(not(unix))]
        Command::Tail(_) => {
            eprintln!("faultline: error: `tail` follows files by inode and needs a Unix system");
            Ok(Exit::Usage)
        }
        Command::Query(args) => query::run(&args),
    }
}

/// The width the user asked for with `COLUMNS`, if any.
pub(crate) fn columns_env() -> Option<u16> {
    std::env::var("COLUMNS").ok().and_then(|c| c.parse().ok())
}
