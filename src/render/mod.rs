//! Renderers: each writes a [`Report`](crate::report::Report) to any `impl Write`.

pub(crate) mod cells;
pub(crate) mod csv;
#[cfg(feature = "query")]
pub(crate) mod frame;
pub(crate) mod html;
pub(crate) mod json;
pub(crate) mod markdown;
pub(crate) mod table;

/// The tables `--output csv --table NAME` can write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TableName {
    Inputs,
    ByStatus,
    Errors,
    Routes,
    Timeline,
    Incidents,
    Malformed,
}
