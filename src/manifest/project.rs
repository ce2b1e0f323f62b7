//! The project manifest `spy.toml`: SPy's own `extra-vm-modules`, plus spygen's `[spygen]` table
//! (runtime module, build dir, wanted configurations, programs).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;

use super::unit::{Located, Unit, UnitSpec};
use crate::error::{Error, Location, Result};
use crate::paths;
use crate::source::SourceFile;
use crate::toolchain::requirement::{Requirements, VersionReq};

/// The project manifest's file name.
pub const PROJECT_MANIFEST: &str = "spy.toml";

/// The build directory under the project's directory when spy.toml names none. Not `build`:
/// SPy writes there (`spy build` its build.ninja, the interpreter its wasm bundle cache).
pub const DEFAULT_BUILD_DIR: &str = "build-spygen";

/// The top-level keys SPy's own reader of spy.toml takes: it mirrors
/// `SpyToml.find_and_read` in spylang/spy's `spy/cli/spy_toml.py`, which reads
/// `extra-vm-modules` and nothing else (no table). A key neither SPy nor spygen reads is a
/// warning, not an error: SPy may grow keys before spygen learns them.
pub const SPY_KEYS: &[&str] = &["extra-vm-modules"];

/// The top-level keys spygen reads from spy.toml: SPy's `extra-vm-modules` and its own table.
const SPYGEN_KEYS: &[&str] = &["extra-vm-modules", "spygen"];

/// The keys spygen reads from `spy.toml`. Other top-level keys belong to SPy and are ignored
/// (a warning when SPy does not read them either, see [`SPY_KEYS`]).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case")]
struct ProjectSpec {
    #[serde(default)]
    extra_vm_modules: Vec<Spanned<String>>,
    spygen: Option<SpygenSpec>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct SpygenSpec {
    runtime: Option<Spanned<String>>,
    build_dir: Option<Spanned<String>>,
    targets: Option<Vec<Spanned<String>>>,
    build_types: Option<Vec<Spanned<String>>>,
    launcher: Option<Spanned<String>>,
    #[serde(default)]
    launcher_for: BTreeMap<String, Spanned<String>>,
    #[serde(default)]
    runner_for: BTreeMap<String, Spanned<String>>,
    #[serde(default)]
    pkg_config_for: BTreeMap<Spanned<String>, PkgConfigForSpec>,
    #[serde(default)]
    system_lib: BTreeMap<Spanned<String>, SystemLibOverrideSpec>,
    link_jobs: Option<Spanned<i64>>,
    #[serde(default)]
    require: BTreeMap<String, Spanned<String>>,
    layout: Option<Spanned<String>>,
    #[serde(default, rename = "program")]
    programs: Vec<UnitSpec>,
    #[serde(default)]
    defines: Vec<String>,
    #[serde(default)]
    cflags: Vec<String>,
    #[serde(default)]
    ldflags: Vec<String>,
    #[serde(default)]
    target: BTreeMap<Spanned<String>, ProjectFlagsSpec>,
    #[serde(default)]
    build_type: BTreeMap<Spanned<String>, ProjectFlagsSpec>,
}

/// `[spygen.pkg-config-for.T]`: where pkg-config finds target T's system libraries.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct PkgConfigForSpec {
    #[serde(default)]
    path: Vec<String>,
    sysroot: Option<String>,
}

/// `[spygen.system-lib.NAME]`: another installation of one library, or its flags outright.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct SystemLibOverrideSpec {
    #[serde(default)]
    pkg_config_path: Vec<String>,
    cflags: Option<Vec<String>>,
    libs: Option<Vec<String>>,
    #[serde(default)]
    target: BTreeMap<Spanned<String>, SystemLibOverrideSpec>,
}

/// Where pkg-config looks for one target's libraries (`[spygen.pkg-config-for.T]`), paths
/// absolute.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PkgConfigFor {
    /// `.pc` directories.
    pub path: Vec<PathBuf>,
    /// The sysroot the `.pc` files' paths are under.
    pub sysroot: Option<PathBuf>,
    /// Where the table is written.
    pub location: Location,
}

/// How the project chooses one system library's installation (`[spygen.system-lib.NAME]`),
/// for every target or one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SystemLibOverride {
    /// `.pc` directories searched first (absolute).
    pub pkg_config_path: Vec<PathBuf>,
    /// Compile flags to use instead of asking pkg-config (with `libs`).
    pub cflags: Option<Vec<String>>,
    /// Link flags to use instead of asking pkg-config.
    pub libs: Option<Vec<String>>,
    /// Where the table is written.
    pub location: Location,
}

/// `[spygen.target.T]` and `[spygen.build-type.B]`: flags for the configurations of one
/// target or build type.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct ProjectFlagsSpec {
    #[serde(default)]
    defines: Vec<String>,
    #[serde(default)]
    cflags: Vec<String>,
    #[serde(default)]
    ldflags: Vec<String>,
}

/// Flags the project adds to every compile and link of some configurations: `[spygen]`'s
/// `defines`, `cflags` and `ldflags` (every configuration), or those of `[spygen.target.T]` or
/// `[spygen.build-type.B]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProjectFlagScope {
    /// The target they are for (`None`: every target), where it is written.
    pub target: Option<Located<String>>,
    /// The build type they are for (`None`: every build type), where it is written.
    pub build_type: Option<Located<String>>,
    /// Preprocessor definitions, without `-D`.
    pub defines: Vec<String>,
    /// Compile flags.
    pub cflags: Vec<String>,
    /// Link flags.
    pub ldflags: Vec<String>,
}

/// A module directory named by a manifest or on the command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModuleRef {
    /// Absolute, normalised directory.
    pub dir: PathBuf,
    /// Where it is written; `None` for `--extra-vm-module`.
    pub from: Option<Location>,
}

/// How to read the project.
#[derive(Debug, Clone, Default)]
pub struct LoadOptions {
    /// Ignore `spy.toml` (SPy's `--no-spy-toml`).
    pub no_spy_toml: bool,
    /// Modules added on the command line (SPy's `--extra-vm-module`), absolute.
    pub extra_vm_modules: Vec<PathBuf>,
}

/// The project: the modules SPy loads, the runtime and the programs to build.
#[derive(Debug, Clone)]
pub struct Project {
    /// The directory of `spy.toml` (or the directory given), absolute.
    pub root: PathBuf,
    /// The manifest, unless `--no-spy-toml` or there is none.
    pub manifest: Option<SourceFile>,
    /// The runtime module (libspy's role), which every VM module depends on.
    pub runtime: Option<ModuleRef>,
    /// SPy's out-of-tree VM modules: `extra-vm-modules`, then `--extra-vm-module`.
    pub extra_vm_modules: Vec<ModuleRef>,
    /// Where build files and outputs go, absolute.
    pub build_dir: PathBuf,
    /// Targets to generate; `None` means every known target.
    pub targets: Option<Vec<Located<String>>>,
    /// Build types to generate; `None` means every build type of each toolchain.
    pub build_types: Option<Vec<Located<String>>>,
    /// Programs linking the modules.
    pub programs: Vec<Unit>,
    /// `launcher`: the command before every compile of every target (`ccache`).
    pub launcher: Option<Located<String>>,
    /// `[spygen.launcher-for]`: per target, over `launcher` (`none`: no launcher).
    pub launcher_for: BTreeMap<String, Located<String>>,
    /// `[spygen.runner-for]`: how each target's programs run (`none`: directly), over the
    /// descriptor's runner.
    pub runner_for: BTreeMap<String, Located<String>>,
    /// `link-jobs`: how many links ninja runs at once.
    pub link_jobs: Option<Located<u32>>,
    /// `[spygen.require]`: the versions of tool packages the project needs (`zig = "==0.13.0"`).
    pub requirements: BTreeMap<String, Located<VersionReq>>,
    /// Where module archives go.
    pub layout: Layout,
    /// Project-wide flags, overall first, then per target, then per build type.
    pub flags: Vec<ProjectFlagScope>,
    /// `[spygen.pkg-config-for.T]`, by target.
    pub pkg_config_for: BTreeMap<String, PkgConfigFor>,
    /// `[spygen.system-lib.NAME]`, by package name: for every target (`None`), or one.
    pub system_lib_overrides: BTreeMap<(String, Option<String>), SystemLibOverride>,
    /// What is suspicious but not wrong in the manifest (a top-level key neither SPy nor
    /// spygen reads), each a line `file:line:column: what`; the planner passes them on.
    pub warnings: Vec<String>,
}

/// Where module archives go (`layout` under `[spygen]`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Layout {
    /// `<build dir>/<target>/<build type>/<module>.a`, everything in the build dir.
    #[default]
    BuildDir,
    /// SPy's: `<module dir>/build/<target>/<build type>/<module>.a`, where SPy's own Makefiles
    /// put them and its modules' `build_info()` look (objects stay in the build dir).
    Spy,
}

impl Layout {
    /// The directory holding `<target>/<build type>/` of the module in `module_dir`, whose
    /// project builds into `build_dir`.
    pub fn archive_root(self, module_dir: &Path, build_dir: &Path) -> PathBuf {
        match self {
            Layout::BuildDir => build_dir.to_path_buf(),
            Layout::Spy => module_dir.join("build"),
        }
    }
}

impl Project {
    /// The required versions by package name, without where they are written.
    pub fn requirement_map(&self) -> Requirements {
        self.requirements.iter().map(|(k, v)| (k.clone(), v.value.clone())).collect()
    }

    /// The nearest `spy.toml` in `start` or one of its parents.
    pub fn find(start: &Path) -> Option<PathBuf> {
        start.ancestors().map(|d| d.join(PROJECT_MANIFEST)).find(|p| p.is_file())
    }

    /// The project a query run here is about: `dir` when given (as for [`Project::load`]), else
    /// the nearest `spy.toml` from the current directory up; `None` when there is none.
    pub fn nearby(dir: Option<&Path>) -> Result<Option<Project>> {
        let cwd = paths::current_dir();
        let manifest = match dir {
            Some(dir) => paths::absolute(dir, &cwd),
            None => match Project::find(&cwd) {
                Some(m) => m,
                None => return Ok(None),
            },
        };
        Project::load(&manifest, &LoadOptions::default()).map(Some)
    }

    /// Reads the project in `dir` (a directory holding `spy.toml`, or the file itself).
    pub fn load(dir: &Path, options: &LoadOptions) -> Result<Project> {
        let cwd = paths::current_dir();
        let given = paths::absolute(dir, &cwd);
        let (root, manifest_path) = match std::fs::metadata(&given) {
            Ok(m) if m.is_file() => (given.parent().map(Path::to_path_buf).unwrap_or_default(), Some(given)),
            Ok(m) if m.is_dir() => {
                let manifest = given.join(PROJECT_MANIFEST);
                let found = match std::fs::metadata(&manifest) {
                    Ok(m) if m.is_file() => Some(manifest),
                    Ok(m) => {
                        return Err(Error::usage(format!(
                            "{} is {}, not a project manifest",
                            manifest.display(),
                            crate::fsutil::kind_of(&m)
                        ))
                        .help("move it away, or make it the project's spy.toml file"));
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
                    Err(e) => {
                        return Err(Error::io("read", &manifest, e)
                            .help("check the permissions of the project directory and its spy.toml"));
                    }
                };
                (given, found)
            }
            Ok(m) => {
                return Err(Error::usage(format!(
                    "{} is {}, not a project",
                    dir.display(),
                    crate::fsutil::kind_of(&m)
                ))
                .help("name the directory holding spy.toml, or spy.toml itself"));
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(Error::usage(format!("project directory {} does not exist", dir.display()))
                    .help("name the directory holding spy.toml, or spy.toml itself"));
            }
            Err(e) => {
                return Err(Error::io("read", &given, e).help("check the permissions of the project directory"));
            }
        };
        let mut project = Project {
            build_dir: root.join(DEFAULT_BUILD_DIR),
            root,
            manifest: None,
            runtime: None,
            extra_vm_modules: Vec::new(),
            targets: None,
            build_types: None,
            programs: Vec::new(),
            launcher: None,
            launcher_for: BTreeMap::new(),
            runner_for: BTreeMap::new(),
            flags: Vec::new(),
            pkg_config_for: BTreeMap::new(),
            system_lib_overrides: BTreeMap::new(),
            link_jobs: None,
            requirements: BTreeMap::new(),
            layout: Layout::BuildDir,
            warnings: Vec::new(),
        };
        if let (Some(path), false) = (manifest_path, options.no_spy_toml) {
            let source = SourceFile::read(&path)?;
            let spec: ProjectSpec = source.parse_keys(Some(SPYGEN_KEYS))?;
            project.apply(spec, &source)?;
            project.warnings = unknown_top_level_keys(&source);
            project.manifest = Some(source);
        }
        for dir in &options.extra_vm_modules {
            project.extra_vm_modules.push(ModuleRef { dir: paths::normalize(dir), from: None });
        }
        Ok(project)
    }

    fn apply(&mut self, spec: ProjectSpec, source: &SourceFile) -> Result<()> {
        let at = |span: std::ops::Range<usize>| source.location(span.start);
        let module_ref = |s: &Spanned<String>| ModuleRef {
            dir: paths::absolute(Path::new(s.get_ref()), &self.root),
            from: Some(at(s.span())),
        };
        self.extra_vm_modules = spec.extra_vm_modules.iter().map(module_ref).collect();
        let Some(spygen) = spec.spygen else {
            return Ok(());
        };
        self.runtime = spygen.runtime.as_ref().map(module_ref);
        if let Some(b) = &spygen.build_dir {
            if b.get_ref().is_empty() {
                return Err(Error::input("`build-dir` is empty")
                    .at(at(b.span()))
                    .help("name a directory relative to spy.toml, such as `build-spygen`, or remove the key"));
            }
            self.build_dir = paths::absolute(Path::new(b.get_ref()), &self.root);
        }
        let strings = |v: Vec<Spanned<String>>| -> Vec<Located<String>> {
            v.into_iter().map(|s| Located { location: at(s.span()), value: s.into_inner() }).collect()
        };
        self.targets = spygen.targets.map(strings);
        let located = |s: Spanned<String>| Located { location: at(s.span()), value: s.into_inner() };
        self.launcher = spygen.launcher.map(located);
        self.launcher_for = spygen.launcher_for.into_iter().map(|(t, s)| (t, located(s))).collect();
        self.runner_for = spygen.runner_for.into_iter().map(|(t, s)| (t, located(s))).collect();
        if !(spygen.defines.is_empty() && spygen.cflags.is_empty() && spygen.ldflags.is_empty()) {
            self.flags.push(ProjectFlagScope {
                target: None,
                build_type: None,
                defines: spygen.defines,
                cflags: spygen.cflags,
                ldflags: spygen.ldflags,
            });
        }
        let root = self.root.clone();
        let abs = |p: &String| paths::absolute(Path::new(p), &root);
        for (key, spec) in spygen.pkg_config_for {
            let location = at(key.span());
            let value = PkgConfigFor {
                path: spec.path.iter().map(abs).collect(),
                sysroot: spec.sysroot.as_ref().map(abs),
                location,
            };
            self.pkg_config_for.insert(key.into_inner(), value);
        }
        for (name, spec) in spygen.system_lib {
            let location = at(name.span());
            let name = name.into_inner();
            let mut scopes = vec![(None, spec, location)];
            while let Some((target, spec, location)) = scopes.pop() {
                for (t, sub) in spec.target {
                    let at_t = at(t.span());
                    scopes.push((Some(t.into_inner()), sub, at_t));
                }
                let value = SystemLibOverride {
                    pkg_config_path: spec.pkg_config_path.iter().map(abs).collect(),
                    cflags: spec.cflags,
                    libs: spec.libs,
                    location,
                };
                self.system_lib_overrides.insert((name.clone(), target), value);
            }
        }
        let scope = |target, build_type, spec: ProjectFlagsSpec| ProjectFlagScope {
            target,
            build_type,
            defines: spec.defines,
            cflags: spec.cflags,
            ldflags: spec.ldflags,
        };
        for (key, spec) in spygen.target {
            self.flags.push(scope(Some(located(key)), None, spec));
        }
        for (key, spec) in spygen.build_type {
            self.flags.push(scope(None, Some(located(key)), spec));
        }
        if let Some(jobs) = spygen.link_jobs {
            let location = at(jobs.span());
            let value = u32::try_from(*jobs.get_ref()).ok().filter(|&n| n > 0).ok_or_else(|| {
                Error::input(format!("`link-jobs` must be a positive number, not {}", jobs.get_ref()))
                    .at(location.clone())
                    .help("how many links may run at once, e.g. `link-jobs = 2`")
            })?;
            self.link_jobs = Some(Located { location, value });
        }
        self.build_types = spygen.build_types.map(strings);
        if let Some(layout) = &spygen.layout {
            self.layout = match layout.get_ref().as_str() {
                "build-dir" => Layout::BuildDir,
                "spy" => Layout::Spy,
                other => {
                    let suggestion = crate::suggest::did_you_mean(other, ["build-dir", "spy"]);
                    return Err(Error::input(format!("unknown `layout` `{other}`{suggestion}"))
                        .at(at(layout.span()))
                        .help("`build-dir` (the default: every output in the build dir) or `spy` (module archives in <module>/build/<target>/<build type>/, as SPy's Makefiles put them)"));
                }
            };
        }
        for (package, text) in spygen.require {
            let location = at(text.span());
            let value = VersionReq::parse(text.get_ref()).map_err(|why| {
                Error::input(format!("`{package}` requirement: {why}"))
                    .at(location.clone())
                    .help("write pip's spelling, e.g. `zig = \"==0.13.0\"` or `emcc = \">=3.1, <4\"`")
            })?;
            self.requirements.insert(package, Located { location, value });
        }
        for program in spygen.programs {
            self.programs.push(program.into_unit(source, &self.root, crate::manifest::unit::Declared::Program)?);
        }
        Ok(())
    }
}

/// A warning for each top-level key of spy.toml (`source`, which parsed) that neither SPy nor
/// spygen reads, at the key, with the close key when there is one: a misspelt
/// `extra-vm-modules` would otherwise leave the modules out without a word.
fn unknown_top_level_keys(source: &SourceFile) -> Vec<String> {
    use toml::de::{DeTable, DeValue};
    let Ok(doc) = DeTable::parse(&source.text) else { return Vec::new() };
    let known = || SPY_KEYS.iter().chain(SPYGEN_KEYS).copied();
    // How a key is spelt where it is written: `spygen` is a table header.
    let spelt = |key: &str, is_table: bool| if is_table { format!("`[{key}]`") } else { format!("`{key}`") };
    let mut warnings = Vec::new();
    // Keys are unique in a TOML table (`[tool.a]` and `[tool.b]` are one key `tool`): one
    // warning each.
    for (key, value) in doc.get_ref() {
        let name = key.get_ref().as_ref();
        if known().any(|k| k == name) {
            continue;
        }
        let what = if matches!(value.get_ref(), DeValue::Table(_)) { "table" } else { "key" };
        let suggestion = crate::suggest::closest(name, known())
            .map_or_else(String::new, |k| format!("; did you mean {}?", spelt(k, k == "spygen")));
        warnings.push(format!(
            "{}: unknown {what} {} (SPy reads: {}; spygen reads [spygen]){suggestion}",
            source.location(key.span().start),
            spelt(name, what == "table"),
            SPY_KEYS.join(", ")
        ));
    }
    warnings
}
