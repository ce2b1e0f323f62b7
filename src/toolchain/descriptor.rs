//! The on-disk schema of a toolchain descriptor (`toolchains/*.toml`), before defaults are merged.

use std::collections::BTreeMap;

use serde::Deserialize;

/// One descriptor file as written. Every key is optional here; `defaults.toml` fills the gaps
/// and `Toolchain::from_descriptor` checks that the merged result is complete.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Descriptor {
    /// One line saying what the target is for.
    pub description: Option<String>,
    /// The target triplet (`wasm32-wasi-musl`), or `host` for the machine's own.
    pub triplet: Option<String>,
    /// How to install the tools when they are missing.
    pub install: Option<String>,
    /// The C compiler driver (also used to link).
    pub compiler: Option<ToolSpec>,
    /// The static archiver.
    pub archiver: Option<ToolSpec>,
    /// A command put before every compile (`["ccache"]`); empty: none. Projects and the
    /// command line can override it.
    pub launcher: Option<Vec<String>>,
    /// Target-wide flags.
    pub flags: Option<FlagSpec>,
    /// Flags per build type (`debug`, `release`, or any other name).
    #[serde(default)]
    pub build_types: BTreeMap<String, BuildTypeSpec>,
    /// File name suffixes of outputs.
    pub suffixes: Option<SuffixSpec>,
    /// How exports and program kinds are expressed on the link line.
    pub link: Option<LinkSpec>,
    /// How a program of the target runs here (none: it runs directly): candidates resolved
    /// like the compiler's, `{wasi-run}` standing for spygen's node WASI launcher script.
    pub runner: Option<ToolSpec>,
    /// Where pkg-config finds the target's system libraries (a cross target without it looks
    /// none up: the host's answers never reach it).
    pub pkg_config: Option<PkgConfigSpec>,
}

/// A target's pkg-config settings (`[pkg-config]`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct PkgConfigSpec {
    /// Directories of `.pc` files, searched instead of the host's (`PKG_CONFIG_LIBDIR`);
    /// `{query}` stands for the first line `query` prints.
    #[serde(default)]
    pub path: Vec<String>,
    /// The directory prefixed to the paths the `.pc` files name (`PKG_CONFIG_SYSROOT_DIR`).
    pub sysroot: Option<String>,
    /// A command printing a directory the paths are under (`em-config CACHE`: emcc's cache,
    /// whose sysroot holds its ports' `.pc` files).
    pub query: Option<Vec<String>>,
}

/// A tool: candidate commands tried in order, and how to ask its version.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct ToolSpec {
    /// An environment variable that, when set and non-empty, replaces the candidates (`CC`).
    pub env: Option<String>,
    /// Commands tried in order; the first whose program is on PATH (and whose probe passes) wins.
    pub candidates: Vec<CandidateSpec>,
    /// Arguments that make the tool print its version.
    #[serde(default)]
    pub version_args: Vec<String>,
    /// The package the tool comes from, which a project may require a version of.
    pub package: Option<PackageSpec>,
    /// How to install the tool when no candidate is found (runners: `install node 18+`).
    pub install: Option<String>,
}

/// The package a tool comes from (`zig`, `emcc`, `cc`): what `[spygen.require]` in spy.toml
/// names, how to ask its version, how to install a wanted one.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct PackageSpec {
    /// The name requirements use.
    pub name: String,
    /// Arguments after the tool's program that make it print the package's version
    /// (`["version"]` for zig, whose `zig cc --version` is clang's).
    pub version_args: Vec<String>,
    /// How to install a version meeting a requirement: `{requirement}` is the requirement as
    /// written (`pip install 'ziglang{requirement}'`).
    pub install: String,
    /// Whether archives built by one version of the package link safely with another's (a C
    /// compiler's ABI is the platform's): a pack built with another version is then a warning,
    /// not an error.
    #[serde(default)]
    pub abi_stable: bool,
}

/// One way of running a tool.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct CandidateSpec {
    /// The command words (`["python3", "-m", "ziglang", "cc"]`).
    pub command: Vec<String>,
    /// A command that must exit 0 for this candidate to count (run only when resolving tools).
    pub probe: Option<Vec<String>>,
    /// What decides the probe's answer besides the program's file (see [`ProbeInputs`]).
    pub probe_inputs: Option<ProbeInputs>,
    /// The command build files run once the candidate is found, when it is not `command`
    /// itself: `{probe}` stands for the file the probe printed first. For zig from PyPI,
    /// `["{probe}", "cc"]` with a probe printing the `zig` binary inside the package, so no
    /// Python interpreter starts per compile.
    pub runs: Option<Vec<String>>,
}

/// What a probe's remembered answer depends on, for a program that is a shim choosing what
/// really runs (pyenv's `python3` picks an interpreter from `PYENV_VERSION`, a
/// `.python-version` file or its global version file): a change to any of these asks again.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct ProbeInputs {
    /// Environment variables whose values decide the answer.
    #[serde(default)]
    pub env: Vec<String>,
    /// Files whose state decides it (`~/` is the home directory, `$NAME` a variable; a path
    /// naming an unset variable is left out).
    #[serde(default)]
    pub files: Vec<String>,
    /// File names looked for from the current directory upwards, the nearest deciding.
    #[serde(default)]
    pub nearest: Vec<String>,
}

/// Target-wide flag lists.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct FlagSpec {
    /// Flags every compile gets first.
    pub base: Option<Vec<String>>,
    /// Flags naming the target.
    pub target: Option<Vec<String>>,
    /// Warning flags.
    pub warnings: Option<Vec<String>>,
    /// Warning flags added when warnings are errors.
    pub warning_as_error: Option<Vec<String>>,
    /// Link flags of the target.
    pub ldflags: Option<Vec<String>>,
    /// Flags making a compile record paths under `{from}` as under `{to}` (in debug info and
    /// `__FILE__`): objects that do not depend on where the checkout is.
    pub path_map: Option<Vec<String>>,
    /// Flags each compile gets for its one object, `{object}` standing for the object's path
    /// (`-frandom-seed={object}`).
    pub per_object: Option<Vec<String>>,
}

/// Flags of one build type.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct BuildTypeSpec {
    /// Compile flags.
    pub cflags: Option<Vec<String>>,
    /// Link flags.
    pub ldflags: Option<Vec<String>>,
}

/// Output suffixes.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct SuffixSpec {
    /// Object files (`.o`).
    pub object: Option<String>,
    /// Static archives (`.a`).
    pub archive: Option<String>,
    /// Executables (none, `.wasm`, `.js`).
    pub executable: Option<String>,
}

/// Link conventions.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct LinkSpec {
    /// Flags added once per exported symbol; `{name}` is replaced by the symbol.
    pub export: Option<Vec<String>>,
    /// One flag carrying every export; `{names}` is the comma-separated list.
    pub export_list: Option<String>,
    /// How a symbol is spelled in `export-list` (`_{name}` for emscripten).
    pub export_name: Option<String>,
    /// Link flags that make a reactor (a module without main whose exports the host calls).
    pub reactor: Option<Vec<String>>,
    /// Suffixes of files the link writes beside the program (emscripten's `.wasm`).
    pub side_outputs: Option<Vec<String>>,
    /// Symbols an executable must export besides the requested ones (`main` for emscripten).
    pub executable_exports: Option<Vec<String>>,
}

impl Descriptor {
    /// This descriptor with every key it leaves out taken from `defaults`.
    pub fn merged_over(self, defaults: &Descriptor) -> Descriptor {
        let d = defaults.clone();
        let flags = match (self.flags, d.flags) {
            (Some(f), Some(df)) => Some(FlagSpec {
                base: f.base.or(df.base),
                target: f.target.or(df.target),
                warnings: f.warnings.or(df.warnings),
                warning_as_error: f.warning_as_error.or(df.warning_as_error),
                ldflags: f.ldflags.or(df.ldflags),
                path_map: f.path_map.or(df.path_map),
                per_object: f.per_object.or(df.per_object),
            }),
            (f, df) => f.or(df),
        };
        let mut build_types = d.build_types;
        for (name, spec) in self.build_types {
            let merged = match build_types.remove(&name) {
                Some(base) => {
                    BuildTypeSpec { cflags: spec.cflags.or(base.cflags), ldflags: spec.ldflags.or(base.ldflags) }
                }
                None => spec,
            };
            build_types.insert(name, merged);
        }
        let suffixes = match (self.suffixes, d.suffixes) {
            (Some(s), Some(ds)) => Some(SuffixSpec {
                object: s.object.or(ds.object),
                archive: s.archive.or(ds.archive),
                executable: s.executable.or(ds.executable),
            }),
            (s, ds) => s.or(ds),
        };
        let link = match (self.link, d.link) {
            (Some(l), Some(dl)) => Some(LinkSpec {
                export: l.export.or(dl.export),
                export_list: l.export_list.or(dl.export_list),
                export_name: l.export_name.or(dl.export_name),
                reactor: l.reactor.or(dl.reactor),
                side_outputs: l.side_outputs.or(dl.side_outputs),
                executable_exports: l.executable_exports.or(dl.executable_exports),
            }),
            (l, dl) => l.or(dl),
        };
        Descriptor {
            description: self.description.or(d.description),
            triplet: self.triplet.or(d.triplet),
            install: self.install.or(d.install),
            compiler: self.compiler.or(d.compiler),
            archiver: self.archiver.or(d.archiver),
            launcher: self.launcher.or(d.launcher),
            flags,
            build_types,
            suffixes,
            link,
            runner: self.runner.or(d.runner),
            pkg_config: self.pkg_config.or(d.pkg_config),
        }
    }
}
