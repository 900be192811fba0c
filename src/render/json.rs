//! The JSON document of SPEC §4, pretty-printed, one document per run.

use crate::report::Report;
use std::io::{self, Write};

pub(crate) fn write(report: &Report, mut out: impl Write) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut out, report)?;
    writeln!(out)
}
