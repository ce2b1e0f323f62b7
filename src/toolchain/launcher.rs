//! Compiler launchers (ccache, sccache, distcc): the command put before each compile of a
//! target, never before an archive or a link. The command line wins over the project manifest,
//! which wins over the toolchain descriptor; `none` (or an empty value) means no launcher.

use std::path::Path;

use crate::error::{Error, Location, Result};
use crate::manifest::Project;
use crate::paths;
use crate::toolchain::{Db, Toolchain};

/// The environment variable read when no `--launcher` is given (same syntax).
pub const LAUNCHER_ENV: &str = "SPYGEN_LAUNCHER";

/// One `--launcher` (or `$SPYGEN_LAUNCHER`) value, or one `--runner` (`$SPYGEN_RUNNER`):
/// `COMMAND` for every target or `TARGET=COMMAND` for one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandArg {
    /// The target it is for; `None`: every target.
    pub target: Option<String>,
    /// The command, as written (`ccache`, `none`); a first word naming a file by a relative
    /// path is made absolute against the current directory, since build commands run elsewhere.
    pub command: String,
    /// Where it came from: the option (`--launcher`) or the environment variable.
    pub from: &'static str,
}

impl CommandArg {
    /// Parses a value. `TARGET=` is recognised when TARGET is a name (letters, digits, `-`,
    /// `_`); `env CCACHE_DIR=/x ccache` is a command for every target.
    pub fn parse(value: &str, from: &'static str) -> CommandArg {
        let (target, command) = match value.split_once('=') {
            Some((target, command))
                if !target.is_empty() && target.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') =>
            {
                (Some(target.to_string()), command)
            }
            _ => (None, value),
        };
        let words = absolute_program(split(command), &paths::current_dir());
        CommandArg { target, command: words.join(" "), from }
    }

    /// The value as it is written on a command line (`native=ccache`).
    pub fn to_arg(&self) -> String {
        crate::options::join_target(self.target.as_deref(), &self.command)
    }

    /// What the value sets: `launcher` or `runner`.
    pub fn what(&self) -> &'static str {
        if self.from.to_ascii_lowercase().contains("runner") { "runner" } else { "launcher" }
    }

    /// The setting as the user wrote it, for messages: `--launcher native=ccache` or
    /// `SPYGEN_LAUNCHER=native=ccache`.
    pub fn shown(&self) -> String {
        if !self.from.starts_with('-') {
            format!("{}={}", self.from, self.to_arg())
        } else {
            format!("{} {}", self.from, self.to_arg())
        }
    }
}

/// `$SPYGEN_LAUNCHER` (unless `read_env` is false: `--no-env`), then the `--launcher` values:
/// at the same level of detail (one target, or every target) the command line wins over the
/// environment.
pub fn args_and_env(values: &[String], read_env: bool) -> Vec<CommandArg> {
    let mut args = Vec::new();
    if read_env
        && let Ok(v) = std::env::var(LAUNCHER_ENV)
        && !v.trim().is_empty()
    {
        args.push(CommandArg::parse(&v, LAUNCHER_ENV));
    }
    args.extend(values.iter().map(|v| CommandArg::parse(v, "--launcher")));
    args
}

/// A command's words; `--launcher` and spy.toml values are split on whitespace.
pub(crate) fn split(command: &str) -> Vec<String> {
    command.split_whitespace().map(str::to_string).collect()
}

/// `words` with a first word that names a file by a relative path (it has a `/`) made
/// absolute against `base`.
pub(crate) fn absolute_program(mut words: Vec<String>, base: &Path) -> Vec<String> {
    if let Some(program) = words.first_mut()
        && program.contains('/')
    {
        *program = paths::to_slash(&paths::absolute(Path::new(program.as_str()), base));
    }
    words
}

/// Where a target's launcher setting comes from, for messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LauncherOrigin {
    /// `--launcher` or `$SPYGEN_LAUNCHER`, as written (see [`CommandArg::shown`]).
    CommandLine(String),
    /// `launcher` or `[spygen.launcher-for]` in the project manifest.
    Project(Location),
    /// The toolchain descriptor's `launcher`.
    Descriptor(Location),
}

impl std::fmt::Display for LauncherOrigin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LauncherOrigin::CommandLine(shown) => write!(f, "{shown}"),
            LauncherOrigin::Project(at) | LauncherOrigin::Descriptor(at) => write!(f, "{at}"),
        }
    }
}

/// A target's launcher: the command words and where they were set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Launcher {
    /// The command words (`["ccache"]`); a program given by path is absolute.
    pub words: Vec<String>,
    /// Where the setting comes from.
    pub origin: LauncherOrigin,
}

/// The launcher of `toolchain`'s compiles, `None` when there is none (or `none`). `project` is
/// `None` when no project manifest is read. The most specific setting wins: one for this
/// target (from `--launcher`, then `$SPYGEN_LAUNCHER`, then spy.toml's `launcher-for`), else one
/// for every target (in the same order), else the descriptor's. So a project's
/// `launcher-for.emscripten = "none"` holds under `--launcher ccache`.
pub fn for_target(toolchain: &Toolchain, project: Option<&Project>, args: &[CommandArg]) -> Option<Launcher> {
    let target = toolchain.name.as_str();
    let from_args = |one_target: bool| {
        args.iter()
            .rev()
            .find(|a| if one_target { a.target.as_deref() == Some(target) } else { a.target.is_none() })
            .map(|a| Launcher { words: split(&a.command), origin: LauncherOrigin::CommandLine(a.shown()) })
    };
    let from_project = |one_target: bool| {
        let p = project?;
        let l = if one_target { p.launcher_for.get(target) } else { p.launcher.as_ref() }?;
        // Paths in spy.toml are relative to it, like every other path there.
        Some(Launcher {
            words: absolute_program(split(&l.value), &p.root),
            origin: LauncherOrigin::Project(l.location.clone()),
        })
    };
    let from_descriptor = || {
        let at = toolchain.launcher_location.clone()?;
        let base = at.file.parent().map(Path::to_path_buf).unwrap_or_default();
        Some(Launcher {
            words: absolute_program(toolchain.launcher.clone(), &base),
            origin: LauncherOrigin::Descriptor(at),
        })
    };
    let launcher = from_args(true)
        .or_else(|| from_project(true))
        .or_else(|| from_args(false))
        .or_else(|| from_project(false))
        .or_else(from_descriptor)?;
    (!launcher.words.is_empty() && launcher.words != ["none"]).then_some(launcher)
}

/// Checks the names `args` give to targets.
pub fn check_arg_targets(db: &Db, args: &[CommandArg]) -> Result<()> {
    for a in args {
        if let Some(t) = &a.target
            && db.get(t).is_err()
        {
            let err = db.unknown_target(t);
            let help = err.help.clone().unwrap_or_default();
            return Err(Error { message: format!("{} (in `{}`)", err.message, a.shown()), ..err }.help(format!(
                "{help}; write TARGET=COMMAND for one target's {what} (to set an environment variable for the {what}, write `env NAME=value COMMAND`)",
                what = a.what()
            )));
        }
    }
    Ok(())
}

/// `launcher` with its program checked and, when found on PATH, written by its path: an
/// existing file when given by path. A missing program is an error naming where it was set.
pub fn resolve(target: &str, mut launcher: Launcher) -> Result<Launcher> {
    let program = &launcher.words[0];
    if program.contains('/') && Path::new(program).is_file() {
        return Ok(launcher);
    }
    if !program.contains('/')
        && let Some(found) = super::tool::find_on_path(program)
    {
        // By its path, as every tool: PATH at build time does not change what runs.
        launcher.words[0] = found.to_string_lossy().into_owned();
        return Ok(launcher);
    }
    let message = format!(
        "the compiler launcher `{}` of target `{target}` is not installed: no `{program}` {}",
        launcher.words.join(" "),
        if program.contains('/') { "file" } else { "on PATH" }
    );
    let help = format!(
        "install it (ccache, sccache and distcc are Debian packages), fix the name, or build \
         this target without a launcher (`--launcher {target}=none`)"
    );
    Err(match &launcher.origin {
        LauncherOrigin::CommandLine(shown) => Error::usage(format!("{message} (set by {shown})")).help(help),
        LauncherOrigin::Project(at) | LauncherOrigin::Descriptor(at) => Error::input(message).at(at.clone()).help(help),
    })
}

/// How many links ninja runs at once when nothing says: one on machines of up to 7 cores
/// (links, emscripten's with LTO above all, take far more memory than compiles), then one
/// per 4 cores.
pub fn default_link_jobs() -> u32 {
    link_jobs_for(std::thread::available_parallelism().map_or(1, |n| n.get()))
}

/// [`default_link_jobs`] on a machine of `cores` cores.
fn link_jobs_for(cores: usize) -> u32 {
    (cores / 4).max(1) as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arguments_name_a_target_or_apply_to_all() {
        let a = CommandArg::parse("wasi=none", "--launcher");
        assert_eq!((a.target.as_deref(), a.command.as_str()), (Some("wasi"), "none"));
        let a = CommandArg::parse("ccache", "--launcher");
        assert_eq!((a.target.as_deref(), a.command.as_str()), (None, "ccache"));
        // An environment assignment inside a command is not a target.
        let a = CommandArg::parse("env CCACHE_DIR=/x ccache", "--launcher");
        assert_eq!(a.target, None);
        assert_eq!(a.to_arg(), "env CCACHE_DIR=/x ccache");
    }

    #[test]
    fn command_line_over_project_over_descriptor_and_none_disables() {
        let db = Db::load(None).unwrap();
        let mut native = db.get("native").unwrap().clone();
        native.launcher = vec!["sccache".into()];
        let file = std::path::PathBuf::from("/tc/native.toml");
        native.launcher_location = Some(Location { file, line: 3, column: 12 });
        let words = |l: Option<Launcher>| l.map(|l| l.words.join(" "));
        assert_eq!(words(for_target(&native, None, &[])), Some("sccache".into()));
        let args = [CommandArg::parse("ccache", "--launcher")];
        assert_eq!(words(for_target(&native, None, &args)), Some("ccache".into()));
        // A per-target value beats an every-target one, wherever it is written.
        let args = [CommandArg::parse("native=none", "--launcher"), CommandArg::parse("ccache", "--launcher")];
        assert_eq!(words(for_target(&native, None, &args)), None);
        let wasi = db.get("wasi").unwrap();
        assert_eq!(words(for_target(wasi, None, &args)), Some("ccache".into()));
        // The command line wins over the environment at the same level of detail only.
        let args = [CommandArg::parse("ccache", LAUNCHER_ENV), CommandArg::parse("wasi=none", "--launcher")];
        assert_eq!(words(for_target(&native, None, &args)), Some("ccache".into()));
        assert_eq!(words(for_target(wasi, None, &args)), None);
        // A descriptor's words stay words; its relative program is relative to the descriptor.
        native.launcher = vec!["tools/my cc".into()];
        let l = for_target(&native, None, &[]).unwrap();
        assert_eq!(l.words, ["/tc/tools/my cc"]);
        assert_eq!(l.origin.to_string(), "/tc/native.toml:3:12");
    }

    #[test]
    fn relative_programs_are_made_absolute_and_shown_as_written() {
        let a = CommandArg::parse("native=tools/wrap -v", "--launcher");
        let cwd = paths::current_dir();
        assert_eq!(a.command, format!("{}/tools/wrap -v", cwd.display()));
        let e = CommandArg::parse("ccache", LAUNCHER_ENV);
        assert_eq!(e.shown(), "SPYGEN_LAUNCHER=ccache");
        assert_eq!(CommandArg::parse("wasi=none", "--launcher").shown(), "--launcher wasi=none");
    }

    #[test]
    fn a_missing_launcher_names_its_origin() {
        let origin = LauncherOrigin::CommandLine("--launcher no-such-launcher-xyz".into());
        let l = Launcher { words: vec!["no-such-launcher-xyz".into()], origin };
        let err = resolve("native", l).unwrap_err();
        assert_eq!(err.exit_code(), 2);
        assert!(err.message.contains("`no-such-launcher-xyz`") && err.message.contains("--launcher"), "{err}");
    }

    #[test]
    fn machines_of_up_to_seven_cores_link_one_at_a_time_and_larger_ones_one_per_four_cores() {
        let jobs: Vec<u32> = [1, 2, 7, 8, 11, 12, 64].into_iter().map(link_jobs_for).collect();
        assert_eq!(jobs, [1, 1, 1, 2, 2, 3, 16]);
    }
}
