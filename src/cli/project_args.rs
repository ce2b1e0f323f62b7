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

/// The options a generation recorded in its build directory ([`crate::options::OPTIONS_FILE`]),
/// read back as `spygen gen` reads them.
#[derive(Debug, clap::Parser)]
#[command(no_binary_name = true)]
struct Recorded {
    #[command(flatten)]
    project: ProjectArgs,
    #[arg(long)]
    no_compdb: bool,
    #[arg(long)]
    compdb_config: Option<String>,
    #[arg(long)]
    toolchain_dir: Option<PathBuf>,
}

/// The options of a command that builds, with what it kept from the last generation.
pub struct Kept {
    /// The generation's options.
    pub options: GenOptions,
    /// The descriptors, loaded again when the kept options name another toolchain directory.
    pub db: Option<Db>,
    /// The options kept, as written (empty: none).
    pub kept: Vec<String>,
}

impl Kept {
    /// The line saying which options were kept, if any.
    pub fn note(&self) -> Option<String> {
        (!self.kept.is_empty()).then(|| {
            format!("spygen: keeping the last generation's {} (`spygen gen` sets options anew)", self.kept.join(", "))
        })
    }
}

impl ProjectArgs {
    /// The options of `spygen build`, `run` and `test`: these, and for each option they do
    /// not give, the value the last generation into the same build directory recorded, so
    /// that `spygen gen --target native --launcher ccache` then `spygen build` builds what was
    /// asked (the environment is read afresh). `spygen gen` itself never keeps anything.
    pub fn options_keeping_recorded(
        &self,
        project: Option<&Path>,
        db: &Db,
        toolchain_dir: Option<&Path>,
    ) -> Result<Kept> {
        let given = self.to_options_for(project, db, toolchain_dir)?;
        let loaded = crate::plan::load_project(&given)?;
        let build_dir = crate::plan::build_dir(&given, &loaded);
        let Some(recorded) = std::fs::read_to_string(build_dir.join(crate::options::OPTIONS_FILE))
            .ok()
            .and_then(|text| shlex::split(text.trim()))
            .and_then(|words| <Recorded as clap::Parser>::try_parse_from(words).ok())
        else {
            return Ok(Kept { options: given, db: None, kept: Vec::new() });
        };
        let mut kept = Vec::new();
        let merged = self.merged_with(recorded.project, &mut kept);
        let reloaded = match (toolchain_dir, &recorded.toolchain_dir) {
            (None, Some(dir)) => {
                kept.push("--toolchain-dir".to_string());
                Some(Db::load(Some(dir))?)
            }
            _ => None,
        };
        let dir = toolchain_dir.or(recorded.toolchain_dir.as_deref());
        let mut options = merged.to_options_for(project, reloaded.as_ref().unwrap_or(db), dir)?;
        if recorded.no_compdb {
            options.no_compdb = true;
            kept.push("--no-compdb".to_string());
        }
        if let Some(c) = recorded.compdb_config {
            options.compdb_config = Some(c);
            kept.push("--compdb-config".to_string());
        }
        Ok(Kept { options, db: reloaded, kept })
    }

    /// `self`, each option it does not give taken from `recorded` (its name pushed to `kept`).
    fn merged_with(&self, recorded: ProjectArgs, kept: &mut Vec<String>) -> ProjectArgs {
        fn list(mine: &[String], theirs: Vec<String>, name: &str, kept: &mut Vec<String>) -> Vec<String> {
            if mine.is_empty() && !theirs.is_empty() {
                kept.push(name.to_string());
                theirs
            } else {
                mine.to_vec()
            }
        }
        fn flag(mine: bool, theirs: bool, name: &str, kept: &mut Vec<String>) -> bool {
            if !mine && theirs {
                kept.push(name.to_string());
            }
            mine || theirs
        }
        let extra_vm_modules = if self.extra_vm_modules.is_empty() && !recorded.extra_vm_modules.is_empty() {
            kept.push("--extra-vm-module".to_string());
            recorded.extra_vm_modules
        } else {
            self.extra_vm_modules.clone()
        };
        let link_jobs = match (self.link_jobs, recorded.link_jobs) {
            (None, Some(n)) => {
                kept.push("--link-jobs".to_string());
                Some(n)
            }
            (mine, _) => mine,
        };
        ProjectArgs {
            project: self.project.clone(),
            build_dir: self.build_dir.clone(),
            targets: list(&self.targets, recorded.targets, "--target", kept),
            build_types: list(&self.build_types, recorded.build_types, "--build-type", kept),
            extra_vm_modules,
            no_spy_toml: flag(self.no_spy_toml, recorded.no_spy_toml, "--no-spy-toml", kept),
            warning_as_error: flag(self.warning_as_error, recorded.warning_as_error, "--warning-as-error", kept),
            launchers: list(&self.launchers, recorded.launchers, "--launcher", kept),
            cflags: list(&self.cflags, recorded.cflags, "--cflag", kept),
            ldflags: list(&self.ldflags, recorded.ldflags, "--ldflag", kept),
            defines: list(&self.defines, recorded.defines, "--define", kept),
            pkg_config_paths: list(&self.pkg_config_paths, recorded.pkg_config_paths, "--pkg-config-path", kept),
            runners: list(&self.runners, recorded.runners, "--runner", kept),
            link_jobs,
            env: self.env.clone(),
            no_env: self.no_env,
        }
    }
}
