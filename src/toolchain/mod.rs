//! The toolchain database: target descriptors (embedded, plus a user directory) merged over
//! `defaults.toml`, and the facts each target knows (tools, flags, suffixes, link conventions).

mod descriptor;
mod flags;
pub mod launcher;
pub mod pkg_config;
pub mod requirement;
pub mod runner;
mod tool;
pub mod tool_cache;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

pub use descriptor::{Descriptor, PackageSpec, PkgConfigSpec};
pub use flags::{BuildFlags, ConfigFlags, ConfigTools, FlagOptions};
use requirement::Requirements;
pub use tool::{Candidate, Resolution, ResolvedTool, Tool};

use crate::error::{Error, Result};
use crate::source::SourceFile;

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/embedded_toolchains.rs"));
}

/// The file holding the flags every target shares; it is not a target itself.
pub const DEFAULTS_FILE: &str = "defaults.toml";

/// The environment variable naming a directory of extra or overriding descriptors.
pub const TOOLCHAIN_DIR_ENV: &str = "SPYGEN_TOOLCHAIN_DIR";

/// Where a descriptor was read from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// Compiled into spygen (`toolchains/<file>` in its source tree).
    Embedded(String),
    /// A file of the user's toolchain directory.
    File(PathBuf),
}

impl Origin {
    /// The path to show in messages.
    pub fn display_path(&self) -> PathBuf {
        match self {
            Origin::Embedded(name) => PathBuf::from(format!("<builtin>/toolchains/{name}")),
            Origin::File(p) => p.clone(),
        }
    }
}

/// Suffixes of the files a toolchain produces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suffixes {
    /// Object files.
    pub object: String,
    /// Static archives.
    pub archive: String,
    /// Executables and wasm modules.
    pub executable: String,
}

/// How exports and reactors are spelled on this toolchain's link line.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LinkConventions {
    /// Flags added once per export, `{name}` replaced.
    pub export: Vec<String>,
    /// One flag with every export, `{names}` replaced by the comma-separated list.
    pub export_list: Option<String>,
    /// Spelling of a symbol inside `export_list`, `{name}` replaced.
    pub export_name: String,
    /// Flags making a reactor module; `None` when the target has no such thing.
    pub reactor: Option<Vec<String>>,
    /// Suffixes of files a link writes beside the program (`.wasm` next to emscripten's `.js`).
    pub side_outputs: Vec<String>,
    /// Exports every executable needs once any export is listed (`main` for emscripten).
    pub executable_exports: Vec<String>,
}

impl LinkConventions {
    /// The link flags exporting `names` (in the given order).
    pub fn export_flags(&self, names: &[String]) -> Vec<String> {
        let mut out = Vec::new();
        for name in names {
            out.extend(self.export.iter().map(|f| f.replace("{name}", name)));
        }
        if let Some(list) = &self.export_list
            && !names.is_empty()
        {
            let spelled: Vec<String> = names.iter().map(|n| self.export_name.replace("{name}", n)).collect();
            out.push(list.replace("{names}", &spelled.join(",")));
        }
        out
    }
}

/// Everything spygen knows about one target, with defaults merged in.
#[derive(Debug, Clone)]
pub struct Toolchain {
    /// The target name (`wasi`), from the file name.
    pub name: String,
    /// One line saying what the target is for.
    pub description: String,
    /// The target triplet, or `host`.
    pub triplet: String,
    /// How to install what is missing.
    pub install_hint: String,
    /// The compiler driver, also used to link.
    pub compiler: Tool,
    /// The static archiver.
    pub archiver: Tool,
    /// The descriptor's compiler launcher (`ccache`); empty: none.
    pub launcher: Vec<String>,
    /// Where `launcher` is written (this descriptor or defaults.toml), when it is.
    pub launcher_location: Option<crate::error::Location>,
    /// Flags of the target and of each build type.
    pub flags: BuildFlags,
    /// Output suffixes.
    pub suffixes: Suffixes,
    /// Export and reactor spellings.
    pub link: LinkConventions,
    /// How its programs run here (`None`: directly).
    pub runner: Option<Tool>,
    /// Where pkg-config finds its system libraries (`None`: the host's, for the host's own
    /// target; nowhere for a cross target).
    pub pkg_config: Option<descriptor::PkgConfigSpec>,
    /// Where the descriptor came from.
    pub origin: Origin,
}

impl Toolchain {
    /// Checks a merged descriptor for completeness and builds the toolchain.
    fn from_descriptor(
        name: &str,
        d: Descriptor,
        source: &SourceFile,
        origin: Origin,
        launcher_location: Option<crate::error::Location>,
    ) -> Result<Toolchain> {
        let missing = |key: &str| {
            Error::input(format!("toolchain `{name}` has no `{key}`"))
                .at(source.location(0))
                .help(format!("add `{key}` to the descriptor (or to {DEFAULTS_FILE})"))
        };
        let compiler = d.compiler.ok_or_else(|| missing("compiler"))?;
        let archiver = d.archiver.ok_or_else(|| missing("archiver"))?;
        for (key, tool) in [("compiler", &compiler), ("archiver", &archiver)] {
            if tool.candidates.is_empty() || tool.candidates.iter().any(|c| c.command.is_empty()) {
                return Err(Error::input(format!(
                    "toolchain `{name}`: every `{key}` candidate needs a non-empty `command`"
                ))
                .at(source.location(source.text.find(&format!("[{key}]")).unwrap_or(0)))
                .help(format!("list at least one candidate with its command words: `candidates = [{{ command = [\"cc\"] }}]` under [{key}]")));
            }
        }
        let suffixes = d.suffixes.unwrap_or_default();
        let link = d.link.unwrap_or_default();
        let flags = BuildFlags::from_specs(d.flags.unwrap_or_default(), d.build_types);
        if flags.build_types.is_empty() {
            return Err(missing("build-types"));
        }
        Ok(Toolchain {
            name: name.to_string(),
            description: d.description.unwrap_or_default(),
            triplet: d.triplet.ok_or_else(|| missing("triplet"))?,
            install_hint: d.install.unwrap_or_else(|| "install the tools named above".into()),
            compiler: Tool::from_spec("compiler", compiler),
            archiver: Tool::from_spec("archiver", archiver),
            runner: d.runner.map(|spec| Tool::from_spec("runner", spec)),
            pkg_config: d.pkg_config,
            launcher: d.launcher.unwrap_or_default(),
            launcher_location,
            flags,
            suffixes: Suffixes {
                object: suffixes.object.unwrap_or_else(|| ".o".into()),
                archive: suffixes.archive.unwrap_or_else(|| ".a".into()),
                executable: suffixes.executable.unwrap_or_default(),
            },
            link: LinkConventions {
                export: link.export.unwrap_or_default(),
                export_list: link.export_list,
                export_name: link.export_name.unwrap_or_else(|| "{name}".into()),
                reactor: link.reactor,
                side_outputs: link.side_outputs.unwrap_or_default(),
                executable_exports: link.executable_exports.unwrap_or_default(),
            },
            origin,
        })
    }

    /// `tool` (this toolchain's compiler or archiver) as found on this machine; missing, an
    /// error saying what was tried and how to install it.
    pub fn require(&self, tool: &Tool) -> Result<ResolvedTool> {
        self.require_meeting(tool, &Requirements::new())
    }

    /// [`Toolchain::require`], the tool meeting the project's `requirements`.
    pub fn require_meeting(&self, tool: &Tool, requirements: &Requirements) -> Result<ResolvedTool> {
        match tool.resolve_with(&process_env, requirements) {
            Resolution::Found(r) => Ok(r),
            Resolution::Missing { tried } => Err(Error::env(format!(
                "no {} for target `{}` on this machine (tried: {})",
                tool.role,
                self.name,
                tried.join("; ")
            ))
            .help(self.install_hint.clone())),
        }
    }

    /// The composed flags of this target in one configuration (see [`ConfigFlags`]): include
    /// directories appended to the compile flags as `-I <dir>`, and the runtime's library
    /// directory when given.
    pub fn config_flags(&self, opts: &FlagOptions, include_dirs: &[String], libdir: Option<String>) -> ConfigFlags {
        let mut cflags = self.flags.cflags(opts);
        for dir in include_dirs {
            cflags.push("-I".into());
            cflags.push(dir.clone());
        }
        ConfigFlags {
            cflags,
            ldflags: self.flags.ldflags(opts),
            libdir,
            obj_suffix: self.suffixes.object.clone(),
            lib_suffix: self.suffixes.archive.clone(),
            exe_suffix: self.suffixes.executable.clone(),
        }
    }

    /// This target's compiler and archiver as found on this machine, resolved with `env`,
    /// meeting the project's `requirements`.
    pub fn config_tools(&self, env: &dyn Fn(&str) -> Option<String>, requirements: &Requirements) -> ConfigTools {
        let tool = |tool: &Tool| match tool.resolve_with(env, requirements) {
            Resolution::Found(r) => Ok(r.command),
            Resolution::Missing { tried } => Err(format!(
                "no {} for target `{}` on this machine (tried: {}); to install: {}",
                tool.role,
                self.name,
                tried.join("; "),
                self.install_hint
            )),
        };
        ConfigTools { cc: tool(&self.compiler), ar: tool(&self.archiver) }
    }

    /// The build types this toolchain knows, in order.
    pub fn build_type_names(&self) -> Vec<&str> {
        self.flags.build_types.keys().map(String::as_str).collect()
    }

    /// Checks that `build_type` is known, naming the valid ones otherwise.
    pub fn check_build_type(&self, build_type: &str) -> Result<()> {
        if self.flags.build_types.contains_key(build_type) { Ok(()) } else { Err(self.unknown_build_type(build_type)) }
    }

    /// The error for a build type this toolchain does not know (a usage error; attach the
    /// location with [`Error::in_file`] when a file names it).
    pub fn unknown_build_type(&self, build_type: &str) -> Error {
        let names = self.build_type_names();
        Error::usage(format!(
            "unknown build type `{build_type}` for target `{}`; valid build types: {}{}",
            self.name,
            names.join(", "),
            crate::suggest::did_you_mean(build_type, names.iter().copied())
        ))
        .help(format!(
            "use one of those, or define it with a `[build-types.{build_type}]` table in the `{}` descriptor",
            self.name
        ))
    }
}

/// Every known target, by name.
#[derive(Debug, Clone)]
pub struct Db {
    /// Toolchains by target name, sorted.
    toolchains: BTreeMap<String, Toolchain>,
    /// User descriptor files read, each stamped before it was read (inputs of the build files,
    /// for regeneration).
    pub user_files: Vec<(PathBuf, Option<crate::fsutil::Stamp>)>,
}

impl Db {
    /// The embedded descriptors, overridden or extended by `user_dir` (or `$SPYGEN_TOOLCHAIN_DIR`).
    pub fn load(user_dir: Option<&Path>) -> Result<Db> {
        let mut files: BTreeMap<String, (SourceFile, Origin)> = BTreeMap::new();
        for (name, text) in embedded::EMBEDDED {
            let origin = Origin::Embedded(name.to_string());
            files.insert(name.to_string(), (SourceFile::from_text(origin.display_path(), *text), origin));
        }
        let mut user_files = Vec::new();
        if let Some(dir) = user_dir {
            let entries = std::fs::read_dir(dir).map_err(|e| {
                Error::io("read toolchain directory", dir, e)
                    .help(format!("pass an existing directory to --toolchain-dir or {TOOLCHAIN_DIR_ENV}"))
            })?;
            let mut paths: Vec<PathBuf> = entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "toml"))
                .collect();
            paths.sort();
            for path in paths {
                let name = path.file_name().unwrap_or_default().to_string_lossy().into_owned();
                let source = SourceFile::read(&path)?;
                user_files.push((path.clone(), source.stamp));
                files.insert(name, (source, Origin::File(path)));
            }
        }
        let (defaults, defaults_source) = match files.remove(DEFAULTS_FILE) {
            Some((source, _)) => (source.parse::<Descriptor>()?, Some(source)),
            None => (Descriptor::default(), None),
        };
        let mut toolchains = BTreeMap::new();
        for (file, (source, origin)) in files {
            let name = file.trim_end_matches(".toml").to_string();
            if !is_valid_target_name(&name) {
                return Err(Error::input(format!("`{name}` is not a valid target name"))
                    .at(source.location(0))
                    .help("name descriptor files with letters, digits, `-` and `_` (e.g. `riscv-linux.toml`)"));
            }
            let own = source.parse::<Descriptor>()?;
            let launcher_location = if own.launcher.is_some() {
                Some(key_location(&source, "launcher"))
            } else {
                defaults.launcher.as_ref().and(defaults_source.as_ref()).map(|d| key_location(d, "launcher"))
            };
            let descriptor = own.merged_over(&defaults);
            let toolchain = Toolchain::from_descriptor(&name, descriptor, &source, origin, launcher_location)?;
            toolchains.insert(name, toolchain);
        }
        Ok(Db { toolchains, user_files })
    }

    /// The toolchain of `target`; an unknown name is a usage error listing the valid ones.
    pub fn get(&self, target: &str) -> Result<&Toolchain> {
        self.toolchains.get(target).ok_or_else(|| self.unknown_target(target))
    }

    /// Checks that some target has the build type `name` (what a module's or the project's
    /// `[build-type.NAME]` table may be for); otherwise an error naming the valid ones and the
    /// closest (attach the location with [`Error::at`]).
    pub fn check_any_build_type(&self, name: &str) -> Result<()> {
        let known: std::collections::BTreeSet<&str> = self.iter().flat_map(Toolchain::build_type_names).collect();
        if known.contains(name) {
            return Ok(());
        }
        let list: Vec<&str> = known.into_iter().collect();
        Err(Error::input(format!(
            "unknown build type `{name}`; valid build types: {}{}",
            list.join(", "),
            crate::suggest::did_you_mean(name, list.iter().copied())
        ))
        .help(format!(
            "use one of those, or define it with a `[build-types.{name}]` table in the descriptors of the targets that have it"
        )))
    }

    /// The error for a target no descriptor defines (a usage error; attach the location with
    /// [`Error::in_file`] when a file names it).
    pub fn unknown_target(&self, target: &str) -> Error {
        let names = self.names();
        let suggestion = crate::suggest::did_you_mean(target, names.iter().copied());
        Error::usage(format!("unknown target `{target}`; valid targets: {}{suggestion}", names.join(", "))).help(format!(
            "use one of those names, or define the target with a descriptor `{target}.toml` in a directory given with --toolchain-dir"
        ))
    }

    /// The environment variables the tools' probes read, over every toolchain, with their
    /// values now, sorted, without repeats (see [`Tool::probe_env`]).
    pub fn probe_env(&self) -> Vec<(String, String)> {
        let mut env: Vec<_> = self.tools().flat_map(Tool::probe_env).collect();
        env.sort();
        env.dedup();
        env
    }

    /// The files the tools' probes read, over every toolchain, sorted, without repeats (see
    /// [`Tool::probe_files`]).
    pub fn probe_files(&self) -> Vec<PathBuf> {
        let mut files: Vec<_> = self.tools().flat_map(Tool::probe_files).collect();
        files.sort();
        files.dedup();
        files
    }

    /// Every toolchain's compiler and archiver.
    fn tools(&self) -> impl Iterator<Item = &Tool> {
        self.toolchains.values().flat_map(|t| [&t.compiler, &t.archiver])
    }

    /// Target names, sorted.
    pub fn names(&self) -> Vec<&str> {
        self.toolchains.keys().map(String::as_str).collect()
    }

    /// Every toolchain, sorted by name.
    pub fn iter(&self) -> impl Iterator<Item = &Toolchain> {
        self.toolchains.values()
    }
}

/// Where the top-level `key` is written in `source` (its first column; the file's start if the
/// text has no such line).
fn key_location(source: &SourceFile, key: &str) -> crate::error::Location {
    let mut offset = 0;
    for line in source.text.split_inclusive('\n') {
        let rest = line.strip_prefix(key).unwrap_or("");
        if rest.trim_start().starts_with('=') {
            return source.location(offset);
        }
        if line.trim_start().starts_with('[') {
            break;
        }
        offset += line.len();
    }
    source.location(0)
}

fn is_valid_target_name(name: &str) -> bool {
    !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// The environment as a lookup function (what `Tool` consults for `$CC`).
pub fn process_env(key: &str) -> Option<String> {
    std::env::var(key).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_database_has_the_four_targets() {
        let db = Db::load(None).unwrap();
        assert_eq!(db.names(), ["emscripten", "native", "native-static", "wasi"]);
        let wasi = db.get("wasi").unwrap();
        assert_eq!(wasi.triplet, "wasm32-wasi-musl");
        assert_eq!(wasi.suffixes.executable, ".wasm");
        assert_eq!(wasi.build_type_names(), ["debug", "release"]);
    }

    #[test]
    fn unknown_target_lists_valid_ones() {
        let db = Db::load(None).unwrap();
        let err = db.get("wasm64").unwrap_err();
        assert_eq!(err.exit_code(), 2);
        assert!(err.message.contains("emscripten, native, native-static, wasi"), "{err}");
    }

    #[test]
    fn export_flags_per_symbol_and_as_list() {
        let db = Db::load(None).unwrap();
        let names = vec!["a$b".to_string(), "c".to_string()];
        assert_eq!(db.get("wasi").unwrap().link.export_flags(&names), ["-Wl,--export=a$b", "-Wl,--export=c"]);
        assert_eq!(db.get("emscripten").unwrap().link.export_flags(&names), ["-sEXPORTED_FUNCTIONS=_a$b,_c"]);
        assert!(db.get("native").unwrap().link.export_flags(&names).is_empty());
    }
}
