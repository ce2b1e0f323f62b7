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
    /// Where to put the bundle (a copy of the cached one, written only when it changed).
    #[arg(short, long, value_name = "OUT")]
    output: Option<PathBuf>,
    /// Link even when the cache has the bundle (the fresh link replaces the entry).
    #[arg(long)]
    force_rebuild: bool,
    /// The cache (default: `<build dir>/wasm-bundles` of the project found upwards, else
    /// `./build/wasm-bundles`).
    #[arg(long, value_name = "DIR")]
    cache_dir: Option<PathBuf>,
    /// List the cache entries, most recently used first.
    #[arg(long, conflicts_with_all = ["archives", "gc"])]
    list: bool,
    /// Remove all but the `--keep` most recently used entries (and corrupt ones).
    #[arg(long, conflicts_with = "archives")]
    gc: bool,
    /// How many entries `--gc` keeps.
    #[arg(long, value_name = "N", default_value_t = 8, requires = "gc")]
    keep: usize,
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
        let removed = bundle::gc(&cache_dir, args.keep)?;
        return print_out(&format!(
            "spygen: removed {} bundle(s) from {}, kept at most {}\n",
            removed.len(),
            cache_dir.display(),
            args.keep
        ));
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

fn list_text(cache_dir: &Path) -> Result<String> {
    let entries = bundle::list(cache_dir)?;
    let mut out = format!("{} bundle(s) in {}\n", entries.len(), cache_dir.display());
    for e in entries {
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
    Ok(out)
}
