//! The one error type of spygen: a message, where it happened, and what to do next.

use std::fmt;
use std::path::{Path, PathBuf};

/// A position in a text file, 1-based, as editors and compilers print it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// The file the position is in.
    pub file: PathBuf,
    /// 1-based line number.
    pub line: usize,
    /// 1-based column, counted in characters.
    pub column: usize,
}

impl Location {
    /// The location of byte `offset` in `text`, which is the content of `file`.
    pub fn from_offset(file: &Path, text: &str, offset: usize) -> Location {
        let offset = offset.min(text.len());
        let before = &text[..floor_char_boundary(text, offset)];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let column = before[line_start..].chars().count() + 1;
        Location { file: file.to_path_buf(), line, column }
    }
}

/// `offset`, or the start of the character it falls inside.
pub(crate) fn floor_char_boundary(text: &str, mut offset: usize) -> usize {
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.file.display(), self.line, self.column)
    }
}

/// What went wrong, for the exit code: bad usage is 2, everything else is 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The command line asks for something impossible (unknown target, missing option).
    Usage,
    /// An input file (manifest, descriptor) is malformed or inconsistent.
    Input,
    /// A tool, file system or process failure.
    Environment,
}

/// An error with enough context for the user to fix it.
#[derive(Debug, Clone)]
pub struct Error {
    /// The category, which decides the exit code.
    pub kind: ErrorKind,
    /// One line saying what is wrong.
    pub message: String,
    /// Where in an input file the problem is, if it comes from one.
    pub location: Option<Location>,
    /// What the user can do about it.
    pub help: Option<String>,
}

/// spygen's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// A usage error (exit code 2).
    pub fn usage(message: impl Into<String>) -> Error {
        Error::new(ErrorKind::Usage, message)
    }

    /// An error in an input file.
    pub fn input(message: impl Into<String>) -> Error {
        Error::new(ErrorKind::Input, message)
    }

    /// A failure of the environment: a tool, a file, a process.
    pub fn env(message: impl Into<String>) -> Error {
        Error::new(ErrorKind::Environment, message)
    }

    fn new(kind: ErrorKind, message: impl Into<String>) -> Error {
        Error { kind, message: message.into(), location: None, help: None }
    }

    /// Attaches the place in an input file the error is about.
    pub fn at(mut self, location: Location) -> Error {
        self.location = Some(location);
        self
    }

    /// The same error, found in an input file at `location` (an input error, whatever its
    /// kind was: the file is what to fix).
    pub fn in_file(mut self, location: Location) -> Error {
        self.kind = ErrorKind::Input;
        self.at(location)
    }

    /// Attaches a hint saying what to do next.
    pub fn help(mut self, help: impl Into<String>) -> Error {
        self.help = Some(help.into());
        self
    }

    /// An I/O error on `path`, saying what was being done.
    pub fn io(action: &str, path: &Path, err: std::io::Error) -> Error {
        let help = match err.kind() {
            std::io::ErrorKind::PermissionDenied => "check the permissions of the path and of its directories",
            std::io::ErrorKind::NotFound => "check that the path exists",
            _ => "check the path and the file system (free space, permissions, mounts)",
        };
        Error::env(format!("cannot {action} {}: {err}", path.display())).help(help)
    }

    /// The process exit code for this error.
    pub fn exit_code(&self) -> i32 {
        match self.kind {
            ErrorKind::Usage => 2,
            ErrorKind::Input | ErrorKind::Environment => 1,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(location) = &self.location {
            write!(f, "{location}: ")?;
        }
        write!(f, "{}", self.message)?;
        if let Some(help) = &self.help {
            write!(f, "\n  help: {help}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Error {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn location_counts_lines_and_characters() {
        let text = "a = 1\nbé = 2\n";
        let loc = Location::from_offset(Path::new("f.toml"), text, text.find('=').unwrap());
        assert_eq!((loc.line, loc.column), (1, 3));
        let second = text.rfind('=').unwrap();
        let loc = Location::from_offset(Path::new("f.toml"), text, second);
        assert_eq!((loc.line, loc.column), (2, 4));
        assert_eq!(loc.to_string(), "f.toml:2:4");
    }
}
