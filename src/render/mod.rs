//! Renderers: each writes a [`Report`](crate::report::Report) to any `impl Write`.

pub mod csv;
pub mod frame;
pub mod json;
pub mod table;

/// The tables `--output csv --table NAME` can write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TableName {
    Inputs,
    ByStatus,
    Errors,
    Routes,
    Timeline,
    Incidents,
    Malformed,
}
