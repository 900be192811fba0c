//! The command line checked once into a plan. Everything after this point
//! reads plain values; nothing below `cmd` knows clap.

use crate::aggregate::AggConfig;
use crate::cli::{AnalyzeArgs, FormatArg, OutputArg, TableArg};
use crate::detect::DetectConfig;
use crate::event::Micros;
use crate::input::{resolve, ResolveError, Source};
use crate::parse::json::FieldMap;
use crate::parse::nginx::LogFormat;
use crate::parse::{FormatChoice, ParseOptions};
use crate::render::TableName;
use crate::units::parse_time_arg;
use std::io::IsTerminal;
use std::sync::Arc;

/// A problem with what the user asked for: exit 2, before any work.
#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    #[error("{0}")]
    Usage(String),
    #[error(transparent)]
    Input(#[from] ResolveError),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Output {
    Table,
    Json,
    Csv(TableName),
}

/// Everything `analyze` needs, checked.
#[derive(Debug, Clone)]
pub struct AnalyzePlan {
    pub sources: Vec<Source>,
    pub parse: ParseOptions,
    pub agg: AggConfig,
    pub detect: DetectConfig,
    pub output: Output,
    pub top: usize,
    pub exit_code: bool,
    pub threads: usize,
    pub progress: bool,
    pub color: bool,
}

/// What the plan reads from the environment, passed in so tests control it.
#[derive(Debug, Clone, Copy)]
pub struct Env {
    pub now: Micros,
    pub stdin_is_terminal: bool,
    pub stdout_is_terminal: bool,
    pub stderr_is_terminal: bool,
    pub no_color: bool,
}

impl Env {
    pub fn current() -> Self {
        Env {
            now: chrono::Utc::now().timestamp_micros(),
            stdin_is_terminal: std::io::stdin().is_terminal(),
            stdout_is_terminal: std::io::stdout().is_terminal(),
            stderr_is_terminal: std::io::stderr().is_terminal(),
            no_color: std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty()),
        }
    }
}

pub fn analyze(args: &AnalyzeArgs, env: &Env) -> Result<AnalyzePlan, PlanError> {
    let input = &args.input;
    let mut paths = input.paths.clone();
    if paths.is_empty() {
        if env.stdin_is_terminal {
            return Err(PlanError::Usage(
                "no input: give log files or directories, or pipe logs to stdin".into(),
            ));
        }
        paths.push("-".into());
    }
    let sources = resolve(&paths)?;

    let mut fields = FieldMap::default();
    for f in &input.fields {
        fields.set_override(f).map_err(PlanError::Usage)?;
    }
    let mut format = match input.format {
        FormatArg::Auto => FormatChoice::Auto,
        FormatArg::Combined => FormatChoice::Combined,
        FormatArg::Common => FormatChoice::Common,
        FormatArg::Json => FormatChoice::Json,
        FormatArg::Logfmt => FormatChoice::Logfmt,
    };
    let log_format = match &input.log_format {
        Some(f) => {
            if input.format != FormatArg::Auto {
                return Err(PlanError::Usage(
                    "--log-format and --format cannot be used together".into(),
                ));
            }
            format = FormatChoice::LogFormat;
            let compiled = LogFormat::compile(f, input.body_var.as_deref())
                .map_err(|e| PlanError::Usage(e.to_string()))?;
            Some(Arc::new(compiled))
        }
        None if input.body_var.is_some() => {
            return Err(PlanError::Usage("--body-var needs --log-format".into()))
        }
        None => None,
    };
    let time = |s: &Option<String>, flag: &str| {
        s.as_deref()
            .map(|t| {
                parse_time_arg(t, env.now).map_err(|e| PlanError::Usage(format!("{flag}: {e}")))
            })
            .transpose()
    };
    let since = time(&input.since, "--since")?;
    let until = time(&input.until, "--until")?;
    if let (Some(s), Some(u)) = (since, until) {
        if s >= u {
            return Err(PlanError::Usage("--since must be before --until".into()));
        }
    }

    let d = &args.detect;
    let detect = DetectConfig {
        bucket_us: d.bucket,
        min_errors: d.min_errors,
        min_ratio_ppm: d.min_ratio,
        max_gap: d.max_gap,
        min_duration_us: d.min_duration,
    };
    let output = match args.output {
        Some(OutputArg::Table) => Output::Table,
        Some(OutputArg::Json) => Output::Json,
        Some(OutputArg::Csv) => Output::Csv(table_name(args.table)),
        None if env.stdout_is_terminal => Output::Table,
        None => Output::Json,
    };
    let threads = match args.threads {
        Some(n) => usize::from(n),
        None => std::thread::available_parallelism().map_or(1, |n| n.get()),
    };
    Ok(AnalyzePlan {
        sources,
        parse: ParseOptions {
            format,
            fields,
            log_format,
        },
        agg: AggConfig {
            bucket_us: detect.bucket_us,
            since,
            until,
        },
        detect,
        output,
        top: args.top,
        exit_code: args.exit_code,
        threads,
        progress: env.stderr_is_terminal && !args.no_progress,
        color: env.stdout_is_terminal && !env.no_color,
    })
}

fn table_name(t: TableArg) -> TableName {
    match t {
        TableArg::Inputs => TableName::Inputs,
        TableArg::ByStatus => TableName::ByStatus,
        TableArg::Errors => TableName::Errors,
        TableArg::Routes => TableName::Routes,
        TableArg::Timeline => TableName::Timeline,
        TableArg::Incidents => TableName::Incidents,
        TableArg::Malformed => TableName::Malformed,
    }
}
