//! Input files read as text and parsed as TOML, keeping enough to point at a line and column.

use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;

use crate::error::{Error, Location, Result};
use crate::fsutil::Stamp;

/// A key a table does not take, read from serde's `deny_unknown_fields` error (the toml crate
/// gives the message and the key's span, not the key and the valid ones apart).
#[derive(Debug, PartialEq, Eq)]
struct UnknownKey {
    /// The key as written.
    key: String,
    /// The keys the table takes, in the schema's order.
    expected: Vec<String>,
}

impl UnknownKey {
    /// The key and the valid ones of serde's "unknown field `k`, expected `a`", "... expected
    /// `a` or `b`", "... expected one of `a`, `b`, `c`" or "... there are no fields"; `None`
    /// for any other message.
    fn from_message(message: &str) -> Option<UnknownKey> {
        let rest = message.strip_prefix("unknown field `")?;
        if let Some(key) = rest.strip_suffix("`, there are no fields") {
            return Some(UnknownKey { key: key.to_string(), expected: Vec::new() });
        }
        // The key may hold anything, even a backtick; the valid keys are identifiers.
        let end = rest.rfind("`, expected ")?;
        let list = &rest[end + "`, expected ".len()..];
        // Every other piece between backticks is a name: `a`, `b` splits into "", "a", ", ", "b", "".
        let expected = list.split('`').skip(1).step_by(2).map(str::to_string).collect();
        Some(UnknownKey { key: rest[..end].to_string(), expected })
    }

    /// The error: the key, the closest valid one if one is close, and every valid one.
    fn error(&self) -> Error {
        let suggestion = crate::suggest::did_you_mean(&self.key, self.expected.iter().map(String::as_str));
        let help = if self.expected.is_empty() {
            "remove it: this table takes no keys".to_string()
        } else {
            let keys: Vec<String> = self.expected.iter().map(|k| format!("`{k}`")).collect();
            format!(
                "the keys here are {}; the README's \"Manifests\" and \"Toolchain descriptors\" sections say what each does",
                keys.join(", ")
            )
        };
        Error::input(format!("unknown key `{}`{suggestion}", self.key)).help(help)
    }
}

/// A TOML input file: its path and content, so spans can be turned into line:column.
#[derive(Debug, Clone)]
pub struct SourceFile {
    /// The path as the user would recognise it (as given or as discovered).
    pub path: PathBuf,
    /// The whole text of the file.
    pub text: String,
    /// The file's stamp, taken before it was read (`None` for embedded text).
    pub stamp: Option<Stamp>,
    /// Where each line after the first starts, found when a location is first asked for: a
    /// project manifest naming 1,000 modules has a location taken per module, and counting
    /// lines from the start each time would be quadratic.
    line_starts: std::sync::OnceLock<Vec<usize>>,
}

impl SourceFile {
    /// Reads `path`; a missing or unreadable file is an error naming it.
    pub fn read(path: &Path) -> Result<SourceFile> {
        use std::io::Read;
        use std::os::unix::fs::OpenOptionsExt;
        // Linux's O_NONBLOCK: opening a FIFO in a file's place returns at once instead of
        // waiting for a writer (reading a regular file is unaffected); its kind is then refused.
        const O_NONBLOCK: i32 = 0o4000;
        let mut file = std::fs::OpenOptions::new()
            .read(true)
            .custom_flags(O_NONBLOCK)
            .open(path)
            .map_err(|e| Error::io("read", path, e))?;
        // The stamp of the open file, before its content is read: an edit after this is seen
        // as a change by the next generation.
        let meta = file.metadata().map_err(|e| Error::io("read", path, e))?;
        if !meta.is_file() {
            return Err(Error::input(format!("{} is {}, not a file", path.display(), crate::fsutil::kind_of(&meta)))
                .help("put the file there, or name another"));
        }
        // Read through `take`: `File::read_to_string` would ask the size again (a statx and an
        // lseek per file, 2,000 system calls for the 1,000 manifests of a large project) that
        // the fstat above gave. One byte of room past it: a file grown since needs no regrowth
        // to be read whole (and its new stamp regenerates next time).
        let mut bytes = Vec::with_capacity(meta.len() as usize + 1);
        (&mut file).take(u64::MAX).read_to_end(&mut bytes).map_err(|e| Error::io("read", path, e))?;
        let text = String::from_utf8(bytes).map_err(|e| {
            // Where: the valid text before the first bad byte gives the line and column.
            let valid = e.utf8_error().valid_up_to();
            let bytes = e.into_bytes();
            let before = std::str::from_utf8(&bytes[..valid]).unwrap_or_default();
            Error::input(format!("the file is not UTF-8 text (byte 0x{:02x})", bytes[valid]))
                .at(Location::from_offset(path, before, valid))
                .help("save it as UTF-8 (TOML files are UTF-8)")
        })?;
        Ok(SourceFile {
            path: path.to_path_buf(),
            text,
            stamp: crate::fsutil::stamp_of(&meta),
            line_starts: Default::default(),
        })
    }

    /// A source file from text already in memory (embedded descriptors).
    pub fn from_text(path: impl Into<PathBuf>, text: impl Into<String>) -> SourceFile {
        SourceFile { path: path.into(), text: text.into(), stamp: None, line_starts: Default::default() }
    }

    /// Deserializes the file, turning a TOML or schema error into `file:line:column: message`.
    /// No string in it may hold a control character (see [`SourceFile::parse_keys`]).
    pub fn parse<T: DeserializeOwned>(&self) -> Result<T> {
        self.parse_keys(None)
    }

    /// [`SourceFile::parse`], checking for control characters only under the top-level keys
    /// `only` when given (spy.toml's other keys belong to SPy). Every string that spygen reads
    /// may end up in a build file, where a line break would start a new statement (a define of
    /// `"X=1\nrule pwn..."` would run a command at `ninja`): such a string is an error at its
    /// own line and column, before anything is planned.
    pub fn parse_keys<T: DeserializeOwned>(&self, only: Option<&[&str]>) -> Result<T> {
        self.check_control_characters(only)?;
        toml::from_str(&self.text).map_err(|e| {
            let message = e.message().trim_end();
            let err = match UnknownKey::from_message(message) {
                Some(unknown) => unknown.error(),
                None => Error::input(message).help(
                    "fix this entry; the README's \"Manifests\" and \"Toolchain descriptors\" sections list every key",
                ),
            };
            err.at(self.location(e.span().map_or(0, |span| span.start)))
        })
    }

    fn check_control_characters(&self, only: Option<&[&str]>) -> Result<()> {
        use toml::de::{DeTable, DeValue};
        // Only an escape, a multi-line string or a tab can put a control character in a TOML
        // string (any other is a syntax error): without them, no second parse is needed. A
        // project of 1,000 modules reads 1,000 manifests.
        // Bytes in one pass: a control character is below 0x20 (a tab too), 0x7f, or (U+0080
        // to U+009F) starts with 0xc2.
        let may_hold_one =
            self.text.bytes().any(|b| b == b'\\' || (b < 0x20 && b != b'\n' && b != b'\r') || b == 0x7f || b == 0xc2)
                || self.text.contains("\"\"\"")
                || self.text.contains("'''");
        if !may_hold_one {
            return Ok(());
        }
        // A syntax error is reported by the typed parse, with its own location.
        let Ok(doc) = DeTable::parse(&self.text) else { return Ok(()) };
        let mut stack: Vec<(String, &toml::Spanned<DeValue>)> = Vec::new();
        let check = |what: &str, text: &str, span: std::ops::Range<usize>| {
            match text.chars().find(|c| c.is_control()) {
            None => Ok(()),
            Some(c) => Err(Error::input(format!(
                "{what} holds the control character U+{:04X}: no build file can carry it",
                c as u32
            ))
            .at(self.location(span.start))
            .help("remove it; a line break or other control character in a flag, path or name would break or inject lines of build.ninja and the Makefile")),
        }
        };
        for (key, value) in doc.get_ref() {
            if only.is_some_and(|keys| !keys.contains(&key.get_ref().as_ref())) {
                continue;
            }
            check("a key", key.get_ref(), key.span())?;
            stack.push((format!("`{}`", key.get_ref()), value));
        }
        // Iterative: nesting depth is the file's to choose.
        while let Some((path, value)) = stack.pop() {
            match value.get_ref() {
                DeValue::String(s) => check(&path, s, value.span())?,
                DeValue::Array(items) => {
                    for item in items.iter() {
                        stack.push((format!("an entry of {path}"), item));
                    }
                }
                DeValue::Table(table) => {
                    for (key, item) in table {
                        check("a key", key.get_ref(), key.span())?;
                        stack.push((format!("`{}`", key.get_ref()), item));
                    }
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// The line and column of byte `offset`.
    pub fn location(&self, offset: usize) -> Location {
        let starts = self
            .line_starts
            .get_or_init(|| self.text.bytes().enumerate().filter(|&(_, b)| b == b'\n').map(|(i, _)| i + 1).collect());
        let offset = crate::error::floor_char_boundary(&self.text, offset.min(self.text.len()));
        // Lines starting at or before the offset, after the first.
        let line = starts.partition_point(|&start| start <= offset);
        let line_start = if line == 0 { 0 } else { starts[line - 1] };
        let column = self.text[line_start..offset].chars().count() + 1;
        Location { file: self.path.clone(), line: line + 1, column }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A small schema like a module manifest's; its fields are only ever deserialized.
    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields, rename_all = "kebab-case")]
    #[allow(dead_code)]
    struct Module {
        name: String,
        sources: Option<Vec<String>>,
        public_headers: Option<Vec<String>>,
    }

    /// The error of parsing `text`, which must not fit [`Module`].
    fn parse_error(text: &str) -> Error {
        SourceFile::from_text("m.toml", text).parse::<Module>().unwrap_err()
    }

    #[test]
    fn serdes_unknown_field_messages_are_read_back_into_key_and_valid_keys() {
        let one_of = UnknownKey::from_message("unknown field `sorces`, expected one of `name`, `kind`, `sources`");
        assert_eq!(
            one_of,
            Some(UnknownKey { key: "sorces".into(), expected: vec!["name".into(), "kind".into(), "sources".into()] })
        );
        let two = UnknownKey::from_message("unknown field `x`, expected `a` or `b`").unwrap();
        assert_eq!(two.expected, ["a", "b"]);
        let one = UnknownKey::from_message("unknown field `a`b`, expected `ab`").unwrap();
        assert_eq!((one.key.as_str(), one.expected.as_slice()), ("a`b", ["ab".to_string()].as_slice()));
        let none = UnknownKey::from_message("unknown field `x`, there are no fields").unwrap();
        assert!(none.expected.is_empty());
        assert_eq!(UnknownKey::from_message("missing field `name`"), None);
    }

    #[test]
    fn an_unknown_key_error_suggests_the_close_key_at_the_keys_position() {
        let err = parse_error("name = \"m\"\nsorces = [\"a.c\"]\n");
        assert_eq!(
            err.to_string().lines().next().unwrap(),
            "m.toml:2:1: unknown key `sorces`; did you mean `sources`?"
        );
        assert!(err.help.unwrap().starts_with("the keys here are `name`, `sources`, `public-headers`;"));
        let err = parse_error("name = \"m\"\npublic_headers = []\n");
        assert_eq!(err.message, "unknown key `public_headers`; did you mean `public-headers`?");
    }

    #[test]
    fn an_unknown_key_far_from_every_valid_one_is_reported_without_a_guess() {
        let err = parse_error("name = \"m\"\ncolour = \"red\"\n");
        assert_eq!(err.message, "unknown key `colour`");
        assert!(err.help.unwrap().contains("`name`, `sources`, `public-headers`"));
    }

    #[test]
    fn other_schema_errors_keep_their_message() {
        let err = parse_error("name = 1\n");
        assert!(err.message.starts_with("invalid type: integer `1`, expected a string"), "{}", err.message);
    }

    proptest::proptest! {
        #[test]
        fn locations_count_lines_and_characters_as_from_offset_does(text in "[a\né\r\t]{0,40}", offsets in proptest::collection::vec(0usize..50, 1..8)) {
            let file = SourceFile::from_text("m/spygen.toml", text.clone());
            for offset in offsets {
                proptest::prop_assert_eq!(file.location(offset), Location::from_offset(&file.path, &text, offset));
            }
        }
    }
}
