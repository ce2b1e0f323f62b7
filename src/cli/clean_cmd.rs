//! `spygen clean`: remove what the build made (every action's outputs, and what foreign make
//! modules build, through their own `clean` goal), keeping the generated build files; `--all`
//! also removes those and the bundle cache. Only files the graph names as outputs and spygen's
//! own files are removed: nothing else in the build directory or the project is touched.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use clap::Args;

use super::gen_cmd::GenArgs;
use super::print_out;
use crate::error::Result;
use crate::graph::ActionKind;
use crate::toolchain::Db;

/// Options of `spygen clean`: those of `spygen gen` (the outputs are the graph's that
/// generation plans), and `--all`.
#[derive(Debug, Args)]
#[command(after_help = "EXAMPLES:
  spygen clean                          # the nearest project's outputs; build files kept
  spygen clean examples/out-of-tree/demo --all   # outputs, build files and bundle cache
  make -C examples/out-of-tree/demo/build clean  # the same, from a generated Makefile")]
pub struct CleanArgs {
    #[command(flatten)]
    generation: GenArgs,
    /// Also remove the generated files (build.ninja, Makefile, spygen.mk,
    /// compile_commands.json, spygen's and ninja's records) and the bundle cache.
    #[arg(long)]
    all: bool,
}

impl CleanArgs {
    /// Whether settings are read from the environment (not under `--no-env`).
    pub(super) fn reads_env(&self) -> bool {
        self.generation.project.reads_env()
    }
}

/// Removes `path` when it is a file (or a link); whether it did.
fn remove_file(path: &Path) -> bool {
    std::fs::symlink_metadata(path).is_ok_and(|m| !m.is_dir()) && std::fs::remove_file(path).is_ok()
}

/// Removes the empty directories under `dir` (deepest first), and `dir` itself when empty.
fn remove_empty_dirs(dir: &Path) {
    let mut stack = vec![(dir.to_path_buf(), false)];
    while let Some((d, visited)) = stack.pop() {
        if visited {
            let _ = std::fs::remove_dir(&d);
            continue;
        }
        stack.push((d.clone(), true));
        if let Ok(entries) = std::fs::read_dir(&d) {
            for e in entries.filter_map(|e| e.ok()) {
                if e.file_type().is_ok_and(|t| t.is_dir()) {
                    stack.push((e.path(), false));
                }
            }
        }
    }
}

pub fn run(args: &CleanArgs, db: &Db, toolchain_dir: Option<&Path>) -> Result<()> {
    let options = args.generation.options(db, toolchain_dir)?;
    let project = crate::plan::load_project(&options)?;
    let plan = crate::plan::plan(db, &options, &project)?;
    let graph = &plan.graph;
    let build_dir = &plan.build_dir;
    let mut removed = 0usize;
    let mut notes = Vec::new();
    // Each foreign make action's module and arguments (`-C <dir> ... SPYGEN_OUT=<dir>`, run
    // from the build dir), once: every configuration's, whose outputs are its own when the
    // module builds into `{out}`. Not those of configurations whose toolchain is missing, for
    // which spygen.mk stops make (nothing was built there).
    let mut foreign: Vec<(String, Vec<String>)> = Vec::new();
    for (_, action) in graph.actions() {
        if matches!(action.kind, ActionKind::Phony | ActionKind::Regenerate) {
            continue;
        }
        for &f in action.outputs.iter().chain(&action.implicit_outputs) {
            let path = build_dir.join(graph.path(f));
            // The depfile and response file an output's command may leave beside it.
            for p in [
                path.clone(),
                PathBuf::from(format!("{}.d", path.display())),
                PathBuf::from(format!("{}.rsp", path.display())),
            ] {
                removed += usize::from(remove_file(&p));
            }
        }
        if let Some(report) = crate::plan::tests::report_of(action) {
            // The report the test wrote beside its stamp.
            removed += usize::from(remove_file(&build_dir.join(report)));
        }
        let available = action.config.is_some_and(|c| graph.config(c).available);
        if action.kind == ActionKind::ForeignMake && available && !foreign.iter().any(|(_, a)| a[..] == action.args[..])
        {
            foreign.push((action.owner.as_deref().unwrap_or_default().to_string(), action.args.to_vec()));
        }
    }
    // What a vendored library's Makefile builds besides its archive (objects, depfiles): its
    // own `clean` goal removes it, when it has one.
    let mut noted: Vec<&str> = Vec::new();
    for (library, make_args) in &foreign {
        let run_make = |dry: bool| {
            let mut cmd = Command::new("make");
            cmd.args(make_args).arg("clean").current_dir(build_dir).stdin(Stdio::null());
            if dry {
                cmd.arg("-n").stdout(Stdio::null()).stderr(Stdio::null());
            }
            cmd.status().is_ok_and(|s| s.success())
        };
        let note = if !run_make(true) {
            format!("{library}: its Makefile has no `clean` goal; only its archive was removed")
        } else if !run_make(false) {
            format!("{library}: `make clean` failed; only its archive was removed")
        } else {
            continue;
        };
        if !noted.contains(&library.as_str()) {
            noted.push(library);
            notes.push(note);
        }
    }
    if args.all {
        let cache = build_dir.join(crate::bundle::CACHE_DIR);
        if cache.is_dir() {
            removed += crate::bundle::clear(&cache)?;
        }
        // Generated files, each only when it is spygen's (another tool's is left alone).
        for name in crate::options::Format::All.generated_files(true) {
            if crate::ownership::check_replaceable(build_dir, &[name]).is_ok() {
                removed += usize::from(remove_file(&build_dir.join(name)));
            }
        }
        // spygen's own directory: response files and make's command stamps.
        let _ = std::fs::remove_dir_all(build_dir.join(crate::lower::SPYGEN_DIR));
        // spygen's records, and ninja's of builds in this directory (their outputs are gone).
        for name in [
            crate::lower::goals::GOALS_FILE,
            crate::lower::test_list::TESTS_FILE,
            crate::options::OPTIONS_FILE,
            crate::fingerprint::FILE,
            crate::generate::LOCK_FILE,
            ".ninja_log",
            ".ninja_deps",
        ] {
            remove_file(&build_dir.join(name));
        }
    }
    remove_empty_dirs(build_dir);
    let kept = if args.all { "" } else { " (build files kept; --all removes them too)" };
    let mut text = format!("spygen: removed {removed} file(s) from {}{kept}\n", build_dir.display());
    for note in notes {
        text += &format!("spygen: note: {note}\n");
    }
    print_out(&text)
}
