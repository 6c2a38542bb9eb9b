//! Plain-text tables for people: aligned columns, sizes in readable units.

use std::fmt;
use std::io;

/// Rows a table of classes shows unless told (JSON shows them all).
pub const DEFAULT_ROWS: usize = 25;

/// Column alignment.
#[derive(Clone, Copy)]
pub enum Align {
    /// Text starts at the column's left edge.
    Left,
    /// Text ends at the column's right edge (numbers).
    Right,
}

/// A table built row by row and written with aligned columns (its `Display`).
pub struct Table {
    header: Vec<String>,
    align: Vec<Align>,
    rows: Vec<Vec<String>>,
}

impl Table {
    /// A table with these column headers and alignments.
    pub fn new(columns: &[(&str, Align)]) -> Table {
        Table {
            header: columns.iter().map(|c| c.0.to_owned()).collect(),
            align: columns.iter().map(|c| c.1).collect(),
            rows: Vec::new(),
        }
    }

    /// Adds a row, one cell per column.
    pub fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells);
    }

    /// Writes the table to `out`.
    pub fn print(&self, out: &mut dyn io::Write) -> io::Result<()> {
        write!(out, "{self}")
    }
}

impl fmt::Display for Table {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let width =
            |i: usize| self.rows.iter().map(|r| r[i].chars().count()).chain([self.header[i].len()]).max().unwrap_or(0);
        let widths: Vec<usize> = (0..self.header.len()).map(width).collect();
        let line = |cells: &[String]| {
            let mut s = String::new();
            for (i, cell) in cells.iter().enumerate() {
                let pad = widths[i] - cell.chars().count();
                let last = i + 1 == cells.len();
                match self.align[i] {
                    Align::Left if last => s.push_str(cell),
                    Align::Left => {
                        s.push_str(cell);
                        s.push_str(&" ".repeat(pad));
                    }
                    Align::Right => {
                        s.push_str(&" ".repeat(pad));
                        s.push_str(cell);
                    }
                }
                if !last {
                    s.push_str("  ");
                }
            }
            s
        };
        writeln!(f, "{}", line(&self.header))?;
        for row in &self.rows {
            writeln!(f, "{}", line(row))?;
        }
        Ok(())
    }
}

pub use heaplens_graph::format_bytes as bytes;

/// A signed byte delta: `+1.2 MB`, `-300 B`.
pub fn signed_bytes(n: i64) -> String {
    let sign = if n < 0 { "-" } else { "+" };
    format!("{sign}{}", bytes(n.unsigned_abs()))
}

/// A distance as DevTools means it: `-` unreachable, `sys+N` only through system roots.
pub fn distance(d: i32) -> String {
    if d == heaplens_graph::NO_DISTANCE {
        "-".into()
    } else if d >= heaplens_graph::SYSTEM_DISTANCE {
        format!("sys+{}", d - heaplens_graph::SYSTEM_DISTANCE)
    } else {
        d.to_string()
    }
}

/// A class name shortened for a table cell.
pub fn clip(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.replace(['\n', '\r', '\t'], " ");
    }
    let mut out: String = s.chars().take(max - 1).collect();
    out.push('…');
    out.replace(['\n', '\r', '\t'], " ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_sizes_and_distances() {
        assert_eq!(bytes(999), "999 B");
        assert_eq!(bytes(1500), "1.5 kB");
        assert_eq!(signed_bytes(-2_500_000), "-2.5 MB");
        assert_eq!(distance(-5), "-");
        assert_eq!(distance(100_000_003), "sys+3");
        assert_eq!(clip("abcdef", 4), "abc…");
    }

    #[test]
    fn aligns_columns() {
        let mut t = Table::new(&[("Size", Align::Right), ("Name", Align::Left)]);
        t.row(vec!["1 B".into(), "a".into()]);
        t.row(vec!["10.0 kB".into(), "bb".into()]);
        assert_eq!(t.to_string(), "   Size  Name\n    1 B  a\n10.0 kB  bb\n");
    }
}
