//! Compiler launchers (ccache, sccache, distcc): the command put before each compile of a
//! target, never before an archive or a link. The command line wins over the project manifest,
//! which wins over the toolchain descriptor; `none` (or an empty value) means no launcher.

use std::path::{Path, PathBuf};

use crate::error::{Error, Location, Result};
use crate::manifest::Project;
use crate::paths;
use crate::toolchain::{Db, Toolchain};

/// The environment variable read when no `--launcher` is given (same syntax).
pub const LAUNCHER_ENV: &str = "SPYGEN_LAUNCHER";

/// One `--launcher` value: `COMMAND` for every target or `TARGET=COMMAND` for one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LauncherArg {
    /// The target it is for; `None`: every target.
    pub target: Option<String>,
    /// The command, as written (`ccache`, `none`).
    pub command: String,
    /// Where it came from: `--launcher` or the environment variable.
    pub from: &'static str,
}

impl LauncherArg {
    /// Parses a value. `TARGET=` is recognised when TARGET is a name (letters, digits, `-`,
    /// `_`); `env CCACHE_DIR=/x ccache` is a command for every target.
    pub fn parse(value: &str, from: &'static str) -> LauncherArg {
        if let Some((target, command)) = value.split_once('=')
            && !target.is_empty()
            && target.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            return LauncherArg { target: Some(target.to_string()), command: command.to_string(), from };
        }
        LauncherArg { target: None, command: value.to_string(), from }
    }

    /// The value as it is written on a command line.
    pub fn to_arg(&self) -> String {
        match &self.target {
            Some(t) => format!("{t}={}", self.command),
            None => self.command.clone(),
        }
    }
}

/// The `--launcher` values, or `$SPYGEN_LAUNCHER` when there are none.
pub fn args_or_env(values: &[String]) -> Vec<LauncherArg> {
    if !values.is_empty() {
        return values.iter().map(|v| LauncherArg::parse(v, "--launcher")).collect();
    }
    match std::env::var(LAUNCHER_ENV) {
        Ok(v) if !v.trim().is_empty() => vec![LauncherArg::parse(&v, LAUNCHER_ENV)],
        _ => Vec::new(),
    }
}

/// Where a target's launcher setting comes from, for messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LauncherOrigin {
    /// `--launcher` or `$SPYGEN_LAUNCHER`.
    CommandLine(&'static str),
    /// `launcher` or `[spygen.launcher-for]` in the project manifest.
    Project(Location),
    /// The toolchain descriptor's `launcher`.
    Descriptor(PathBuf),
}

impl std::fmt::Display for LauncherOrigin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LauncherOrigin::CommandLine(from) => write!(f, "{from}"),
            LauncherOrigin::Project(at) => write!(f, "{at}"),
            LauncherOrigin::Descriptor(path) => write!(f, "the descriptor {}", path.display()),
        }
    }
}

/// A target's launcher: the command words and where they were set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Launcher {
    /// The command words (`["ccache"]`).
    pub words: Vec<String>,
    /// Where the setting comes from.
    pub origin: LauncherOrigin,
}

/// The launcher of `toolchain`'s compiles, `None` when there is none. `project` is `None` when
/// no project manifest is read.
pub fn for_target(toolchain: &Toolchain, project: Option<&Project>, args: &[LauncherArg]) -> Option<Launcher> {
    let target = toolchain.name.as_str();
    let setting: Option<(String, LauncherOrigin)> = args
        .iter()
        .rev()
        .find(|a| a.target.as_deref() == Some(target))
        .or_else(|| args.iter().rev().find(|a| a.target.is_none()))
        .map(|a| (a.command.clone(), LauncherOrigin::CommandLine(a.from)))
        .or_else(|| {
            let p = project?;
            p.launcher_for
                .get(target)
                .or(p.launcher.as_ref())
                .map(|l| (l.value.clone(), LauncherOrigin::Project(l.location.clone())))
        })
        .or_else(|| {
            (!toolchain.launcher.is_empty())
                .then(|| (toolchain.launcher.join(" "), LauncherOrigin::Descriptor(toolchain.origin.display_path())))
        });
    let (command, origin) = setting?;
    let words: Vec<String> = command.split_whitespace().map(str::to_string).collect();
    if words.is_empty() || words == ["none"] {
        return None;
    }
    Some(Launcher { words, origin })
}

/// Checks the names `args` give to targets.
pub fn check_arg_targets(db: &Db, args: &[LauncherArg]) -> Result<()> {
    for a in args {
        if let Some(t) = &a.target {
            db.get(t).map_err(|e| Error { message: format!("{} (in `{} {}`)", e.message, a.from, a.to_arg()), ..e })?;
        }
    }
    Ok(())
}

/// `launcher` with its program checked and, when it is a path, made absolute (build commands
/// run from the build directory). A missing program is an error naming where it was set.
pub fn resolve(target: &str, launcher: Launcher) -> Result<Launcher> {
    let program = &launcher.words[0];
    let found = if program.contains('/') {
        let path = paths::absolute(Path::new(program), &paths::current_dir());
        path.is_file().then(|| paths::to_slash(&path))
    } else {
        which::which(program).is_ok().then(|| program.clone())
    };
    let Some(program) = found else {
        let message = format!(
            "the compiler launcher `{}` of target `{target}` is not installed: no `{program}` {}",
            launcher.words.join(" "),
            if program.contains('/') { "file" } else { "on PATH" }
        );
        let help = format!(
            "install it (ccache, sccache and distcc are Debian packages), fix the name, or build \
             this target without a launcher (`--launcher {target}=none`)"
        );
        return Err(match &launcher.origin {
            LauncherOrigin::CommandLine(from) => Error::usage(format!("{message} (set by {from})")).help(help),
            LauncherOrigin::Project(at) => Error::input(message).at(at.clone()).help(help),
            LauncherOrigin::Descriptor(path) => {
                Error::input(format!("{message} (set by {})", path.display())).help(help)
            }
        });
    };
    let mut words = launcher.words;
    words[0] = program;
    Ok(Launcher { words, origin: launcher.origin })
}

/// How many links ninja runs at once when nothing says: one on machines of up to 7 cores
/// (links, emscripten's with LTO above all, take far more memory than compiles), then one
/// per 4 cores.
pub fn default_link_jobs() -> u32 {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    (cores / 4).max(1) as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arguments_name_a_target_or_apply_to_all() {
        let a = LauncherArg::parse("wasi=none", "--launcher");
        assert_eq!((a.target.as_deref(), a.command.as_str()), (Some("wasi"), "none"));
        let a = LauncherArg::parse("ccache", "--launcher");
        assert_eq!((a.target.as_deref(), a.command.as_str()), (None, "ccache"));
        // An environment assignment inside a command is not a target.
        let a = LauncherArg::parse("env CCACHE_DIR=/x ccache", "--launcher");
        assert_eq!(a.target, None);
        assert_eq!(a.to_arg(), "env CCACHE_DIR=/x ccache");
    }

    #[test]
    fn command_line_over_project_over_descriptor_and_none_disables() {
        let db = Db::load(None).unwrap();
        let mut native = db.get("native").unwrap().clone();
        native.launcher = vec!["sccache".into()];
        let words = |l: Option<Launcher>| l.map(|l| l.words.join(" "));
        assert_eq!(words(for_target(&native, None, &[])), Some("sccache".into()));
        let args = [LauncherArg::parse("ccache", "--launcher")];
        assert_eq!(words(for_target(&native, None, &args)), Some("ccache".into()));
        // A per-target value beats an every-target one, wherever it is written.
        let args = [LauncherArg::parse("native=none", "--launcher"), LauncherArg::parse("ccache", "--launcher")];
        assert_eq!(words(for_target(&native, None, &args)), None);
        let wasi = db.get("wasi").unwrap();
        assert_eq!(words(for_target(wasi, None, &args)), Some("ccache".into()));
    }

    #[test]
    fn a_missing_launcher_names_its_origin() {
        let l =
            Launcher { words: vec!["no-such-launcher-xyz".into()], origin: LauncherOrigin::CommandLine("--launcher") };
        let err = resolve("native", l).unwrap_err();
        assert_eq!(err.exit_code(), 2);
        assert!(err.message.contains("`no-such-launcher-xyz`") && err.message.contains("--launcher"), "{err}");
    }

    #[test]
    fn small_machines_link_one_at_a_time() {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let jobs = default_link_jobs();
        assert!(jobs >= 1);
        if cores < 8 {
            assert_eq!(jobs, 1);
        }
    }
}
