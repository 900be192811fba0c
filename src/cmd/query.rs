//! `faultline query`: plan → events frame → Polars SQL → render. Polars is
//! behind the cargo feature `query` (on by default); without it the command
//! says how to get it.

#[cfg(feature = "query")]
mod polars_sql;

#[cfg(feature = "query")]
pub(crate) use polars_sql::run;

#[cfg(not(feature = "query"))]
pub(crate) fn run(_args: &crate::cli::QueryArgs) -> Result<super::Exit, super::Failure> {
    Err(super::Failure::usage(anyhow::anyhow!(
        "this faultline was built without `query` (Polars); rebuild it with the \
         default features: cargo install --path . (or --features query)"
    )))
}
