//! `spygen bundle`: link archives into a wasi reactor through the content-addressed cache;
//! `--list` and `--gc` inspect and prune the cache.

use std::path::{Path, PathBuf};

use clap::Args;

use super::print_out;
use crate::bundle::{self, BundleRequest, CACHE_DIR};
use crate::error::{Error, Result};
use crate::manifest::{LoadOptions, Project};
use crate::paths;
use crate::toolchain::Db;

/// Options of `spygen bundle`.
#[derive(Debug, Args)]
#[command(after_help = "EXAMPLES:
  cd examples/out-of-tree/demo && spygen build wasi-debug
  spygen bundle build/wasi/debug/runtime.a build/wasi/debug/spyvm_tinyenc.a \\
      build/wasi/debug/foreign/tinyenc/libtinyenc.a --export 'spy_tinyenc$crc32' -o tinyenc.wasm
  spygen bundle --list                  # the cache's entries, most recently used first
  spygen bundle --gc --keep 8           # prune the least recently used
  spygen bundle --spy-compatible --build-type release --cache-dir ~/spy/build/wasm-bundles A.a B.a")]
pub struct BundleArgs {
    /// Archives in link order: the runtime first, then the modules.
    #[arg(value_name = "ARCHIVE")]
    archives: Vec<PathBuf>,
    /// The target (it must have reactor modules: wasi).
    #[arg(long, value_name = "T", default_value = "wasi")]
    target: String,
    /// The build type whose link flags apply.
    #[arg(long, value_name = "B", default_value = "debug")]
    build_type: String,
    /// A symbol to export (repeatable).
    #[arg(long = "export", value_name = "NAME")]
    exports: Vec<String>,
    /// Where to put the bundle: a copy of the cached one (its own bytes), written beside OUT and
    /// renamed over it, only when its content differs. OUT must be a new or regular file, or a
    /// symbolic link to one (the file it points to is written); a directory, FIFO or device is
    /// refused.
    #[arg(short, long, value_name = "OUT")]
    output: Option<PathBuf>,
    /// Link even when the cache has the bundle (the fresh link replaces the entry).
    #[arg(long)]
    force_rebuild: bool,
    /// The cache (default: `<build dir>/wasm-bundles` of the project found upwards, else
    /// `./build/wasm-bundles`).
    #[arg(long, value_name = "DIR")]
    cache_dir: Option<PathBuf>,
    /// Key and describe the entry as SPy's interpreter does (sha256 of the archives' bytes
    /// and zig's version; SPy's manifest keys), so SPy finds the bundle in its own cache
    /// (`--cache-dir <SPy checkout>/build/wasm-bundles`) and links nothing. Takes no --export:
    /// SPy's modules mark their exports in the C code.
    #[arg(long)]
    spy_compatible: bool,
    /// List the cache entries, most recently used first.
    #[arg(long, conflicts_with_all = ["archives", "gc"])]
    list: bool,
    /// Remove all but the `--keep` most recently used entries (and corrupt ones).
    #[arg(long, conflicts_with = "archives")]
    gc: bool,
    /// How many entries `--gc` keeps.
    #[arg(long, value_name = "N", default_value_t = 8, requires = "gc")]
    keep: usize,
    /// Read more arguments from FILE (response-file syntax: words separated by spaces, quoted
    /// with `"` where needed), as if written here; build files use it for long archive lists.
    #[arg(long, value_name = "FILE")]
    args_from: Option<PathBuf>,
}

/// The command line with every `--args-from FILE` (or `--args-from=FILE`) of a `bundle`
/// command replaced by the words in FILE.
pub fn expand_args_from(args: Vec<std::ffi::OsString>) -> Result<Vec<std::ffi::OsString>> {
    // The subcommand: the first word after the program that is neither an option nor the
    // value of the one global option taking a value.
    let mut words = args.iter().skip(1);
    let mut subcommand = None;
    while let Some(w) = words.next() {
        match w.to_str() {
            Some("--toolchain-dir") => {
                words.next();
            }
            Some(o) if o.starts_with('-') => {}
            _ => {
                subcommand = Some(w);
                break;
            }
        }
    }
    if subcommand.is_none_or(|s| s != "bundle" && s != "spymod") {
        return Ok(args);
    }
    let mut out = Vec::with_capacity(args.len());
    let mut iter = args.into_iter();
    while let Some(arg) = iter.next() {
        let file = match arg.to_str() {
            Some("--args-from") => match iter.next() {
                Some(f) => PathBuf::from(f),
                None => {
                    return Err(Error::usage("--args-from needs a FILE")
                        .help("name a file holding the arguments, one per line or as shell words"));
                }
            },
            Some(a) if a.starts_with("--args-from=") => PathBuf::from(&a["--args-from=".len()..]),
            _ => {
                out.push(arg);
                continue;
            }
        };
        let text = std::fs::read_to_string(&file).map_err(|e| Error::io("read", &file, e))?;
        let words = crate::shell::split_response_file(&text).ok_or_else(|| {
            Error::usage(format!("--args-from {}: a quote is not closed", file.display()))
                .help("write words separated by spaces, in double quotes where needed")
        })?;
        out.extend(words.into_iter().map(std::ffi::OsString::from));
    }
    Ok(out)
}

fn default_cache_dir() -> Result<PathBuf> {
    let cwd = paths::current_dir();
    match Project::find(&cwd) {
        Some(manifest) => Ok(Project::load(&manifest, &LoadOptions::default())?.build_dir.join(CACHE_DIR)),
        None => Ok(cwd.join("build").join(CACHE_DIR)),
    }
}

pub fn run(args: &BundleArgs, db: &Db) -> Result<()> {
    let cache_dir = match &args.cache_dir {
        Some(d) => paths::absolute(d, &paths::current_dir()),
        None => default_cache_dir()?,
    };
    if args.list {
        return print_out(&list_text(&cache_dir)?);
    }
    if args.gc {
        let outcome = bundle::gc(&cache_dir, args.keep)?;
        let mut text = format!(
            "spygen: removed {} bundle(s) from {}, kept at most {}\n",
            outcome.removed.len(),
            cache_dir.display(),
            args.keep
        );
        text += &foreign_lines(&outcome.foreign);
        return print_out(&text);
    }
    if args.archives.is_empty() {
        return Err(Error::usage("no archives to bundle")
            .help("spygen bundle --target wasi runtime.a module.a... --export NAME... -o out.wasm"));
    }
    let toolchain = db.get(&args.target)?;
    let request = BundleRequest {
        archives: args.archives.clone(),
        exports: args.exports.clone(),
        build_type: args.build_type.clone(),
        cache_dir: cache_dir.clone(),
        output: args.output.clone(),
        force_rebuild: args.force_rebuild,
        scheme: if args.spy_compatible { bundle::KeyScheme::Spy } else { bundle::KeyScheme::Spygen },
        // The nearest project's `[spygen.require]`: the zig that links is the one it pins.
        requirements: Project::nearby(None)?.map(|p| p.requirement_map()).unwrap_or_default(),
    };
    let outcome = bundle::bundle(toolchain, &request)?;
    if let Some(note) = &outcome.repaired {
        eprintln!("spygen: warning: {note}");
    }
    let how = if outcome.hit { "from the cache" } else { "linked" };
    let dest = args.output.as_deref().unwrap_or(&outcome.bundle);
    print_out(&format!("spygen: bundle {} {how}: {}\n", &outcome.key[..16], show(dest)))
}

fn show(path: &Path) -> String {
    path.display().to_string()
}

/// One line per name in the cache directory that is not the cache's.
fn foreign_lines(foreign: &[String]) -> String {
    foreign.iter().map(|name| format!("left alone: {name} (not a cache entry)\n")).collect()
}

fn list_text(cache_dir: &Path) -> Result<String> {
    let listing = bundle::list(cache_dir)?;
    let mut out = format!("{} bundle(s) in {}\n", listing.entries.len(), cache_dir.display());
    for e in listing.entries {
        let (size, inputs, exports) = match &e.manifest {
            Some(m) => (m.bundle_size, m.inputs.len(), m.exports.len()),
            None => (0, 0, 0),
        };
        let age = e.last_used.elapsed().map(|d| d.as_secs()).unwrap_or(0);
        let state = if e.intact { "ok" } else { "CORRUPT" };
        out += &format!(
            "{}  {state:<7}  {size:>9} bytes  {inputs} archive(s)  {exports} export(s)  used {age} s ago\n",
            e.key
        );
    }
    out += &foreign_lines(&listing.foreign);
    Ok(out)
}
