//! faultline: HTTP API access logs in, error analytics and persistent-5xx
//! verdicts out.
//!
//! Data flows one way: [`input`] → [`engine`] (which runs [`parse`] on every
//! core into a sink) → [`aggregate`] → [`periods`] → [`report`] → [`render`].
//! [`live`] drives the same engine from a follower's new bytes; `sql` is the
//! sink behind `faultline query`. [`cli`], [`plan`] and [`cmd`] are the
//! command layer, the only code that knows the command line.

pub(crate) mod aggregate;
pub(crate) mod changes;
pub mod cli;
pub mod cmd;
pub(crate) mod engine;
pub(crate) mod event;
#[cfg(feature = "query")]
pub(crate) mod export;
pub(crate) mod heavy;
pub(crate) mod input;
#[cfg(unix)]
pub(crate) mod live;
pub(crate) mod parse;
pub(crate) mod periods;
pub(crate) mod plan;
pub(crate) mod render;
pub(crate) mod report;
pub(crate) mod route;
pub(crate) mod rules;
pub(crate) mod saved;
pub(crate) mod slo;
#[cfg(feature = "query")]
pub(crate) mod spill;
#[cfg(feature = "query")]
pub(crate) mod sql;
pub(crate) mod state;
pub(crate) mod units;
