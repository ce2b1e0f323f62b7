//! Packs: a built module with its resolved manifests in one file, "the wheel" of a SPy
//! out-of-tree module. `spygen pack` writes one; a project names it where it would name the
//! module's directory (`deps`, `extra-vm-modules`) and links it prebuilt.
//!
//! A pack is a zip archive (`<module>.spymod` by convention):
//!
//! ```text
//! spymod-pack.json                     the index: schema `spygen-pack/1`, the module, its
//!                                      configurations, the sha256 of every other member
//! include/<n>/...                      the headers of the n-th include dir (public headers)
//! <target>/<build type>/lib/<archive>  the archives, the module's and its dependencies'
//! <target>/<build type>/<module>.spymod.json
//!                                      the resolved manifest (schema `spygen-module/1`), every
//!                                      path in it relative to the pack
//! ```
//!
//! Zip rather than tar.zst: Python's standard library reads zip (`zipfile`), so a SPy-side
//! reader needs nothing installed (zstd enters the standard library only in Python 3.14), and
//! its central directory lists the members without decompressing them. Reproducible: members
//! in a fixed order (the index, then by name), every one dated 1980-01-01 with mode 0644 and
//! deflated at one fixed level, so packing the same build twice gives the same bytes.
//!
//! The runtime the module was built against (libspy's role) is not packed: the consuming
//! project links its own, as it does for every module.
//!
//! Unpacking verifies everything before it writes anything: every member's name (no `..`,
//! no absolute path, no symbolic link, no duplicate), its sha256 against the index, each
//! manifest against the index. It unpacks once per pack content, into
//! `<build>/.spygen-packs/<hash>/`, atomically (a temporary directory renamed into place).

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Location, Result};
use crate::manifest::{Located, Settings, Unit, UnitKind};
use crate::module_manifest::{self, ModuleManifest, ToolchainId, sha256_bytes};

/// The schema name and version of the index.
pub const SCHEMA: &str = "spygen-pack/1";

/// The index's member name.
pub const INDEX: &str = "spymod-pack.json";

/// A pack's usual file name ending (`spyvm_tinyenc.spymod`).
pub const EXTENSION: &str = "spymod";

/// Where packs are unpacked, in the build dir.
pub const CACHE_DIR: &str = ".spygen-packs";

/// The endings of the files of an include dir that are packed: headers.
const HEADER_PATTERN: &str = "**/*.{h,hh,hpp,hxx,inc,inl,def}";

/// The most a pack may hold, unpacked: a pack is archives and headers, not a file system.
const MAX_UNPACKED: u64 = 4 << 30;

/// One configuration a pack holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IndexConfig {
    /// The target.
    pub target: String,
    /// The build type.
    pub build_type: String,
    /// Its resolved manifest, a member of the pack.
    pub manifest: String,
    /// The compiler it was built with.
    pub toolchain: ToolchainId,
}

/// A pack's index (`spymod-pack.json`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Index {
    /// [`SCHEMA`].
    pub schema: String,
    /// The module packed.
    pub module: String,
    /// The spygen that packed it.
    pub generator: String,
    /// The runtime the module was built against, left out of the pack (the consumer links its
    /// own).
    pub runtime: Option<String>,
    /// The configurations it holds, in the order packed.
    pub configurations: Vec<IndexConfig>,
    /// The sha256 of every other member, by name.
    pub files: BTreeMap<String, String>,
}

impl Index {
    /// The configuration `target` × `build_type`, when packed.
    pub fn config(&self, target: &str, build_type: &str) -> Option<&IndexConfig> {
        self.configurations.iter().find(|c| c.target == target && c.build_type == build_type)
    }
}

/// What is packed for one configuration: the module's resolved manifest there and, when it
/// was built against a runtime, the runtime's (whose part is left out).
#[derive(Debug, Clone)]
pub struct PackInput {
    /// The module's manifest, paths absolute, as the build wrote it.
    pub manifest: ModuleManifest,
    /// The runtime's manifest in the same configuration.
    pub runtime: Option<ModuleManifest>,
}

/// The members of a pack being built, by name, each hashed once, when added.
#[derive(Default)]
struct Members(BTreeMap<String, (Vec<u8>, String)>);

impl Members {
    fn add(&mut self, name: String, bytes: Vec<u8>) {
        let hash = sha256_bytes(&bytes);
        self.0.insert(name, (bytes, hash));
    }

    fn get(&self, name: &str) -> Option<&[u8]> {
        self.0.get(name).map(|(bytes, _)| &bytes[..])
    }

    fn hash(&self, name: &str) -> &str {
        &self.0[name].1
    }
}

/// The bytes of the pack of `inputs` (one per configuration, of one module).
pub fn build(inputs: &[PackInput]) -> Result<Vec<u8>> {
    let Some(first) = inputs.first() else {
        return Err(Error::usage("nothing to pack: no configuration of the module is built")
            .help("build it first (`spygen build`), or name configurations with --target and --build-type"));
    };
    let module = first.manifest.module.clone();
    let mut members = Members::default();
    // Each include dir packed, absolute, with its directory in the pack.
    let mut include_dirs: Vec<(String, String)> = Vec::new();
    let mut configurations = Vec::new();
    for input in inputs {
        let mut m = input.manifest.clone();
        let config = format!("{}/{}", m.target, m.build_type);
        if let Some(rt) = &input.runtime {
            leave_out(&mut m, rt);
        }
        // A pack holds what the manifest describes, not a file rebuilt since.
        let unchanged = |path: &str, hash: &str| match m.files.get(path) {
            Some(recorded) if recorded != hash => {
                Err(Error::env(format!("{path} changed since `{}`'s manifest for {config} was written", m.module))
                    .help("build again (`spygen build`), then pack"))
            }
            _ => Ok(()),
        };
        let mut files = BTreeMap::new();
        let mut packed_dirs = Vec::new();
        for dir in &m.include_dirs {
            let member_dir = match include_dirs.iter().find(|(d, _)| d == dir) {
                Some((_, member)) => member.clone(),
                None => {
                    let member = format!("include/{}", include_dirs.len());
                    add_headers(&mut members, Path::new(dir), &member)?;
                    include_dirs.push((dir.clone(), member.clone()));
                    member
                }
            };
            for (name, (_, hash)) in members.0.range(format!("{member_dir}/")..) {
                if !name.starts_with(&format!("{member_dir}/")) {
                    break;
                }
                files.insert(name.clone(), hash.clone());
            }
            packed_dirs.push(member_dir);
        }
        let mut headers = Vec::new();
        for h in &m.public_headers {
            let in_dir = include_dirs.iter().find_map(|(dir, member)| {
                h.strip_prefix(dir.as_str()).and_then(|rest| rest.strip_prefix('/')).map(|r| format!("{member}/{r}"))
            });
            let member = match in_dir {
                Some(member) if members.get(&member).is_some() => member,
                Some(member) => {
                    members.add(member.clone(), read(Path::new(h))?);
                    member
                }
                // Outside every include dir: under include/extra/, a header of the same name
                // but other content in a directory of its own.
                None => {
                    let bytes = read(Path::new(h))?;
                    let mut member = format!("include/extra/{}", file_name(h));
                    let mut n = 1;
                    while members.get(&member).is_some_and(|b| *b != bytes) {
                        n += 1;
                        member = format!("include/extra/{n}/{}", file_name(h));
                    }
                    members.add(member.clone(), bytes);
                    member
                }
            };
            unchanged(h, members.hash(&member))?;
            files.insert(member.clone(), members.hash(&member).to_string());
            headers.push(member);
        }
        let mut archives = Vec::new();
        for a in &m.archives {
            let mut member = format!("{config}/lib/{}", file_name(a));
            let mut n = 1;
            while archives.contains(&member) {
                n += 1;
                member = format!("{config}/lib/{n}-{}", file_name(a));
            }
            members.add(member.clone(), read(Path::new(a))?);
            unchanged(a, members.hash(&member))?;
            files.insert(member.clone(), members.hash(&member).to_string());
            archives.push(member);
        }
        m.include_dirs = packed_dirs;
        m.public_headers = headers;
        m.archives = archives;
        m.files = files;
        m.derive_flags();
        let manifest = format!("{config}/{}", module_manifest::file_name(&module));
        members.add(manifest.clone(), m.to_json().into_bytes());
        configurations.push(IndexConfig {
            target: m.target.clone(),
            build_type: m.build_type.clone(),
            manifest,
            toolchain: m.toolchain.clone(),
        });
    }
    let index = Index {
        schema: SCHEMA.to_string(),
        module,
        generator: format!("spygen {}", env!("CARGO_PKG_VERSION")),
        runtime: inputs.iter().find_map(|i| i.runtime.as_ref().map(|r| r.module.clone())),
        configurations,
        files: members.0.iter().map(|(name, (_, hash))| (name.clone(), hash.clone())).collect(),
    };
    let index_json = serde_json::to_string_pretty(&index).unwrap_or_default() + "\n";
    zip_members(
        std::iter::once((INDEX, index_json.as_bytes())).chain(members.0.iter().map(|(n, (b, _))| (n.as_str(), &b[..]))),
    )
}

/// Removes from `m` what the runtime `rt` brings (its archives, include dirs, exports, link
/// flags, system libraries): the consuming project links its own runtime.
fn leave_out(m: &mut ModuleManifest, rt: &ModuleManifest) {
    m.archives.retain(|a| !rt.archives.contains(a));
    m.include_dirs.retain(|d| !rt.include_dirs.contains(d));
    m.exports.retain(|e| !rt.exports.contains(e));
    if m.module_ldflags.ends_with(&rt.module_ldflags) {
        m.module_ldflags.truncate(m.module_ldflags.len() - rt.module_ldflags.len());
    }
    m.system_libs.retain(|l| !rt.system_libs.iter().any(|r| r.package == l.package));
    m.files.retain(|f, _| !rt.files.contains_key(f));
}

/// Adds the headers under `dir` to `members`, under `member_dir`.
fn add_headers(members: &mut Members, dir: &Path, member_dir: &str) -> Result<()> {
    let pattern = crate::manifest::glob::Pattern::parse(HEADER_PATTERN).expect("the header pattern is valid");
    let found = crate::manifest::glob::expand(dir, &pattern)
        .map_err(|e| Error::env(format!("cannot pack the include dir {}: {e}", dir.display())))?;
    for file in found.files {
        let rel = crate::paths::relative_slash(&file, dir);
        members.add(format!("{member_dir}/{rel}"), read(&file)?);
    }
    Ok(())
}

fn file_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

fn read(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|e| Error::io("read", path, e).help("build the module again, then pack"))
}

/// A zip archive of `members`, in the order given, reproducibly (see the module doc).
fn zip_members<'a>(members: impl Iterator<Item = (&'a str, &'a [u8])>) -> Result<Vec<u8>> {
    use zip::write::SimpleFileOptions;
    let options = SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .compression_level(Some(6))
        .last_modified_time(zip::DateTime::default())
        .system(zip::System::Unix)
        .unix_permissions(0o644);
    let fail = |e: &dyn std::fmt::Display| Error::env(format!("cannot write the pack: {e}"));
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, bytes) in members {
        zip.start_file(name, options).map_err(|e| fail(&e))?;
        zip.write_all(bytes).map_err(|e| fail(&e))?;
    }
    Ok(zip.finish().map_err(|e| fail(&e))?.into_inner())
}

/// A pack read and verified: its index and every member.
#[derive(Debug)]
pub struct Opened {
    /// The index.
    pub index: Index,
    /// Every member but the index, by name.
    pub members: BTreeMap<String, Vec<u8>>,
    /// Each configuration's manifest, as packed (paths relative to the pack).
    pub manifests: Vec<ModuleManifest>,
}

/// Whether the file at `path` starts as a zip archive does, as a pack must: what tells a pack
/// from another file named where a module is (its spygen.toml, say).
pub fn looks_like_pack(path: &Path) -> bool {
    let mut magic = [0u8; 4];
    std::fs::File::open(path).and_then(|mut f| f.read_exact(&mut magic)).is_ok() && magic == *b"PK\x03\x04"
}

/// Reads the pack at `path` and verifies all of it (see the module doc); an error says which
/// member is wrong and how.
pub fn open(path: &Path) -> Result<Opened> {
    let bytes = std::fs::read(path).map_err(|e| Error::io("read", path, e))?;
    open_bytes(&bytes, path)
}

fn open_bytes(bytes: &[u8], path: &Path) -> Result<Opened> {
    let shown = path.display();
    let bad = |what: String| {
        Error::input(format!("{shown}: {what}"))
            .help("this is not the pack `spygen pack` wrote: get it again, or pack the module again")
    };
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes))
        .map_err(|e| bad(format!("not a complete pack (a zip archive): {e}")))?;
    let mut members: BTreeMap<String, Vec<u8>> = BTreeMap::new();
    let mut total: u64 = 0;
    // Every name first: nothing is read, let alone written, from a pack with a hostile one.
    for i in 0..zip.len() {
        let file = zip.by_index_raw(i).map_err(|e| bad(format!("member #{i} cannot be read: {e}")))?;
        let name = file.name().map_err(|e| bad(format!("member #{i} has a name that is not UTF-8: {e}")))?;
        check_member_name(&name).map_err(|why| bad(format!("member `{name}` {why}")))?;
        if file.is_symlink() {
            return Err(bad(format!("member `{name}` is a symbolic link; a pack holds files only")));
        }
        if file.is_dir() {
            return Err(bad(format!("member `{name}` is a directory; a pack holds files only")));
        }
        total = total.saturating_add(file.size());
        if total > MAX_UNPACKED {
            return Err(bad(format!("it would unpack to more than {} GiB", MAX_UNPACKED >> 30)));
        }
        if members.insert(name.to_string(), Vec::new()).is_some() {
            return Err(bad(format!("member `{name}` is in it twice")));
        }
    }
    let names: Vec<String> = members.keys().cloned().collect();
    for name in &names {
        let mut file = zip.by_name(name).map_err(|e| bad(format!("member `{name}` cannot be read: {e}")))?;
        let size = file.size();
        let mut content = Vec::with_capacity(size.min(MAX_UNPACKED) as usize);
        // No more than its recorded size (which the total above bounds), whatever it inflates to.
        (&mut file)
            .take(size + 1)
            .read_to_end(&mut content)
            .map_err(|e| bad(format!("member `{name}` is damaged: {e}")))?;
        if content.len() as u64 != size {
            return Err(bad(format!("member `{name}` is damaged: it holds more than its recorded {size} bytes")));
        }
        members.insert(name.clone(), content);
    }
    let index_bytes = members.remove(INDEX).ok_or_else(|| bad(format!("it holds no {INDEX}")))?;
    let index: Index =
        serde_json::from_slice(&index_bytes).map_err(|e| bad(format!("{INDEX} is not an index: {e}")))?;
    if index.schema != SCHEMA {
        return Err(Error::input(format!("{shown}: its index has schema `{}`, not `{SCHEMA}`", index.schema))
            .help("pack the module again with this spygen"));
    }
    for (name, content) in &members {
        let Some(recorded) = index.files.get(name) else {
            return Err(bad(format!("member `{name}` is not in its index")));
        };
        let actual = sha256_bytes(content);
        if &actual != recorded {
            return Err(bad(format!(
                "member `{name}` has sha256 {}…, its index says {}… (changed after it was packed)",
                &actual[..12],
                recorded.get(..12).unwrap_or(recorded)
            )));
        }
    }
    if let Some(missing) = index.files.keys().find(|n| !members.contains_key(*n)) {
        return Err(bad(format!("member `{missing}` is in its index but not in the pack")));
    }
    let mut manifests = Vec::new();
    for c in &index.configurations {
        let text = members.get(&c.manifest).ok_or_else(|| {
            bad(format!("the manifest of {}/{}, `{}`, is missing", c.target, c.build_type, c.manifest))
        })?;
        let m = module_manifest::parse(&String::from_utf8_lossy(text), &format!("{shown}: member `{}`", c.manifest))?;
        if m.module != index.module || m.target != c.target || m.build_type != c.build_type {
            return Err(bad(format!(
                "member `{}` describes {} for {}/{}",
                c.manifest, m.module, m.target, m.build_type
            )));
        }
        if m.toolchain != c.toolchain {
            return Err(bad(format!(
                "member `{}` records another compiler than its index does for {}/{}",
                c.manifest, c.target, c.build_type
            )));
        }
        for (file, hash) in &m.files {
            if index.files.get(file) != Some(hash) {
                return Err(bad(format!(
                    "member `{}` names `{file}`, which the pack does not hold as recorded",
                    c.manifest
                )));
            }
        }
        for named in m.archives.iter().chain(&m.public_headers) {
            if !members.contains_key(named) {
                return Err(bad(format!("member `{}` names `{named}`, which the pack does not hold", c.manifest)));
            }
        }
        manifests.push(m);
    }
    Ok(Opened { index, members, manifests })
}

/// Why `name` cannot be a member's name, if it cannot: it must be a relative path of plain
/// components, written with `/`.
fn check_member_name(name: &str) -> std::result::Result<(), &'static str> {
    if name.is_empty() {
        return Err("has an empty name");
    }
    if name.starts_with('/')
        || name.contains('\\')
        || name.contains('\0')
        || name.split('/').next().is_some_and(|c| c.contains(':'))
    {
        return Err("is not a relative path (it would be written outside the pack's directory)");
    }
    if name.split('/').any(|c| c == "..") {
        return Err("leads out of the pack's directory with `..`");
    }
    if name.split('/').any(|c| c.is_empty() || c == ".") {
        return Err("has an empty or `.` path component");
    }
    Ok(())
}

/// A pack unpacked into a build dir.
#[derive(Debug, Clone)]
pub struct Prebuilt {
    /// The pack file (absolute).
    pub pack: PathBuf,
    /// Where it is unpacked.
    pub dir: PathBuf,
    /// Its index.
    pub index: Index,
    /// Each configuration's manifest, paths absolute in `dir`, with the manifest's path.
    pub configs: BTreeMap<(String, String), (PathBuf, ModuleManifest)>,
}

impl Prebuilt {
    /// The configuration `target` × `build_type`, when packed.
    pub fn config(&self, target: &str, build_type: &str) -> Option<&(PathBuf, ModuleManifest)> {
        self.configs.get(&(target.to_string(), build_type.to_string()))
    }

    /// Whether it holds any configuration of `target`.
    pub fn has_target(&self, target: &str) -> bool {
        self.configs.keys().any(|(t, _)| t == target)
    }

    /// Whether any configuration links a system library.
    pub fn has_system_libs(&self) -> bool {
        self.configs.values().any(|(_, m)| !m.system_libs.is_empty())
    }
}

/// The module a project links from the unpacked pack `prebuilt`, named at `from` (where the
/// project writes the pack's path; `None`: on the command line).
pub fn unit(prebuilt: Prebuilt, from: Option<&Location>) -> Unit {
    let location = from.cloned().unwrap_or(Location { file: prebuilt.pack.clone(), line: 1, column: 1 });
    let mut include_dirs: Vec<String> = Vec::new();
    let mut headers: Vec<String> = Vec::new();
    let mut exports: Vec<String> = Vec::new();
    for (_, m) in prebuilt.configs.values() {
        for (list, items) in
            [(&mut include_dirs, &m.include_dirs), (&mut headers, &m.public_headers), (&mut exports, &m.exports)]
        {
            for item in items {
                if !list.contains(item) {
                    list.push(item.clone());
                }
            }
        }
    }
    let located = |items: Vec<String>| -> Vec<Located<PathBuf>> {
        items.into_iter().map(|p| Located { value: PathBuf::from(p), location: location.clone() }).collect()
    };
    Unit {
        name: prebuilt.index.module.clone(),
        kind: UnitKind::Module,
        dir: prebuilt.dir.clone(),
        manifest: prebuilt.pack.clone(),
        location: location.clone(),
        sources: Vec::new(),
        public_include_dirs: located(include_dirs),
        include_dirs: Vec::new(),
        public_headers: located(headers),
        settings: Settings::default(),
        per_target: BTreeMap::new(),
        per_build_type: BTreeMap::new(),
        deps: Vec::new(),
        targets: None,
        exports,
        system_libs: Vec::new(),
        suffix: BTreeMap::new(),
        foreign_make: None,
        output: None,
        test: None,
        prebuilt: Some(std::sync::Arc::new(prebuilt)),
    }
}

/// The name of the directory a pack of content `bytes` unpacks into.
fn cache_key(bytes: &[u8]) -> String {
    sha256_bytes(bytes)[..32].to_string()
}

/// Unpacks the pack at `pack` (absolute) into `cache_root` (`<build>/.spygen-packs`), once
/// per content: verified first, written to a temporary directory, renamed into place.
pub fn unpack(pack: &Path, cache_root: &Path) -> Result<Prebuilt> {
    let bytes = std::fs::read(pack).map_err(|e| Error::io("read", pack, e))?;
    let dir = cache_root.join(cache_key(&bytes));
    if dir.join(INDEX).is_file() {
        match read_unpacked(pack, &dir) {
            Ok(p) if p.configs.values().all(|(_, m)| m.files.keys().all(|f| Path::new(f).is_file())) => return Ok(p),
            // A file removed from the unpacked copy (by hand, a partial clean): unpack again.
            _ => std::fs::remove_dir_all(&dir).map_err(|e| Error::io("remove", &dir, e))?,
        }
    }
    let opened = open_bytes(&bytes, pack)?;
    std::fs::create_dir_all(cache_root).map_err(|e| Error::io("create directory", cache_root, e))?;
    let tmp = tempfile::Builder::new()
        .prefix(".tmp-")
        .tempdir_in(cache_root)
        .map_err(|e| Error::io("create a directory in", cache_root, e))?;
    // The manifests as a consumer reads them: paths absolute, in their final directory.
    let manifests: BTreeMap<&str, String> = opened
        .index
        .configurations
        .iter()
        .zip(&opened.manifests)
        .map(|(c, m)| (c.manifest.as_str(), absolute(m, &dir).to_json()))
        .collect();
    for (name, content) in &opened.members {
        let path = tmp.path().join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| Error::io("create directory", parent, e))?;
        }
        let content = manifests.get(name.as_str()).map_or(&content[..], |m| m.as_bytes());
        std::fs::write(&path, content).map_err(|e| Error::io("write", &path, e))?;
    }
    let index_path = tmp.path().join(INDEX);
    let index_json = serde_json::to_string_pretty(&opened.index).unwrap_or_default() + "\n";
    std::fs::write(&index_path, index_json).map_err(|e| Error::io("write", &index_path, e))?;
    let tmp = tmp.keep();
    if let Err(e) = std::fs::rename(&tmp, &dir) {
        let _ = std::fs::remove_dir_all(&tmp);
        // Another generation unpacked it first: that copy is as good.
        if !dir.join(INDEX).is_file() {
            return Err(Error::io("rename into place", &dir, e));
        }
    }
    read_unpacked(pack, &dir)
}

/// The unpacked pack in `dir`.
fn read_unpacked(pack: &Path, dir: &Path) -> Result<Prebuilt> {
    let index_path = dir.join(INDEX);
    let text = std::fs::read_to_string(&index_path).map_err(|e| Error::io("read", &index_path, e))?;
    let index: Index = serde_json::from_str(&text).map_err(|e| {
        Error::input(format!("{}: not a pack index: {e}", index_path.display()))
            .help(format!("remove {} and generate again", dir.display()))
    })?;
    let mut configs = BTreeMap::new();
    for c in &index.configurations {
        let path = dir.join(&c.manifest);
        let m = module_manifest::read(&path)?;
        configs.insert((c.target.clone(), c.build_type.clone()), (path, m));
    }
    Ok(Prebuilt { pack: pack.to_path_buf(), dir: dir.to_path_buf(), index, configs })
}

/// `m` (paths relative to a pack) with its paths made absolute in `dir`.
fn absolute(m: &ModuleManifest, dir: &Path) -> ModuleManifest {
    let abs = |p: &String| crate::paths::to_slash(&dir.join(p));
    let mut out = m.clone();
    out.include_dirs = m.include_dirs.iter().map(abs).collect();
    out.public_headers = m.public_headers.iter().map(abs).collect();
    out.archives = m.archives.iter().map(abs).collect();
    out.files = m.files.iter().map(|(k, v)| (abs(k), v.clone())).collect();
    out.derive_flags();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn member_names_that_leave_the_pack_are_refused() {
        for bad in ["../x", "a/../../x", "/etc/passwd", "a\\..\\x", "", "a//b", "./a", "C:/x", "a/./b"] {
            assert!(check_member_name(bad).is_err(), "{bad:?} must be refused");
        }
        for good in ["spymod-pack.json", "include/0/tinyenc.h", "wasi/debug/lib/libtinyenc.a", "a..b/c"] {
            assert_eq!(check_member_name(good), Ok(()), "{good:?} is a plain name");
        }
    }

    #[test]
    fn public_headers_of_one_name_outside_the_include_dirs_are_both_packed() {
        let tmp = tempfile::tempdir().unwrap();
        let header = |dir: &str, text: &str| {
            std::fs::create_dir_all(tmp.path().join(dir)).unwrap();
            let path = tmp.path().join(dir).join("x.h");
            std::fs::write(&path, text).unwrap();
            crate::paths::to_slash(&path)
        };
        let manifest = ModuleManifest {
            schema: module_manifest::SCHEMA.to_string(),
            module: "m".into(),
            target: "native".into(),
            build_type: "debug".into(),
            public_headers: vec![header("a", "int a;\n"), header("b", "int b;\n")],
            ..ModuleManifest::default()
        };
        let bytes = build(&[PackInput { manifest, runtime: None }]).unwrap();
        let opened = open_bytes(&bytes, Path::new("m.spymod")).unwrap();
        assert_eq!(opened.members["include/extra/x.h"], b"int a;\n");
        assert_eq!(opened.members["include/extra/2/x.h"], b"int b;\n");
        assert_eq!(opened.manifests[0].public_headers, ["include/extra/x.h", "include/extra/2/x.h"]);
    }

    #[test]
    fn the_same_members_zip_to_the_same_bytes() {
        let members = [("a.txt", &b"alpha"[..]), ("b/c.h", &b"int c;"[..])];
        let one = zip_members(members.into_iter()).unwrap();
        let two = zip_members(members.into_iter()).unwrap();
        assert_eq!(one, two);
        // The first local header's modification time and date: 00:00, 1980-01-01 (DOS).
        assert_eq!(&one[10..14], &[0, 0, 0x21, 0], "dated 1980-01-01, not now");
    }
}
