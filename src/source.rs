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
        let stamp = crate::fsutil::stamp(path);
        let text = std::fs::read_to_string(path).map_err(|e| Error::io("read", path, e))?;
        Ok(SourceFile { path: path.to_path_buf(), text, stamp })
    }

    /// A source file from text already in memory (embedded descriptors).
    pub fn from_text(path: impl Into<PathBuf>, text: impl Into<String>) -> SourceFile {
        SourceFile { path: path.into(), text: text.into(), stamp: None }
    }

    /// Deserializes the file, turning a TOML or schema error into `file:line:column: message`.
    pub fn parse<T: DeserializeOwned>(&self) -> Result<T> {
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

    /// The line and column of byte `offset`.
    pub fn location(&self, offset: usize) -> Location {
        Location::from_offset(&self.path, &self.text, offset)
    }
}
