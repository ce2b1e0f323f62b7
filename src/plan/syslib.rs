//! System libraries, per target: pkg-config asked with the target's settings
//! ([`crate::toolchain::pkg_config`]), the project's choice of an installation
//! (`[spygen.system-lib.NAME]`: other `.pc` directories, or the flags outright), fallback flags.
//!
//! pkg-config prints shell words: a directory with a space comes out as `-I/opt/my\ dir`, so its
//! output is split as the shell would (shlex), never on whitespace alone.

use std::collections::{BTreeSet, HashMap};
use std::path::PathBuf;
use std::process::{Command, Stdio};

use super::{Planner, UnitConfig, UnitId};
use crate::manifest::{LibScope, Project, SystemLib};
use crate::toolchain::Toolchain;
use crate::toolchain::pkg_config::{self, PathArg, TargetPkgConfig};

/// Compile and link flags of a system library.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LibFlags {
    /// `pkg-config --cflags`.
    pub cflags: Vec<String>,
    /// `pkg-config --libs`.
    pub libs: Vec<String>,
}

/// A library's flags for one target, and where they came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    /// The flags.
    pub flags: LibFlags,
    /// Where they came from, for people (`pkg-config: /usr/lib/.../libmagic.pc`).
    pub origin: String,
    /// The `.pc` file pkg-config read, whose change re-runs spygen.
    pub pc_file: Option<PathBuf>,
}

/// What looking a library up for a target gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// Its flags.
    Found(Found),
    /// Not found; why (pkg-config's own words when it said some).
    Missing(String),
}

/// Answers per target and package, so pkg-config runs once per library per target.
#[derive(Debug)]
pub struct Cache {
    answers: HashMap<(String, String), Answer>,
    /// Each target's pkg-config settings, resolved once.
    targets: HashMap<String, Option<TargetPkgConfig>>,
    /// pkg-config's environment as the generation sees it (`PKG_CONFIG_PATH`...; empty:
    /// unset), so that regeneration from ninja or make asks in the same one.
    env: Vec<(String, String)>,
}

impl Cache {
    /// A cache asking pkg-config with the variables `env` (those of
    /// [`crate::options::PKG_CONFIG_ENV`] are used; an empty value unsets the variable).
    pub fn new(env: &std::collections::BTreeMap<String, String>) -> Cache {
        let env = crate::options::PKG_CONFIG_ENV
            .iter()
            .map(|name| (name.to_string(), env.get(*name).cloned().unwrap_or_default()))
            .collect();
        Cache { answers: HashMap::new(), targets: HashMap::new(), env }
    }

    /// The pkg-config settings of `toolchain`'s target.
    pub fn target_settings(
        &mut self,
        toolchain: &Toolchain,
        project: &Project,
        args: &[PathArg],
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Option<TargetPkgConfig> {
        self.targets
            .entry(toolchain.name.clone())
            .or_insert_with(|| pkg_config::for_target(toolchain, Some(project), args, env))
            .clone()
    }

    /// `lib` for `toolchain`'s target as the project chooses it: its `[spygen.system-lib]`
    /// flags, else pkg-config in the target's settings (with the project's directories first).
    pub fn lookup(
        &mut self,
        lib: &SystemLib,
        toolchain: &Toolchain,
        project: &Project,
        settings: Option<TargetPkgConfig>,
    ) -> Answer {
        let key = (toolchain.name.clone(), lib.pkg_config.clone());
        if let Some(a) = self.answers.get(&key) {
            return a.clone();
        }
        let overrides = &project.system_lib_overrides;
        let chosen = overrides
            .get(&(lib.pkg_config.clone(), Some(toolchain.name.clone())))
            .or_else(|| overrides.get(&(lib.pkg_config.clone(), None)));
        let answer = match chosen {
            Some(o) if o.cflags.is_some() || o.libs.is_some() => Answer::Found(Found {
                flags: LibFlags {
                    cflags: o.cflags.clone().unwrap_or_default(),
                    libs: o.libs.clone().unwrap_or_default(),
                },
                origin: format!("the flags given at {}", o.location),
                pc_file: None,
            }),
            _ => {
                let mut dirs: Vec<PathBuf> = chosen.map(|o| o.pkg_config_path.clone()).unwrap_or_default();
                let host = pkg_config::is_host(toolchain);
                let sysroot = settings.as_ref().and_then(|s| s.sysroot.clone());
                dirs.extend(settings.iter().flat_map(|s| s.dirs.iter().cloned()));
                if !host && dirs.is_empty() {
                    Answer::Missing(format!("target `{}` has no pkg-config settings", toolchain.name))
                } else {
                    self.ask(&lib.pkg_config, host, &dirs, sysroot.as_deref())
                }
            }
        };
        self.answers.insert(key, answer.clone());
        answer
    }

    /// pkg-config's answer for `package`: with `dirs` first in the host's search (`host`), or
    /// as the only directories searched.
    fn ask(&self, package: &str, host: bool, dirs: &[PathBuf], sysroot: Option<&std::path::Path>) -> Answer {
        let mut env: Vec<(String, String)> = self.env.clone();
        let set = |env: &mut Vec<(String, String)>, name: &str, value: String| {
            if let Some(e) = env.iter_mut().find(|(n, _)| n == name) {
                e.1 = value;
            }
        };
        let joined = std::env::join_paths(dirs).map(|p| p.to_string_lossy().into_owned()).unwrap_or_default();
        if host {
            if !dirs.is_empty() {
                let base = env.iter().find(|(n, _)| n == "PKG_CONFIG_PATH").map(|(_, v)| v.clone()).unwrap_or_default();
                let value = if base.is_empty() { joined.clone() } else { format!("{joined}:{base}") };
                set(&mut env, "PKG_CONFIG_PATH", value);
            }
        } else {
            // Only the target's directories: the host's default search is replaced.
            set(&mut env, "PKG_CONFIG_LIBDIR", joined.clone());
            set(&mut env, "PKG_CONFIG_PATH", String::new());
            set(&mut env, "PKG_CONFIG_SYSROOT_DIR", String::new());
        }
        if let Some(s) = sysroot {
            set(&mut env, "PKG_CONFIG_SYSROOT_DIR", s.display().to_string());
        }
        let words = |what: &str| query(package, what, &env).and_then(|text| shell_words(package, what, &text));
        let flags = match (words("--cflags"), words("--libs")) {
            (Ok(cflags), Ok(libs)) => LibFlags { cflags, libs },
            (Err(why), _) | (_, Err(why)) => return Answer::Missing(why),
        };
        // A path, printed as it is (not shell words): the .pc file read.
        let pc_file = query(package, "--path", &env).ok().map(|t| PathBuf::from(t.trim())).filter(|p| p.is_file());
        let searched = if host {
            let path = env.iter().find(|(n, _)| n == "PKG_CONFIG_PATH").map_or("", |(_, v)| v.as_str());
            format!("the host's pkg-config, PKG_CONFIG_PATH={path:?}")
        } else {
            format!("pkg-config in {joined}")
        };
        let origin = match &pc_file {
            Some(pc) => format!("{searched}: {}", pc.display()),
            None => searched,
        };
        Answer::Found(Found { flags, origin, pc_file })
    }
}

/// What to do with `lib` (declared with `scope`) in a configuration of `toolchain` given
/// `answer`: its flags, or, when it is not found, the fallback flags with a warning where they
/// are meant for the target (the host's target; a target-scoped declaration; a build type's),
/// else `None`: the module cannot be built for the target.
pub fn flags_or_fallback(
    lib: &SystemLib,
    scope: LibScope,
    toolchain: &Toolchain,
    answer: &Answer,
    warnings: &mut Vec<String>,
) -> Option<LibFlags> {
    match answer {
        Answer::Found(found) => Some(found.flags.clone()),
        Answer::Missing(why) => {
            if !pkg_config::is_host(toolchain) && scope == LibScope::Overall {
                return None;
            }
            let fallback = LibFlags { cflags: lib.fallback_cflags.clone(), libs: lib.fallback_libs.clone() };
            let warning = format!(
                "{}: {why}; using the fallback flags {} for {}",
                lib.location,
                [fallback.cflags.join(" "), fallback.libs.join(" ")].join(" ").trim(),
                toolchain.name
            );
            if !warnings.contains(&warning) {
                warnings.push(warning);
            }
            Some(fallback)
        }
    }
}

impl Planner<'_> {
    /// `lib` looked up for `toolchain`'s target (once per target and package); the `.pc` file
    /// it came from becomes an input of the generation.
    pub(super) fn system_lib(&mut self, lib: &SystemLib, toolchain: &Toolchain) -> Answer {
        let options = self.options;
        let env = |k: &str| options.env_var(k);
        let settings = self.syslibs.target_settings(toolchain, self.project, &options.pkg_config_paths, &env);
        let answer = self.syslibs.lookup(lib, toolchain, self.project, settings);
        if let Answer::Found(found) = &answer
            && let Some(pc) = &found.pc_file
        {
            self.add_inputs([(pc.clone(), crate::fsutil::stamp(pc))]);
        }
        answer
    }

    /// The system libraries' flags of `units` (a unit and what it depends on) in `ctx`'s
    /// configuration, each library once, in order; each one's origin is recorded for the graph.
    pub(super) fn system_lib_flags(&mut self, ctx: &UnitConfig, units: impl IntoIterator<Item = UnitId>) -> LibFlags {
        let all = self.units;
        let mut out = LibFlags::default();
        let mut seen: Vec<String> = Vec::new();
        for u in units.into_iter().filter(|&u| all[u].has_system_libs()) {
            for lib in self.unit_system_libs(ctx, u) {
                if !seen.contains(&lib.package) {
                    seen.push(lib.package);
                    out.cflags.extend(lib.cflags);
                    out.libs.extend(lib.libs);
                }
            }
        }
        out
    }

    /// Unit `u`'s system libraries in `ctx`'s configuration, each as resolved there, with
    /// where its flags came from (those its target cannot have are left out); each one's
    /// origin is recorded for the graph.
    pub(super) fn unit_system_libs(&mut self, ctx: &UnitConfig, u: UnitId) -> Vec<crate::module_manifest::SystemLib> {
        // A pack's, as resolved where it was built: the library it was built against.
        if let Some(p) = &self.units[u].prebuilt {
            let Some((_, m)) = p.config(&ctx.config.target, &ctx.config.build_type) else { return Vec::new() };
            for lib in &m.system_libs {
                let key = (ctx.config.target.clone(), lib.package.clone());
                let origin = format!("{} (packed in {})", lib.origin, p.pack.display());
                let flags = LibFlags { cflags: lib.cflags.clone(), libs: lib.libs.clone() };
                self.system_lib_uses.entry(key).or_insert((origin, flags));
            }
            return m.system_libs.clone();
        }
        let mut out = Vec::new();
        for (lib, scope) in self.units[u].system_libs_for(&ctx.config.target, &ctx.config.build_type) {
            let answer = self.system_lib(lib, ctx.toolchain);
            let Some(flags) = flags_or_fallback(lib, scope, ctx.toolchain, &answer, &mut self.warnings) else {
                continue;
            };
            let origin = origin(&answer, lib);
            let key = (ctx.config.target.clone(), lib.pkg_config.clone());
            self.system_lib_uses.entry(key).or_insert_with(|| (origin.clone(), flags.clone()));
            out.push(crate::module_manifest::SystemLib {
                package: lib.pkg_config.clone(),
                origin,
                cflags: flags.cflags,
                libs: flags.libs,
            });
        }
        out
    }

    /// The targets of `targets` the unit `u` cannot be built for because a system library it
    /// needs there is not found, each with a warning naming the library and how to provide
    /// it; an error when the unit asks for such a target by name.
    pub(super) fn targets_without_system_libs(
        &mut self,
        u: UnitId,
        targets: &BTreeSet<String>,
    ) -> crate::error::Result<BTreeSet<String>> {
        let unit = &self.units[u];
        let mut out = BTreeSet::new();
        if !unit.has_system_libs() {
            return Ok(out);
        }
        for target in targets {
            let Ok(toolchain) = self.db.get(target) else { continue };
            // Build-type libraries fall back on their flags: a target is whole or absent.
            for (lib, scope) in unit.system_libs_for(target, "") {
                let answer = self.system_lib(lib, toolchain);
                let mut quiet = Vec::new();
                if flags_or_fallback(lib, scope, toolchain, &answer, &mut quiet).is_some() {
                    continue;
                }
                let why = match &answer {
                    Answer::Missing(why) => why.clone(),
                    Answer::Found(_) => String::new(),
                };
                let help = pkg_config::how_to_provide(target, &lib.pkg_config);
                let asked = unit.targets.iter().flatten().find(|t| t.value == *target);
                if let Some(asked) = asked {
                    return Err(crate::error::Error::input(format!(
                        "{} `{}` is built for `{target}`, but its system library `{}` is not found for it: {why}",
                        unit.kind.as_str(),
                        unit.name,
                        lib.pkg_config
                    ))
                    .at(asked.location.clone())
                    .help(format!("{help}; or remove `{target}` from its targets")));
                }
                let warning = format!(
                    "{}: {} `{}` is left out of `{target}`: its system library `{}` is not found for {target} ({why}); to provide it: {help}",
                    lib.location,
                    unit.kind.as_str(),
                    unit.name,
                    lib.pkg_config
                );
                if !self.warnings.contains(&warning) {
                    self.warnings.push(warning);
                }
                let reason = format!(
                    "`{}` needs the system library `{}`, which is not found for {target}: {help}",
                    unit.name, lib.pkg_config
                );
                let fix = format!("provide the system library `{}` for {target} (as said above)", lib.pkg_config);
                self.left_out.insert((u, target.clone()), super::LeftOut { why: reason, fix });
                out.insert(target.clone());
                break;
            }
        }
        Ok(out)
    }
}

/// Where `lib`'s flags came from, given `answer`: what pkg-config read, or its fallback flags.
fn origin(answer: &Answer, lib: &SystemLib) -> String {
    match answer {
        Answer::Found(found) => found.origin.clone(),
        Answer::Missing(_) => format!("the fallback flags at {}", lib.location),
    }
}

/// `pkg-config <what> <package>` in `env`: what it prints; its stderr in the error.
fn query(package: &str, what: &str, env: &[(String, String)]) -> Result<String, String> {
    let mut command = Command::new("pkg-config");
    command.arg(what).arg(package).stdin(Stdio::null());
    for (name, value) in env {
        if value.is_empty() {
            command.env_remove(name);
        } else {
            command.env(name, value);
        }
    }
    let out = command.output().map_err(|e| format!("cannot run pkg-config ({e})"))?;
    if !out.status.success() {
        let said = String::from_utf8_lossy(&out.stderr).trim().replace('\n', "; ");
        let searched: Vec<String> = env
            .iter()
            .filter(|(n, v)| !v.is_empty() && (n == "PKG_CONFIG_PATH" || n == "PKG_CONFIG_LIBDIR"))
            .map(|(n, v)| format!("{n}={v}"))
            .collect();
        let searched = if searched.is_empty() { String::new() } else { format!(" ({})", searched.join(", ")) };
        let said = if said.is_empty() { String::new() } else { format!(": {said}") };
        return Err(format!("pkg-config does not know `{package}`{searched}{said}"));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// pkg-config's answer `text` to `what` as the shell splits it.
fn shell_words(package: &str, what: &str, text: &str) -> Result<Vec<String>, String> {
    let words = shlex::split(text.trim()).ok_or_else(|| {
        format!("pkg-config's {what} for `{package}` do not parse as shell words ({:?})", text.trim())
    })?;
    if let Some(w) = words.iter().find(|w| w.chars().any(char::is_control)) {
        return Err(format!("pkg-config's {what} for `{package}` hold a control character ({w:?})"));
    }
    Ok(words)
}

#[cfg(test)]
mod tests {
    #[test]
    fn pkg_config_output_is_split_as_the_shell_splits_it() {
        let words = shlex::split(r#"-I/opt/my\ dir/include -DNAME=\"a\ b\" -lz"#).unwrap();
        assert_eq!(words, ["-I/opt/my dir/include", "-DNAME=\"a b\"", "-lz"]);
    }
}
