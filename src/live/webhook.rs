//! `--webhook URL`: POSTs each incident event as JSON from a background task.
//!
//! Events go through a bounded queue, so a slow or dead receiver never holds
//! up reading the logs (a full queue drops the event, with a warning). On
//! 429, 5xx or a connection error the event is retried with exponential
//! backoff and jitter, honouring `Retry-After`, until a deadline; then it is
//! given up with a warning. Reports go through `tracing` (stderr).
//!
//! The delivery machinery here (the client, one attempt and what it came
//! to, the jittered exponential backoff) is shared with `alertmanager`.

use std::time::Duration;
use tokio::sync::mpsc;
use tokio::time::Instant;

/// How hard to try.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RetryPolicy {
    pub(crate) first_delay: Duration,
    pub(crate) max_delay: Duration,
    /// An event not delivered by then is given up.
    pub(crate) give_up_after: Duration,
    pub(crate) request_timeout: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            first_delay: Duration::from_millis(250),
            max_delay: Duration::from_secs(60),
            give_up_after: Duration::from_secs(15 * 60),
            request_timeout: Duration::from_secs(10),
        }
    }
}

/// Events waiting for delivery at most.
pub(crate) const QUEUE: usize = 1024;

/// The sending side, owned by the live loop.
pub(crate) struct Webhook {
    tx: mpsc::Sender<Vec<u8>>,
    task: tokio::task::JoinHandle<()>,
}

/// The HTTP client deliveries use.
pub(crate) fn client(policy: &RetryPolicy) -> anyhow::Result<reqwest::Client> {
    // reqwest is built without a bundled crypto provider; use ring's.
    let _ = rustls::crypto::ring::default_provider().install_default();
    Ok(reqwest::Client::builder()
        .timeout(policy.request_timeout)
        .user_agent(concat!("faultline/", env!("CARGO_PKG_VERSION")))
        .build()?)
}

/// Exponential backoff with equal jitter: half of each delay fixed, half
/// random, so the retries of many faultlines do not arrive together.
pub(crate) struct Backoff {
    delay: Duration,
    first: Duration,
    max: Duration,
}

impl Backoff {
    pub(crate) fn new(policy: &RetryPolicy) -> Self {
        Backoff {
            delay: policy.first_delay,
            first: policy.first_delay,
            max: policy.max_delay,
        }
    }

    /// The wait before the next try; each call doubles the next one, up to the maximum.
    pub(crate) fn next(&mut self) -> Duration {
        let jittered = self.delay / 2 + self.delay.mul_f64(fastrand::f64() / 2.0);
        self.delay = self.delay.saturating_mul(2).min(self.max);
        jittered
    }

    /// After a success: the next failure starts from the first delay again.
    pub(crate) fn reset(&mut self) {
        self.delay = self.first;
    }
}

impl Webhook {
    /// Starts the delivery task. Must be called inside a tokio runtime.
    pub(crate) fn spawn(url: String, policy: RetryPolicy) -> anyhow::Result<Webhook> {
        let client = client(&policy)?;
        let (tx, rx) = mpsc::channel(QUEUE);
        let task = tokio::spawn(worker(client, url, rx, policy));
        Ok(Webhook { tx, task })
    }

    /// Queues one JSON document; never waits.
    pub(crate) fn send(&self, body: Vec<u8>) {
        if self.tx.try_send(body).is_err() {
            tracing::warn!("webhook: {QUEUE} events waiting already; this one is dropped");
        }
    }

    /// Stops taking events and waits up to `grace` for the queue to drain.
    pub(crate) async fn close(self, grace: Duration) {
        drop(self.tx);
        if tokio::time::timeout(grace, self.task).await.is_err() {
            tracing::warn!("webhook: events still undelivered at exit were dropped");
        }
    }
}

async fn worker(
    client: reqwest::Client,
    url: String,
    mut rx: mpsc::Receiver<Vec<u8>>,
    policy: RetryPolicy,
) {
    while let Some(body) = rx.recv().await {
        deliver(&client, &url, body, &policy).await;
    }
}

/// What one attempt came to.
pub(crate) enum Attempt {
    Delivered,
    Retry {
        after: Option<Duration>,
        why: String,
    },
    Fatal(String),
}

/// POSTs `body` (JSON) to `url` once: delivered, worth retrying (429, 5xx,
/// no connection; with the `Retry-After` asked for), or refused for good.
pub(crate) async fn attempt(client: &reqwest::Client, url: &str, body: &[u8]) -> Attempt {
    let sent = client
        .post(url)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .body(body.to_vec())
        .send()
        .await;
    match sent {
        Ok(resp) if resp.status().is_success() => Attempt::Delivered,
        Ok(resp) if resp.status().as_u16() == 429 || resp.status().is_server_error() => {
            let after = resp
                .headers()
                .get(reqwest::header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<u64>().ok())
                .map(Duration::from_secs);
            Attempt::Retry {
                after,
                why: format!("HTTP {}", resp.status()),
            }
        }
        Ok(resp) => Attempt::Fatal(format!("HTTP {}", resp.status())),
        Err(e) => Attempt::Retry {
            after: None,
            why: e.to_string(),
        },
    }
}

/// How long to wait before the next try, or `None` to give up: the backoff,
/// at least `Retry-After`, and never past the deadline (`left` from now).
/// Only durations are compared, never `Instant + Duration`, which panics past
/// what an `Instant` holds (`Retry-After: 18446744073709551615`). A
/// `Retry-After` beyond the deadline gives up at once rather than waiting
/// for a try the receiver asked not to get.
fn next_wait(backoff: Duration, retry_after: Option<Duration>, left: Duration) -> Option<Duration> {
    match retry_after {
        Some(after) if after > left => None,
        Some(after) => Some(after.max(backoff).min(left)),
        None if left.is_zero() => None,
        None => Some(backoff.min(left)),
    }
}

async fn deliver(client: &reqwest::Client, url: &str, body: Vec<u8>, policy: &RetryPolicy) {
    let started = Instant::now();
    let mut backoff = Backoff::new(policy);
    for tries in 1u32.. {
        let (after, why) = match attempt(client, url, &body).await {
            Attempt::Delivered => {
                tracing::debug!(tries, "webhook: delivered");
                return;
            }
            Attempt::Fatal(why) => {
                tracing::warn!("webhook: {url} refused an event ({why}); not retried");
                return;
            }
            Attempt::Retry { after, why } => (after, why),
        };
        let left = policy.give_up_after.saturating_sub(started.elapsed());
        let Some(wait) = next_wait(backoff.next(), after, left) else {
            tracing::warn!("webhook: giving up on an event after {tries} tries ({why})");
            return;
        };
        tracing::info!(tries, "webhook: {why}; retrying in {wait:?}");
        tokio::time::sleep(wait).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: fn(u64) -> Duration = Duration::from_secs;

    #[test]
    fn retry_after_is_a_floor_and_the_deadline_a_cap() {
        assert_eq!(next_wait(S(2), None, S(900)), Some(S(2)));
        assert_eq!(next_wait(S(2), Some(S(30)), S(900)), Some(S(30)));
        assert_eq!(next_wait(S(40), Some(S(30)), S(900)), Some(S(40)));
        // The backoff is cut to the time left; a Retry-After exactly at the deadline is kept.
        assert_eq!(next_wait(S(60), None, S(10)), Some(S(10)));
        assert_eq!(next_wait(S(60), Some(S(10)), S(10)), Some(S(10)));
        assert_eq!(next_wait(S(1), None, Duration::ZERO), None);
    }

    #[test]
    fn a_huge_retry_after_gives_up_without_panicking() {
        // `Retry-After: 99999999999` (3,000 years), and `18446744073709551615`,
        // which made `Instant::now() + wait` panic and killed the delivery task.
        assert_eq!(next_wait(S(1), Some(S(99_999_999_999)), S(900)), None);
        assert_eq!(next_wait(S(1), Some(S(u64::MAX)), S(900)), None);
        assert_eq!(
            next_wait(S(1), Some(Duration::MAX), Duration::MAX),
            Some(Duration::MAX)
        );
    }
}
