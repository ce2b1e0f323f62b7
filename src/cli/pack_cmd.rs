//! `spygen pack MODULE -o FILE`: build one module in the configurations asked for (every one
//! installed here by default) and write it, with its dependencies' archives, public headers
//! and resolved manifests, into one reproducible pack another project links prebuilt (see
//! [`crate::pack`]). `spygen pack --inspect FILE` lists a pack and verifies every hash.

use std::path::{Path, PathBuf};

use clap::Args;

use super::build_cmd::{choose_backend, exit_code, prepare, to_stderr};
use super::project_args::ProjectArgs;
use crate::error::{Error, Result};
use crate::graph::ActionKind;
use crate::pack::{self, PackInput};
use crate::toolchain::Db;

/// Options of `spygen pack`.
#[derive(Debug, Args)]
#[command(after_help = "EXAMPLES (in examples/out-of-tree/demo):
  spygen pack spyvm_tinyenc -o ../dist/spyvm_tinyenc.spymod          # every installed configuration
  spygen pack spyvm_tinyenc --target native --target wasi --build-type release -o tinyenc.spymod
  spygen pack --inspect ../dist/spyvm_tinyenc.spymod                 # list it, verify every sha256
then, in another project: deps = [\"../dist/spyvm_tinyenc.spymod\"] (or in extra-vm-modules)")]
pub struct PackArgs {
    /// The module to pack (its name, as in its spygen.toml).
    #[arg(value_name = "MODULE", required_unless_present = "inspect")]
    module: Option<String>,
    /// Where the pack goes (by convention `<module>.spymod`).
    #[arg(short = 'o', value_name = "FILE", required_unless_present = "inspect")]
    output: Option<PathBuf>,
    /// The project directory or spy.toml (default: the nearest spy.toml upwards).
    #[arg(long, value_name = "DIR")]
    project: Option<PathBuf>,
    /// Pack this target's configurations (repeatable; default: every one installed here).
    #[arg(long = "target", value_name = "T")]
    targets: Vec<String>,
    /// Pack this build type's configurations (repeatable; default: every one).
    #[arg(long = "build-type", value_name = "B")]
    build_types: Vec<String>,
    /// List the pack FILE holds and verify every member's sha256; build nothing.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["module", "output", "targets", "build_types", "project"])]
    inspect: Option<PathBuf>,
}

pub fn run(args: &PackArgs, db: &Db, toolchain_dir: Option<&Path>) -> Result<i32> {
    if let Some(file) = &args.inspect {
        return inspect(file);
    }
    let (Some(module), Some(output)) = (&args.module, &args.output) else {
        return Err(Error::usage("name the module and where the pack goes: spygen pack MODULE -o FILE"));
    };
    let output = crate::paths::absolute(output, &crate::paths::current_dir());
    refuse_to_replace(&output)?;
    let (backend, _) = choose_backend(None)?;
    let prepared = prepare(&ProjectArgs::default(), args.project.as_deref(), db, toolchain_dir, &backend)?;
    let (project, plan) = prepared.plan(db)?;
    let graph = &plan.graph;
    let build_dir = prepared.generated.build_dir;
    let manifests_of = |name: &str| -> Vec<(&crate::graph::Configuration, String)> {
        graph
            .actions()
            .filter(|(_, a)| a.kind == ActionKind::ModuleManifest && a.owner.as_deref() == Some(name))
            .filter_map(|(_, a)| Some((graph.config(a.config?), graph.path(*a.outputs.first()?).to_string())))
            .collect()
    };
    let all = manifests_of(module);
    if all.is_empty() {
        let mut modules: Vec<&str> = graph
            .actions()
            .filter(|(_, a)| a.kind == ActionKind::ModuleManifest)
            .filter_map(|(_, a)| a.owner.as_deref())
            .collect();
        modules.sort_unstable();
        modules.dedup();
        return Err(Error::usage(format!("no module `{module}` is built in this project")).help(
            if modules.is_empty() {
                "the project builds no module: list one in `extra-vm-modules`".to_string()
            } else {
                format!("its modules are: {}", modules.join(", "))
            },
        ));
    }
    let wanted = |c: &crate::graph::Configuration| {
        (args.targets.is_empty() || args.targets.contains(&c.target))
            && (args.build_types.is_empty() || args.build_types.contains(&c.build_type))
    };
    for (asked, what, has) in [
        (&args.targets, "target", all.iter().map(|(c, _)| c.target.clone()).collect::<Vec<_>>()),
        (&args.build_types, "build type", all.iter().map(|(c, _)| c.build_type.clone()).collect()),
    ] {
        if let Some(missing) = asked.iter().find(|t| !has.contains(t)) {
            let mut has = has.clone();
            has.dedup();
            return Err(Error::usage(format!("module `{module}` is not built for {what} `{missing}` here"))
                .help(format!("its {what}s are: {}", has.join(", "))));
        }
    }
    let mut chosen = Vec::new();
    for (config, path) in all.into_iter().filter(|(c, _)| wanted(c)) {
        if config.available {
            chosen.push((config, path));
        } else if !args.targets.is_empty() {
            return Err(Error::env(format!("cannot pack {}: its toolchain is not installed here", config.name()))
                .help("see `spygen toolchains` for what to install"));
        } else {
            eprintln!("spygen: not packing {}: its toolchain is not installed here", config.name());
        }
    }
    if chosen.is_empty() {
        return Err(Error::usage(format!("no configuration of `{module}` to pack here"))
            .help("install a toolchain (`spygen toolchains`), or name other --target/--build-type"));
    }
    // The runtime is the consuming project's to link: its part of each manifest is left out.
    let runtime = match &project.runtime {
        Some(r) => Some(crate::manifest::load_module(&r.dir, r.from.as_ref())?.0.name),
        None => None,
    }
    .filter(|rt| rt != module);
    let runtime_all = runtime.as_deref().map(manifests_of).unwrap_or_default();
    let runtime_manifests: Vec<Option<String>> = chosen
        .iter()
        .map(|(c, _)| runtime_all.iter().find(|(rc, _)| rc.name() == c.name()).map(|(_, p)| p.clone()))
        .collect();
    let mut goals: Vec<String> = chosen.iter().map(|(_, p)| p.clone()).collect();
    goals.extend(runtime_manifests.iter().flatten().cloned());
    let status = backend.command(&build_dir, None, false, &goals).stdout(to_stderr()).status().map_err(|e| {
        Error::env(format!("cannot run the build: {e}")).help("check ninja or make with `spygen build`")
    })?;
    if !status.success() {
        return Ok(exit_code(status));
    }
    let mut inputs = Vec::new();
    for ((_, path), rt) in chosen.iter().zip(&runtime_manifests) {
        let manifest = crate::module_manifest::read(&build_dir.join(path))?;
        let runtime = match rt {
            Some(p) => Some(crate::module_manifest::read(&build_dir.join(p))?),
            None => None,
        };
        // Built against the runtime only when its archive is among the module's.
        let runtime = runtime.filter(|r| r.archives.first().is_some_and(|a| manifest.archives.contains(a)));
        inputs.push(PackInput { manifest, runtime });
    }
    let bytes = pack::build(&inputs)?;
    if let Some(parent) = output.parent() {
        std::fs::create_dir_all(parent).map_err(|e| Error::io("create directory", parent, e))?;
    }
    crate::fsutil::write_if_changed(&output, &bytes)?;
    let configs: Vec<String> = chosen.iter().map(|(c, _)| c.name()).collect();
    eprintln!("spygen: packed `{module}` ({}) into {} ({} bytes)", configs.join(", "), output.display(), bytes.len());
    Ok(0)
}

/// Refuses to write over a file that is not a pack: `-o` naming a source file by mistake must
/// not cost it.
fn refuse_to_replace(output: &Path) -> Result<()> {
    match std::fs::symlink_metadata(output) {
        Err(_) => Ok(()),
        Ok(m) if m.is_file() && pack::open(output).is_ok() => Ok(()),
        Ok(m) => Err(Error::usage(format!(
            "{} exists and is {}, not a pack spygen wrote: not replacing it",
            output.display(),
            if m.is_file() { "a file" } else { crate::fsutil::kind_of(&m) }
        ))
        .help("choose another -o, or move it away")),
    }
}

/// `spygen pack --inspect FILE`.
fn inspect(file: &Path) -> Result<i32> {
    let opened = pack::open(file)?;
    let index = &opened.index;
    let mut out = format!("{}: module `{}`, packed by {}\n", file.display(), index.module, index.generator);
    if let Some(rt) = &index.runtime {
        out.push_str(&format!("built against the runtime `{rt}`, which is not packed (the consumer links its own)\n"));
    }
    out.push_str("configurations:\n");
    for (c, m) in index.configurations.iter().zip(&opened.manifests) {
        let tc = &c.toolchain;
        let compiler = match (&tc.package, &tc.version) {
            (Some(p), Some(v)) => format!("{p} {v}"),
            (Some(p), None) => p.clone(),
            _ => tc.compiler.first().cloned().unwrap_or_default(),
        };
        let libs: Vec<&str> = m.system_libs.iter().map(|l| l.package.as_str()).collect();
        out.push_str(&format!(
            "  {:<20} {compiler}  {} archive(s), {} public header(s){}\n",
            format!("{}-{}", c.target, c.build_type),
            m.archives.len(),
            m.public_headers.len(),
            if libs.is_empty() { String::new() } else { format!(", system libraries: {}", libs.join(" ")) }
        ));
    }
    out.push_str("members:\n");
    for (name, content) in &opened.members {
        out.push_str(&format!("  {:>9}  {}  {name}\n", content.len(), &index.files[name][..16]));
    }
    out.push_str(&format!("all {} members match their sha256\n", opened.members.len()));
    super::print_out(&out)?;
    Ok(0)
}
