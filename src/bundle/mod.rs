//! WASM bundles: linking the runtime archive and module archives into one wasi reactor with
//! whole-archive semantics (so symbols reachable only through exports survive), through a
//! content-addressed cache `<cache>/<sha256>/{bundle.wasm,manifest.json}`.
//!
//! The key covers the archives' contents in link order, the sorted export list, the link
//! command and the linker's version. A hit links nothing; an entry is published atomically
//! (built in a temporary directory, then renamed), so concurrent builds of one bundle never
//! see a torn file; an entry whose bundle does not match its recorded hash is rebuilt.

mod cache;
mod inputs;

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use sha2::{Digest, Sha256};

pub use cache::{CacheEntry, CacheLock, EntryInfo, GcOutcome, Listing, Manifest, clear, gc, is_key, list};

use crate::error::{Error, Result};
use crate::graph::{ActionKind, Var, command};
use crate::toolchain::Toolchain;

/// The cache directory's name inside a build directory.
pub const CACHE_DIR: &str = "wasm-bundles";

/// What to bundle.
#[derive(Debug, Clone)]
pub struct BundleRequest {
    /// Archives in link order: the runtime first, then the modules.
    pub archives: Vec<PathBuf>,
    /// Symbols to export (order does not matter).
    pub exports: Vec<String>,
    /// The build type whose link flags apply.
    pub build_type: String,
    /// The cache directory (`<build>/wasm-bundles`).
    pub cache_dir: PathBuf,
    /// Where to copy the bundle, if anywhere.
    pub output: Option<PathBuf>,
    /// Link even if the cache has the bundle.
    pub force_rebuild: bool,
    /// How the entry is keyed and described.
    pub scheme: KeyScheme,
    /// The project's tool version requirements, which the linking compiler meets.
    pub requirements: crate::toolchain::requirement::Requirements,
}

/// How a bundle's cache entry is keyed and described.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum KeyScheme {
    /// spygen's own key: the archives' hashes, the exports, the link command and the linker's
    /// version.
    #[default]
    Spygen,
    /// SPy's (its interpreter's bundle cache): the sha256 of the archives' bytes in link order
    /// followed by zig's version string, and a manifest with SPy's `archives`, `zig_version`
    /// and `cache_key`, so SPy finds a bundle spygen linked and links nothing. Exports come
    /// from the C code (`export_name` attributes): SPy's key has none.
    Spy,
}

/// What happened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BundleOutcome {
    /// The cache key (hex sha256).
    pub key: String,
    /// The cached bundle.
    pub bundle: PathBuf,
    /// Whether the bundle came from the cache (nothing was linked).
    pub hit: bool,
    /// A one-line note when a corrupt entry was found and rebuilt.
    pub repaired: Option<String>,
}

/// Lower-case hex of a digest.
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0xf)]));
    }
    out
}

/// The sha256 of a file, streamed in 1 MiB blocks, and its size.
pub fn hash_file(path: &Path) -> Result<(String, u64)> {
    let mut hasher = Sha256::new();
    let size = stream_file(path, &mut |block| hasher.update(block))?;
    Ok((hex(&hasher.finalize()), size))
}

/// Reads `path` in 1 MiB blocks, handing each to `block`; returns its size.
fn stream_file(path: &Path, block: &mut dyn FnMut(&[u8])) -> Result<u64> {
    let mut file = std::fs::File::open(path).map_err(|e| Error::io("read", path, e))?;
    let mut buf = vec![0u8; 1 << 20];
    let mut size = 0u64;
    loop {
        let n = file.read(&mut buf).map_err(|e| Error::io("read", path, e))?;
        if n == 0 {
            return Ok(size);
        }
        block(&buf[..n]);
        size += n as u64;
    }
}

/// One input as recorded in the manifest.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct InputRecord {
    /// The archive as given.
    pub path: String,
    /// Its size in bytes.
    pub size: u64,
    /// Its sha256.
    pub sha256: String,
}

/// Everything the key is made of, computed before any link.
#[derive(Debug, Clone)]
pub struct KeyMaterial {
    /// The cache key.
    pub key: String,
    /// The archives with their hashes.
    pub inputs: Vec<InputRecord>,
    /// Sorted, de-duplicated exports.
    pub exports: Vec<String>,
    /// The link command, output path left as `{out}`.
    pub link_command: Vec<String>,
    /// How many of `link_command`'s first words are the compiler (`/path/to/ziglang/zig cc`: 2).
    pub compiler_words: usize,
    /// The linker's version line.
    pub linker_version: String,
    /// For [`KeyScheme::Spy`]: zig's version string, as SPy keys on it.
    pub spy_zig_version: Option<String>,
}

/// The link command of a bundle (the output as `{out}`), for `toolchain` and `request`.
fn link_command(
    toolchain: &Toolchain,
    compiler: &[String],
    request: &BundleRequest,
    exports: &[String],
) -> Result<Vec<String>> {
    let Some(reactor) = &toolchain.link.reactor else {
        return Err(Error::usage(format!(
            "target `{}` has no reactor modules, so it cannot make wasm bundles",
            toolchain.name
        ))
        .help("bundles are for wasi (see `[link] reactor` in the toolchain descriptor)"));
    };
    toolchain.check_build_type(&request.build_type)?;
    // The target's link flags, not the build type's: as SPy's own bundle link, no `-flto`
    // (zig 0.13's wasm-ld aborts on it; archives of LTO objects are link-time optimised by
    // wasm-ld all the same).
    let mut flags = toolchain.flags.ldflags.clone();
    flags.extend(reactor.iter().cloned());
    flags.extend(toolchain.link.export_flags(exports));
    // The graph's command for reactors: every archive member kept.
    let template = ActionKind::LinkWholeArchive.command().map(|c| c.main_step()).unwrap_or_default();
    Ok(command::expand(template, &mut |var, out| match var {
        Var::Tool => out.extend(compiler.iter().cloned()),
        Var::Output => out.push("{out}".into()),
        Var::Inputs => out.extend(request.archives.iter().map(|a| a.display().to_string())),
        Var::Flags => out.extend(flags.iter().cloned()),
        _ => {}
    }))
}

/// Hashes the inputs and computes the key.
pub fn key_material(toolchain: &Toolchain, request: &BundleRequest) -> Result<KeyMaterial> {
    if request.archives.is_empty() {
        return Err(Error::usage("no archives to bundle").help("pass the runtime archive, then the module archives"));
    }
    let compiler = toolchain.require_meeting(&toolchain.compiler, &request.requirements)?;
    let linker_version = compiler.version(&toolchain.compiler.version_args).unwrap_or_else(|| "unknown".into());
    let mut exports = request.exports.clone();
    exports.sort();
    exports.dedup();
    let link_command = link_command(toolchain, &compiler.command, request, &exports)?;
    if request.scheme == KeyScheme::Spy {
        return spy_key_material(request, compiler.command.clone(), link_command, linker_version);
    }
    let mut hasher = Sha256::new();
    hasher.update(b"spygen wasm bundle v1\n");
    let mut inputs = Vec::new();
    let mut index = inputs::HashIndex::load(&request.cache_dir);
    for archive in &request.archives {
        let (sha256, size) = index.hash(archive).map_err(|e| e.help("build the archive first (ninja or make)"))?;
        hasher.update(format!("archive {size} {sha256}\n"));
        inputs.push(InputRecord { path: archive.display().to_string(), size, sha256 });
    }
    index.save();
    for e in &exports {
        hasher.update(format!("export {e}\n"));
    }
    // The command without the archive paths: the same contents elsewhere give the same bundle.
    let archive_words: Vec<String> = request.archives.iter().map(|a| a.display().to_string()).collect();
    for word in link_command.iter().filter(|w| !archive_words.contains(w)) {
        hasher.update(format!("link {word}\n"));
    }
    hasher.update(format!("linker {linker_version}\n"));
    let compiler_words = compiler.command.len();
    Ok(KeyMaterial {
        key: hex(&hasher.finalize()),
        inputs,
        exports,
        link_command,
        compiler_words,
        linker_version,
        spy_zig_version: None,
    })
}

/// The key SPy's interpreter computes for the same bundle: sha256 over each archive's bytes in
/// link order, then zig's version string (`zig version`, which SPy asks `python -m ziglang`).
fn spy_key_material(
    request: &BundleRequest,
    compiler: Vec<String>,
    link_command: Vec<String>,
    linker_version: String,
) -> Result<KeyMaterial> {
    if let Some(first) = request.exports.first() {
        return Err(Error::usage(format!(
            "--export {first}: SPy's bundle key covers no export list, so a SPy-compatible bundle takes none"
        ))
        .help("mark the exports in the C code (__attribute__((export_name(\"...\")))), as SPy's modules do"));
    }
    let zig = match compiler.as_slice() {
        [program, cc, ..]
            if cc == "cc" && Path::new(program).file_name().is_some_and(|n| n.to_string_lossy().starts_with("zig")) =>
        {
            program.clone()
        }
        _ => {
            return Err(Error::usage(format!(
                "SPy's bundle key is made with zig's version, but the compiler here is `{}`",
                crate::shell::join(&compiler)
            ))
            .help("use zig for the target (pip install ziglang, as SPy does), or leave out --spy-compatible"));
        }
    };
    let version = Command::new(&zig)
        .arg("version")
        .stdin(Stdio::null())
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .ok_or_else(|| {
            Error::env(format!("`{zig} version` failed")).help("check the zig install with `spygen toolchains`")
        })?;
    let mut hasher = Sha256::new();
    let mut inputs = Vec::new();
    for archive in &request.archives {
        let mut own = Sha256::new();
        let size = stream_file(archive, &mut |block| {
            hasher.update(block);
            own.update(block);
        })
        .map_err(|e| e.help("build the archive first (ninja or make)"))?;
        inputs.push(InputRecord { path: archive.display().to_string(), size, sha256: hex(&own.finalize()) });
    }
    hasher.update(version.as_bytes());
    Ok(KeyMaterial {
        key: hex(&hasher.finalize()),
        inputs,
        exports: Vec::new(),
        link_command,
        compiler_words: compiler.len(),
        linker_version,
        spy_zig_version: Some(version),
    })
}

/// Makes (or finds) the bundle and copies it to `request.output`. The cache's lock is held
/// shared throughout, so pruning cannot remove the entry meanwhile.
pub fn bundle(toolchain: &Toolchain, request: &BundleRequest) -> Result<BundleOutcome> {
    let material = key_material(toolchain, request)?;
    if let Some(output) = &request.output {
        // Before any link: a destination that cannot be written is an error now.
        output_target(output)?;
    }
    let _lock = CacheLock::acquire(&request.cache_dir, false)?;
    let entry = CacheEntry::new(&request.cache_dir, &material.key);
    let mut repaired = None;
    let mut hit = false;
    if !request.force_rebuild {
        match entry.verify() {
            Ok(true) => hit = true,
            Ok(false) => {}
            Err(why) => {
                repaired = Some(format!("cache entry {} is corrupt ({why}); rebuilding it", &material.key[..16]))
            }
        }
    }
    if !hit {
        let toolchain_id = format!("{} ({})", toolchain.name, material.linker_version);
        entry.build_and_publish(&material, &toolchain_id, |out| link(&material, out))?;
    } else {
        entry.touch();
    }
    if let Some(output) = &request.output {
        place_output(&entry.bundle_path(), output)?;
    }
    Ok(BundleOutcome { key: material.key.clone(), bundle: entry.bundle_path(), hit, repaired })
}

/// Where `-o OUTPUT` writes: the path itself when it is missing or a regular file, the file a
/// symbolic link points to when it is a regular file; anything else (a directory, a FIFO, a
/// device such as /dev/null or /dev/stdout, a socket, a dangling link) is an error naming it.
fn output_target(output: &Path) -> Result<PathBuf> {
    let refuse = |what: &str| {
        Error::usage(format!("-o {}: {what}; a bundle output must be a regular file", output.display()))
            .help("name a new or regular file (a symbolic link to one is written through)")
    };
    match std::fs::symlink_metadata(output) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(output.to_path_buf()),
        Err(e) => Err(Error::io("read", output, e)),
        Ok(m) if m.is_file() => Ok(output.to_path_buf()),
        Ok(m) if m.file_type().is_symlink() => match std::fs::metadata(output) {
            Ok(target) if target.is_file() => {
                std::fs::canonicalize(output).map_err(|e| Error::io("resolve the symbolic link", output, e))
            }
            Ok(target) => Err(refuse(&format!("a symbolic link to {}", crate::fsutil::kind_of(&target)))),
            Err(_) => Err(refuse("a dangling symbolic link")),
        },
        Ok(m) => Err(refuse(&format!("is {}", crate::fsutil::kind_of(&m)))),
    }
}

/// Puts a copy of the cached `bundle` at `output` (see [`output_target`]): its own bytes, so
/// editing one output never changes another or the cache (`std::fs::copy` reflinks where the
/// file system can), written beside the destination and renamed over it, and only when the
/// content differs: an unchanged output keeps its mtime, so ninja's `restat` skips what
/// depends on it.
fn place_output(bundle: &Path, output: &Path) -> Result<()> {
    let target = output_target(output)?;
    if same_bytes(bundle, &target) {
        return Ok(());
    }
    let dir = match target.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&dir).map_err(|e| Error::io("create directory", &dir, e))?;
    let name = target.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let tmp = tempfile::Builder::new()
        .prefix(&format!(".{name}."))
        .suffix(crate::fsutil::TEMP_SUFFIX)
        .permissions(crate::fsutil::generated_file_mode())
        .tempfile_in(&dir)
        .map_err(|e| Error::io("create a temporary file in", &dir, e))?;
    std::fs::copy(bundle, tmp.path()).map_err(|e| Error::io("copy the bundle to", tmp.path(), e))?;
    tmp.persist(&target).map_err(|e| Error::io("replace", &target, e.error))?;
    Ok(())
}

/// Whether the files `a` and `b` hold the same bytes (false when either cannot be read).
fn same_bytes(a: &Path, b: &Path) -> bool {
    let (Ok(ma), Ok(mb)) = (std::fs::metadata(a), std::fs::metadata(b)) else { return false };
    if ma.len() != mb.len() {
        return false;
    }
    let (Ok(mut fa), Ok(mut fb)) = (std::fs::File::open(a), std::fs::File::open(b)) else { return false };
    let (mut ba, mut bb) = (vec![0u8; 1 << 20], vec![0u8; 1 << 20]);
    loop {
        let n = match fa.read(&mut ba) {
            Ok(0) => return fb.read(&mut bb).is_ok_and(|m| m == 0),
            Ok(n) => n,
            Err(_) => return false,
        };
        if fb.read_exact(&mut bb[..n]).is_err() || ba[..n] != bb[..n] {
            return false;
        }
    }
}

/// Past this many bytes of arguments, the bundle's link passes them through a response file
/// (`cc @file`): thousands of archives would pass exec's limits.
const LINK_RESPONSE_FILE_THRESHOLD: usize = 32 * 1024;

/// Runs the link command of `material` with `{out}` replaced; its arguments (all but the
/// compiler's words, as the graph's response-file form of the link has it) go through a
/// response file beside `out` when they are long.
fn link(material: &KeyMaterial, out: &Path) -> Result<()> {
    let words: Vec<String> =
        material.link_command.iter().map(|w| w.replace("{out}", &out.display().to_string())).collect();
    let (compiler, args) = words.split_at(material.compiler_words.min(words.len()));
    let rsp = out.with_file_name("link.rsp");
    let long = args.iter().map(|w| w.len() + 1).sum::<usize>() > LINK_RESPONSE_FILE_THRESHOLD;
    let run: Vec<String> = if long {
        std::fs::write(&rsp, crate::shell::response_file(args)).map_err(|e| Error::io("write", &rsp, e))?;
        let template = ActionKind::LinkWholeArchive.response_file_command().map(|r| r.command.main_step());
        command::expand(template.unwrap_or_default(), &mut |var, out| match var {
            Var::Tool => out.extend(compiler.iter().cloned()),
            Var::AtRspfile => out.push(format!("@{}", rsp.display())),
            _ => {}
        })
    } else {
        words.clone()
    };
    let (program, run_args) = run
        .split_first()
        .ok_or_else(|| Error::env("empty link command").help("give the target's descriptor a compiler `command`"))?;
    let mut command = Command::new(program);
    command.args(run_args);
    let result = command.stdin(Stdio::null()).output();
    if long {
        let _ = std::fs::remove_file(&rsp);
    }
    let result = result.map_err(|e| {
        Error::env(format!("cannot run {program}: {e}")).help("check the compiler with `spygen toolchains`")
    })?;
    if !result.status.success() {
        return Err(Error::env(format!(
            "the bundle link failed ({}):\n{}\n{}",
            result.status,
            crate::shell::join(&words),
            String::from_utf8_lossy(&result.stderr).trim_end()
        ))
        .help(
            "the linker's messages are above; an undefined symbol usually means an archive or an export is missing",
        ));
    }
    Ok(())
}
