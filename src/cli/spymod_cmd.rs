//! `spygen spymod` (hidden): what the build files' module-manifest actions run. It writes one
//! module's resolved manifest from its own part (the arguments) and its dependencies'
//! manifests, hashing its files (see [`crate::module_manifest`]).

use std::path::PathBuf;

use clap::Args;

use crate::error::{Error, Result};
use crate::module_manifest::{ModuleManifest, OwnPart, Provenance, SystemLib, ToolchainId};

/// Options of `spygen spymod`: the module's own part of its manifest.
#[derive(Debug, Args)]
pub struct SpymodArgs {
    /// A packed module's manifest (unpacked into the build directory): copied as it is, the
    /// manifest of a module that is not built here.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["module", "manifest", "archive", "deps"])]
    packed: Option<PathBuf>,
    /// The module's name.
    #[arg(long, required_unless_present = "packed")]
    module: Option<String>,
    /// The target.
    #[arg(long, required_unless_present = "packed")]
    target: Option<String>,
    /// The build type.
    #[arg(long, required_unless_present = "packed")]
    build_type: Option<String>,
    /// The module's spygen.toml (relative to the current directory, the build directory).
    #[arg(long, value_name = "FILE", required_unless_present = "packed")]
    manifest: Option<PathBuf>,
    /// Its sha256, as the generation read it.
    #[arg(long, value_name = "HEX", default_value = "")]
    manifest_sha256: String,
    /// The project's spy.toml it is built in (relative to the build directory).
    #[arg(long, value_name = "FILE")]
    project_manifest: Option<PathBuf>,
    /// Its sha256, as the generation read it.
    #[arg(long, value_name = "HEX")]
    project_manifest_sha256: Option<String>,
    /// The module's archive (relative to the current directory, the build directory).
    #[arg(long, value_name = "FILE", required_unless_present = "packed")]
    archive: Option<PathBuf>,
    /// The compiler's command, after `--`.
    #[arg(last = true, value_name = "COMPILER")]
    compiler: Vec<String>,
    /// The package the compiler comes from.
    #[arg(long)]
    package: Option<String>,
    /// That package's version.
    #[arg(long)]
    package_version: Option<String>,
    /// A compile flag of the configuration (repeatable).
    #[arg(long = "cflag", allow_hyphen_values = true)]
    cflags: Vec<String>,
    /// A link flag of the configuration (repeatable).
    #[arg(long = "ldflag", allow_hyphen_values = true)]
    ldflags: Vec<String>,
    /// A link flag of the module itself (repeatable).
    #[arg(long = "module-ldflag", allow_hyphen_values = true)]
    module_ldflags: Vec<String>,
    /// A public include directory (relative to the build directory; repeatable).
    #[arg(long = "include-dir")]
    include_dirs: Vec<PathBuf>,
    /// A public header (relative to the build directory; repeatable).
    #[arg(long = "public-header")]
    public_headers: Vec<PathBuf>,
    /// A wasm export (repeatable).
    #[arg(long = "export")]
    exports: Vec<String>,
    /// A system library as resolved, in JSON (repeatable).
    #[arg(long = "system-lib")]
    system_libs: Vec<String>,
    /// A direct dependency's manifest (repeatable, nearest first).
    #[arg(long = "dep")]
    deps: Vec<PathBuf>,
    /// Read more arguments from FILE (response-file syntax), as if written here.
    #[arg(long, value_name = "FILE")]
    args_from: Option<PathBuf>,
    /// Where the manifest goes.
    #[arg(short = 'o', value_name = "FILE")]
    output: PathBuf,
}

pub fn run(args: &SpymodArgs) -> Result<()> {
    if let Some(packed) = &args.packed {
        let manifest = crate::module_manifest::read(packed)?;
        return crate::module_manifest::write(&manifest, &args.output);
    }
    let missing = || Error::usage("name the module's --module, --target, --build-type, --manifest and --archive");
    let (Some(module), Some(target), Some(build_type), Some(manifest), Some(archive)) =
        (&args.module, &args.target, &args.build_type, &args.manifest, &args.archive)
    else {
        return Err(missing());
    };
    let cwd = crate::paths::current_dir();
    // Absolute in the manifest: a consumer reads it from anywhere.
    let abs = |p: &PathBuf| crate::paths::to_slash(&crate::paths::absolute(p, &cwd));
    let system_libs = args
        .system_libs
        .iter()
        .map(|s| {
            serde_json::from_str::<SystemLib>(s).map_err(|e| {
                Error::usage(format!("--system-lib {s}: not a system library in JSON: {e}"))
                    .help("the build files write it; regenerate them with `spygen gen`")
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let own = OwnPart {
        manifest: ModuleManifest {
            module: module.clone(),
            target: target.clone(),
            build_type: build_type.clone(),
            toolchain: ToolchainId {
                compiler: args.compiler.clone(),
                package: args.package.clone(),
                version: args.package_version.clone(),
            },
            include_dirs: args.include_dirs.iter().map(abs).collect(),
            public_headers: args.public_headers.iter().map(abs).collect(),
            exports: args.exports.clone(),
            system_libs,
            module_ldflags: args.module_ldflags.clone(),
            config_cflags: args.cflags.clone(),
            config_ldflags: args.ldflags.clone(),
            provenance: Provenance {
                manifest: abs(manifest),
                manifest_sha256: args.manifest_sha256.clone(),
                project: args.project_manifest.as_ref().map(abs),
                project_sha256: args.project_manifest_sha256.clone(),
                ..Provenance::default()
            },
            ..ModuleManifest::default()
        },
        archive: crate::paths::absolute(archive, &cwd),
        deps: args.deps.clone(),
    };
    let manifest = crate::module_manifest::compose(&own)?;
    crate::module_manifest::write(&manifest, &args.output)
}
