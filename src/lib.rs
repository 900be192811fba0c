//! faultline: HTTP API access logs in, error analytics and persistent-5xx
//! verdicts out.
//!
//! Data flows one way: [`input`] → [`parse`] → [`aggregate`] → [`detect`] →
//! [`report`] → [`render`]. [`pipeline`] wires the first three together over
//! many inputs in parallel. [`cli`], [`plan`] and [`cmd`] are the command
//! layer, the only code that knows the command line.

pub mod aggregate;
pub mod cli;
pub mod cmd;
pub mod detect;
pub mod event;
pub mod follow;
pub mod input;
pub mod live;
pub mod parse;
pub mod pipeline;
pub mod plan;
pub mod render;
pub mod report;
pub mod route;
pub mod sql;
pub mod units;
pub mod webhook;
