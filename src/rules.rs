//! `faultline rules`: a Prometheus rule file over the metrics of SPEC §10.
//!
//! - `faultline-5xx`: per scrape job, each bucket's requests and 5xx, the
//!   SPEC §5 bad-bucket rule, runs bridged over `--max-gap`, and the alert
//!   `FaultlinePersistent5xx`; per route, the 5xx ratio; and
//!   `FaultlineIncidentOpen`, each instance's own exact §5 verdict.
//! - with an objective, `faultline-slo`, with Sloth's names: the SLI error
//!   ratios over every window of [`slo::ALERTS`] (`slo:sli_error:ratio_rate5m`,
//!   ...), metadata (`slo:objective:ratio`, ...) and the four burn-rate alerts
//!   `FaultlineErrorBudgetBurn`, read from the same table as the replay.
//!
//! Why the persistent alert does not use `for:` is in the README ("Prometheus
//! rules"): `for:` restarts at the first evaluation that is not bad, so §5's
//! gaps would restart it, and it would count the bridged tail of a run.
//! Instead a run's length is measured with `min_over_time` over the bridged
//! series, so the alert fires at the end of the bucket that makes the run
//! long enough, as `tail` announces it.
//!
//! The YAML is written by hand: a few fixed shapes, every string quoted as a
//! JSON string (which YAML reads as is).

use crate::periods::DetectConfig;
use crate::slo::{self, Objective, Window, ALERTS, MIN_REQUESTS};
use std::io::{self, Write};

/// Sloth's identifying labels, so its Grafana dashboards read these rules.
const SLOTH_ID: &str = "faultline-availability";
const SLOTH_SERVICE: &str = "faultline";
const SLOTH_SLO: &str = "availability";

/// A PromQL duration (`1m`, `90s`, `1500ms`) of `ms` milliseconds.
fn duration(ms: i64) -> String {
    for (unit, size) in [
        ("d", 86_400_000),
        ("h", 3_600_000),
        ("m", 60_000),
        ("s", 1_000),
    ] {
        if ms % size == 0 {
            return format!("{}{unit}", ms / size);
        }
    }
    format!("{ms}ms")
}

/// `n / 10^6` as decimal text: a ratio kept in parts per million.
fn ppm(n: u64) -> String {
    let (whole, frac) = (n / 1_000_000, n % 1_000_000);
    if frac == 0 {
        return whole.to_string();
    }
    let digits = format!("{frac:06}");
    format!("{whole}.{}", digits.trim_end_matches('0'))
}

fn quoted(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".to_owned())
}

/// One rule: `record` or `alert`, its expression (a block), and labels and
/// annotations in the order given.
struct Rule<'a> {
    kind: &'a str,
    name: &'a str,
    expr: String,
    labels: Vec<(&'a str, String)>,
    annotations: Vec<(&'a str, String)>,
}

impl Rule<'_> {
    fn write(&self, out: &mut impl Write) -> io::Result<()> {
        writeln!(out, "      - {}: {}", self.kind, self.name)?;
        writeln!(out, "        expr: |")?;
        for line in self.expr.trim_end().lines() {
            writeln!(out, "          {line}")?;
        }
        for (section, pairs) in [("labels", &self.labels), ("annotations", &self.annotations)] {
            if !pairs.is_empty() {
                writeln!(out, "        {section}:")?;
                for (k, v) in pairs {
                    writeln!(out, "          {k}: {}", quoted(v))?;
                }
            }
        }
        Ok(())
    }
}

fn group(
    out: &mut impl Write,
    name: &str,
    interval: Option<String>,
    rules: &[Rule],
) -> io::Result<()> {
    writeln!(out, "  - name: {name}")?;
    if let Some(i) = interval {
        writeln!(out, "    interval: {i}")?;
    }
    writeln!(out, "    rules:")?;
    for r in rules {
        r.write(out)?;
    }
    Ok(())
}

fn record<'a>(name: &'a str, expr: String) -> Rule<'a> {
    Rule {
        kind: "record",
        name,
        expr,
        labels: Vec::new(),
        annotations: Vec::new(),
    }
}

/// Writes the rule file. `cfg`'s durations are whole milliseconds (the plan
/// checks it: PromQL has no finer unit).
pub(crate) fn write(
    cfg: &DetectConfig,
    slo: Option<Objective>,
    mut out: impl Write,
) -> io::Result<()> {
    writeln!(
        out,
        "# Prometheus rules over faultline's metrics (faultline tail --metrics-listen)."
    )?;
    writeln!(
        out,
        "# Written by `faultline rules`; check with `promtool check rules FILE`."
    )?;
    writeln!(
        out,
        "# Every series is summed per scrape job: run one job per service."
    )?;
    writeln!(out, "groups:")?;
    persistent(cfg, &mut out)?;
    if let Some(o) = slo {
        burn_rate(o, &mut out)?;
    }
    Ok(())
}

/// The `faultline-5xx` group: SPEC §5 in PromQL, one evaluation per bucket.
fn persistent(cfg: &DetectConfig, out: &mut impl Write) -> io::Result<()> {
    let b = cfg.bucket_us / 1_000;
    let w = duration(b);
    // The buckets a run needs to last `--for`: a run of k buckets spans k × bucket.
    let k = (cfg.min_duration_us / 1_000 + b - 1) / b;
    let k = k.max(1);
    let max_gap = i64::try_from(cfg.max_gap)
        .unwrap_or(i64::MAX / 4)
        .min(1_000_000);
    // Range selectors reach half a bucket past the evaluations they must
    // hold, and stop half a bucket short of the next one: the same on
    // Prometheus 2 (closed ranges) and 3 (left-open ranges).
    let bridge = duration((max_gap + 1).saturating_mul(b).saturating_sub(b / 2));
    let run = duration((k - 1) * b + b / 2);
    let span = duration(k * b);
    let min_errors = cfg.min_errors;
    let mut bad = format!(
        "(job:faultline_requests_5xx:increase{w} >= {min_errors} \
         and job:faultline_requests_5xx:ratio_rate{w} >= {ratio})",
        ratio = ppm(cfg.min_ratio_ppm)
    );
    if let Some(sparse) = cfg.sparse_ratio_ppm {
        bad = format!(
            "{bad}\nor job:faultline_requests_5xx:ratio_rate{w} >= {}",
            ppm(sparse)
        );
    }
    let names = Names::new(&w);
    let rules = [
        record(
            &names.requests,
            format!("sum by (job) (increase(faultline_requests_total[{w}]))"),
        ),
        record(
            &names.errors,
            format!(
                "sum by (job) (increase(faultline_requests_total{{status_class=\"5xx\"}}[{w}]))\n\
                 or on (job) 0 * job:faultline_requests:increase{w}"
            ),
        ),
        record(
            &names.ratio,
            format!("job:faultline_requests_5xx:increase{w}\n/ job:faultline_requests:increase{w}"),
        ),
        record(
            &names.route_ratio,
            format!(
                "sum by (job, method, route) (rate(faultline_route_requests_total{{status_class=\"5xx\"}}[{w}]))\n\
                 / sum by (job, method, route) (rate(faultline_route_requests_total[{w}]))"
            ),
        ),
        // 1 for a bad bucket (SPEC §5 rule 2), 0 for any other with a series.
        record(
            "job:faultline_5xx_bucket:bad",
            format!(
                "(\n  (\n{}\n  )\n  and job:faultline_requests_5xx:increase{w} > 0\n) * 0 + 1\n\
                 or job:faultline_requests:increase{w} * 0",
                indent(&indent(&bad))
            ),
        ),
        // 1 while a bad bucket is among the last --max-gap + 1 (rule 3).
        record(
            "job:faultline_5xx_run:bridged",
            format!("max_over_time(job:faultline_5xx_bucket:bad[{bridge}])"),
        ),
        // A bad bucket that ends a run long enough (rule 4): bridged at every
        // evaluation of the last `--for`, and `--min-errors` 5xx in it.
        record(
            "job:faultline_5xx_run:long_enough",
            format!(
                "job:faultline_5xx_bucket:bad == 1\n\
                 and on (job) min_over_time(job:faultline_5xx_run:bridged[{run}]) == 1\n\
                 and on (job) sum by (job) (increase(faultline_requests_total{{status_class=\"5xx\"}}[{span}])) >= {min_errors}"
            ),
        ),
        Rule {
            kind: "alert",
            name: "FaultlinePersistent5xx",
            // Open while such a bucket is among the last --max-gap + 1 (rule 6).
            expr: format!("max_over_time(job:faultline_5xx_run:long_enough[{bridge}])"),
            labels: vec![("severity", "page".to_owned())],
            annotations: vec![
                (
                    "summary",
                    "{{ $labels.job }}: 5xx errors persist".to_owned(),
                ),
                (
                    "description",
                    format!(
                        "{{{{ $labels.job }}}}: buckets of {w} with at least {min_errors} 5xx and {pct} of requests{sparse} \
                         have followed each other (at most {max_gap} other buckets between) for at least {span}. \
                         SPEC §5 persistent 5xx period: contact the platform team.",
                        pct = percent(cfg.min_ratio_ppm),
                        sparse = cfg
                            .sparse_ratio_ppm
                            .map(|s| format!(" (or {} of requests, however few)", percent(s)))
                            .unwrap_or_default(),
                        max_gap = cfg.max_gap,
                    ),
                ),
            ],
        },
        Rule {
            kind: "alert",
            name: "FaultlineIncidentOpen",
            expr: "max by (job, instance) (faultline_incident_open) == 1".to_owned(),
            labels: vec![("severity", "page".to_owned())],
            annotations: vec![(
                "summary",
                "{{ $labels.instance }}: faultline tail announced a persistent 5xx period".to_owned(),
            )],
        },
    ];
    group(out, "faultline-5xx", Some(w.clone()), &rules)
}

/// The recording rule names of the persistent group, which carry the bucket.
struct Names {
    requests: String,
    errors: String,
    ratio: String,
    route_ratio: String,
}

impl Names {
    fn new(w: &str) -> Self {
        Names {
            requests: format!("job:faultline_requests:increase{w}"),
            errors: format!("job:faultline_requests_5xx:increase{w}"),
            ratio: format!("job:faultline_requests_5xx:ratio_rate{w}"),
            route_ratio: format!("job_method_route:faultline_route_requests_5xx:ratio_rate{w}"),
        }
    }
}

fn indent(s: &str) -> String {
    s.lines()
        .map(|l| format!("  {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// A ratio in parts per million as a percentage (`5%`, `0.5%`): one ppm
/// is 0.0001 %.
fn percent(ppm_value: u64) -> String {
    let whole = ppm_value / 10_000;
    let frac = ppm_value % 10_000;
    if frac == 0 {
        format!("{whole}%")
    } else {
        format!("{whole}.{}%", format!("{frac:04}").trim_end_matches('0'))
    }
}

/// Sloth's labels on every SLO series, plus `sloth_window` on the SLIs.
fn sloth_labels(window: Option<&Window>) -> Vec<(&'static str, String)> {
    let mut l = vec![
        ("sloth_id", SLOTH_ID.to_owned()),
        ("sloth_service", SLOTH_SERVICE.to_owned()),
        ("sloth_slo", SLOTH_SLO.to_owned()),
    ];
    if let Some(w) = window {
        l.push(("sloth_window", w.name.to_owned()));
    }
    l
}

const SELECTOR: &str = "{sloth_id=\"faultline-availability\", sloth_service=\"faultline\", sloth_slo=\"availability\"}";

/// The SLO group: the SLIs per window, the metadata, the four alerts.
fn burn_rate(o: Objective, out: &mut impl Write) -> io::Result<()> {
    let windows = slo::windows();
    let ratio_names: Vec<String> = windows
        .iter()
        .map(|w| format!("slo:sli_error:ratio_rate{}", w.name))
        .collect();
    let mut sli: Vec<Rule> = windows
        .iter()
        .zip(&ratio_names)
        .map(|(w, name)| Rule {
            labels: sloth_labels(Some(w)),
            ..record(
                name,
                format!(
                    "(\n  sum by (job) (rate(faultline_requests_total{{status_class=\"5xx\"}}[{r}]))\n  \
                     or on (job) 0 * sum by (job) (rate(faultline_requests_total[{r}]))\n)\n\
                     / sum by (job) (rate(faultline_requests_total[{r}]))",
                    r = w.name
                ),
            )
        })
        .collect();
    // The traffic floor of each alert's long window (see slo::MIN_REQUESTS).
    let mut longs: Vec<Window> = ALERTS.iter().map(|a| a.long).collect();
    longs.sort_by_key(|w| w.secs);
    longs.dedup();
    let request_names: Vec<String> = longs
        .iter()
        .map(|w| format!("slo:sli_requests:increase{}", w.name))
        .collect();
    sli.extend(longs.iter().zip(&request_names).map(|(w, name)| Rule {
        labels: sloth_labels(Some(w)),
        ..record(
            name,
            format!(
                "sum by (job) (increase(faultline_requests_total[{}]))",
                w.name
            ),
        )
    }));

    let budget = o.budget_text();
    sli.extend([
        Rule {
            labels: sloth_labels(None),
            ..record("slo:objective:ratio", format!("vector({})", o.ratio()))
        },
        Rule {
            labels: sloth_labels(None),
            ..record("slo:error_budget:ratio", format!("vector({budget})"))
        },
        Rule {
            labels: sloth_labels(None),
            // The workbook's factors assume a 30-day budget.
            ..record("slo:time_period:days", "vector(30)".to_owned())
        },
        Rule {
            labels: sloth_labels(None),
            ..record(
                "slo:current_burn_rate:ratio",
                format!(
                    "slo:sli_error:ratio_rate5m{SELECTOR}\n\
                     / on (sloth_id, sloth_slo, sloth_service) group_left\n\
                     slo:error_budget:ratio{SELECTOR}"
                ),
            )
        },
    ]);

    let objective = o.percent_text();
    sli.extend(ALERTS
        .iter()
        .map(|a| {
            let t = format!("({} * {budget})", a.factor_text());
            Rule {
                kind: "alert",
                name: "FaultlineErrorBudgetBurn",
                expr: format!(
                    "max without (sloth_window) (slo:sli_error:ratio_rate{long}{SELECTOR} > {t})\n\
                     and ignoring (sloth_window)\n\
                     (slo:sli_error:ratio_rate{short}{SELECTOR} > {t})\n\
                     and ignoring (sloth_window)\n\
                     (slo:sli_requests:increase{long}{SELECTOR} >= {MIN_REQUESTS})",
                    long = a.long.name,
                    short = a.short.name,
                ),
                labels: vec![
                    ("severity", a.severity.name().to_owned()),
                    ("sloth_severity", a.severity.name().to_owned()),
                    ("long_window", a.long.name.to_owned()),
                    ("short_window", a.short.name.to_owned()),
                ],
                annotations: vec![
                    (
                        "summary",
                        format!(
                            "{{{{ $labels.job }}}}: the {objective} SLO's error budget burns {}× too fast ({} and {})",
                            a.factor_text(),
                            a.long.name,
                            a.short.name
                        ),
                    ),
                    (
                        "description",
                        format!(
                            "{{{{ $labels.job }}}}: 5xx were more than {} × {budget} = {} of requests over the last {} \
                             and over the last {} (with at least {MIN_REQUESTS} requests in the {}).",
                            a.factor_text(),
                            o.threshold_percent(a),
                            a.long.name,
                            a.short.name,
                            a.long.name,
                        ),
                    ),
                ],
            }
        }));
    // One group: rules of a group run in order at one timestamp, so the
    // alerts read this evaluation's ratios (from another group they could
    // read the previous one's, a bucket late).
    group(out, "faultline-slo", None, &sli)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn promql_durations_and_decimals() {
        assert_eq!(duration(60_000), "1m");
        assert_eq!(duration(90_000), "90s");
        assert_eq!(duration(150_000), "150s");
        assert_eq!(duration(1_500), "1500ms");
        assert_eq!(duration(86_400_000), "1d");
        assert_eq!(duration(7_200_000), "2h");
        assert_eq!(ppm(50_000), "0.05");
        assert_eq!(ppm(500_000), "0.5");
        assert_eq!(ppm(1_000_000), "1");
        assert_eq!(ppm(0), "0");
        assert_eq!(percent(50_000), "5%");
        assert_eq!(percent(5_000), "0.5%");
        assert_eq!(percent(123_456), "12.3456%");
    }

    #[test]
    fn default_settings_give_these_windows() {
        let mut out = Vec::new();
        write(&DetectConfig::default(), None, &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(text.contains("    interval: 1m\n"), "{text}");
        assert!(text.contains("max_over_time(job:faultline_5xx_bucket:bad[150s])"));
        assert!(text.contains("min_over_time(job:faultline_5xx_run:bridged[270s]) == 1"));
        assert!(text.contains("[5m])) >= 5"));
        assert!(!text.contains("slo:"));
        let mut out = Vec::new();
        write(
            &DetectConfig::default(),
            Some(slo::parse_objective("99.9%").unwrap()),
            &mut out,
        )
        .unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(text.contains("slo:sli_error:ratio_rate1h{sloth_id=\"faultline-availability\", sloth_service=\"faultline\", sloth_slo=\"availability\"} > (14.4 * 0.001))"), "{text}");
        assert_eq!(text.matches("- alert: FaultlineErrorBudgetBurn").count(), 4);
        assert!(text.contains("vector(0.999)"));
    }
}
