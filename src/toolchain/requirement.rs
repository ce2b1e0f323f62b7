//! Version requirements on tools (`zig = "==0.13.0"`, `emcc = ">=3.1, <4"` under
//! `[spygen.require]` in spy.toml), in pip's spelling so the install hint can carry them as
//! written (`pip install 'ziglang==0.13.0'`).
//!
//! Versions compare number by number, missing numbers counting as 0 (`0.13` is `0.13.0`);
//! text after the numbers (`-dev.123`, `+git`) is ignored.

use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::fmt;

/// A project's requirements, by package name (`zig`).
pub type Requirements = BTreeMap<String, VersionReq>;

/// A version: its numbers (`0.13.0` is `[0, 13, 0]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Version(pub Vec<u64>);

impl Version {
    /// The first version in `text` (a word of numbers separated by dots, with at least one
    /// dot): `emcc (...) 3.1.6 (...)` gives 3.1.6, `cc (Debian 12.2.0-14) 12.2.0` gives 12.2.0.
    pub fn find_in(text: &str) -> Option<Version> {
        let line = text.lines().find(|l| l.bytes().any(|b| b.is_ascii_digit()))?;
        line.split(|c: char| !(c.is_ascii_digit() || c == '.'))
            .map(|w| w.trim_matches('.'))
            .filter(|w| w.contains('.') && w.split('.').all(|n| !n.is_empty()))
            .find_map(Version::parse)
    }

    /// `0.13.0` (numbers and dots only).
    pub fn parse(text: &str) -> Option<Version> {
        let numbers: Option<Vec<u64>> = text.split('.').map(|n| n.parse().ok()).collect();
        numbers.filter(|n| !n.is_empty()).map(Version)
    }

    fn cmp_padded(&self, other: &Version) -> Ordering {
        let len = self.0.len().max(other.0.len());
        (0..len)
            .map(|i| self.0.get(i).copied().unwrap_or(0).cmp(&other.0.get(i).copied().unwrap_or(0)))
            .find(|o| *o != Ordering::Equal)
            .unwrap_or(Ordering::Equal)
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        let parts: Vec<String> = self.0.iter().map(u64::to_string).collect();
        f.write_str(&parts.join("."))
    }
}

/// A comparison of one clause.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Eq,
    Ne,
    Ge,
    Le,
    Gt,
    Lt,
}

/// A requirement: clauses separated by commas, all of which must hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionReq {
    /// As written (trimmed).
    pub text: String,
    clauses: Vec<(Op, Version)>,
}

impl VersionReq {
    /// Parses `==0.13.0`, `>=3.1, <4`; an error says what is wrong.
    pub fn parse(text: &str) -> Result<VersionReq, String> {
        let mut clauses = Vec::new();
        for clause in text.split(',').map(str::trim) {
            let (op, rest) =
                [("==", Op::Eq), ("!=", Op::Ne), (">=", Op::Ge), ("<=", Op::Le), (">", Op::Gt), ("<", Op::Lt)]
                    .iter()
                    .find_map(|(s, op)| clause.strip_prefix(s).map(|r| (*op, r.trim())))
                    .ok_or_else(|| {
                        format!(
                            "`{clause}` does not start with one of == != >= <= > < (write `==0.13.0` or `>=3.1, <4`)"
                        )
                    })?;
            let version =
                Version::parse(rest).ok_or_else(|| format!("`{rest}` in `{clause}` is not a version like 0.13.0"))?;
            clauses.push((op, version));
        }
        Ok(VersionReq { text: text.trim().to_string(), clauses })
    }

    /// Whether `version` meets every clause.
    pub fn matches(&self, version: &Version) -> bool {
        self.clauses.iter().all(|(op, want)| {
            let o = version.cmp_padded(want);
            match op {
                Op::Eq => o == Ordering::Equal,
                Op::Ne => o != Ordering::Equal,
                Op::Ge => o != Ordering::Less,
                Op::Le => o != Ordering::Greater,
                Op::Gt => o == Ordering::Greater,
                Op::Lt => o == Ordering::Less,
            }
        })
    }
}

impl fmt::Display for VersionReq {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(&self.text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(text: &str) -> Version {
        Version::parse(text).unwrap()
    }

    #[test]
    fn versions_are_found_in_what_compilers_print() {
        assert_eq!(Version::find_in("0.13.0\n"), Some(v("0.13.0")));
        assert_eq!(Version::find_in("0.14.0-dev.1951+857383689\n"), Some(v("0.14.0")));
        let emcc = "emcc (Emscripten gcc/clang-like replacement + linker emulating GNU ld) 3.1.6 ()\nCopyright";
        assert_eq!(Version::find_in(emcc), Some(v("3.1.6")));
        assert_eq!(Version::find_in("cc (Debian 12.2.0-14+deb12u1) 12.2.0\n"), Some(v("12.2.0")));
        assert_eq!(Version::find_in("no version here"), None);
    }

    #[test]
    fn a_requirement_holds_when_every_clause_does_with_missing_numbers_as_zero() {
        let eq = VersionReq::parse("==0.13").unwrap();
        assert!(eq.matches(&v("0.13.0")) && !eq.matches(&v("0.13.1")));
        let range = VersionReq::parse(">=3.1, <4").unwrap();
        assert!(range.matches(&v("3.1.6")) && range.matches(&v("3.1")) && !range.matches(&v("4.0.0")));
        assert!(!range.matches(&v("3.0.9")));
        assert!(VersionReq::parse("!=0.14.0").unwrap().matches(&v("0.13.0")));
        assert!(VersionReq::parse(">0.13").unwrap().matches(&v("0.13.1")));
        assert!(VersionReq::parse("<=0.13").unwrap().matches(&v("0.13.0")));
    }

    #[test]
    fn a_malformed_requirement_says_what_to_write() {
        assert!(VersionReq::parse("0.13.0").unwrap_err().contains("does not start with"));
        assert!(VersionReq::parse("=>1").unwrap_err().contains("does not start with"));
        assert!(VersionReq::parse("==x.y").unwrap_err().contains("is not a version"));
        assert!(VersionReq::parse(">=3.1,").unwrap_err().contains("does not start with"));
    }
}
