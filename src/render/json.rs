//! The JSON document of SPEC §4, one document per run: indented down to the
//! rows of each table, and each row on one line. Rows of tens of thousands of
//! routes or errors stay readable and greppable, and the document is less
//! than half the size of one indented all the way down.

use crate::report::Report;
use serde::Serialize;
use serde_json::ser::{CompactFormatter, Formatter, PrettyFormatter};
use std::io::{self, Write};

/// How deep containers are indented: the document (1), its sections (2), the
/// rows of a table or the fields of `summary` (3 and deeper: one line).
const INDENTED_DEPTH: usize = 2;

pub(crate) fn write(report: &Report, mut out: impl Write) -> io::Result<()> {
    let mut ser = serde_json::Serializer::with_formatter(&mut out, RowsPerLine::default());
    report.serialize(&mut ser)?;
    writeln!(out)
}

/// serde_json's pretty formatter for the outer containers, its compact one
/// inside them.
struct RowsPerLine {
    pretty: PrettyFormatter<'static>,
    /// Containers open now.
    depth: usize,
}

impl Default for RowsPerLine {
    fn default() -> Self {
        RowsPerLine {
            pretty: PrettyFormatter::new(),
            depth: 0,
        }
    }
}

/// Forwards a formatter call to the pretty or the compact formatter,
/// whichever applies at `depth`.
macro_rules! by_depth {
    ($self:ident, $depth:expr, $method:ident($($arg:expr),*)) => {
        if $depth <= INDENTED_DEPTH {
            $self.pretty.$method($($arg),*)
        } else {
            CompactFormatter.$method($($arg),*)
        }
    };
}

impl Formatter for RowsPerLine {
    fn begin_array<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.depth += 1;
        by_depth!(self, self.depth, begin_array(w))
    }
    fn end_array<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        let result = by_depth!(self, self.depth, end_array(w));
        self.depth -= 1;
        result
    }
    fn begin_array_value<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        by_depth!(self, self.depth, begin_array_value(w, first))
    }
    fn end_array_value<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        by_depth!(self, self.depth, end_array_value(w))
    }
    fn begin_object<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.depth += 1;
        by_depth!(self, self.depth, begin_object(w))
    }
    fn end_object<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        let result = by_depth!(self, self.depth, end_object(w));
        self.depth -= 1;
        result
    }
    fn begin_object_key<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        by_depth!(self, self.depth, begin_object_key(w, first))
    }
    fn begin_object_value<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        by_depth!(self, self.depth, begin_object_value(w))
    }
    fn end_object_value<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        by_depth!(self, self.depth, end_object_value(w))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Serialize)]
    struct Doc {
        summary: Summary,
        routes: Vec<Route>,
        incidents: Vec<Route>,
    }
    #[derive(Serialize)]
    struct Summary {
        lines: u64,
        by_class: [u64; 2],
    }
    #[derive(Serialize)]
    struct Route {
        route: &'static str,
        requests: u64,
    }

    #[test]
    fn sections_are_indented_and_rows_take_one_line_each() {
        let doc = Doc {
            summary: Summary {
                lines: 2,
                by_class: [1, 1],
            },
            routes: vec![
                Route {
                    route: "/a",
                    requests: 1,
                },
                Route {
                    route: "/b",
                    requests: 1,
                },
            ],
            incidents: Vec::new(),
        };
        let mut out = Vec::new();
        let mut ser = serde_json::Serializer::with_formatter(&mut out, RowsPerLine::default());
        doc.serialize(&mut ser).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert_eq!(
            text,
            "{\n  \"summary\": {\n    \"lines\": 2,\n    \"by_class\": [1,1]\n  },\n  \
             \"routes\": [\n    {\"route\":\"/a\",\"requests\":1},\n    \
             {\"route\":\"/b\",\"requests\":1}\n  ],\n  \"incidents\": []\n}"
        );
        let back: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(back, serde_json::to_value(&doc).unwrap());
    }
}
