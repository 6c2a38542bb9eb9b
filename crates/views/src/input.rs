//! Values as people write them on the command line and agents in tool arguments: node ids
//! (`@12345`), sizes (`64kB`), seconds, HTTP headers, regular expressions for a flag.

use regex::Regex;

use crate::Error;

/// A node id as DevTools writes it (`@12345`; the `@` is optional).
pub fn parse_node_id(text: &str) -> Result<u32, Error> {
    text.strip_prefix('@').unwrap_or(text).parse().map_err(|_| Error::NotANodeId(text.to_owned()))
}

/// A size in bytes: `4096`, `64kB`, `1.5MB`, `2GiB` (kB, MB, GB are powers of 1000 like DevTools;
/// KiB, MiB, GiB powers of 1024).
pub fn parse_bytes(text: &str) -> Result<u64, Error> {
    let t = text.trim();
    let split = t.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(t.len());
    let (number, unit) = t.split_at(split);
    let scale: f64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1.0,
        "k" | "kb" => 1e3,
        "m" | "mb" => 1e6,
        "g" | "gb" => 1e9,
        "kib" => 1024.0,
        "mib" => 1048576.0,
        "gib" => 1073741824.0,
        _ => return Err(Error::UnknownUnit(text.to_owned())),
    };
    let value: f64 = number.parse().map_err(|_| Error::NotASize(text.to_owned()))?;
    Ok((value * scale).round() as u64)
}

/// Seconds, more than zero.
pub fn parse_seconds(text: &str) -> Result<f64, Error> {
    match text.trim().parse::<f64>() {
        Ok(s) if s > 0.0 && s.is_finite() && s < 1e7 => Ok(s),
        _ => Err(Error::NotSeconds(text.to_owned())),
    }
}

/// Seconds, zero allowed.
pub fn parse_seconds_or_zero(text: &str) -> Result<f64, Error> {
    if text.trim().parse::<f64>() == Ok(0.0) {
        return Ok(0.0);
    }
    parse_seconds(text)
}

/// An HTTP header, `NAME: VALUE`.
pub fn parse_header(text: &str) -> Result<(String, String), Error> {
    let (name, value) = text.split_once(':').ok_or_else(|| Error::NotAHeader(text.to_owned()))?;
    let name = name.trim();
    if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_".contains(&b)) {
        return Err(Error::NotAHeaderName(name.to_owned()));
    }
    Ok((name.to_owned(), value.trim().to_owned()))
}

/// A `--FLAG REGEX` compiled, with a one-line error that names the flag.
pub fn regex_flag(flag: &'static str, pattern: Option<&str>) -> Result<Option<Regex>, Error> {
    pattern
        .map(|p| {
            Regex::new(p).map_err(|e| {
                // The regex crate draws the pattern with a caret on several lines; keep the verdict.
                let text = e.to_string();
                let reason = text.lines().map(str::trim).rfind(|l| !l.is_empty()).unwrap_or("invalid").to_owned();
                Error::InvalidRegex {
                    flag,
                    pattern: p.to_owned(),
                    reason: reason.trim_start_matches("error: ").to_owned(),
                }
            })
        })
        .transpose()
}

/// A `--class REGEX` flag compiled.
pub fn class_filter(pattern: Option<&str>) -> Result<Option<Regex>, Error> {
    regex_flag("class", pattern)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_node_ids_and_sizes() {
        assert_eq!(parse_node_id("@123").unwrap(), 123);
        assert_eq!(parse_node_id("77").unwrap(), 77);
        assert!(parse_node_id("@x").is_err());
        assert_eq!(parse_bytes("4096").unwrap(), 4096);
        assert_eq!(parse_bytes("64kB").unwrap(), 64_000);
        assert_eq!(parse_bytes("1.5MB").unwrap(), 1_500_000);
        assert_eq!(parse_bytes("2 MiB").unwrap(), 2 << 20);
        assert!(parse_bytes("12 parsecs").is_err());
        assert_eq!(parse_seconds("1.5").unwrap(), 1.5);
        assert!(parse_seconds("0").is_err());
        assert_eq!(parse_seconds_or_zero("0").unwrap(), 0.0);
        assert_eq!(parse_header("X-Id: 7").unwrap(), ("X-Id".to_owned(), "7".to_owned()));
        assert!(parse_header("X Id: 7").is_err());
    }

    #[test]
    fn a_bad_pattern_is_named_on_one_line() {
        let e = class_filter(Some("(")).unwrap_err().to_string();
        assert!(e.starts_with("--class \"(\" is not a valid regular expression ("), "{e}");
        assert!(!e.contains('\n'), "{e}");
    }
}
