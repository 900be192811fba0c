//! The command line, as clap derive definitions only; [`crate::plan`] checks
//! it into a plan that the rest of the program reads.

use crate::units;
use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Debug, Parser)]
#[command(
    name = "faultline",
    version,
    about = "Turns HTTP API access logs into error analytics and tells you when 5xx errors persist",
    after_help = "Exit codes: 0 ok, 1 an input was corrupt or unreadable part-way (report still printed), \
                  2 usage error or missing path, 3 escalate and 4 no data (with --exit-code)."
)]
pub struct Cli {
    /// More diagnostics on stderr (-v info, -vv debug); RUST_LOG overrides.
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,

    #[command(subcommand)]
    pub command: Command,
}

/// `faultline analyze --help`: command lines that work from the repo root.
pub const ANALYZE_EXAMPLES: &str = "\
Examples:
  faultline analyze sample-logs/
  faultline analyze sample-logs/nginx/ --since 2026-11-24 --top 5
  faultline analyze 'sample-logs/nginx/api.log*' --min-ratio 10% --for 10m
  faultline analyze sample-logs/ -o csv --table errors
  faultline analyze sample-logs/ --since 2026-11-24T10:30:00Z --exit-code
  cat sample-logs/gateway/gateway.jsonl | faultline analyze --format json";

/// `faultline tail --help`.
pub const TAIL_EXAMPLES: &str = "\
Examples:
  faultline tail 'sample-logs/nginx/api.log*'
  faultline tail --from-start -o json sample-logs/gateway/gateway.jsonl
  faultline tail --state /tmp/fl-state 'sample-logs/nginx/api.log*'
  faultline tail --slo 99.9% -o json sample-logs/nginx/api.log
  faultline tail --metrics-listen :9184 'sample-logs/nginx/api.log*'
  faultline tail --alertmanager http://am:9093 sample-logs/nginx/api.log";

/// `faultline query --help`: the table and command lines that work from the repo root.
pub const QUERY_HELP: &str = "\
Table `events`, one row per request (null: the log line does not say):
  ts               datetime (µs, UTC)
  source           string             input path
  line             u64                line number in its source
  client           string, null
  method           string, null
  path             string, null       without the query string
  route            string, null       path with ids replaced by {id}
  status           u16
  status_class     string             2xx, 4xx, ...
  bytes            u64, null
  duration_ms      f64, null
  user_agent       string, null
  error_type       string, null       from the response body
  error_code       string, null
  error_param      string, null
  error_message    string, null
  upstream_status  u16, null          ALB/ELB target status
  request_id       string, null       x_request_id, ALB trace id, ...

`faultline query --list` shows the shipped queries and what each answers.

Examples:
  faultline query --list
  faultline query top-error-codes sample-logs/
  faultline query 429-by-client sample-logs/ -o csv
  faultline query slowest-routes sample-logs/gateway/ -o json
  faultline query --sql 'SELECT DISTINCT error_code FROM events' sample-logs/";

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Analyze log files, directories, globs or stdin in one batch.
    #[command(after_help = ANALYZE_EXAMPLES)]
    Analyze(AnalyzeArgs),
    /// Follow growing logs through rotation and announce persistent 5xx periods.
    #[command(after_help = TAIL_EXAMPLES)]
    Tail(TailArgs),
    /// Run SQL (a shipped query, a .sql file, or --sql) over the parsed events or an exported dataset.
    #[command(after_help = QUERY_HELP)]
    Query(QueryArgs),
    /// Print the report of several `analyze --save-state` files, as one analyze over all their inputs.
    #[command(after_help = MERGE_EXAMPLES)]
    Merge(MergeArgs),
    /// Add the events of logs to a Parquet dataset (date=/hour= partitions) for DuckDB, Spark and query.
    #[command(after_help = EXPORT_EXAMPLES)]
    Export(ExportArgs),
    /// Print Prometheus rules over `tail --metrics-listen`'s metrics: the 5xx
    /// rule as an alert and, with --slo, the SRE workbook's burn-rate alerts.
    #[command(after_help = RULES_EXAMPLES)]
    Rules(RulesArgs),
}

/// `faultline merge --help`.
pub const MERGE_EXAMPLES: &str = "\
States made with different detection or --max-keys, --bucket, --since, --until settings are refused (exit 2).

Examples:
  faultline analyze /var/log/nginx/ --save-state /tmp/web1.state -o json > /dev/null
  faultline merge web1.state web2.state web3.state
  faultline merge states/*.state -o html --out fleet.html
  faultline merge states/*.state --save-state fleet.state -o json";

#[derive(Debug, Clone, Args)]
pub struct MergeArgs {
    /// State files written by `analyze --save-state` (or `merge --save-state`).
    #[arg(value_name = "FILE", required = true)]
    pub states: Vec<std::path::PathBuf>,

    #[command(flatten)]
    pub report: ReportArgs,

    /// Also write the merged state to FILE (merge in stages).
    #[arg(long, value_name = "FILE")]
    pub save_state: Option<std::path::PathBuf>,

    #[command(flatten)]
    pub slo: SloArgs,
}

/// `faultline export --help`.
pub const EXPORT_EXAMPLES: &str = "\
Exporting the same files again adds nothing; a file that grew adds its new lines.

Examples:
  faultline export sample-logs/ --out /tmp/events
  faultline query top-error-codes /tmp/events
  faultline export 's3://my-logs/alb/2026/11/' --out s3://my-lake/faultline/events
  duckdb -c \"SELECT status, count(*) FROM read_parquet('/tmp/events/*/*/*.parquet') GROUP BY 1\"";

#[derive(Debug, Clone, Args)]
pub struct ExportArgs {
    /// Files, directories, glob patterns or s3://bucket/prefix URLs.
    #[arg(value_name = "PATH", required = true)]
    pub paths: Vec<String>,

    #[command(flatten)]
    pub parse: ParseArgs,

    /// The dataset: a directory (created if missing) or s3://bucket/prefix.
    #[arg(long, value_name = "DIR")]
    pub out: String,

    /// Worker threads for reading the logs [default: all cores].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    pub threads: Option<u16>,

    /// Bytes per block a worker parses (tests use tiny blocks).
    #[arg(long, value_name = "BYTES", hide = true, value_parser = clap::value_parser!(u32).range(64..))]
    pub block_size: Option<u32>,

    /// No progress bar, even on a terminal.
    #[arg(long)]
    pub no_progress: bool,

    /// Tests only: once the files are published, create DIR/paused and wait for DIR/resume
    /// before committing.
    #[arg(long, value_name = "DIR", hide = true)]
    pub pause_before_commit: Option<std::path::PathBuf>,
}

/// `faultline rules --help`.
pub const RULES_EXAMPLES: &str = "\
Examples:
  faultline rules
  faultline rules --slo 99.9%
  faultline rules --slo 0.9995 --min-ratio 10% --for 10m";

/// SLO burn-rate alerts (SPEC §10).
#[derive(Debug, Clone, Args)]
pub struct SloArgs {
    /// Burn-rate alerts for this availability objective (99.9% or 0.999): an
    /// error is a 5xx response. Pages at 14.4x over 1h and 5m and 6x over 6h
    /// and 30m, tickets at 3x over 1d and 2h and 1x over 3d and 6h.
    #[arg(long, value_name = "OBJECTIVE")]
    pub slo: Option<String>,
}

#[derive(Debug, Clone, Args)]
pub struct RulesArgs {
    #[command(flatten)]
    pub detect: DetectArgs,

    #[command(flatten)]
    pub slo: SloArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
#[value(rename_all = "snake_case")]
pub enum FormatArg {
    /// Detect it per file from its first lines.
    Auto,
    /// nginx / Apache combined, with optional extra fields.
    Combined,
    /// nginx / Apache common.
    Common,
    /// JSON lines (Caddy and Traefik recognised).
    Json,
    /// key=value lines (Heroku router).
    Logfmt,
    /// AWS Application Load Balancer.
    Alb,
    /// AWS Classic Load Balancer.
    Elb,
    /// CloudFront standard logs.
    Cloudfront,
    /// HAProxy HTTP logs.
    Haproxy,
    /// Envoy / Istio, text or JSON.
    Envoy,
    /// IIS W3C extended logs.
    W3c,
    /// Google Cloud HTTP(S) Load Balancing (Cloud Logging JSON).
    GcpLb,
    /// Apache vhost_combined.
    VhostCombined,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputArg {
    Table,
    Json,
    Csv,
    /// GitHub Flavored Markdown, to paste into a ticket.
    Markdown,
    /// One self-contained HTML page (use with --out report.html).
    Html,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
#[value(rename_all = "snake_case")]
pub enum TableArg {
    Inputs,
    ByStatus,
    Errors,
    Routes,
    Timeline,
    Incidents,
    Malformed,
}

/// How lines are parsed.
#[derive(Debug, Clone, Args)]
pub struct ParseArgs {
    /// Log format; auto detects it per file from its first lines.
    #[arg(long, value_enum, default_value_t = FormatArg::Auto)]
    pub format: FormatArg,

    /// Parse every input with this nginx log_format string (paste it from your config).
    #[arg(long, value_name = "STRING")]
    pub log_format: Option<String>,

    /// With --log-format: the variable that holds the response body, e.g. resp_body.
    #[arg(long, value_name = "NAME")]
    pub body_var: Option<String>,

    /// JSON lines: read an event field from another key, e.g. --field status=resp.code (repeatable).
    #[arg(long = "field", value_name = "NAME=PATH")]
    pub fields: Vec<String>,
}

/// Where events come from.
#[derive(Debug, Clone, Args)]
pub struct InputArgs {
    /// Files, directories, glob patterns, or - for stdin (the default when stdin is a pipe).
    #[arg(value_name = "PATH")]
    pub paths: Vec<String>,

    #[command(flatten)]
    pub parse: ParseArgs,

    /// Only events at or after this time: RFC 3339 (2026-11-24T10:00:00Z), a
    /// date (2026-11-24, that day's 00:00:00Z), or relative (2h: two hours ago).
    #[arg(long, value_name = "TIME")]
    pub since: Option<String>,

    /// Only events before this time: RFC 3339, a date (2026-11-25, that day's
    /// 00:00:00Z), or relative (30m).
    #[arg(long, value_name = "TIME")]
    pub until: Option<String>,
}

/// The persistent-5xx rule (SPEC §5).
#[derive(Debug, Clone, Args)]
pub struct DetectArgs {
    /// Bucket width (500ms, 30s, 5m, 2h; a bare number is seconds).
    #[arg(long, value_name = "DURATION", default_value = "60s", value_parser = units::parse_duration)]
    pub bucket: i64,

    /// A bucket is bad with at least this many 5xx ...
    #[arg(long, value_name = "N", default_value_t = 5)]
    pub min_errors: u64,

    /// ... and at least this share of its requests being 5xx (0.05 or 5%). A run
    /// also needs --min-errors 5xx in all to be a period.
    #[arg(long, value_name = "RATIO", default_value = "0.05", value_parser = units::parse_ratio_ppm)]
    pub min_ratio: u64,

    /// A bucket is also bad when at least this share of its requests are 5xx,
    /// however few: a quiet service that is down (`off` disables it).
    #[arg(long, value_name = "RATIO|off", default_value = "50%", value_parser = units::parse_ratio_ppm_or_off)]
    pub min_ratio_sparse: units::RatioOrOff,

    /// Bad buckets with at most this many non-bad buckets between them form one run.
    #[arg(long, value_name = "BUCKETS", default_value_t = 2)]
    pub max_gap: u64,

    /// A run is a persistent period when it lasts at least this long.
    #[arg(long = "for", value_name = "DURATION", default_value = "5m", value_parser = units::parse_duration)]
    pub min_duration: i64,
}

/// What bounds the keyed tables (SPEC §4).
#[derive(Debug, Clone, Args)]
pub struct KeysArgs {
    /// The most keys the routes and errors tables keep each; past it the
    /// rarest give way and counts become upper bounds (`count_error`).
    #[arg(long, value_name = "N", default_value_t = 10_000, value_parser = clap::value_parser!(u32).range(1..))]
    pub max_keys: u32,
}

/// How a report is written: `analyze` and `merge`.
#[derive(Debug, Clone, Args)]
pub struct ReportArgs {
    /// Output format [default: table on a terminal, json otherwise].
    #[arg(long, short, value_enum)]
    pub output: Option<OutputArg>,

    /// Write the output to this file instead of stdout (created once the run is done).
    #[arg(long, value_name = "FILE")]
    pub out: Option<std::path::PathBuf>,

    /// With --output csv: which table to write [default: by_status].
    #[arg(long, value_enum)]
    pub table: Option<TableArg>,

    /// Rows per table in the human view (the JSON keeps all rows).
    #[arg(long, value_name = "N", default_value_t = 10)]
    pub top: usize,

    /// Exit with 3 when the verdict is escalate, 4 when it is no_data.
    #[arg(long)]
    pub exit_code: bool,
}

#[derive(Debug, Clone, Args)]
pub struct AnalyzeArgs {
    #[command(flatten)]
    pub input: InputArgs,

    #[command(flatten)]
    pub detect: DetectArgs,

    #[command(flatten)]
    pub keys: KeysArgs,

    #[command(flatten)]
    pub slo: SloArgs,

    #[command(flatten)]
    pub report: ReportArgs,

    /// Also write what was counted to FILE, for `faultline merge` (analyze
    /// where the logs are, merge the small states centrally).
    #[arg(long, value_name = "FILE")]
    pub save_state: Option<std::path::PathBuf>,

    /// Worker threads [default: all cores].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    pub threads: Option<u16>,

    /// Bytes per block a worker parses (tests use tiny blocks to cross many block edges;
    /// at least 64, so that a source's 2^24 block numbers cover a terabyte).
    #[arg(long, value_name = "BYTES", hide = true, value_parser = clap::value_parser!(u32).range(64..))]
    pub block_size: Option<u32>,

    /// No progress bar, even on a terminal.
    #[arg(long)]
    pub no_progress: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TailOutputArg {
    /// A view that redraws in place.
    Live,
    /// JSON lines: incident_opened, incident_closed, summary, report.
    Json,
}

#[derive(Debug, Clone, Args)]
pub struct TailArgs {
    /// Files or glob patterns (quote globs); files that appear later and match are picked up.
    #[arg(value_name = "PATH", required = true)]
    pub paths: Vec<String>,

    #[command(flatten)]
    pub parse: ParseArgs,

    #[command(flatten)]
    pub detect: DetectArgs,

    #[command(flatten)]
    pub keys: KeysArgs,

    #[command(flatten)]
    pub slo: SloArgs,

    /// Keep a checkpoint here, so a restart resumes exactly where it stopped.
    #[arg(long, value_name = "DIR")]
    pub state: Option<std::path::PathBuf>,

    /// Without a checkpoint, read existing files whole instead of starting at their end.
    #[arg(long)]
    pub from_start: bool,

    /// Write the checkpoint at most this long after a change.
    #[arg(long, value_name = "DURATION", default_value = "5s", value_parser = units::parse_duration)]
    pub checkpoint_every: i64,

    /// Print a summary line this often.
    #[arg(long, value_name = "DURATION", default_value = "60s", value_parser = units::parse_duration)]
    pub summary_every: i64,

    /// A bucket is final once the newest event time or the clock, whichever is later, passed its end by this.
    #[arg(long, value_name = "DURATION", default_value = "30s", value_parser = units::parse_duration)]
    pub lateness: i64,

    /// Keep this much of the timeline (buckets and periods) in memory and in the
    /// checkpoint; totals still cover the whole run.
    #[arg(long, value_name = "DURATION", default_value = "7d", value_parser = units::parse_duration)]
    pub retain: i64,

    /// How often to look at the files.
    #[arg(long, value_name = "DURATION", default_value = "250ms", value_parser = units::parse_duration)]
    pub poll: i64,

    /// POST each incident event as JSON to this URL.
    #[arg(long, value_name = "URL")]
    pub webhook: Option<String>,

    /// POST each open incident as an alert to this Alertmanager (its base URL, such as
    /// http://127.0.0.1:9093); repeat for each member of a cluster.
    #[arg(long, value_name = "URL")]
    pub alertmanager: Vec<String>,

    /// A label on every alert sent to Alertmanager (repeatable); `instance` is the host name unless set.
    #[arg(long, value_name = "NAME=VALUE")]
    pub alert_label: Vec<String>,

    /// Serve Prometheus metrics at http://ADDR/metrics (e.g. 127.0.0.1:9184, or :9184 for every interface).
    #[arg(long, value_name = "ADDR")]
    pub metrics_listen: Option<String>,

    /// The most series each labelled metric keeps; later ones are counted under `__other__`.
    #[arg(long, value_name = "N", default_value_t = 500, value_parser = clap::value_parser!(u32).range(1..))]
    pub metrics_max_series: u32,

    /// Output [default: live on a terminal, json otherwise].
    #[arg(long, short, value_enum)]
    pub output: Option<TailOutputArg>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum QueryOutputArg {
    Table,
    Csv,
    Json,
    Parquet,
}

#[derive(Debug, Clone, Args)]
pub struct QueryArgs {
    /// A shipped query's name (see --list) or a .sql file, then the logs; with --sql, only logs.
    #[arg(value_name = "QUERY|PATH")]
    pub args: Vec<String>,

    /// The SQL to run, instead of a query name or file.
    #[arg(long, value_name = "SQL")]
    pub sql: Option<String>,

    /// List the shipped queries with what each answers.
    #[arg(long)]
    pub list: bool,

    #[command(flatten)]
    pub parse: ParseArgs,

    /// Output format [default: table on a terminal, csv otherwise].
    #[arg(long, short, value_enum)]
    pub output: Option<QueryOutputArg>,

    /// Write the result to this file instead of stdout.
    #[arg(long, value_name = "FILE")]
    pub out: Option<std::path::PathBuf>,

    /// Worker threads for reading the logs [default: all cores].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    pub threads: Option<u16>,

    /// Bytes per block a worker parses (tests use tiny blocks to cross many block edges;
    /// at least 64, so that a source's 2^24 block numbers cover a terabyte).
    #[arg(long, value_name = "BYTES", hide = true, value_parser = clap::value_parser!(u32).range(64..))]
    pub block_size: Option<u32>,
}
