//! Input files read as text and parsed as TOML, keeping enough to point at a line and column.

use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;

use crate::error::{Error, Location, Result};
use crate::fsutil::Stamp;

/// A TOML input file: its path and content, so spans can be turned into line:column.
#[derive(Debug, Clone)]
pub struct SourceFile {
    /// The path as the user would recognise it (as given or as discovered).
    pub path: PathBuf,
    /// The whole text of the file.
    pub text: String,
    /// The file's stamp, taken before it was read (`None` for embedded text).
    pub stamp: Option<Stamp>,
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
        let mut text = String::with_capacity(meta.len() as usize);
        file.read_to_string(&mut text).map_err(|e| Error::io("read", path, e))?;
        Ok(SourceFile { path: path.to_path_buf(), text, stamp: crate::fsutil::stamp_of(&meta) })
    }

    /// A source file from text already in memory (embedded descriptors).
    pub fn from_text(path: impl Into<PathBuf>, text: impl Into<String>) -> SourceFile {
        SourceFile { path: path.into(), text: text.into(), stamp: None }
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
            let message = e.message().trim_end().to_string();
            let err = Error::input(message).help(
                "fix this entry; the README's \"Manifests\" and \"Toolchain descriptors\" sections list every key",
            );
            match e.span() {
                Some(span) => err.at(self.location(span.start)),
                None => err.at(self.location(0)),
            }
        })
    }

    fn check_control_characters(&self, only: Option<&[&str]>) -> Result<()> {
        use toml::de::{DeTable, DeValue};
        // Only an escape, a multi-line string or a tab can put a control character in a TOML
        // string (any other is a syntax error): without them, no second parse is needed. A
        // project of 1,000 modules reads 1,000 manifests.
        let may_hold_one = self.text.contains(['\\', '\t'])
            || self.text.contains("\"\"\"")
            || self.text.contains("'''")
            || self.text.chars().any(|c| c.is_control() && c != '\n' && c != '\r');
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
        Location::from_offset(&self.path, &self.text, offset)
    }
}
