//! Options naming a project and its configurations, shared by `gen` and `graph`.

use std::path::{Path, PathBuf};

use clap::Args;

use crate::error::{Error, Result};
use crate::manifest::LoadOptions;
use crate::paths;
use crate::plan::{Format, GenOptions};

/// Which project, which configurations, where the build goes.
#[derive(Debug, Args)]
pub struct ProjectArgs {
    /// The project directory (holding spy.toml), or spy.toml itself.
    #[arg(default_value = ".", value_name = "PROJECT")]
    pub project: PathBuf,
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
    /// How many links (and wasm bundles) ninja runs at once (its `link` pool). Default:
    /// spy.toml's `link-jobs`, else 1 on machines of up to 7 cores, one per 4 cores above.
    #[arg(long, value_name = "N", env = "SPYGEN_LINK_JOBS", value_parser = clap::value_parser!(u32).range(1..))]
    pub link_jobs: Option<u32>,
}

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
        check_text_arg("PROJECT", self.project.as_os_str())?;
        for (option, path) in [("--build-dir", self.build_dir.as_deref()), ("--toolchain-dir", toolchain_dir)] {
            if let Some(p) = path {
                check_text_arg(option, p.as_os_str())?;
            }
        }
        for p in &self.extra_vm_modules {
            check_text_arg("--extra-vm-module", p.as_os_str())?;
        }
        for (option, values) in
            [("--target", &self.targets), ("--build-type", &self.build_types), ("--launcher", &self.launchers)]
        {
            for v in values {
                check_text_arg(option, v.as_ref())?;
            }
        }
        Ok(())
    }

    /// The planner's options; `toolchain_dir` is passed on to the regeneration command.
    pub fn to_options(&self, toolchain_dir: Option<&Path>) -> Result<GenOptions> {
        self.check_text(toolchain_dir)?;
        let cwd = paths::current_dir();
        let spygen_exe =
            std::env::current_exe().map_err(|e| Error::env(format!("cannot find the spygen executable: {e}")))?;
        Ok(GenOptions {
            project_dir: self.project.clone(),
            load: LoadOptions {
                no_spy_toml: self.no_spy_toml,
                extra_vm_modules: self.extra_vm_modules.iter().map(|p| paths::absolute(p, &cwd)).collect(),
            },
            build_dir: self.build_dir.clone(),
            targets: self.targets.clone(),
            build_types: self.build_types.clone(),
            warning_as_error: self.warning_as_error || super::flags::werror_from_env(),
            toolchain_dir: toolchain_dir.map(Path::to_path_buf),
            spygen_exe,
            format: Format::Ninja,
            no_compdb: false,
            launchers: crate::plan::launcher::args_and_env(&self.launchers),
            link_jobs: self.link_jobs,
            skip_launcher_check: false,
        })
    }
}
