//! Resolved module manifests (`<build>/<target>/<build type>/<module>.spymod.json`): what a
//! consumer needs to compile against and link one built module in one configuration — SPy's
//! `BuildInfo` fields (include dirs, public headers, archives in link order, cflags, ldflags)
//! plus wasm exports, the system libraries as resolved for that target, the toolchain, the
//! sha256 of every file named, and where it came from. The build files' module-manifest
//! actions write them (`spygen spymod`) once the module's archive and its dependencies'
//! manifests are built; each composes its dependencies' manifests, so a generation writes
//! only what is the module's own.
//!
//! Schema `spygen-module/1`; adding fields does not change it, changing or removing one does.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// The schema name and version every manifest starts with.
pub const SCHEMA: &str = "spygen-module/1";

/// The file name of `module`'s manifest.
pub fn file_name(module: &str) -> String {
    format!("{module}.spymod.json")
}

/// The compiler a module was built with.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ToolchainId {
    /// The compiler's command words (its program by absolute path).
    pub compiler: Vec<String>,
    /// The package it comes from (`zig`, `emcc`, `cc`), when the descriptor names one.
    pub package: Option<String>,
    /// That package's version, when known.
    pub version: Option<String>,
}

/// A system library as resolved for the manifest's target.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SystemLib {
    /// The pkg-config package.
    pub package: String,
    /// Where its flags came from (the `.pc` file read, the fallback, the project's flags).
    pub origin: String,
    /// Compile flags.
    pub cflags: Vec<String>,
    /// Link flags.
    pub libs: Vec<String>,
}

/// Where a manifest came from.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Provenance {
    /// The spygen that wrote it (`spygen 0.1.0`).
    pub generator: String,
    /// The module's manifest (`spygen.toml`), absolute.
    pub manifest: String,
    /// Its sha256 when the build files were generated from it.
    pub manifest_sha256: String,
    /// The project's manifest (`spy.toml`) it was built in, absolute, when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project: Option<String>,
    /// Its sha256 when the build files were generated from it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project_sha256: Option<String>,
}

/// One module's resolved manifest in one configuration.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModuleManifest {
    /// [`SCHEMA`].
    pub schema: String,
    /// The module's name.
    pub module: String,
    /// The target.
    pub target: String,
    /// The build type.
    pub build_type: String,
    /// The compiler it was built with.
    pub toolchain: ToolchainId,
    /// Include directories to compile against it: its public ones, then its dependencies'
    /// (absolute, nearest first).
    pub include_dirs: Vec<String>,
    /// Its public headers (absolute).
    pub public_headers: Vec<String>,
    /// The archives to link, in link order: its own, then every dependency's (absolute).
    pub archives: Vec<String>,
    /// Compile flags for code using it: the configuration's, `-I` for each include dir, the
    /// system libraries'.
    pub cflags: Vec<String>,
    /// Link flags after the archives: the configuration's, the modules' own, the system
    /// libraries'.
    pub ldflags: Vec<String>,
    /// The wasm exports programs linking it export (its own, then its dependencies').
    pub exports: Vec<String>,
    /// Its and its dependencies' system libraries, as resolved for the target.
    pub system_libs: Vec<SystemLib>,
    /// The link flags of the modules themselves (its own, then its dependencies'), which
    /// `ldflags` holds after the configuration's.
    pub module_ldflags: Vec<String>,
    /// The configuration's compile flags (toolchain and project), which `cflags` starts with.
    pub config_cflags: Vec<String>,
    /// The configuration's link flags, which `ldflags` starts with.
    pub config_ldflags: Vec<String>,
    /// The sha256 of every file named above (archives, public headers), by path.
    pub files: BTreeMap<String, String>,
    /// Where it came from.
    pub provenance: Provenance,
}

impl ModuleManifest {
    /// Sets `cflags` and `ldflags` from the parts they are made of: the configuration's
    /// compile flags, `-I` for each include dir and the system libraries' compile flags; the
    /// configuration's link flags, the modules' own and the system libraries'.
    pub fn derive_flags(&mut self) {
        self.cflags = self.config_cflags.clone();
        self.cflags.extend(self.include_dirs.iter().map(|d| format!("-I{d}")));
        self.cflags.extend(self.system_libs.iter().flat_map(|l| l.cflags.iter().cloned()));
        self.ldflags = self.config_ldflags.iter().chain(&self.module_ldflags).cloned().collect();
        self.ldflags.extend(self.system_libs.iter().flat_map(|l| l.libs.iter().cloned()));
    }

    /// The manifest as spygen writes it: pretty JSON, one final newline.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default() + "\n"
    }
}

/// What a module-manifest action is told: the module's own part ([`compose`] adds its
/// dependencies').
#[derive(Debug, Clone, Default)]
pub struct OwnPart {
    /// The manifest's fields that are the module's own; `files`, `cflags`, `ldflags` are
    /// computed.
    pub manifest: ModuleManifest,
    /// The module's archive (absolute).
    pub archive: PathBuf,
    /// Its dependencies' manifests, direct ones, nearest first.
    pub deps: Vec<PathBuf>,
}

/// `items` with each repeated one kept at its first place.
fn first_each(items: impl IntoIterator<Item = String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for i in items {
        if !out.contains(&i) {
            out.push(i);
        }
    }
    out
}

/// `items` with each repeated one kept at its last place: archives in link order, a
/// module's before every archive it needs, even across diamonds.
fn last_each(items: Vec<String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for (i, item) in items.iter().enumerate() {
        if !items[i + 1..].contains(item) {
            out.push(item.clone());
        }
    }
    out
}

/// The sha256 of `path`, in hex.
pub fn sha256(path: &Path) -> Result<String> {
    let bytes = std::fs::read(path).map_err(|e| Error::io("read", path, e))?;
    Ok(sha256_bytes(&bytes))
}

/// Reads a manifest spygen wrote.
pub fn read(path: &Path) -> Result<ModuleManifest> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io("read", path, e))?;
    parse(&text, &path.display().to_string()).map_err(|e| e.help("remove it; the build writes it again"))
}

/// Parses a manifest's `text`, read from `origin` (a path, or a member of a pack).
pub fn parse(text: &str, origin: &str) -> Result<ModuleManifest> {
    let m: ModuleManifest = serde_json::from_str(text)
        .map_err(|e| Error::input(format!("{origin} is not a module manifest spygen wrote: {e}")))?;
    if m.schema != SCHEMA {
        return Err(Error::input(format!("{origin} has schema `{}`, not `{SCHEMA}`", m.schema))
            .help("rebuild it with this spygen"));
    }
    Ok(m)
}

/// The sha256 of `bytes`, in hex.
pub fn sha256_bytes(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    crate::bundle::hex(&Sha256::digest(bytes))
}

/// The whole manifest of `own`: its dependencies' manifests composed in, its own files hashed.
pub fn compose(own: &OwnPart) -> Result<ModuleManifest> {
    let deps: Vec<ModuleManifest> = own.deps.iter().map(|d| read(d)).collect::<Result<_>>()?;
    let mut m = own.manifest.clone();
    m.schema = SCHEMA.to_string();
    let archive = crate::paths::to_slash(&own.archive);
    let mut archives = vec![archive.clone()];
    archives.extend(deps.iter().flat_map(|d| d.archives.iter().cloned()));
    m.archives = last_each(archives);
    m.include_dirs = first_each(m.include_dirs.iter().cloned().chain(deps.iter().flat_map(|d| d.include_dirs.clone())));
    m.exports = first_each(m.exports.iter().cloned().chain(deps.iter().flat_map(|d| d.exports.clone())));
    m.module_ldflags =
        m.module_ldflags.iter().cloned().chain(deps.iter().flat_map(|d| d.module_ldflags.clone())).collect();
    for lib in deps.iter().flat_map(|d| &d.system_libs) {
        if !m.system_libs.iter().any(|l| l.package == lib.package) {
            m.system_libs.push(lib.clone());
        }
    }
    m.derive_flags();
    m.files = BTreeMap::new();
    for d in &deps {
        m.files.extend(d.files.clone());
    }
    m.files.insert(archive, sha256(&own.archive)?);
    for h in &m.public_headers {
        m.files.insert(h.clone(), sha256(Path::new(h))?);
    }
    m.provenance.generator = format!("spygen {}", env!("CARGO_PKG_VERSION"));
    Ok(m)
}

/// Writes `m` to `path` (atomically, only when it changed).
pub fn write(m: &ModuleManifest, path: &Path) -> Result<()> {
    crate::fsutil::write_if_changed(path, m.to_json().as_bytes())?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_the_sha256_of_the_bytes_in_lower_case_hex() {
        // FIPS 180-2's examples: the empty message and "abc".
        assert_eq!(sha256_bytes(b""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
        assert_eq!(sha256_bytes(b"abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }

    #[test]
    fn archives_keep_link_order_across_a_diamond() {
        // a -> b -> d, a -> c -> d: d after both b and c.
        let items = ["a", "b", "d", "c", "d"].map(String::from).to_vec();
        assert_eq!(last_each(items), ["a", "b", "c", "d"]);
        assert_eq!(first_each(["x", "y", "x"].map(String::from)), ["x", "y"]);
    }

    #[test]
    fn a_module_composes_its_dependencies_manifests_and_hashes_its_files() {
        let dir = tempfile::tempdir().unwrap();
        let file = |name: &str, text: &str| {
            let p = dir.path().join(name);
            std::fs::write(&p, text).unwrap();
            p
        };
        let dep_archive = file("libd.a", "d");
        let dep = ModuleManifest {
            schema: SCHEMA.into(),
            module: "d".into(),
            archives: vec![crate::paths::to_slash(&dep_archive)],
            include_dirs: vec!["/d/include".into()],
            exports: vec!["spy_d$f".into()],
            system_libs: vec![SystemLib { package: "z".into(), libs: vec!["-lz".into()], ..SystemLib::default() }],
            files: [(crate::paths::to_slash(&dep_archive), "00".repeat(32))].into(),
            ..ModuleManifest::default()
        };
        let dep_path = dir.path().join("d.spymod.json");
        write(&dep, &dep_path).unwrap();
        let own = OwnPart {
            manifest: ModuleManifest {
                module: "m".into(),
                include_dirs: vec!["/m/include".into()],
                config_cflags: vec!["-O2".into()],
                config_ldflags: vec!["-flto".into()],
                module_ldflags: vec!["-Wl,-x".into()],
                ..ModuleManifest::default()
            },
            archive: file("libm.a", "m"),
            deps: vec![dep_path],
        };
        let m = compose(&own).unwrap();
        assert_eq!(m.archives.len(), 2);
        assert!(m.archives[0].ends_with("libm.a") && m.archives[1].ends_with("libd.a"), "own first: {:?}", m.archives);
        assert_eq!(m.cflags, ["-O2", "-I/m/include", "-I/d/include"]);
        assert_eq!(m.ldflags, ["-flto", "-Wl,-x", "-lz"]);
        assert_eq!(m.exports, ["spy_d$f"]);
        let own_hash = &m.files[&crate::paths::to_slash(&own.archive)];
        assert_eq!(own_hash, "62c66a7a5dd70c3146618063c344e531e6d4b59e379808443ce962b3abd63c5a", "sha256 of `m`");
        assert_eq!(m.files.len(), 2, "the dependency's files too");
    }
}
