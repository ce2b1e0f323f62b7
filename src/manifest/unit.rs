//! Modules (`spygen.toml`) and programs (`[[spygen.program]]` in `spy.toml`): one schema, the
//! "unit", since both compile sources with flags; each context rejects the keys it has no use for.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;

use crate::error::{Error, Location, Result};
use crate::paths;
use crate::source::SourceFile;

/// The keys of a module manifest or a program table, as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct UnitSpec {
    name: Spanned<String>,
    kind: Option<Spanned<String>>,
    #[serde(default)]
    sources: Vec<Spanned<String>>,
    public_include_dirs: Option<Spanned<Vec<Spanned<String>>>>,
    #[serde(default)]
    include_dirs: Vec<Spanned<String>>,
    public_headers: Option<Spanned<Vec<Spanned<String>>>>,
    #[serde(default)]
    defines: Vec<String>,
    #[serde(default)]
    cflags: Vec<String>,
    #[serde(default)]
    ldflags: Vec<String>,
    #[serde(default)]
    deps: Vec<Spanned<String>>,
    targets: Option<Vec<Spanned<String>>>,
    #[serde(default)]
    exports: Vec<Spanned<String>>,
    #[serde(default, rename = "system-lib")]
    system_libs: Vec<Spanned<SystemLibSpec>>,
    suffix: Option<Spanned<BTreeMap<Spanned<String>, String>>>,
    foreign_make: Option<Spanned<ForeignMakeSpec>>,
    output: Option<Spanned<String>>,
    timeout: Option<Spanned<f64>>,
    args: Option<Spanned<Vec<String>>>,
    #[serde(default)]
    target: BTreeMap<Spanned<String>, SettingsSpec>,
    #[serde(default)]
    build_type: BTreeMap<Spanned<String>, SettingsSpec>,
}

/// Flags and extra sources, overall or for one target or build type.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct SettingsSpec {
    #[serde(default)]
    defines: Vec<String>,
    #[serde(default)]
    cflags: Vec<String>,
    #[serde(default)]
    ldflags: Vec<String>,
    #[serde(default)]
    extra_sources: Vec<Spanned<String>>,
    #[serde(default, rename = "system-lib")]
    system_libs: Vec<Spanned<SystemLibSpec>>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct SystemLibSpec {
    pkg_config: String,
    #[serde(default)]
    fallback_cflags: Vec<String>,
    #[serde(default)]
    fallback_libs: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct ForeignMakeSpec {
    archive: Spanned<String>,
    directory: Option<String>,
    #[serde(default)]
    args: Vec<String>,
}

/// A module built by its own Makefile (a vendored library), run by the graph as
/// `make -C <directory> TARGET=<t> BUILD_TYPE=<b> SPYGEN_MK=<build>/spygen.mk
/// [SPYGEN_OUT=<out>] <args>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForeignMake {
    /// The directory make runs in (absolute).
    pub directory: PathBuf,
    /// The archive it produces: `{out}/<file>` (in the configuration's output directory for
    /// the module, which make gets as `SPYGEN_OUT`), or a path relative to `directory` with
    /// `{target}` and `{build_type}` (in the library's own tree).
    pub archive: Located<String>,
    /// Extra arguments for make.
    pub args: Vec<String>,
}

/// What stands, in a foreign make's `archive`, for the configuration's output directory of
/// the module in the build dir (`<target>/<build type>/foreign/<module>`).
pub const OUT_PLACEHOLDER: &str = "{out}";

impl ForeignMake {
    /// The archive's path inside the output directory (`libfoo.a` of `{out}/libfoo.a`), when
    /// the archive is there; `None` when it is in the library's own tree.
    pub fn archive_in_out(&self) -> Option<&str> {
        self.archive.value.strip_prefix(OUT_PLACEHOLDER).and_then(|rest| rest.strip_prefix('/'))
    }
}

/// What a unit produces.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum UnitKind {
    /// A static archive other units link (`spygen.toml`).
    Module,
    /// A program with `main`: native executable, wasi command `.wasm`, emscripten `.js`.
    Executable,
    /// A wasm module without `main` whose exports a host calls (wasi only).
    Reactor,
    /// A wasi reactor linked by `spygen bundle` from archives, through the bundle cache.
    WasmBundle,
    /// An executable that is a test: `spygen test` (and the `test` goal) runs it on every
    /// target through the target's runner; exit status 0 passes.
    Test,
}

/// The kinds a `[[spygen.program]]` may have (`kind`), in the order the README lists them.
const PROGRAM_KINDS: [UnitKind; 4] = [UnitKind::Executable, UnitKind::Test, UnitKind::Reactor, UnitKind::WasmBundle];

impl UnitKind {
    /// The name used in manifests.
    pub fn as_str(self) -> &'static str {
        match self {
            UnitKind::Module => "module",
            UnitKind::Executable => "executable",
            UnitKind::Reactor => "reactor",
            UnitKind::WasmBundle => "wasm-bundle",
            UnitKind::Test => "test",
        }
    }

    /// Whether it links to a program with `main` that runs (an executable or a test).
    pub fn has_main(self) -> bool {
        matches!(self, UnitKind::Executable | UnitKind::Test)
    }
}

/// How a test runs: its arguments and how long it may take.
#[derive(Debug, Clone, PartialEq)]
pub struct TestSettings {
    /// The arguments it gets.
    pub args: Vec<String>,
    /// Seconds it may run before it is killed and reported as timed out.
    pub timeout: f64,
}

/// How long a test may run when its manifest does not say (`timeout`), in seconds.
pub const DEFAULT_TEST_TIMEOUT: f64 = 30.0;

/// A string from a manifest and where it was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Located<T> {
    /// The value.
    pub value: T,
    /// Where it is in the manifest.
    pub location: Location,
}

/// Flags and extra sources of one scope (overall, a target, a build type).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Settings {
    /// Preprocessor definitions, without `-D`.
    pub defines: Vec<String>,
    /// Extra compile flags.
    pub cflags: Vec<String>,
    /// Extra link flags, passed on to every program that links the unit.
    pub ldflags: Vec<String>,
    /// Source patterns compiled only in this scope.
    pub extra_sources: Vec<Located<String>>,
    /// System libraries of this scope only (`[[target.wasi.system-lib]]`), after the overall
    /// ones.
    pub system_libs: Vec<SystemLib>,
}

/// A system library found through pkg-config, with flags to use when pkg-config cannot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SystemLib {
    /// The pkg-config package name (`libmagic`).
    pub pkg_config: String,
    /// Compile flags when pkg-config does not know the package.
    pub fallback_cflags: Vec<String>,
    /// Link flags when pkg-config does not know the package (`-lmagic`).
    pub fallback_libs: Vec<String>,
    /// Where it is declared.
    pub location: Location,
}

/// A module or a program as declared, paths absolute, globs not yet expanded.
#[derive(Debug, Clone)]
pub struct Unit {
    /// Unique name; used in output paths and ninja aliases.
    pub name: String,
    /// What it produces.
    pub kind: UnitKind,
    /// The directory relative paths are resolved against.
    pub dir: PathBuf,
    /// The manifest it was read from.
    pub manifest: PathBuf,
    /// Where its name is written.
    pub location: Location,
    /// Source patterns (relative to `dir`).
    pub sources: Vec<Located<String>>,
    /// Include directories for this unit and everything that depends on it.
    pub public_include_dirs: Vec<Located<PathBuf>>,
    /// Include directories for this unit only.
    pub include_dirs: Vec<Located<PathBuf>>,
    /// Headers dependents may include.
    pub public_headers: Vec<Located<PathBuf>>,
    /// Flags for every configuration.
    pub settings: Settings,
    /// Flags per target name (checked against the toolchain database when planning).
    pub per_target: BTreeMap<String, (Settings, Location)>,
    /// Flags per build type name.
    pub per_build_type: BTreeMap<String, (Settings, Location)>,
    /// Module directories this unit depends on.
    pub deps: Vec<Located<PathBuf>>,
    /// Targets the unit supports; `None` means all.
    pub targets: Option<Vec<Located<String>>>,
    /// Symbols exported from wasm modules that link this unit.
    pub exports: Vec<String>,
    /// System libraries, through pkg-config.
    pub system_libs: Vec<SystemLib>,
    /// Output suffix per target, overriding the toolchain's (programs only).
    pub suffix: BTreeMap<String, Located<String>>,
    /// Built by its own Makefile instead of by spygen (modules only); `sources` are then the
    /// files whose change re-runs make.
    pub foreign_make: Option<ForeignMake>,
    /// Where the program goes instead of `<build dir>/<target>/<build type>/<name><suffix>`
    /// (programs only): absolute, with `{target}` and `{build_type}`.
    pub output: Option<Located<String>>,
    /// Its arguments and timeout, when it is a test.
    pub test: Option<TestSettings>,
    /// Built elsewhere and packed (`spygen pack`): a module named by its pack, linked as it
    /// was built, compiled nowhere (modules only).
    pub prebuilt: Option<std::sync::Arc<crate::pack::Prebuilt>>,
}

/// Where a system library is declared in its module: which configurations need it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LibScope {
    /// `[[system-lib]]`: every configuration.
    Overall,
    /// `[[target.T.system-lib]]`: the target's (its fallback flags are meant for it).
    Target,
    /// `[[build-type.B.system-lib]]`: the build type's.
    BuildType,
}

impl Unit {
    /// The system libraries `target` in `build_type` needs: overall, then the target's, then
    /// the build type's.
    pub fn system_libs_for(&self, target: &str, build_type: &str) -> Vec<(&SystemLib, LibScope)> {
        let mut libs: Vec<(&SystemLib, LibScope)> = self.system_libs.iter().map(|l| (l, LibScope::Overall)).collect();
        if let Some((s, _)) = self.per_target.get(target) {
            libs.extend(s.system_libs.iter().map(|l| (l, LibScope::Target)));
        }
        if let Some((s, _)) = self.per_build_type.get(build_type) {
            libs.extend(s.system_libs.iter().map(|l| (l, LibScope::BuildType)));
        }
        libs
    }

    /// Whether it declares a system library anywhere.
    pub fn has_system_libs(&self) -> bool {
        self.prebuilt.as_ref().is_some_and(|p| p.has_system_libs())
            || !self.system_libs.is_empty()
            || self.per_target.values().chain(self.per_build_type.values()).any(|(s, _)| !s.system_libs.is_empty())
    }
}

/// A valid unit name: it becomes part of paths and ninja variable names.
pub fn is_valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= MAX_NAME_LEN
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        && !name.starts_with('-')
}

/// The longest unit name: a name becomes file names (`<name>.a`, `<name>.wasm`) to which tools
/// add their own suffixes (llvm-ar's `.temp-archive-XXXXXXX.a`, ninja's `.rsp`), and a file
/// name cannot pass 255 bytes.
pub const MAX_NAME_LEN: usize = 128;

/// Where a unit is declared, which decides what it may say.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Declared {
    /// In a module directory's spygen.toml.
    Module,
    /// As a `[[spygen.program]]` table of spy.toml.
    Program,
}

impl UnitSpec {
    /// Checks the spec and makes paths absolute against `dir`; `declared` says whether it is a
    /// module manifest or a `[[spygen.program]]` table.
    pub fn into_unit(self, source: &SourceFile, dir: &Path, declared: Declared) -> Result<Unit> {
        let at = |span: std::ops::Range<usize>| source.location(span.start);
        let name = self.checked_name(&at)?;
        let kind = self.kind(declared, &at)?;
        self.check_keys(kind, &at)?;
        let foreign_make = self.foreign_make(dir, &at)?;
        let output = self.output(dir, &at)?;
        let test = self.test_settings(kind, &at)?;
        let path_list = |items: Vec<Spanned<String>>| -> Vec<Located<PathBuf>> {
            items
                .into_iter()
                .map(|s| Located { location: at(s.span()), value: paths::absolute(Path::new(s.get_ref()), dir) })
                .collect()
        };
        let strings = |items: Vec<Spanned<String>>| -> Vec<Located<String>> {
            items.into_iter().map(|s| Located { location: at(s.span()), value: s.into_inner() }).collect()
        };
        let system_lib = |s: Spanned<SystemLibSpec>| {
            let location = at(s.span());
            let s = s.into_inner();
            SystemLib {
                pkg_config: s.pkg_config,
                fallback_cflags: s.fallback_cflags,
                fallback_libs: s.fallback_libs,
                location,
            }
        };
        let settings = |s: SettingsSpec| Settings {
            defines: s.defines,
            cflags: s.cflags,
            ldflags: s.ldflags,
            extra_sources: strings(s.extra_sources),
            system_libs: s.system_libs.into_iter().map(system_lib).collect(),
        };
        let scoped = |(key, spec): (Spanned<String>, SettingsSpec)| {
            let location = at(key.span());
            (key.into_inner(), (settings(spec), location))
        };
        let suffix = |(k, v): (Spanned<String>, String)| {
            let location = at(k.span());
            (k.into_inner(), Located { value: v, location })
        };
        Ok(Unit {
            foreign_make,
            output,
            test,
            prebuilt: None,
            name,
            kind,
            dir: dir.to_path_buf(),
            manifest: source.path.clone(),
            location: at(self.name.span()),
            sources: strings(self.sources),
            public_include_dirs: path_list(self.public_include_dirs.map(|s| s.into_inner()).unwrap_or_default()),
            include_dirs: path_list(self.include_dirs),
            public_headers: path_list(self.public_headers.map(|s| s.into_inner()).unwrap_or_default()),
            settings: Settings {
                defines: self.defines,
                cflags: self.cflags,
                ldflags: self.ldflags,
                extra_sources: Vec::new(),
                system_libs: Vec::new(),
            },
            per_target: self.target.into_iter().map(scoped).collect(),
            per_build_type: self.build_type.into_iter().map(scoped).collect(),
            deps: path_list(self.deps),
            targets: self.targets.map(strings),
            exports: self.exports.into_iter().map(|s| s.into_inner()).collect(),
            system_libs: self.system_libs.into_iter().map(system_lib).collect(),
            suffix: self.suffix.map(|s| s.into_inner()).unwrap_or_default().into_iter().map(suffix).collect(),
        })
    }

    /// The unit's name, checked: it becomes part of paths and build-file names.
    fn checked_name(&self, at: &dyn Fn(std::ops::Range<usize>) -> Location) -> Result<String> {
        let name = self.name.get_ref().clone();
        if is_valid_name(&name) {
            return Ok(name);
        }
        Err(Error::input(format!("`{name}` is not a valid name")).at(at(self.name.span())).help(format!(
            "use up to {MAX_NAME_LEN} letters, digits, `_` and `-`, not starting with `-` (it becomes part of output paths)"
        )))
    }

    /// The unit's kind: a module's is always [`UnitKind::Module`]; a program's is its `kind`
    /// (an executable by default).
    fn kind(&self, declared: Declared, at: &dyn Fn(std::ops::Range<usize>) -> Location) -> Result<UnitKind> {
        match (&self.kind, declared) {
            (None, Declared::Module) => Ok(UnitKind::Module),
            (None, Declared::Program) => Ok(UnitKind::Executable),
            (Some(k), Declared::Program) => {
                let text = k.get_ref().as_str();
                PROGRAM_KINDS.into_iter().find(|kind| kind.as_str() == text).ok_or_else(|| {
                    let suggestion = crate::suggest::did_you_mean(text, PROGRAM_KINDS.iter().map(|k| k.as_str()));
                    Error::input(format!("unknown program kind `{text}`{suggestion}"))
                        .at(at(k.span()))
                        .help("use `executable` (native binary, wasi .wasm command, emscripten .js), `test` (an executable `spygen test` runs), `reactor` (wasi module without main) or `wasm-bundle` (a reactor of module archives, cached)")
                })
            }
            (Some(k), Declared::Module) => Err(Error::input("`kind` applies to programs, not modules")
                .at(at(k.span()))
                .help("declare programs as [[spygen.program]] in spy.toml")),
        }
    }

    /// Checks that the spec uses only the keys its kind of unit has: a program has no public
    /// interface, system libraries or foreign make, a bundle no sources, a module no suffix.
    fn check_keys(&self, kind: UnitKind, at: &dyn Fn(std::ops::Range<usize>) -> Location) -> Result<()> {
        if kind == UnitKind::Module {
            if let Some(output) = &self.output {
                return Err(Error::input("`output` applies to programs, not modules").at(at(output.span())).help(
                    "remove it: a module's archive goes to the project's layout (`layout = \"spy\"` under [spygen] puts it in <module>/build/)",
                ));
            }
            return match &self.suffix {
                Some(suffix) => Err(Error::input("`suffix` applies to programs, not modules")
                    .at(at(suffix.span()))
                    .help("remove it: a module's archive suffix is the target's (`[suffixes] archive`)")),
                None => Ok(()),
            };
        }
        for (key, span) in [
            ("public-include-dirs", self.public_include_dirs.as_ref().map(|s| s.span())),
            ("public-headers", self.public_headers.as_ref().map(|s| s.span())),
        ] {
            if let Some(span) = span {
                return Err(Error::input(format!("`{key}` applies to modules, not programs"))
                    .at(at(span))
                    .help("nothing links a program, so it has no public interface; use `include-dirs`"));
            }
        }
        let scoped_libs = self.target.values().chain(self.build_type.values()).flat_map(|s| &s.system_libs);
        if let Some(lib) = self.system_libs.first().or(scoped_libs.clone().next()) {
            return Err(Error::input("`system-lib` applies to modules, not programs").at(at(lib.span())).help(
                "declare the system library in the module that uses it; programs linking the module get its flags",
            ));
        }
        if kind == UnitKind::WasmBundle
            && let Some(src) = self.sources.first()
        {
            return Err(Error::input("a `wasm-bundle` links module archives only; it has no sources")
                .at(at(src.span()))
                .help("put the sources in a module and list it in `deps`"));
        }
        if let Some(f) = &self.foreign_make {
            return Err(Error::input("`foreign-make` applies to modules, not programs")
                .at(at(f.span()))
                .help("put the vendored library in a module directory with its own spygen.toml"));
        }
        Ok(())
    }

    /// A test's `args` and `timeout`; other kinds have neither.
    fn test_settings(
        &self,
        kind: UnitKind,
        at: &dyn Fn(std::ops::Range<usize>) -> Location,
    ) -> Result<Option<TestSettings>> {
        if kind != UnitKind::Test {
            let key =
                [("timeout", self.timeout.as_ref().map(|t| t.span())), ("args", self.args.as_ref().map(|a| a.span()))]
                    .into_iter()
                    .find_map(|(key, span)| Some((key, span?)));
            return match key {
                Some((key, span)) => Err(Error::input(format!("`{key}` applies to tests, not to {}s", kind.as_str()))
                    .at(at(span))
                    .help("make the program a test with `kind = \"test\"`, or remove the key")),
                None => Ok(None),
            };
        }
        let timeout = match &self.timeout {
            None => DEFAULT_TEST_TIMEOUT,
            Some(t) if t.get_ref().is_finite() && *t.get_ref() > 0.0 => *t.get_ref(),
            Some(t) => {
                return Err(Error::input(format!(
                    "`timeout` must be a positive number of seconds, not {}",
                    t.get_ref()
                ))
                .at(at(t.span()))
                .help(format!("how long the test may run, e.g. `timeout = 120` (default {DEFAULT_TEST_TIMEOUT} s)")));
            }
        };
        let args = self.args.as_ref().map(|a| a.get_ref().clone()).unwrap_or_default();
        Ok(Some(TestSettings { args, timeout }))
    }

    /// A program's `output`, made absolute; it must name each configuration's own file.
    fn output(&self, dir: &Path, at: &dyn Fn(std::ops::Range<usize>) -> Location) -> Result<Option<Located<String>>> {
        let Some(output) = &self.output else { return Ok(None) };
        let text = output.get_ref();
        if !text.contains("{target}") || !text.contains("{build_type}") {
            return Err(Error::input("a program's `output` must contain `{target}` and `{build_type}`")
                .at(at(output.span()))
                .help("each configuration needs its own file, e.g. \"spy/libspy/build/{target}/{build_type}/libspy.wasm\""));
        }
        let absolute = paths::absolute(Path::new(text), dir);
        let Some(value) = absolute.to_str() else {
            return Err(Error::input(format!("`output` {absolute:?} is not UTF-8: build files are text"))
                .at(at(output.span()))
                .help("use a path whose name is UTF-8"));
        };
        Ok(Some(Located { location: at(output.span()), value: value.to_string() }))
    }

    /// The module's `[foreign-make]` table, checked, its directory absolute against `dir`. Its
    /// `archive` must name each configuration's own file: it starts with `{out}/` (the
    /// configuration's output directory for the module, in the build dir), or names
    /// `{target}` and `{build_type}` (a path in the library's own tree).
    fn foreign_make(&self, dir: &Path, at: &dyn Fn(std::ops::Range<usize>) -> Location) -> Result<Option<ForeignMake>> {
        let Some(f) = &self.foreign_make else { return Ok(None) };
        let f = f.get_ref();
        let archive = f.archive.get_ref();
        let in_out = archive.strip_prefix(OUT_PLACEHOLDER).and_then(|rest| rest.strip_prefix('/'));
        let leaves_out = in_out.is_some_and(|rest| rest.is_empty() || rest.split('/').any(|c| c == ".."));
        if archive.contains(OUT_PLACEHOLDER) && (in_out.is_none() || leaves_out) {
            return Err(Error::input("a foreign-make `archive` may use `{out}` only as `{out}/<file>`, a file in it")
                .at(at(f.archive.span()))
                .help("`{out}` is a directory of its own in the build dir, e.g. \"{out}/libfoo.a\""));
        }
        if in_out.is_none() && (!archive.contains("{target}") || !archive.contains("{build_type}")) {
            return Err(Error::input(
                "a foreign-make `archive` must start with `{out}/`, or contain `{target}` and `{build_type}`",
            )
            .at(at(f.archive.span()))
            .help(
                "each configuration needs its own archive: \"{out}/libfoo.a\" puts it in the build dir (the \
                 Makefile writes to $(SPYGEN_OUT)), \"build/{target}/{build_type}/libfoo.a\" in the library's tree",
            ));
        }
        Ok(Some(ForeignMake {
            directory: paths::absolute(Path::new(f.directory.as_deref().unwrap_or(".")), dir),
            archive: Located { location: at(f.archive.span()), value: archive.clone() },
            args: f.args.clone(),
        }))
    }
}

/// Why the manifest of the module in `dir` cannot be read, when the reason is the directory or
/// the manifest being missing or of another kind (`None`: another reason; the read error says
/// it). `located` attaches where the module was named.
fn missing_module(dir: &Path, manifest: &Path, located: &dyn Fn(Error) -> Error) -> Option<Error> {
    match std::fs::metadata(dir) {
        Ok(m) if m.is_dir() => {}
        Ok(m) => {
            return Some(
                located(Error::input(format!(
                    "module directory {} is {}, not a directory",
                    dir.display(),
                    crate::fsutil::kind_of(&m)
                )))
                .help("name the directory holding the module's spygen.toml"),
            );
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Some(
                located(Error::input(format!("module directory {} does not exist", dir.display())))
                    .help("fix the path; it is relative to the manifest that names it"),
            );
        }
        Err(e) => {
            return Some(
                located(Error::io("read the module directory", dir, e))
                    .help("check the directory's permissions (spygen must be able to list it)"),
            );
        }
    }
    match std::fs::metadata(manifest) {
        Ok(m) if m.is_file() => {}
        Ok(m) => {
            return Some(
                located(Error::input(format!(
                    "{} is {}, not a manifest",
                    manifest.display(),
                    crate::fsutil::kind_of(&m)
                )))
                .help(format!("make {} a file with at least `name` and `sources`", manifest.display())),
            );
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Some(
                located(Error::input(format!("{} has no {MODULE_MANIFEST}", dir.display())))
                    .help(format!("write {} with at least `name` and `sources`", manifest.display())),
            );
        }
        Err(e) => {
            return Some(
                located(Error::io("read", manifest, e))
                    .help("check the permissions of the module directory and its spygen.toml"),
            );
        }
    }
    None
}

/// The manifest file name of a module directory.
pub const MODULE_MANIFEST: &str = "spygen.toml";

/// Reads the module in directory `dir`; `referenced_from` is where the path was written, for
/// the error when the directory or its manifest is missing.
pub fn load_module(dir: &Path, referenced_from: Option<&Location>) -> Result<(Unit, SourceFile)> {
    let manifest = dir.join(MODULE_MANIFEST);
    let located = |e: Error| match referenced_from {
        Some(loc) => e.at(loc.clone()),
        None => e,
    };
    // Read first; the reasons it could fail are looked for only when it does.
    let source = match SourceFile::read(&manifest) {
        Ok(source) => source,
        Err(read_error) => return Err(missing_module(dir, &manifest, &located).unwrap_or(read_error)),
    };
    let spec: UnitSpec = source.parse()?;
    let unit = spec.into_unit(&source, dir, Declared::Module)?;
    Ok((unit, source))
}
