//! The `/metrics` endpoint: a small HTTP/1.1 server on `tail`'s tokio runtime.
//!
//! hyper 1 is already in the build (reqwest's client sits on it), so serving
//! adds two of its features and no new HTTP stack; a framework (axum, warp)
//! would add routing and middleware for one path, and a blocking server
//! (tiny_http) a thread beside the runtime. hyper parses the requests, so
//! nothing here hand-parses HTTP.
//!
//! Each connection is its own task: it encodes the metrics into memory (see
//! [`Exporter::render`]) and then writes them at whatever pace the scraper
//! reads, holding no lock. Connections are bounded in number, in the time a
//! request's headers may take, and in lifetime, so stuck scrapers cannot pile up.

use super::Exporter;
use crate::event::Micros;
use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::header::{HeaderValue, ACCEPT, ALLOW, CONTENT_TYPE};
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Semaphore;

/// Connections served at once; more wait in the listen backlog.
const MAX_CONNECTIONS: usize = 16;
/// How long a request's headers may take to arrive (slow-loris guard).
const HEADER_TIMEOUT: Duration = Duration::from_secs(10);
/// A kept-alive connection is closed (gracefully, after its request in
/// flight) this long after it opened; Prometheus simply reconnects.
const MAX_CONNECTION_AGE: Duration = Duration::from_secs(300);

/// Serves `listener` (already bound, so a busy port was a usage error
/// before any work) until the runtime stops. Must be called inside tokio.
pub(crate) fn spawn(
    listener: std::net::TcpListener,
    exporter: Arc<Exporter>,
    now: fn() -> Micros,
) -> std::io::Result<()> {
    listener.set_nonblocking(true)?;
    let listener = tokio::net::TcpListener::from_std(listener)?;
    let slots = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    tokio::spawn(async move {
        loop {
            let Ok(permit) = slots.clone().acquire_owned().await else {
                return;
            };
            let stream = match listener.accept().await {
                Ok((stream, _)) => stream,
                Err(e) => {
                    // Out of file descriptors and the like: wait, then go on.
                    tracing::warn!("metrics: cannot accept a connection: {e}");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            };
            let exporter = exporter.clone();
            tokio::spawn(async move {
                let service = hyper::service::service_fn(move |req| {
                    let exporter = exporter.clone();
                    async move { Ok::<_, Infallible>(respond(&req, &exporter, now())) }
                });
                let conn = hyper::server::conn::http1::Builder::new()
                    .timer(TokioTimer::new())
                    .header_read_timeout(HEADER_TIMEOUT)
                    .serve_connection(TokioIo::new(stream), service);
                tokio::pin!(conn);
                tokio::select! {
                    _ = conn.as_mut() => {}
                    _ = tokio::time::sleep(MAX_CONNECTION_AGE) => {
                        conn.as_mut().graceful_shutdown();
                        let _ = tokio::time::timeout(HEADER_TIMEOUT, conn).await;
                    }
                }
                drop(permit);
            });
        }
    });
    Ok(())
}

/// Whether the scraper asked for OpenMetrics (Prometheus does; `curl` and
/// `promtool` get the 0.0.4 text format, which promtool 2.42 requires).
fn wants_openmetrics(accept: Option<&HeaderValue>) -> bool {
    let Some(accept) = accept.and_then(|v| v.to_str().ok()) else {
        return false;
    };
    accept.split(',').any(|part| {
        let mut params = part.split(';').map(str::trim);
        let refused = |p: &str| {
            p.strip_prefix("q=")
                .and_then(|q| q.parse::<f64>().ok())
                .is_some_and(|q| q <= 0.0)
        };
        params
            .next()
            .is_some_and(|t| t.eq_ignore_ascii_case("application/openmetrics-text"))
            && !params.any(refused)
    })
}

fn respond(req: &Request<Incoming>, exporter: &Exporter, now: Micros) -> Response<Full<Bytes>> {
    let plain = |status: StatusCode, text: &'static str| {
        let mut r = Response::new(Full::new(Bytes::from_static(text.as_bytes())));
        *r.status_mut() = status;
        r.headers_mut().insert(
            CONTENT_TYPE,
            HeaderValue::from_static("text/plain; charset=utf-8"),
        );
        r
    };
    if req.method() != Method::GET && req.method() != Method::HEAD {
        let mut r = plain(StatusCode::METHOD_NOT_ALLOWED, "only GET\n");
        r.headers_mut()
            .insert(ALLOW, HeaderValue::from_static("GET, HEAD"));
        return r;
    }
    match req.uri().path() {
        "/metrics" => {
            let (body, content_type) =
                exporter.render(wants_openmetrics(req.headers().get(ACCEPT)), now);
            let mut r = Response::new(Full::new(Bytes::from(body)));
            r.headers_mut()
                .insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
            r
        }
        "/" => plain(StatusCode::OK, "faultline tail: metrics at /metrics\n"),
        _ => plain(
            StatusCode::NOT_FOUND,
            "not found; metrics are at /metrics\n",
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn openmetrics_only_when_asked_for() {
        let ask = |s: &'static str| wants_openmetrics(Some(&HeaderValue::from_static(s)));
        // Prometheus 2.x's scrape Accept header.
        assert!(ask("application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1"));
        assert!(ask("Application/OpenMetrics-Text"));
        assert!(!ask("text/plain;version=0.0.4"));
        assert!(!ask("*/*"));
        assert!(!ask("application/openmetrics-text;q=0, text/plain"));
        assert!(!wants_openmetrics(None));
    }
}
