//! Where pkg-config finds a target's system libraries. The host's own target (triplet `host`)
//! asks the host's pkg-config as the environment sets it up (`PKG_CONFIG_PATH`...), with the
//! directories chosen for it searched first. A cross target is never given the host's answers:
//! pkg-config searches only the directories chosen for it (`PKG_CONFIG_LIBDIR`), and without
//! any, its libraries are not looked up at all.
//!
//! The most specific setting wins, as for launchers and runners: `--pkg-config-path
//! TARGET=DIR` (without `TARGET=`: the host's target), then `$PKG_CONFIG_PATH_<TARGET>` (and
//! `$PKG_CONFIG_SYSROOT_DIR_<TARGET>`), as cross-compiling pkg-config wrappers read them, then
//! spy.toml's `[spygen.pkg-config-for.TARGET]`, then the descriptor's `[pkg-config]`.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use super::Toolchain;
use crate::manifest::Project;
use crate::paths;

/// The environment variable naming `target`'s `.pc` directories: `PKG_CONFIG_PATH_WASI`,
/// `PKG_CONFIG_PATH_NATIVE_STATIC` (upper case, `-` as `_`).
pub fn path_env(target: &str) -> String {
    format!("PKG_CONFIG_PATH_{}", env_suffix(target))
}

/// The environment variable naming `target`'s pkg-config sysroot.
pub fn sysroot_env(target: &str) -> String {
    format!("PKG_CONFIG_SYSROOT_DIR_{}", env_suffix(target))
}

fn env_suffix(target: &str) -> String {
    target.to_ascii_uppercase().replace(['-', '.'], "_")
}

/// Whether `toolchain` builds for the machine spygen runs on, whose pkg-config answers fit it.
pub fn is_host(toolchain: &Toolchain) -> bool {
    toolchain.triplet == "host"
}

/// One `--pkg-config-path [TARGET=]DIR`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathArg {
    /// The target (`None`: the host's target).
    pub target: Option<String>,
    /// The directory, absolute.
    pub dir: PathBuf,
}

impl PathArg {
    /// Parses `value`; `TARGET=` counts when TARGET is one of `targets`; a relative directory
    /// is made absolute against the current directory.
    pub fn parse(value: &str, targets: &[&str]) -> PathArg {
        let (target, dir) = crate::options::split_target(value, targets);
        PathArg { target: target.map(str::to_string), dir: paths::absolute(Path::new(dir), &paths::current_dir()) }
    }

    /// As written on a command line, the directory absolute.
    pub fn to_arg(&self) -> String {
        crate::options::join_target(self.target.as_deref(), &paths::to_slash(&self.dir))
    }
}

/// Where pkg-config looks for one target's libraries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetPkgConfig {
    /// The host's own target: the environment's pkg-config settings apply, `dirs` first.
    pub host: bool,
    /// Directories of `.pc` files (for a cross target, the only ones searched).
    pub dirs: Vec<PathBuf>,
    /// The sysroot the `.pc` files' paths are under.
    pub sysroot: Option<PathBuf>,
    /// Where the setting comes from, for messages (`PKG_CONFIG_PATH_WASI`, `spy.toml:9:1`).
    pub origin: String,
}

impl TargetPkgConfig {
    /// One line for people.
    pub fn describe(&self) -> String {
        let dirs: Vec<String> = self.dirs.iter().map(|d| d.display().to_string()).collect();
        let sysroot = self.sysroot.as_ref().map(|s| format!(", sysroot {}", s.display())).unwrap_or_default();
        match (self.host, dirs.is_empty()) {
            (true, true) => "the host's (PKG_CONFIG_PATH)".to_string(),
            (true, false) => format!("the host's, {} first{sysroot} (set by {})", dirs.join(":"), self.origin),
            (false, _) => format!("{}{sysroot} (set by {})", dirs.join(":"), self.origin),
        }
    }
}

/// How to give a cross target its libraries, for messages.
pub fn how_to_provide(target: &str, package: &str) -> String {
    format!(
        "set {}=<dir of {package}.pc built for {target}>, or [spygen.pkg-config-for.{target}] path in spy.toml, or --pkg-config-path {target}=DIR, or give its flags with [spygen.system-lib.{package}.target.{target}] cflags/libs",
        path_env(target)
    )
}

/// The pkg-config settings of `toolchain`'s target; `None` for a cross target with none.
/// `env` is the generation's environment.
pub fn for_target(
    toolchain: &Toolchain,
    project: Option<&Project>,
    args: &[PathArg],
    env: &dyn Fn(&str) -> Option<String>,
) -> Option<TargetPkgConfig> {
    let target = toolchain.name.as_str();
    let host = is_host(toolchain);
    let from_args: Vec<PathBuf> = args
        .iter()
        .filter(|a| match &a.target {
            Some(t) => t == target,
            None => host,
        })
        .map(|a| a.dir.clone())
        .collect();
    let setting = |dirs: Vec<PathBuf>, sysroot: Option<PathBuf>, origin: String| {
        Some(TargetPkgConfig { host, dirs, sysroot, origin })
    };
    let env_sysroot = env(&sysroot_env(target)).map(PathBuf::from);
    if !from_args.is_empty() {
        return setting(from_args, env_sysroot, "--pkg-config-path".to_string());
    }
    if let Some(value) = env(&path_env(target)) {
        let dirs = std::env::split_paths(&value).filter(|d| !d.as_os_str().is_empty()).collect();
        return setting(dirs, env_sysroot, path_env(target));
    }
    if let Some(p) = project.and_then(|p| p.pkg_config_for.get(target)) {
        return setting(p.path.clone(), p.sysroot.clone(), p.location.to_string());
    }
    // The descriptor's, unless its query fails (the tool it asks is not installed).
    let descriptor = toolchain.pkg_config.as_ref().and_then(|spec| {
        let answer = match &spec.query {
            Some(words) => query(words)?,
            None => String::new(),
        };
        Some((spec, answer))
    });
    if let Some((spec, query)) = descriptor {
        let dirs = spec.path.iter().map(|d| PathBuf::from(d.replace("{query}", &query))).collect();
        let sysroot = spec.sysroot.as_ref().map(|s| PathBuf::from(s.replace("{query}", &query)));
        return setting(dirs, sysroot, toolchain.origin.display_path().display().to_string());
    }
    host.then(|| TargetPkgConfig { host, dirs: Vec::new(), sysroot: None, origin: "the host".into() })
}

/// The first line `words` prints, when it runs and succeeds.
fn query(words: &[String]) -> Option<String> {
    let (program, args) = words.split_first()?;
    let out = Command::new(program).args(args).stdin(Stdio::null()).stderr(Stdio::null()).output().ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text.lines().next()?.trim().to_string();
    (out.status.success() && !line.is_empty()).then_some(line)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::toolchain::Db;

    fn no_env(_: &str) -> Option<String> {
        None
    }

    #[test]
    fn a_cross_target_has_no_pkg_config_unless_one_is_chosen_for_it() {
        let db = Db::load(None).unwrap();
        let wasi = db.get("wasi").unwrap();
        assert_eq!(for_target(wasi, None, &[], &no_env), None, "the host's answers never reach wasi");
        let env = |k: &str| (k == "PKG_CONFIG_PATH_WASI").then(|| "/opt/wasi/lib/pkgconfig:/x".to_string());
        let found = for_target(wasi, None, &[], &env).unwrap();
        assert_eq!(found.dirs, [PathBuf::from("/opt/wasi/lib/pkgconfig"), PathBuf::from("/x")]);
        assert_eq!((found.host, found.origin.as_str()), (false, "PKG_CONFIG_PATH_WASI"));
        // The command line wins over the environment.
        let args = [PathArg::parse("wasi=/cli", &db.names())];
        assert_eq!(for_target(wasi, None, &args, &env).unwrap().dirs, [PathBuf::from("/cli")]);
    }

    #[test]
    fn the_hosts_target_asks_the_hosts_pkg_config_with_chosen_directories_first() {
        let db = Db::load(None).unwrap();
        let native = db.get("native").unwrap();
        let host = for_target(native, None, &[], &no_env).unwrap();
        assert!(host.host && host.dirs.is_empty());
        let args = [PathArg::parse("/opt/conda/lib/pkgconfig", &db.names())];
        let chosen = for_target(native, None, &args, &no_env).unwrap();
        assert_eq!(chosen.dirs, [PathBuf::from("/opt/conda/lib/pkgconfig")]);
        assert!(chosen.describe().contains("/opt/conda/lib/pkgconfig first"), "{}", chosen.describe());
        // A value without a target is the host's: it does not reach wasi.
        assert_eq!(for_target(db.get("wasi").unwrap(), None, &args, &no_env), None);
    }

    #[test]
    fn variable_names_spell_the_target_in_upper_case() {
        assert_eq!(path_env("native-static"), "PKG_CONFIG_PATH_NATIVE_STATIC");
        assert_eq!(sysroot_env("wasi"), "PKG_CONFIG_SYSROOT_DIR_WASI");
    }
}
