//! A query result as a table or JSON (a Polars DataFrame written to any
//! `impl Write`), or how a streaming sink writes it as CSV or Parquet.

use comfy_table::{presets, ContentArrangement, LineStyle, Table, TableStyle};
use polars::prelude::*;
use std::io::Write;

const STYLE: TableStyle =
    presets::NOTHING.header_separator(LineStyle::none().fill('─').junction('─'));

fn cell(v: &AnyValue<'_>) -> String {
    match v {
        AnyValue::Null => String::new(),
        AnyValue::String(s) => (*s).to_owned(),
        AnyValue::StringOwned(s) => s.to_string(),
        AnyValue::Float64(f) => trim_float(*f),
        AnyValue::Float32(f) => trim_float(f64::from(*f)),
        AnyValue::Datetime(v, unit, _) | AnyValue::DatetimeOwned(v, unit, _) => {
            let micros = match unit {
                TimeUnit::Nanoseconds => v / 1000,
                TimeUnit::Microseconds => *v,
                // A SQL result can hold any milliseconds: saturate, never wrap.
                TimeUnit::Milliseconds => v.saturating_mul(1000),
            };
            crate::event::format_ts(micros)
        }
        other => other.to_string(),
    }
}

fn trim_float(f: f64) -> String {
    if f.fract() == 0.0 && f.abs() < 1e15 {
        format!("{f:.1}")
    } else {
        format!("{f}")
    }
}

/// Every row as a table, fitted to `width` columns when one is given (the
/// terminal's, or `COLUMNS`); otherwise cells are never wrapped.
pub(crate) fn table(
    df: &DataFrame,
    width: Option<u16>,
    out: &mut impl Write,
) -> anyhow::Result<()> {
    let mut t = Table::new();
    t.load_style(STYLE)
        .set_header(df.get_column_names().iter().map(|n| n.as_str()));
    match width.or(t.width()) {
        Some(w) => {
            t.set_content_arrangement(ContentArrangement::Dynamic)
                .set_width(w);
        }
        None => {
            t.set_content_arrangement(ContentArrangement::Disabled);
        }
    }
    let columns = df.columns();
    for row in 0..df.height() {
        let cells: Vec<String> = columns
            .iter()
            .map(|c| c.get(row).map(|v| cell(&v)).unwrap_or_default())
            .collect();
        t.add_row(cells);
    }
    writeln!(out, "{t}")?;
    writeln!(out, "({} rows)", df.height())?;
    Ok(())
}

/// CSV with times as RFC 3339 UTC (`2026-11-24T10:35:00Z`, a fraction only
/// when there is one), as a streaming sink writes it.
pub(crate) fn csv_format() -> FileWriteFormat {
    let serialize = SerializeOptions {
        datetime_format: Some("%Y-%m-%dT%H:%M:%S%.fZ".into()),
        ..SerializeOptions::default()
    };
    FileWriteFormat::Csv(CsvWriterOptions {
        serialize_options: Arc::new(serialize),
        ..CsvWriterOptions::default()
    })
}

/// A JSON array of row objects. Times are UTC (`…+00:00`): `events.ts` is
/// stored without a zone, and every time faultline reads is UTC.
pub(crate) fn json(df: &mut DataFrame, out: impl Write) -> PolarsResult<()> {
    let mut utc = df.clone();
    for name in df.get_column_names_owned() {
        let c = df.column(&name)?;
        if let DataType::Datetime(unit, None) = c.dtype() {
            let zoned = c.cast(&DataType::Datetime(*unit, Some(TimeZone::UTC)))?;
            utc.with_column(zoned)?;
        }
    }
    JsonWriter::new(out)
        .with_json_format(JsonFormat::Json)
        .finish(&mut utc)
}

/// Parquet with Polars' defaults (zstd), as a streaming sink writes it.
pub(crate) fn parquet_format() -> FileWriteFormat {
    FileWriteFormat::Parquet(Arc::new(ParquetWriteOptions::default()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn datetimes_in_milliseconds_beyond_i64_micros_saturate() {
        let ms = |v| cell(&AnyValue::Datetime(v, TimeUnit::Milliseconds, None));
        assert_eq!(ms(1_764_064_800_000), "2025-11-25T10:00:00Z");
        assert_eq!(ms(i64::MAX), "9223372036854775807");
        assert_eq!(ms(i64::MIN), "-9223372036854775808");
    }
}
