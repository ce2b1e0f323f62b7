//! Runners: how a program of a target runs on this machine (Meson's `exe_wrapper`, CMake's
//! `CMAKE_CROSSCOMPILING_EMULATOR`). Native programs run directly; a descriptor's `[runner]`
//! names candidates resolved like its compiler (wasmtime or node's WASI for wasi, node for
//! emscripten, qemu-user for a user's riscv64). `spygen run` and the tests of `spygen test`,
//! `ninja test` and `make test` all run through the runner chosen here.
//!
//! Overrides follow the launchers' precedence ([`super::launcher`]): `--runner TARGET=CMD`,
//! then `$SPYGEN_RUNNER`, then spy.toml's `[spygen.runner-for]`, then the descriptor. A runner
//! is always for one target (a native program needs none), so every value names its target;
//! `none` means the programs run directly.

use std::path::{Path, PathBuf};

use super::launcher::{CommandArg, absolute_program, split};
use super::{Db, Resolution, Toolchain};
use crate::error::{Error, Location, Result};
use crate::manifest::Project;
use crate::paths;

/// The environment variable read when no `--runner` is given: `TARGET=CMD`, several separated
/// by `;` (`wasi=wasmtime run --dir=.;emscripten=node`).
pub const RUNNER_ENV: &str = "SPYGEN_RUNNER";

/// What stands, in a runner's words, for spygen's node WASI launcher script; it is written to
/// [`WASI_RUN_FILE`] in the build directory.
pub const WASI_RUN_PLACEHOLDER: &str = "{wasi-run}";

/// The launcher script's path relative to the build directory.
pub const WASI_RUN_FILE: &str = ".spygen/wasi-run.mjs";

/// The launcher script: runs a wasi command module under node's built-in WASI.
pub const WASI_RUN_SCRIPT: &str = include_str!("../../templates/wasi-run.mjs");

/// `$SPYGEN_RUNNER` (unless `read_env` is false: `--no-env`), then the `--runner` values, in
/// order: the last value for a target wins, so the command line wins over the environment.
pub fn args_and_env(values: &[String], read_env: bool) -> Vec<CommandArg> {
    let mut args = Vec::new();
    if read_env && let Ok(v) = std::env::var(RUNNER_ENV) {
        args.extend(v.split(';').filter(|v| !v.trim().is_empty()).map(|v| CommandArg::parse(v.trim(), RUNNER_ENV)));
    }
    args.extend(values.iter().map(|v| CommandArg::parse(v, "--runner")));
    args
}

/// Checks runner values: each names a known target.
pub fn check_args(db: &Db, args: &[CommandArg]) -> Result<()> {
    for a in args {
        if a.target.is_none() {
            return Err(Error::usage(format!("`{}` names no target: a runner is for one target", a.shown())).help(
                format!(
                    "write TARGET=COMMAND, e.g. `{} 'wasi=wasmtime run --dir=.'` (targets: {})",
                    if a.from.starts_with('-') { a.from } else { "--runner" },
                    db.names().join(", ")
                ),
            ));
        }
    }
    super::launcher::check_arg_targets(db, args)
}

/// Where a target's runner setting comes from, for messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RunnerOrigin {
    /// `--runner` or `$SPYGEN_RUNNER`, as written.
    CommandLine(String),
    /// `[spygen.runner-for]` in the project manifest.
    Project(Location),
    /// The toolchain descriptor's `[runner]` (the descriptor's path).
    Descriptor(PathBuf),
}

impl std::fmt::Display for RunnerOrigin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RunnerOrigin::CommandLine(shown) => write!(f, "{shown}"),
            RunnerOrigin::Project(at) => write!(f, "{at}"),
            RunnerOrigin::Descriptor(path) => write!(f, "{}", path.display()),
        }
    }
}

/// How a target's programs run here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Runner {
    /// Directly: a native target, or a runner set to `none`.
    Direct,
    /// Through this command, the program and its arguments after it. The program is absolute;
    /// [`WASI_RUN_PLACEHOLDER`] may stand for spygen's launcher script ([`Runner::words_in`]).
    Command {
        /// The command words.
        words: Vec<String>,
        /// Where the setting comes from.
        origin: RunnerOrigin,
    },
    /// The target needs a runner and none is installed.
    Missing {
        /// What was looked for and why it did not count.
        why: String,
        /// How to install one, or how to choose another.
        hint: String,
    },
}

impl Runner {
    /// The command words with `script` for spygen's launcher script (where it is as seen from
    /// where the command runs: [`WASI_RUN_FILE`] from the build directory, as build files run
    /// it); empty for [`Runner::Direct`], `None` when missing.
    pub fn words_with(&self, script: &str) -> Option<Vec<String>> {
        match self {
            Runner::Direct => Some(Vec::new()),
            Runner::Command { words, .. } => {
                Some(words.iter().map(|w| w.replace(WASI_RUN_PLACEHOLDER, script)).collect())
            }
            Runner::Missing { .. } => None,
        }
    }

    /// Whether its words name spygen's launcher script (which must then be written).
    pub fn uses_wasi_run(&self) -> bool {
        matches!(self, Runner::Command { words, .. } if words.iter().any(|w| w.contains(WASI_RUN_PLACEHOLDER)))
    }

    /// One line for people: `directly`, the command, or why none is found.
    pub fn describe(&self) -> String {
        match self {
            Runner::Direct => "directly".to_string(),
            Runner::Command { words, origin: RunnerOrigin::Descriptor(_) } => words.join(" "),
            Runner::Command { words, origin } => format!("{} (set by {origin})", words.join(" ")),
            Runner::Missing { why, hint } => format!("not found: {why} ({hint})"),
        }
    }
}

/// The runner of `toolchain`'s programs. `project` is `None` when no project manifest is read;
/// `env` is how the descriptor's candidates see the environment. An override naming a program
/// that is not installed is [`Runner::Missing`] with where it was set: the tests of that target
/// are skipped (saying so), `spygen run` stops.
pub fn for_target(
    toolchain: &Toolchain,
    project: Option<&Project>,
    args: &[CommandArg],
    env: &dyn Fn(&str) -> Option<String>,
) -> Runner {
    let target = toolchain.name.as_str();
    let from_args = args.iter().rev().find(|a| a.target.as_deref() == Some(target)).map(|a| {
        let words = absolute_program(split(&a.command), &paths::current_dir());
        (words, RunnerOrigin::CommandLine(a.shown()))
    });
    let from_project = || {
        let p = project?;
        let r = p.runner_for.get(target)?;
        // Paths in spy.toml are relative to it, like every other path there.
        Some((absolute_program(split(&r.value), &p.root), RunnerOrigin::Project(r.location.clone())))
    };
    if let Some((words, origin)) = from_args.or_else(from_project) {
        if words.is_empty() || words == ["none"] {
            return Runner::Direct;
        }
        return checked(target, words, origin);
    }
    let Some(tool) = &toolchain.runner else { return Runner::Direct };
    match tool.resolve(env) {
        Resolution::Found(found) => {
            Runner::Command { words: found.command, origin: RunnerOrigin::Descriptor(toolchain.origin.display_path()) }
        }
        Resolution::Missing { tried } => Runner::Missing {
            why: format!("tried {}", tried.join("; ")),
            hint: tool.install.clone().unwrap_or_else(|| format!("install one, or set one with --runner {target}=CMD")),
        },
    }
}

/// `words` with their program found: by its path on PATH, or an existing file.
fn checked(target: &str, mut words: Vec<String>, origin: RunnerOrigin) -> Runner {
    let program = words[0].clone();
    if program.contains('/') {
        if Path::new(&program).is_file() {
            return Runner::Command { words, origin };
        }
    } else if let Some(found) = super::tool::find_on_path(&program) {
        // By its path, as every tool: PATH at build time does not change what runs.
        words[0] = found.to_string_lossy().into_owned();
        return Runner::Command { words, origin };
    }
    Runner::Missing {
        why: format!(
            "the runner `{}` set by {origin} is not installed (no `{program}` {})",
            words.join(" "),
            if program.contains('/') { "file" } else { "on PATH" }
        ),
        hint: format!("install it, fix the command, or run {target}'s programs directly with `--runner {target}=none`"),
    }
}

/// Writes spygen's node WASI launcher script into `build_dir` (only when its content changed).
pub fn write_wasi_run(build_dir: &Path) -> Result<()> {
    let script = build_dir.join(WASI_RUN_FILE);
    if let Some(dir) = script.parent() {
        std::fs::create_dir_all(dir).map_err(|e| Error::io("create directory", dir, e))?;
    }
    crate::fsutil::write_if_changed(&script, WASI_RUN_SCRIPT.as_bytes())?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_env(_: &str) -> Option<String> {
        None
    }

    #[test]
    fn native_programs_run_directly_and_wasi_ones_through_a_runner_or_say_what_to_install() {
        let db = Db::load(None).unwrap();
        assert_eq!(for_target(db.get("native").unwrap(), None, &[], &no_env), Runner::Direct);
        match for_target(db.get("wasi").unwrap(), None, &[], &no_env) {
            Runner::Command { words, origin: RunnerOrigin::Descriptor(_) } => {
                assert!(words[0].starts_with('/'), "the runner's program is written by its path: {words:?}")
            }
            Runner::Missing { hint, .. } => assert!(hint.contains("node"), "{hint}"),
            other => panic!("wasi needs a runner: {other:?}"),
        }
    }

    #[test]
    fn the_last_value_for_a_target_wins_and_none_runs_directly() {
        let db = Db::load(None).unwrap();
        let wasi = db.get("wasi").unwrap();
        let args = [CommandArg::parse("wasi=sh -c", RUNNER_ENV), CommandArg::parse("wasi=none", "--runner")];
        assert_eq!(for_target(wasi, None, &args, &no_env), Runner::Direct);
        let args = [CommandArg::parse("wasi=none", RUNNER_ENV), CommandArg::parse("wasi=sh -c", "--runner")];
        match for_target(wasi, None, &args, &no_env) {
            Runner::Command { words, origin } => {
                assert_eq!(words[1..], ["-c"]);
                assert!(words[0].ends_with("/sh"));
                assert_eq!(origin.to_string(), "--runner wasi=sh -c");
            }
            other => panic!("{other:?}"),
        }
        // A value for another target leaves this one alone.
        let args = [CommandArg::parse("emscripten=none", "--runner")];
        assert_ne!(for_target(wasi, None, &args, &no_env), Runner::Direct);
    }

    #[test]
    fn a_runner_that_is_not_installed_says_where_it_was_set() {
        let db = Db::load(None).unwrap();
        let args = [CommandArg::parse("wasi=no-such-runner-xyz --flag", "--runner")];
        match for_target(db.get("wasi").unwrap(), None, &args, &no_env) {
            Runner::Missing { why, hint } => {
                assert!(why.contains("`no-such-runner-xyz --flag`") && why.contains("--runner wasi="), "{why}");
                assert!(hint.contains("--runner wasi=none"), "{hint}");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn runner_values_must_name_a_known_target() {
        let db = Db::load(None).unwrap();
        let err = check_args(&db, &[CommandArg::parse("wasmtime", "--runner")]).unwrap_err();
        assert!(err.message.contains("names no target"), "{err}");
        let err = check_args(&db, &[CommandArg::parse("wasm=node", RUNNER_ENV)]).unwrap_err();
        assert!(err.message.contains("SPYGEN_RUNNER=wasm=node"), "{err}");
        assert!(err.help.unwrap_or_default().contains("one target's runner"));
    }

    #[test]
    fn the_launcher_script_is_named_where_the_command_runs() {
        let runner = Runner::Command {
            words: vec!["/usr/bin/node".into(), WASI_RUN_PLACEHOLDER.into()],
            origin: RunnerOrigin::Descriptor("/x.toml".into()),
        };
        assert!(runner.uses_wasi_run());
        assert_eq!(runner.words_with(WASI_RUN_FILE).unwrap(), ["/usr/bin/node", ".spygen/wasi-run.mjs"]);
        assert_eq!(Runner::Direct.words_with(WASI_RUN_FILE), Some(Vec::new()));
    }
}
