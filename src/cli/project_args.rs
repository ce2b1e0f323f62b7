//! Options naming a project and its configurations, shared by `gen` and `graph`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use clap::Args;

use crate::error::{Error, Result};
use crate::manifest::LoadOptions;
use crate::options::{FLAGS_ENV, FlagArg, FlagKind, Format, GenOptions, PKG_CONFIG_ENV};
use crate::paths;
use crate::toolchain::Db;

/// Which project, which configurations, where the build goes.
#[derive(Debug, Default, Args)]
pub struct ProjectArgs {
    /// The project directory (holding spy.toml), or spy.toml itself (default: the nearest
    /// spy.toml in the current directory or a parent).
    #[arg(value_name = "PROJECT")]
    pub project: Option<PathBuf>,
    /// Where build files and outputs go (default: `[spygen] build-dir`, else PROJECT/build).
    #[arg(long, value_name = "DIR")]
    pub build_dir: Option<PathBuf>,
    /// Only this target (repeatable); its toolchain must be installed.
    #[arg(long = "target", value_name = "T")]
    pub targets: Vec<String>,
    /// Only this build type (repeatable).
    #[arg(long = "build-type", value_name = "B")]
    pub build_types: Vec<String>,
    /// Add an out-of-tree VM module (repeatable), on top of spy.toml's `extra-vm-modules`.
    #[arg(long = "extra-vm-module", value_name = "PATH")]
    pub extra_vm_modules: Vec<PathBuf>,
    /// Ignore spy.toml.
    #[arg(long)]
    pub no_spy_toml: bool,
    /// Treat warnings as errors in every compile (also SPY_WERROR=1 or true).
    #[arg(long)]
    pub warning_as_error: bool,
    /// Put CMD before every compile (ccache, sccache, distcc), or TARGET=CMD for one target
    /// (repeatable); `none` for no launcher. Also $SPYGEN_LAUNCHER (this wins over it). The
    /// most specific setting wins: for the target (here, the variable, spy.toml's
    /// `launcher-for`), else for every target (the same order), else the descriptor's.
    #[arg(long = "launcher", value_name = "[TARGET=]CMD")]
    pub launchers: Vec<String>,
    /// Add FLAG to every compile of every configuration, or of TARGET's (repeatable; recorded
    /// for regeneration), after spy.toml's `[spygen] cflags`.
    #[arg(long = "cflag", value_name = "[TARGET=]FLAG", allow_hyphen_values = true)]
    pub cflags: Vec<String>,
    /// Add FLAG to every link (repeatable), as --cflag.
    #[arg(long = "ldflag", value_name = "[TARGET=]FLAG", allow_hyphen_values = true)]
    pub ldflags: Vec<String>,
    /// Define NAME (or NAME=VALUE) in every compile (repeatable), as --cflag -DNAME.
    #[arg(long = "define", value_name = "[TARGET=]NAME[=VALUE]")]
    pub defines: Vec<String>,
    /// Look for TARGET's system libraries' `.pc` files in DIR first (repeatable; without
    /// TARGET=, the host's target): another installation of a library, without editing its
    /// module. Over $PKG_CONFIG_PATH_<TARGET>, spy.toml's `[spygen.pkg-config-for]` and the
    /// descriptor's `[pkg-config]`.
    #[arg(long = "pkg-config-path", value_name = "[TARGET=]DIR")]
    pub pkg_config_paths: Vec<String>,
    /// Run TARGET's programs (tests, `spygen run`) through CMD, e.g. `wasi=wasmtime run
    /// --dir=.` (repeatable); `none`: directly. Also $SPYGEN_RUNNER (`T=CMD;T=CMD`; this wins
    /// over it), then spy.toml's `[spygen.runner-for]`, then the descriptor's runner.
    #[arg(long = "runner", value_name = "TARGET=CMD")]
    pub runners: Vec<String>,
    /// How many links (and wasm bundles) ninja runs at once (its `link` pool). Default:
    /// $SPYGEN_LINK_JOBS, else spy.toml's `link-jobs`, else 1 on machines of up to 7 cores,
    /// one per 4 cores above.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub link_jobs: Option<u32>,
    /// Use VALUE for the environment variable NAME (repeatable): one of those spygen reads,
    /// the tools' overrides (CC, AR, and any a descriptor names), CFLAGS, LDFLAGS, CPPFLAGS
    /// (native only) and PKG_CONFIG_PATH, PKG_CONFIG_LIBDIR, PKG_CONFIG_SYSROOT_DIR.
    #[arg(long = "env", value_name = "NAME=VALUE")]
    pub env: Vec<String>,
    /// Read no setting from the environment (CC, AR, CFLAGS, LDFLAGS, CPPFLAGS, PKG_CONFIG_*, SPY_WERROR, SPYGEN_LAUNCHER, SPYGEN_RUNNER,
    /// SPYGEN_LINK_JOBS, SPYGEN_TOOLCHAIN_DIR): only from options and `--env`. The build files'
    /// regeneration command uses it, so that ninja or make, whatever their environment,
    /// regenerate exactly as the generation they come from did.
    #[arg(long)]
    pub no_env: bool,
}

/// The variable setting `--link-jobs` when the option is not given.
const LINK_JOBS_ENV: &str = "SPYGEN_LINK_JOBS";

/// Checks that a command-line value can be written into build files: UTF-8 (they are text)
/// and free of control characters (a line break would end a line of build.ninja).
pub fn check_text_arg(option: &str, value: &std::ffi::OsStr) -> Result<()> {
    let Some(text) = value.to_str() else {
        return Err(Error::usage(format!("{option} {value:?} is not UTF-8: build files are text and cannot name it"))
            .help("rename the path, or pass another one"));
    };
    if text.chars().any(char::is_control) {
        return Err(Error::usage(format!("{option} {text:?} holds a control character: no build file can carry it"))
            .help("remove the line break, tab or other control character"));
    }
    Ok(())
}

impl ProjectArgs {
    /// Checks every value of these options with [`check_text_arg`].
    fn check_text(&self, toolchain_dir: Option<&Path>) -> Result<()> {
        if let Some(project) = &self.project {
            check_text_arg("PROJECT", project.as_os_str())?;
        }
        for (option, path) in [("--build-dir", self.build_dir.as_deref()), ("--toolchain-dir", toolchain_dir)] {
            if let Some(p) = path {
                check_text_arg(option, p.as_os_str())?;
            }
        }
        for p in &self.extra_vm_modules {
            check_text_arg("--extra-vm-module", p.as_os_str())?;
        }
        for (option, values) in [
            ("--target", &self.targets),
            ("--build-type", &self.build_types),
            ("--launcher", &self.launchers),
            ("--runner", &self.runners),
            ("--cflag", &self.cflags),
            ("--ldflag", &self.ldflags),
            ("--define", &self.defines),
            ("--pkg-config-path", &self.pkg_config_paths),
            ("--env", &self.env),
        ] {
            for v in values {
                check_text_arg(option, v.as_ref())?;
            }
        }
        Ok(())
    }

    /// The environment a generation reads ([`GenOptions::env`]): every variable a descriptor
    /// names for a tool override and pkg-config's, from the process (unless `--no-env`), with
    /// `--env` values over them.
    fn environment(&self, db: &Db) -> Result<BTreeMap<String, String>> {
        let mut names: BTreeSet<String> = PKG_CONFIG_ENV.iter().chain(&FLAGS_ENV).map(|s| s.to_string()).collect();
        for t in db.iter() {
            names.extend([&t.compiler, &t.archiver].into_iter().filter_map(|tool| tool.env.clone()));
            // Each target's own pkg-config settings, as cross-compiling wrappers read them.
            names.insert(crate::toolchain::pkg_config::path_env(&t.name));
            names.insert(crate::toolchain::pkg_config::sysroot_env(&t.name));
        }
        let mut env: BTreeMap<String, String> = names
            .iter()
            .map(|n| (n.clone(), if self.no_env { String::new() } else { std::env::var(n).unwrap_or_default() }))
            .collect();
        for item in &self.env {
            let (name, value) = item.split_once('=').unwrap_or((item, ""));
            match env.get_mut(name) {
                Some(v) => *v = value.to_string(),
                None => {
                    let known: Vec<&str> = names.iter().map(String::as_str).collect();
                    return Err(Error::usage(format!(
                        "--env {item}: spygen reads no variable `{name}`; it reads {}",
                        known.join(", ")
                    ))
                    .help("write --env NAME=VALUE with one of those names"));
                }
            }
        }
        Ok(env)
    }

    /// `--define`, `--cflag` and `--ldflag`, in that order (each keeps its own order): as in
    /// spy.toml, definitions come before compile flags.
    fn flag_args(&self, db: &Db) -> Vec<FlagArg> {
        let targets = db.names();
        let kinds =
            [(FlagKind::Define, &self.defines), (FlagKind::Cflag, &self.cflags), (FlagKind::Ldflag, &self.ldflags)];
        kinds
            .into_iter()
            .flat_map(|(kind, values)| values.iter().map(move |v| (kind, v)))
            .map(|(kind, v)| FlagArg::parse(kind, v, &targets))
            .collect()
    }

    /// Whether settings are read from the environment (not under `--no-env`).
    pub fn reads_env(&self) -> bool {
        !self.no_env
    }

    /// `--link-jobs`, else `$SPYGEN_LINK_JOBS` (unless `--no-env`).
    fn link_jobs(&self) -> Result<Option<u32>> {
        if self.link_jobs.is_some() || self.no_env {
            return Ok(self.link_jobs);
        }
        match std::env::var(LINK_JOBS_ENV) {
            Ok(v) if !v.trim().is_empty() => {
                v.trim().parse::<u32>().ok().filter(|&n| n > 0).map(Some).ok_or_else(|| {
                    Error::usage(format!("{LINK_JOBS_ENV}={v} is not a positive number"))
                        .help("how many links may run at once, e.g. SPYGEN_LINK_JOBS=2")
                })
            }
            _ => Ok(None),
        }
    }

    /// PROJECT, else the directory of the nearest spy.toml from `cwd` up, else (with modules
    /// given on the command line, as SPy's `--extra-vm-module` runs do) `cwd`; with none of
    /// these there is nothing to build: an error saying what a project is.
    fn project_dir(&self, project: Option<&Path>, cwd: &Path) -> Result<PathBuf> {
        if let Some(p) = project {
            return Ok(p.to_path_buf());
        }
        if let Some(manifest) = crate::manifest::Project::find(cwd) {
            return Ok(manifest.parent().map(Path::to_path_buf).unwrap_or_default());
        }
        if !self.extra_vm_modules.is_empty() {
            return Ok(cwd.to_path_buf());
        }
        Err(crate::plan::no_project_error(cwd, true))
    }

    /// The planner's options for the descriptors in `db`; `toolchain_dir` is passed on to the
    /// regeneration command.
    pub fn to_options(&self, db: &Db, toolchain_dir: Option<&Path>) -> Result<GenOptions> {
        self.to_options_for(self.project.as_deref(), db, toolchain_dir)
    }

    /// [`ProjectArgs::to_options`] for the project `project` (`None`: found from here up).
    pub fn to_options_for(&self, project: Option<&Path>, db: &Db, toolchain_dir: Option<&Path>) -> Result<GenOptions> {
        self.check_text(toolchain_dir)?;
        let cwd = paths::current_dir();
        let spygen_exe = std::env::current_exe().map_err(|e| {
            Error::env(format!("cannot find the spygen executable: {e}"))
                .help("run spygen by a path that exists (the build files re-run it by that path)")
        })?;
        Ok(GenOptions {
            force: false,
            project_dir: self.project_dir(project, &cwd)?,
            load: LoadOptions {
                no_spy_toml: self.no_spy_toml,
                extra_vm_modules: self.extra_vm_modules.iter().map(|p| paths::absolute(p, &cwd)).collect(),
            },
            build_dir: self.build_dir.clone(),
            targets: self.targets.clone(),
            build_types: self.build_types.clone(),
            warning_as_error: self.warning_as_error || (self.reads_env() && super::flags::werror_from_env()),
            toolchain_dir: toolchain_dir.map(Path::to_path_buf),
            spygen_exe,
            format: Format::Ninja,
            no_compdb: false,
            launchers: crate::toolchain::launcher::args_and_env(&self.launchers, self.reads_env()),
            runners: crate::toolchain::runner::args_and_env(&self.runners, self.reads_env()),
            flag_args: self.flag_args(db),
            pkg_config_paths: self
                .pkg_config_paths
                .iter()
                .map(|v| crate::toolchain::pkg_config::PathArg::parse(v, &db.names()))
                .collect(),
            link_jobs: self.link_jobs()?,
            skip_launcher_check: false,
            compdb_config: None,
            env: self.environment(db)?,
        })
    }
}
