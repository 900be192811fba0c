//! The command line checked once into a plan. Everything after this point
//! reads plain values; nothing below `cmd` knows clap.

use crate::aggregate::AggConfig;
use crate::cli::{
    AnalyzeArgs, FormatArg, MergeArgs, OutputArg, ParseArgs, ReportArgs, RulesArgs, SloArgs,
    TableArg,
};
#[cfg(feature = "query")]
use crate::cli::{ExportArgs, QueryArgs, QueryOutputArg};
#[cfg(unix)]
use crate::cli::{TailArgs, TailOutputArg};
use crate::engine::Blocks;
use crate::event::Micros;
use crate::input::{resolve, ResolveError, Source};
#[cfg(unix)]
use crate::live::{Bounds, StartAt};
use crate::parse::json::FieldMap;
use crate::parse::nginx::LogFormat;
use crate::parse::{Format, FormatChoice, ParseOptions};
use crate::periods::DetectConfig;
use crate::render::TableName;
use crate::slo::{parse_objective, Objective};
#[cfg(feature = "query")]
use crate::sql::Shipped;
use crate::units::parse_time_arg;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// A problem with what the user asked for: exit 2, before any work.
#[derive(Debug, thiserror::Error)]
pub(crate) enum PlanError {
    #[error("{0}")]
    Usage(String),
    #[error(transparent)]
    Input(#[from] ResolveError),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Output {
    Table,
    Json,
    Csv(TableName),
    Markdown,
    Html,
}

/// Everything `analyze` needs, checked.
#[derive(Debug, Clone)]
pub(crate) struct AnalyzePlan {
    pub(crate) sources: Vec<Source>,
    pub(crate) parse: ParseOptions,
    pub(crate) agg: AggConfig,
    pub(crate) detect: DetectConfig,
    /// `--slo`: replay the burn-rate alerts over the timeline.
    pub(crate) slo: Option<Objective>,
    pub(crate) output: Output,
    /// `--out`: the file to write instead of stdout.
    pub(crate) out: Option<PathBuf>,
    pub(crate) top: usize,
    pub(crate) exit_code: bool,
    /// `--save-state`: where to write the aggregate for `merge`.
    pub(crate) save_state: Option<PathBuf>,
    pub(crate) threads: usize,
    pub(crate) blocks: Blocks,
    pub(crate) progress: bool,
    pub(crate) color: bool,
}

/// What the plan reads from the environment, passed in so tests control it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Env {
    pub(crate) now: Micros,
    pub(crate) stdin_is_terminal: bool,
    pub(crate) stdout_is_terminal: bool,
    pub(crate) stderr_is_terminal: bool,
    pub(crate) no_color: bool,
}

impl Env {
    pub(crate) fn current() -> Self {
        Env {
            now: chrono::Utc::now().timestamp_micros(),
            stdin_is_terminal: std::io::stdin().is_terminal(),
            stdout_is_terminal: std::io::stdout().is_terminal(),
            stderr_is_terminal: std::io::stderr().is_terminal(),
            no_color: std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty()),
        }
    }
}

pub(crate) fn analyze(args: &AnalyzeArgs, env: &Env) -> Result<AnalyzePlan, PlanError> {
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

    // Reports name clients and user agents in what changed (SPEC §11).
    let mut parse = parse_options(&input.parse)?;
    // The aggregate decodes a user agent only for the lines that count it.
    parse.lazy_agent = true;
    // Nor does it read request times.
    parse.durations = false;
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

    let detect = detect_config(&args.detect);
    let slo = objective(&args.slo)?;
    let output = output_of(&args.report, env)?;
    let threads = threads(args.threads);
    Ok(AnalyzePlan {
        sources,
        parse,
        agg: AggConfig {
            bucket_us: detect.bucket_us,
            since,
            until,
            max_keys: args.keys.max_keys as usize,
        },
        detect,
        slo,
        output,
        out: args.report.out.clone(),
        top: args.report.top,
        exit_code: args.report.exit_code,
        save_state: args.save_state.clone(),
        threads,
        blocks: blocks(args.block_size),
        progress: env.stderr_is_terminal && !args.no_progress,
        color: env.stdout_is_terminal && !env.no_color,
    })
}

/// `-o` and `--table` of the report commands (`analyze`, `merge`).
fn output_of(r: &ReportArgs, env: &Env) -> Result<Output, PlanError> {
    let (output, table, to_file) = (r.output, r.table, r.out.is_some());
    let output = match output {
        Some(OutputArg::Table) => Output::Table,
        Some(OutputArg::Json) => Output::Json,
        Some(OutputArg::Csv) => Output::Csv(table_name(table.unwrap_or(TableArg::ByStatus))),
        Some(OutputArg::Markdown) => Output::Markdown,
        Some(OutputArg::Html) => Output::Html,
        // A file gets the document, whatever the terminal is.
        None if env.stdout_is_terminal && !to_file => Output::Table,
        None => Output::Json,
    };
    // Only CSV writes one table; anywhere else --table would be silently ignored.
    if table.is_some() && !matches!(output, Output::Csv(_)) {
        return Err(PlanError::Usage(
            "--table goes with --output csv (e.g. -o csv --table errors); \
             the table and JSON outputs hold every table"
                .into(),
        ));
    }
    Ok(output)
}

/// Everything `merge` needs, checked.
#[derive(Debug, Clone)]
pub(crate) struct MergePlan {
    pub(crate) states: Vec<PathBuf>,
    /// `--slo`: replay the burn-rate alerts over the merged timeline.
    pub(crate) slo: Option<Objective>,
    pub(crate) output: Output,
    pub(crate) out: Option<PathBuf>,
    pub(crate) top: usize,
    pub(crate) exit_code: bool,
    pub(crate) save_state: Option<PathBuf>,
    pub(crate) color: bool,
}

pub(crate) fn merge(args: &MergeArgs, env: &Env) -> Result<MergePlan, PlanError> {
    Ok(MergePlan {
        states: args.states.clone(),
        slo: objective(&args.slo)?,
        output: output_of(&args.report, env)?,
        out: args.report.out.clone(),
        top: args.report.top,
        exit_code: args.report.exit_code,
        save_state: args.save_state.clone(),
        color: env.stdout_is_terminal && !env.no_color,
    })
}

/// The parse flags shared by `analyze` and `tail`.
fn parse_options(p: &ParseArgs) -> Result<ParseOptions, PlanError> {
    let mut fields = FieldMap::default();
    for f in &p.fields {
        fields.set_override(f).map_err(PlanError::Usage)?;
    }
    let mut format = match p.format {
        FormatArg::Auto => FormatChoice::Auto,
        FormatArg::Combined => FormatChoice::Combined,
        FormatArg::Common => FormatChoice::Common,
        FormatArg::Json => FormatChoice::Json,
        FormatArg::Logfmt => FormatChoice::Logfmt,
        FormatArg::Alb => FormatChoice::Only(Format::Alb),
        FormatArg::Elb => FormatChoice::Only(Format::Elb),
        FormatArg::Cloudfront => FormatChoice::Only(Format::Cloudfront),
        FormatArg::Haproxy => FormatChoice::Only(Format::Haproxy),
        FormatArg::Envoy => FormatChoice::Only(Format::Envoy),
        FormatArg::W3c => FormatChoice::Only(Format::W3c),
        FormatArg::GcpLb => FormatChoice::Only(Format::GcpLb),
        FormatArg::VhostCombined => FormatChoice::Only(Format::VhostCombined),
    };
    let log_format = match &p.log_format {
        Some(f) => {
            if p.format != FormatArg::Auto {
                return Err(PlanError::Usage(
                    "--log-format and --format cannot be used together".into(),
                ));
            }
            format = FormatChoice::NginxConfig;
            let compiled = LogFormat::compile(f, p.body_var.as_deref())
                .map_err(|e| PlanError::Usage(e.to_string()))?;
            Some(Arc::new(compiled))
        }
        None if p.body_var.is_some() => {
            return Err(PlanError::Usage("--body-var needs --log-format".into()))
        }
        None => None,
    };
    Ok(ParseOptions {
        format,
        fields,
        log_format,
        details: true,
        lazy_agent: false,
        durations: true,
    })
}

/// `--slo`, checked.
fn objective(a: &SloArgs) -> Result<Option<Objective>, PlanError> {
    a.slo
        .as_deref()
        .map(parse_objective)
        .transpose()
        .map_err(PlanError::Usage)
}

/// Everything `rules` needs, checked.
#[derive(Debug, Clone)]
pub(crate) struct RulesPlan {
    pub(crate) detect: DetectConfig,
    pub(crate) slo: Option<Objective>,
}

pub(crate) fn rules(args: &RulesArgs) -> Result<RulesPlan, PlanError> {
    let detect = detect_config(&args.detect);
    // PromQL durations stop at milliseconds.
    for (flag, us) in [
        ("--bucket", detect.bucket_us),
        ("--for", detect.min_duration_us),
    ] {
        if us % 1_000 != 0 {
            return Err(PlanError::Usage(format!(
                "{flag}: PromQL durations are whole milliseconds"
            )));
        }
    }
    Ok(RulesPlan {
        detect,
        slo: objective(&args.slo)?,
    })
}

fn detect_config(d: &crate::cli::DetectArgs) -> DetectConfig {
    DetectConfig {
        bucket_us: d.bucket,
        min_errors: d.min_errors,
        min_ratio_ppm: d.min_ratio,
        sparse_ratio_ppm: d.min_ratio_sparse.0,
        max_gap: d.max_gap,
        min_duration_us: d.min_duration,
    }
}

/// How `tail` writes what it sees.
#[cfg(unix)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TailOutput {
    Live,
    JsonLines,
}

/// Everything `tail` needs, checked.
#[cfg(unix)]
#[derive(Debug, Clone)]
pub(crate) struct TailPlan {
    pub(crate) patterns: Vec<String>,
    pub(crate) parse: ParseOptions,
    pub(crate) detect: DetectConfig,
    /// `--slo`: announce the burn-rate alerts as they open and close.
    pub(crate) slo: Option<Objective>,
    pub(crate) state_dir: Option<PathBuf>,
    pub(crate) start: StartAt,
    pub(crate) checkpoint_every: Duration,
    pub(crate) summary_every: Duration,
    pub(crate) lateness_us: Micros,
    /// `--retain` and `--max-keys`: what bounds memory and the checkpoint.
    pub(crate) bounds: Bounds,
    pub(crate) poll: Duration,
    pub(crate) webhook: Option<String>,
    /// `--alertmanager`: the Alertmanagers to send alerts to.
    pub(crate) alertmanager: Vec<String>,
    /// The labels on every alert: `instance` and the `--alert-label`s.
    pub(crate) alert_labels: std::collections::BTreeMap<String, String>,
    /// `--metrics-listen`: where `/metrics` is served.
    pub(crate) metrics_listen: Option<std::net::SocketAddr>,
    /// `--metrics-max-series`.
    pub(crate) metrics_max_series: usize,
    pub(crate) output: TailOutput,
    pub(crate) color: bool,
    /// The settings that shape a checkpoint's counts and announcements, as
    /// (flag, value) in a canonical form: a restart must use the same.
    pub(crate) settings: Vec<(String, String)>,
}

/// `--flag value` pairs for what shapes `tail`'s aggregate and periods, in
/// one canonical form (`--bucket 1m` and `--bucket 60s` are the same).
#[cfg(unix)]
fn shaping_settings(
    d: &DetectConfig,
    p: &ParseArgs,
    max_keys: usize,
    slo: Option<Objective>,
) -> Vec<(String, String)> {
    let secs = |us: Micros| format!("{}s", us as f64 / 1e6);
    let pct = |ppm: u64| format!("{}%", ppm as f64 / 1e4);
    let mut fields = p.fields.clone();
    fields.sort();
    [
        ("--bucket", secs(d.bucket_us)),
        ("--min-errors", d.min_errors.to_string()),
        ("--min-ratio", pct(d.min_ratio_ppm)),
        (
            "--min-ratio-sparse",
            d.sparse_ratio_ppm.map_or("off".to_owned(), pct),
        ),
        ("--max-gap", d.max_gap.to_string()),
        ("--for", secs(d.min_duration_us)),
        (
            "--format",
            // The name as typed (`gcp_lb`, not the variant's `GcpLb`).
            clap::ValueEnum::to_possible_value(&p.format)
                .map_or_else(String::new, |v| v.get_name().to_owned()),
        ),
        ("--log-format", p.log_format.clone().unwrap_or_default()),
        ("--body-var", p.body_var.clone().unwrap_or_default()),
        ("--field", fields.join(" ")),
        ("--max-keys", max_keys.to_string()),
        // What was announced of the burn-rate alerts was judged against it.
        (
            "--slo",
            slo.map(Objective::percent_text).unwrap_or_default(),
        ),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect()
}

/// The labels on every alert: `instance` (the host name unless given) and
/// the `--alert-label NAME=VALUE`s, checked as Alertmanager checks them.
#[cfg(unix)]
fn alert_labels(args: &TailArgs) -> Result<std::collections::BTreeMap<String, String>, PlanError> {
    if !args.alert_label.is_empty() && args.alertmanager.is_empty() {
        return Err(PlanError::Usage(
            "--alert-label labels the alerts of --alertmanager, which is not given".to_owned(),
        ));
    }
    let mut labels = std::collections::BTreeMap::new();
    for given in &args.alert_label {
        let bad = |why: &str| PlanError::Usage(format!("--alert-label {given}: {why}"));
        let (name, value) = given.split_once('=').ok_or_else(|| bad("not NAME=VALUE"))?;
        let mut chars = name.chars();
        let valid = chars
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !valid || name.starts_with("__") {
            return Err(bad(
                "a label name is letters, digits and _, not starting with a digit or __",
            ));
        }
        if name == "alertname" || name == "severity" {
            return Err(bad("alertname and severity are each alert's own"));
        }
        if value.is_empty() {
            return Err(bad("an empty value is no label in Alertmanager"));
        }
        labels.insert(name.to_owned(), value.to_owned());
    }
    if !args.alertmanager.is_empty() && !labels.contains_key("instance") {
        labels.insert("instance".to_owned(), crate::live::alertmanager::hostname());
    }
    Ok(labels)
}

/// `--metrics-listen`: `HOST:PORT` (`127.0.0.1:9184`, `[::1]:9184`,
/// `localhost:9184`) or `:PORT` for every interface, as exporters take it.
#[cfg(unix)]
fn listen_addr(addr: &str) -> Result<std::net::SocketAddr, PlanError> {
    use std::net::ToSocketAddrs;
    let full = match addr.strip_prefix(':') {
        Some(port) => format!("0.0.0.0:{port}"),
        None => addr.to_owned(),
    };
    full.to_socket_addrs()
        .ok()
        .and_then(|mut a| a.next())
        .ok_or_else(|| {
            PlanError::Usage(format!(
                "--metrics-listen {addr}: not an address to listen on, such as 127.0.0.1:9184 or :9184"
            ))
        })
}

#[cfg(unix)]
pub(crate) fn tail(args: &TailArgs, env: &Env) -> Result<TailPlan, PlanError> {
    let micros = |us: i64| Duration::from_micros(us.max(0) as u64);
    if let Some(url) = &args.webhook {
        if !(url.starts_with("http://") || url.starts_with("https://")) {
            return Err(PlanError::Usage(format!(
                "--webhook {url}: not an http:// or https:// URL"
            )));
        }
    }
    for url in &args.alertmanager {
        if !(url.starts_with("http://") || url.starts_with("https://")) {
            return Err(PlanError::Usage(format!(
                "--alertmanager {url}: not an http:// or https:// URL"
            )));
        }
    }
    let detect = detect_config(&args.detect);
    let least = detect
        .min_duration_us
        .saturating_add(detect.bucket_us.saturating_mul(detect.max_gap as i64 + 2));
    if args.retain < least {
        return Err(PlanError::Usage(format!(
            "--retain must keep at least a whole period: --for plus --max-gap + 2 buckets ({}s here)",
            least / 1_000_000
        )));
    }
    // A directory is never a file to follow: saying "no such file yet"
    // forever would make a wrong path look like a quiet log.
    if let Some(dir) = args.paths.iter().find(|p| std::path::Path::new(p).is_dir()) {
        return Err(PlanError::Usage(format!(
            "{dir}: is a directory; follow its logs with a pattern, such as '{}/*.log'",
            dir.trim_end_matches('/')
        )));
    }
    // Objects in a bucket do not grow: there is nothing to follow.
    if let Some(url) = args.paths.iter().find(|p| p.starts_with("s3://")) {
        return Err(PlanError::Usage(format!(
            "{url}: tail follows local files; read S3 objects with analyze or query"
        )));
    }
    let slo = objective(&args.slo)?;
    Ok(TailPlan {
        patterns: args.paths.clone(),
        parse: parse_options(&args.parse)?,
        settings: shaping_settings(&detect, &args.parse, args.keys.max_keys as usize, slo),
        detect,
        slo,
        state_dir: args.state.clone(),
        start: if args.from_start {
            StartAt::Beginning
        } else {
            StartAt::End
        },
        checkpoint_every: micros(args.checkpoint_every),
        summary_every: micros(args.summary_every),
        lateness_us: args.lateness,
        bounds: Bounds {
            retain_us: args.retain,
            max_keys: args.keys.max_keys as usize,
        },
        poll: micros(args.poll),
        webhook: args.webhook.clone(),
        alertmanager: args.alertmanager.clone(),
        alert_labels: alert_labels(args)?,
        metrics_listen: match &args.metrics_listen {
            Some(addr) => Some(listen_addr(addr)?),
            None => None,
        },
        metrics_max_series: args.metrics_max_series as usize,
        output: match args.output {
            Some(TailOutputArg::Json) => TailOutput::JsonLines,
            Some(TailOutputArg::Live) => TailOutput::Live,
            None if env.stdout_is_terminal => TailOutput::Live,
            None => TailOutput::JsonLines,
        },
        color: env.stdout_is_terminal && !env.no_color,
    })
}

/// How `query` writes its result.
#[cfg(feature = "query")]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum QueryOutput {
    Table,
    Csv,
    Json,
    Parquet,
}

/// Everything `query` needs, checked.
#[cfg(feature = "query")]
#[derive(Debug, Clone)]
pub(crate) struct QueryPlan {
    /// What the query is called in messages: its name, file, or `--sql`.
    pub(crate) query_name: String,
    pub(crate) sql: String,
    pub(crate) input: QueryInput,
    pub(crate) parse: ParseOptions,
    pub(crate) output: QueryOutput,
    pub(crate) out: Option<PathBuf>,
    pub(crate) threads: usize,
    pub(crate) blocks: Blocks,
}

/// What `query` reads: logs (parsed and spilled), or exported datasets.
#[cfg(feature = "query")]
#[derive(Debug, Clone)]
pub(crate) enum QueryInput {
    Logs(Vec<Source>),
    /// The files the datasets' manifests name (uncommitted leftovers of an
    /// interrupted export are not read), and their rows.
    Dataset {
        files: Vec<crate::export::DatasetFile>,
        rows: u64,
    },
}

/// `PATH...` as logs, or as datasets when they are (SPEC §9): a directory
/// or `s3://` prefix with an export manifest. Both at once is refused: one
/// `events` table would mix line numbering from two sources of truth.
#[cfg(feature = "query")]
fn query_input(paths: &[String]) -> Result<QueryInput, PlanError> {
    use crate::export::Destination;
    let (mut datasets, mut logs) = (Vec::new(), Vec::new());
    for p in paths {
        match Destination::existing(p).map_err(|e| PlanError::Usage(format!("{e:#}")))? {
            Some(found) => datasets.push((p, found)),
            None => logs.push(p),
        }
    }
    let Some((first, _)) = datasets.first() else {
        return Ok(QueryInput::Logs(resolve(paths)?));
    };
    if let Some(log) = logs.first() {
        return Err(PlanError::Usage(format!(
            "{log}: not a dataset, but {first} is: query logs or datasets, not both at once"
        )));
    }
    let (mut files, mut rows) = (Vec::new(), 0);
    for (_, (dest, manifest)) in &datasets {
        let mut names: Vec<&str> = manifest.files().collect();
        names.sort_unstable();
        files.extend(names.into_iter().map(|n| dest.file(n)));
        rows += manifest.runs.iter().map(|r| r.rows).sum::<u64>();
    }
    Ok(QueryInput::Dataset { files, rows })
}

/// Everything `export` needs, checked.
#[cfg(feature = "query")]
#[derive(Debug, Clone)]
pub(crate) struct ExportPlan {
    pub(crate) sources: Vec<Source>,
    pub(crate) parse: ParseOptions,
    pub(crate) dest: crate::export::Destination,
    pub(crate) threads: usize,
    pub(crate) blocks: Blocks,
    pub(crate) progress: bool,
    pub(crate) pause_before_commit: Option<PathBuf>,
}

#[cfg(feature = "query")]
pub(crate) fn export(args: &ExportArgs, env: &Env) -> Result<ExportPlan, PlanError> {
    if args.paths.iter().any(|p| p == "-") {
        return Err(PlanError::Usage(
            "export reads files, not stdin: the manifest knows each input by its content, \
             so that exporting it again adds nothing"
                .into(),
        ));
    }
    let dest = crate::export::Destination::parse(&args.out).map_err(PlanError::Usage)?;
    Ok(ExportPlan {
        sources: resolve(&args.paths)?,
        parse: parse_options(&args.parse)?,
        dest,
        threads: threads(args.threads),
        blocks: blocks(args.block_size),
        progress: env.stderr_is_terminal && !args.no_progress,
        pause_before_commit: args.pause_before_commit.clone(),
    })
}

#[cfg(feature = "query")]
pub(crate) fn query(args: &QueryArgs, env: &Env) -> Result<QueryPlan, PlanError> {
    let mut rest = args.args.clone();
    let (query_name, sql) = match &args.sql {
        Some(sql) => ("--sql".to_owned(), sql.clone()),
        None => {
            if rest.is_empty() {
                return Err(PlanError::Usage(
                    "name a query (faultline query --list), a .sql file, or give --sql".into(),
                ));
            }
            let first = rest.remove(0);
            if first.ends_with(".sql") && std::path::Path::new(&first).is_file() {
                let sql = std::fs::read_to_string(&first)
                    .map_err(|e| PlanError::Usage(format!("{first}: cannot read: {e}")))?;
                (first, sql)
            } else if let Some(q) = Shipped::find(&first) {
                (q.name.to_owned(), q.sql.to_owned())
            } else {
                let names: Vec<&str> = crate::sql::SHIPPED.iter().map(|q| q.name).collect();
                return Err(PlanError::Usage(format!(
                    "{first}: no such query (not a .sql file, not a shipped name); shipped queries: {}",
                    names.join(", ")
                )));
            }
        }
    };
    if rest.is_empty() {
        if env.stdin_is_terminal {
            return Err(PlanError::Usage(
                "no input: give log files or directories after the query, or pipe logs to stdin"
                    .into(),
            ));
        }
        rest.push("-".into());
    }
    let input = query_input(&rest)?;
    let output = match args.output {
        Some(QueryOutputArg::Table) => QueryOutput::Table,
        Some(QueryOutputArg::Csv) => QueryOutput::Csv,
        Some(QueryOutputArg::Json) => QueryOutput::Json,
        Some(QueryOutputArg::Parquet) => QueryOutput::Parquet,
        None if env.stdout_is_terminal && args.out.is_none() => QueryOutput::Table,
        None => QueryOutput::Csv,
    };
    if output == QueryOutput::Parquet && args.out.is_none() && env.stdout_is_terminal {
        return Err(PlanError::Usage(
            "--output parquet writes binary: give --out FILE or redirect stdout".into(),
        ));
    }
    Ok(QueryPlan {
        query_name,
        sql,
        input,
        parse: parse_options(&args.parse)?,
        output,
        out: args.out.clone(),
        threads: threads(args.threads),
        blocks: blocks(args.block_size),
    })
}

/// `--threads`, or every core.
fn threads(arg: Option<u16>) -> usize {
    arg.map_or_else(
        || std::thread::available_parallelism().map_or(1, |n| n.get()),
        usize::from,
    )
}

/// Blocks of `--block-size` bytes (a hidden flag for tests), or the default.
fn blocks(size: Option<u32>) -> Blocks {
    Blocks {
        size: size.map_or(Blocks::default().size, |n| n as usize),
        ..Blocks::default()
    }
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
