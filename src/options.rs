//! What a generation is asked for ([`GenOptions`]) and which files it writes ([`Format`]):
//! shared by the planner, the generation step and the command line, below all of them.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::manifest::LoadOptions;
use crate::paths;
use crate::toolchain::launcher;

/// The includable make fragment spygen writes in the build directory.
pub const FRAGMENT_FILE: &str = "spygen.mk";

/// What `spygen gen` was asked for.
#[derive(Debug, Clone, Default)]
pub struct GenOptions {
    /// The project directory (holding spy.toml) or the manifest itself.
    pub project_dir: PathBuf,
    /// `--no-spy-toml` and `--extra-vm-module`.
    pub load: LoadOptions,
    /// `--build-dir`, overriding the project's.
    pub build_dir: Option<PathBuf>,
    /// `--target`: only these targets; each must be installed.
    pub targets: Vec<String>,
    /// `--build-type`: only these build types.
    pub build_types: Vec<String>,
    /// Warnings are errors in every compile.
    pub warning_as_error: bool,
    /// The user descriptor directory, passed on to the regeneration command.
    pub toolchain_dir: Option<PathBuf>,
    /// The spygen executable, for the regeneration command.
    pub spygen_exe: PathBuf,
    /// Which build files to write.
    pub format: Format,
    /// Do not write compile_commands.json (`--no-compdb`).
    pub no_compdb: bool,
    /// `--launcher` values (or `$SPYGEN_LAUNCHER`), in order.
    pub launchers: Vec<launcher::CommandArg>,
    /// `--cflag`, `--ldflag` and `--define` values, in order.
    pub flag_args: Vec<FlagArg>,
    /// `--pkg-config-path [TARGET=]DIR` values, in order.
    pub pkg_config_paths: Vec<crate::toolchain::pkg_config::PathArg>,
    /// `--runner TARGET=CMD` values (or `$SPYGEN_RUNNER`), in order.
    pub runners: Vec<launcher::CommandArg>,
    /// `--link-jobs`: the depth of ninja's link pool.
    pub link_jobs: Option<u32>,
    /// Do not check that launcher programs are installed (`spygen graph`, which shows none).
    pub skip_launcher_check: bool,
    /// `--compdb-config`: the configuration compile_commands.json describes.
    pub compdb_config: Option<String>,
    /// Generate even if no input changed since the last generation (`--force`).
    pub force: bool,
    /// The environment variables the generation reads (the tools' overrides the descriptors
    /// name, such as `CC` and `AR`, and pkg-config's), with the values it saw (empty: unset).
    /// Captured once, from the process or, under `--no-env`, from `--env` alone.
    pub env: BTreeMap<String, String>,
}

/// What a `--cflag`, `--ldflag` or `--define` adds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlagKind {
    /// A compile flag.
    Cflag,
    /// A link flag.
    Ldflag,
    /// A preprocessor definition (`NAME` or `NAME=VALUE`).
    Define,
}

impl FlagKind {
    /// The option that gives it.
    pub fn option(self) -> &'static str {
        match self {
            FlagKind::Cflag => "--cflag",
            FlagKind::Ldflag => "--ldflag",
            FlagKind::Define => "--define",
        }
    }
}

/// One `--cflag`, `--ldflag` or `--define`: `VALUE` for every target or `TARGET=VALUE` for one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlagArg {
    /// What it adds.
    pub kind: FlagKind,
    /// The target it is for (`None`: every target).
    pub target: Option<String>,
    /// The flag or definition.
    pub value: String,
}

/// `value` of an option taking `[TARGET=]VALUE`: the target its prefix names, when that is one
/// of `targets`, and the rest (`wasi=-O3`: `wasi`, `-O3`; `NDEBUG=1`: none, `NDEBUG=1`).
pub fn split_target<'a>(value: &'a str, targets: &[&str]) -> (Option<&'a str>, &'a str) {
    match value.split_once('=') {
        Some((t, rest)) if targets.contains(&t) => (Some(t), rest),
        _ => (None, value),
    }
}

/// `[TARGET=]VALUE` as written on a command line: [`split_target`]'s inverse.
pub fn join_target(target: Option<&str>, value: &str) -> String {
    match target {
        Some(t) => format!("{t}={value}"),
        None => value.to_string(),
    }
}

impl FlagArg {
    /// Parses `value`: a prefix `TARGET=` counts when TARGET is one of `targets` (so
    /// `--define NAME=1` is a definition for every target).
    pub fn parse(kind: FlagKind, value: &str, targets: &[&str]) -> FlagArg {
        let (target, value) = split_target(value, targets);
        FlagArg { kind, target: target.map(str::to_string), value: value.to_string() }
    }

    /// The value as written on a command line (`wasi=-O3`).
    pub fn to_arg(&self) -> String {
        join_target(self.target.as_deref(), &self.value)
    }
}

/// The environment variables holding flags for the native target's compiles and links, as
/// Meson and CMake read them for the host compiler.
pub const FLAGS_ENV: [&str; 3] = ["CPPFLAGS", "CFLAGS", "LDFLAGS"];

/// The environment variables pkg-config's answers depend on.
pub const PKG_CONFIG_ENV: [&str; 3] = ["PKG_CONFIG_PATH", "PKG_CONFIG_LIBDIR", "PKG_CONFIG_SYSROOT_DIR"];

impl GenOptions {
    /// The value the generation sees for environment variable `name` (`None`: unset or empty).
    pub fn env_var(&self, name: &str) -> Option<String> {
        self.env.get(name).filter(|v| !v.is_empty()).cloned()
    }

    /// The arguments of `spygen` that repeat this generation when run from `build_dir` for the
    /// project in `root`: every option, spelled out, and every environment value it reads
    /// (`--no-env`, then `--env NAME=VALUE` for each one set), with paths relative to the build
    /// directory. They are both the build files' regeneration command and the key of the no-op
    /// record, so nothing that shapes the output can be in one and missing from the other.
    pub fn regen_args(&self, root: &Path, build_dir: &Path) -> Vec<String> {
        let rel = |p: &Path| paths::relative_slash(p, build_dir);
        let mut cmd = vec!["gen".to_string(), rel(root), "--build-dir".into(), ".".into()];
        cmd.extend(self.option_args(&rel, false));
        if self.format != Format::Ninja {
            cmd.push("--format".into());
            cmd.push(self.format.as_str().into());
        }
        if let Some(d) = &self.toolchain_dir {
            cmd.push("--toolchain-dir".into());
            cmd.push(rel(&paths::absolute(d, &paths::current_dir())));
        }
        // The environment as this generation saw it: ninja and make may run with another.
        cmd.push("--no-env".into());
        for (name, value) in self.env.iter().filter(|(_, v)| !v.is_empty()) {
            cmd.push("--env".into());
            cmd.push(format!("{name}={value}"));
        }
        cmd
    }

    /// The options shaping the build, spelled as `spygen gen` takes them, in the order the
    /// regeneration command has them: the part [`GenOptions::regen_args`] and
    /// [`GenOptions::recorded_args`] share. `path` spells a module directory (relative to the
    /// build directory in the regeneration command, absolute in the record); `given_only`
    /// leaves out the launchers and runners the environment set.
    fn option_args(&self, path: &dyn Fn(&Path) -> String, given_only: bool) -> Vec<String> {
        let mut args = Vec::new();
        if self.load.no_spy_toml {
            args.push("--no-spy-toml".to_string());
        }
        for m in &self.load.extra_vm_modules {
            args.extend(["--extra-vm-module".to_string(), path(m)]);
        }
        for t in &self.targets {
            args.extend(["--target".to_string(), t.clone()]);
        }
        for b in &self.build_types {
            args.extend(["--build-type".to_string(), b.clone()]);
        }
        if self.warning_as_error {
            args.push("--warning-as-error".into());
        }
        if self.no_compdb {
            args.push("--no-compdb".into());
        }
        if let Some(c) = &self.compdb_config {
            args.extend(["--compdb-config".to_string(), c.clone()]);
        }
        let given = |from: &str| !given_only || from.starts_with('-');
        for l in self.launchers.iter().filter(|l| given(l.from)) {
            args.extend(["--launcher".to_string(), l.to_arg()]);
        }
        for f in &self.flag_args {
            // `--cflag=-Wall`: a value starting with `-` stays a value.
            args.push(format!("{}={}", f.kind.option(), f.to_arg()));
        }
        for p in &self.pkg_config_paths {
            args.extend(["--pkg-config-path".to_string(), p.to_arg()]);
        }
        for r in self.runners.iter().filter(|r| given(r.from)) {
            args.extend(["--runner".to_string(), r.to_arg()]);
        }
        if let Some(n) = self.link_jobs {
            args.extend(["--link-jobs".to_string(), n.to_string()]);
        }
        args
    }
}

/// The file in the build directory holding the options of the last generation into it (see
/// [`GenOptions::recorded_args`]).
pub const OPTIONS_FILE: &str = ".spygen-options";

impl GenOptions {
    /// The options this generation was given that `spygen build`, `run` and `test` keep when
    /// they are not given again: every option shaping the build, paths absolute, without the
    /// environment (read afresh by each command) nor what the environment set (a launcher
    /// from `$SPYGEN_LAUNCHER`), nor the build file format (the backend decides it).
    pub fn recorded_args(&self) -> Vec<String> {
        let abs = |p: &Path| paths::to_slash(&paths::absolute(p, &paths::current_dir()));
        let mut args = self.option_args(&abs, true);
        if let Some(d) = &self.toolchain_dir {
            args.extend(["--toolchain-dir".to_string(), abs(d)]);
        }
        args
    }
}

/// Which build files `spygen gen` writes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Format {
    /// `build.ninja` (the default).
    #[default]
    Ninja,
    /// A GNU `Makefile`.
    Make,
    /// Both.
    All,
}

impl Format {
    /// The name used on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Ninja => "ninja",
            Format::Make => "make",
            Format::All => "all",
        }
    }

    /// Every file a generation writes, build files first; all are outputs of regeneration.
    pub fn generated_files(self, compdb: bool) -> Vec<&'static str> {
        let mut files = match self {
            Format::Ninja => vec![NINJA_FILE],
            Format::Make => vec![MAKEFILE],
            Format::All => vec![NINJA_FILE, MAKEFILE],
        };
        files.push(FRAGMENT_FILE);
        if compdb {
            files.push(COMPDB_FILE);
        }
        files
    }
}

/// The ninja build file's name.
pub const NINJA_FILE: &str = "build.ninja";
/// The Makefile's name.
pub const MAKEFILE: &str = "Makefile";
/// The compilation database's name.
pub const COMPDB_FILE: &str = "compile_commands.json";
