//! One module per subcommand; each turns library results into a table or JSON.

pub mod diff;
pub mod nodes;
pub mod stats;
pub mod summary;

use anyhow::{anyhow, Result};
use regex::Regex;
use serde::Serialize;

/// A `--class REGEX` flag compiled, with an error that names the flag.
pub fn class_filter(pattern: Option<&str>) -> Result<Option<Regex>> {
    pattern
        .map(|p| Regex::new(p).map_err(|e| anyhow!("--class {p:?} is not a valid regular expression: {e}")))
        .transpose()
}

/// A source location exactly as the snapshot gives it (0-based line and column).
#[derive(Debug, Serialize)]
pub struct JsonLocation {
    pub script_id: u32,
    pub line: u32,
    pub column: u32,
}

impl From<heaplens_snapshot::Location> for JsonLocation {
    fn from(l: heaplens_snapshot::Location) -> Self {
        JsonLocation { script_id: l.script_id, line: l.line, column: l.column }
    }
}

/// Writes `value` as one line of JSON to stdout.
pub fn print_json(out: &mut dyn std::io::Write, value: &impl Serialize) -> Result<()> {
    serde_json::to_writer(&mut *out, value)?;
    writeln!(out)?;
    Ok(())
}
