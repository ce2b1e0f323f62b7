//! One generation, start to finish: the build directory's lock, the no-op check, planning,
//! lowering, writing the build files (all or none, atomically) and the record of the inputs.
//!
//! Timestamps are what ninja and make judge by, so they are set with care: a build file that is
//! written gets the time the generation started, before it read any input, so an input edited
//! while spygen ran is newer than the build files and regenerates them again; and no build file
//! is left older than an input dated in the future, which would make ninja regenerate forever.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use crate::error::{Error, Result};
use crate::fingerprint;
use crate::foreign_dry_run;
use crate::fsutil::{self, Content, FileToWrite, Stamp, WriteOutcome, stamp};
use crate::lower;
use crate::options::{COMPDB_FILE, FRAGMENT_FILE, Format, GenOptions, MAKEFILE, NINJA_FILE};
use crate::plan;
use crate::toolchain::Db;

/// What a generation did.
#[derive(Debug, Clone)]
pub struct Generated {
    /// The build directory (absolute).
    pub build_dir: PathBuf,
    /// `None` when no input changed since the last generation: nothing was planned or written.
    pub files: Option<GeneratedFiles>,
    /// Warnings to show (missing toolchains, pkg-config fallbacks, symbolic link loops...).
    pub warnings: Vec<String>,
    /// Notes to show: what works but could be better (a foreign make module building into its
    /// library's tree).
    pub notes: Vec<String>,
}

/// The build files of a generation that ran.
#[derive(Debug, Clone)]
pub struct GeneratedFiles {
    /// Every file generated, the build file to run first (build.ninja or Makefile).
    pub names: Vec<&'static str>,
    /// Those whose content changed, so they were written.
    pub written: Vec<&'static str>,
    /// How many actions the graph has.
    pub actions: usize,
    /// The configurations built by default (their toolchains are installed).
    pub default_configs: Vec<String>,
}

/// Generates the build files `options` ask for, unless no input changed since the last
/// generation into the same build directory (`options.force`: generate anyway). One
/// generation runs at a time per build directory: a second one waits for the first.
pub fn generate(db: &Db, options: &GenOptions) -> Result<Generated> {
    generate_reporting(db, options, &|_| {})
}

/// [`generate`], calling `waiting` with the build directory when another generation holds it
/// (before waiting for it).
pub fn generate_reporting(db: &Db, options: &GenOptions, waiting: &dyn Fn(&Path)) -> Result<Generated> {
    // Before any input is read. File systems stamp files with a coarse clock (a tick of up to
    // 10 ms behind the precise one): the margin keeps a later edit's stamp later than this.
    let start = SystemTime::now() - Duration::from_millis(20);
    let mut timer = Timer::new();
    timer.lap("start-up");
    let project = plan::load_project(options)?;
    let build_dir = plan::build_dir(options, &project);
    // Another tool's build files in the way: stop before anything is written, the lock file
    // included. With --no-compdb an old compile_commands.json is deleted: it is checked too.
    crate::ownership::check_replaceable(&build_dir, &options.format.generated_files(true))?;
    let lock = BuildLock::acquire(&build_dir, waiting)?;
    fsutil::remove_stale_temporaries(&build_dir, &[NINJA_FILE, MAKEFILE, FRAGMENT_FILE, COMPDB_FILE]);
    let header =
        fingerprint::header(&options.regen_args(&project.root, &build_dir), &options.spygen_exe, &db.probe_env());
    if !options.force && fingerprint::up_to_date(&build_dir, &header) {
        lock.keep();
        // Nothing is planned, but the manifest's own warnings still stand.
        return Ok(Generated { build_dir, files: None, warnings: project.warnings.clone(), notes: Vec::new() });
    }
    timer.lap("load project, check inputs");
    // Stamped before planning looks at them: spygen itself and the PATH directories (a missing
    // one is recorded as missing: creating it later, with a compiler in it, is a change).
    let mut inputs: Vec<(PathBuf, Option<Stamp>)> = std::iter::once(options.spygen_exe.clone())
        .chain(fingerprint::path_dirs())
        .chain(db.probe_files())
        .map(stamped)
        .collect();
    timer.lap("stamp tools");
    let mut plan = plan::plan(db, options, &project)?;
    timer.lap("plan");
    // spygen.mk: the dry runs of foreign make modules read it (see `foreign_dry_run`), and
    // what they find (their compiles, their objects) goes into the graph before the writers
    // read it, so with such modules it is lowered first. Without, nothing changes the graph
    // any more: it is lowered on a thread of its own while the response files are spelled.
    let dry_runs = plan.graph.actions_of(crate::graph::ActionKind::ForeignMake).next().is_some();
    let fragment = dry_runs.then(|| lower::make_fragment::lower_make_fragment(db, &plan.graph));
    let wanted = foreign_dry_run::Wanted {
        compdb: (!options.no_compdb)
            .then(|| plan.graph.settings().compdb_config.or_else(|| plan.graph.default_compdb_config()))
            .flatten(),
        outputs: options.format != Format::Make,
    };
    let dry_run_warnings = match &fragment {
        Some(fragment) => foreign_dry_run::capture(&mut plan.graph, &plan.build_dir, fragment, wanted),
        None => Vec::new(),
    };
    timer.lap("spygen.mk for the dry runs of foreign makes");
    inputs.extend(plan.regen_inputs.iter().cloned());
    // Every program the build files run by its path: an upgrade (a new zig in the ziglang
    // package) changes its stamp, and the next generation resolves the tools again.
    for (_, tool) in plan.graph.tools() {
        if let Some(program) = tool.command.first().filter(|p| p.contains('/')) {
            inputs.push(stamped(PathBuf::from(program)));
        }
    }
    let mut warnings = plan.warnings.clone();
    warnings.extend(dry_run_warnings);
    let (mtime, future) = file_time(start, &inputs);
    if let Some((path, ahead)) = &future {
        warnings.push(format!(
            "{} is dated {} s in the future: ninja and make cannot see edits to the inputs until the clock passes it (fix the clock, or `touch` the file)",
            path.display(),
            ahead.as_secs()
        ));
    }
    // Everything is computed before anything is renamed into place: an error leaves every file
    // as it was.
    let mut files: Vec<(&'static str, Vec<String>)> = Vec::new();
    // Lists of flags spelled for many objects, in response files build.ninja names; compile
    // flags too long for a command line (once build.ninja names those), in response files of
    // their own. The Makefile names only the latter, measured without the former.
    let graph = &plan.graph;
    let spell = || {
        let ninja = match options.format {
            Format::Make => (Vec::new(), Vec::new()),
            _ => lower::ninja_response_files(graph),
        };
        let make = match options.format {
            Format::Ninja => Vec::new(),
            _ => lower::compile_response_files(graph, &[]),
        };
        (ninja, make)
    };
    let lower_fragment = || lower::make_fragment::lower_make_fragment(db, graph);
    let ((ninja_rsp, referenced), make_rsp, fragment) = match fragment {
        Some(fragment) => {
            let (ninja, make) = spell();
            (ninja, make, fragment)
        }
        None => {
            let ((ninja, make), fragment) = crate::parallel::join(spell, lower_fragment);
            // Should the thread fail, spygen.mk is lowered here.
            (ninja, make, fragment.unwrap_or_else(|_| lower_fragment()))
        }
    };
    timer.lap("spell response files, lower spygen.mk");
    // Response files are named by their content: written in place, before the build files
    // that name them are renamed into place (a thousand temporaries and renames would cost
    // more than the rest of the writing). Creating them is the kernel's work: it runs on a
    // thread of its own while build.ninja is formatted. Both lowerings may name one file.
    let mut named = std::collections::HashSet::new();
    let all_rsp: Vec<&lower::ResponseFile> =
        make_rsp.iter().chain(&ninja_rsp).chain(&referenced).flatten().filter(|r| named.insert(&r.path)).collect();
    let rsp_paths: Vec<PathBuf> = all_rsp.iter().map(|r| plan.build_dir.join(&r.path)).collect();
    let rsp_files: Vec<(&Path, &[u8])> =
        rsp_paths.iter().zip(&all_rsp).map(|(p, r)| (p.as_path(), r.content.as_bytes())).collect();
    // build.ninja is written to a temporary file as it is formatted (only from its first
    // difference with the old one), never held whole in memory; renamed with the others.
    let ninja_path = plan.build_dir.join(NINJA_FILE);
    let ninja_file = match options.format {
        Format::Make => None,
        _ => Some(fsutil::StreamedFile::new(&ninja_path)?),
    };
    let write_ninja = || {
        ninja_file.map(|mut file| -> Result<_> {
            let mut failed = None;
            lower::ninja::write_ninja(&plan.graph, &ninja_rsp, &referenced, &mut |text| {
                if failed.is_none() {
                    failed = std::io::Write::write_all(&mut file, text.as_bytes()).err();
                }
            });
            match failed {
                Some(e) => Err(Error::io("write", &ninja_path, e)),
                None => file.finish(Some(mtime)),
            }
        })
    };
    let (ninja, rsp_written) = if rsp_files.is_empty() {
        (write_ninja(), None)
    } else {
        let (ninja, written) = crate::parallel::join(write_ninja, || fsutil::write_content_named(&rsp_files));
        (ninja, Some(written))
    };
    match rsp_written {
        Some(Ok(written)) => written?,
        // The writer only writes files: should it fail anyway, write them here.
        Some(Err(_)) => fsutil::write_content_named(&rsp_files)?,
        None => {}
    }
    let ninja = ninja.transpose()?;
    if ninja.is_some() {
        timer.lap("lower and write build.ninja, write response files");
    }
    let mut stamps: Vec<(String, String)> = Vec::new();
    // The goals `spygen build` lists and checks.
    stamps.push((lower::goals::GOALS_FILE.to_string(), lower::goals::goals_text(&plan.graph)));
    // The options `spygen build`, `run` and `test` keep when not given again.
    let recorded = crate::shell::join(&options.recorded_args());
    stamps.push((crate::options::OPTIONS_FILE.to_string(), format!("{recorded}\n")));
    // The tests `spygen test` runs, and the node WASI launcher their runner may name.
    stamps.push((lower::test_list::TESTS_FILE.to_string(), lower::test_list::test_list_text(&plan.graph)));
    let wasi_run = crate::toolchain::runner::WASI_RUN_FILE;
    let runners = plan.graph.tools().filter(|(_, t)| t.role == crate::graph::ToolRole::Runner);
    if runners.flat_map(|(_, t)| &t.command).any(|w| w == wasi_run) {
        stamps.push((wasi_run.to_string(), crate::toolchain::runner::WASI_RUN_SCRIPT.to_string()));
    }
    if options.format != Format::Ninja {
        let make = lower::lower_make(&plan.graph, &make_rsp);
        files.push((MAKEFILE, vec![make.makefile]));
        stamps.extend(make.stamps);
        timer.lap("lower Makefile");
    }
    files.push((FRAGMENT_FILE, vec![fragment]));
    // The database can pass a gigabyte: it is streamed to a temporary file as it is formatted
    // (only from its first difference with the old one), never held in memory.
    let compdb_path = plan.build_dir.join(COMPDB_FILE);
    let compdb = if options.no_compdb {
        None
    } else {
        let mut file = fsutil::StreamedFile::new(&compdb_path)?;
        lower::compdb::write_compdb(&plan.graph, None, &mut file).map_err(|e| Error::io("write", &compdb_path, e))?;
        Some(file.finish(Some(mtime))?)
    };
    timer.lap("lower compile_commands.json");
    // The build files in the order they are renamed and reported: build.ninja and the database
    // streamed to their temporary files, the others from memory; then the command stamps.
    let mut names: Vec<&'static str> = Vec::new();
    let mut paths: Vec<PathBuf> = Vec::new();
    let mut contents: Vec<Content> = Vec::new();
    if let Some(temp) = ninja {
        names.push(NINJA_FILE);
        paths.push(ninja_path);
        contents.push(Content::Streamed(temp));
    }
    let parts: Vec<Vec<&[u8]>> = files.iter().map(|(_, parts)| parts.iter().map(|p| p.as_bytes()).collect()).collect();
    for ((name, _), parts) in files.iter().zip(&parts) {
        names.push(name);
        paths.push(plan.build_dir.join(name));
        contents.push(Content::Parts(parts));
    }
    if let Some(temp) = compdb {
        names.push(COMPDB_FILE);
        paths.push(compdb_path);
        contents.push(Content::Streamed(temp));
    }
    let mut batch: Vec<FileToWrite> =
        paths.iter().zip(contents).map(|(path, content)| FileToWrite { path, content, mtime: Some(mtime) }).collect();
    // Command stamps keep the time they are written: they must be newer than every output built
    // with the command they replace.
    let mut stamp_paths: Vec<PathBuf> = stamps.iter().map(|(p, _)| plan.build_dir.join(p)).collect();
    let stamp_parts: Vec<[&[u8]; 1]> = stamps.iter().map(|(_, text)| [text.as_bytes()]).collect();
    batch.extend(stamp_paths.iter().zip(&stamp_parts).map(|(path, parts)| FileToWrite {
        path,
        content: Content::Parts(parts),
        mtime: None,
    }));
    let mut outcomes = fsutil::write_files_if_changed(batch)?;
    outcomes.truncate(paths.len());
    stamp_paths.extend(rsp_paths);
    remove_stale_stamps(&plan.build_dir, &stamp_paths);
    if future.is_some() {
        // An unchanged build file older than an input from the future would look out of date
        // to ninja for ever: it gets the input's time too.
        for (path, outcome) in paths.iter().zip(&outcomes) {
            if *outcome == WriteOutcome::Unchanged && stamp(path).is_some_and(|s| s.mtime_ns < nanos(mtime)) {
                let _ = std::fs::File::options().write(true).open(path).and_then(|f| f.set_modified(mtime));
            }
        }
    }
    if options.no_compdb {
        // A database from an earlier generation would now be stale: better none than wrong.
        let _ = std::fs::remove_file(plan.build_dir.join(COMPDB_FILE));
    }
    timer.lap("write");
    // The generated files, stamps included: deleting one is a change, which regenerates it.
    inputs.extend(paths.iter().chain(&stamp_paths).cloned().map(stamped));
    fingerprint::record(&plan.build_dir, &header, &inputs);
    timer.lap("record inputs");
    lock.keep();
    let written = names.iter().zip(&outcomes).filter(|(_, o)| **o == WriteOutcome::Written).map(|(n, _)| *n).collect();
    let result = Generated {
        build_dir: plan.build_dir.clone(),
        files: Some(GeneratedFiles {
            names,
            written,
            actions: plan.graph.action_count(),
            default_configs: plan.graph.configs().filter(|(_, c)| c.available).map(|(_, c)| c.name()).collect(),
        }),
        warnings,
        notes: plan.notes.clone(),
    };
    // The process ends soon: freeing a graph of 100,000 actions would only cost time.
    std::mem::forget(plan);
    std::mem::forget(files);
    Ok(result)
}

/// Removes the command stamps and response files of units and configurations that are gone
/// (`keep`: the current ones), with the directories left empty.
fn remove_stale_stamps(build_dir: &Path, keep: &[PathBuf]) {
    let keep: std::collections::HashSet<&Path> = keep.iter().map(PathBuf::as_path).collect();
    let stale = |dir: &Path| {
        let Ok(entries) = std::fs::read_dir(dir) else { return };
        for entry in entries.filter_map(|e| e.ok()) {
            if !keep.contains(entry.path().as_path()) && entry.file_type().is_ok_and(|t| t.is_file()) {
                let _ = std::fs::remove_file(entry.path());
            }
        }
    };
    stale(&build_dir.join(lower::RESPONSE_FILES_DIR));
    let root = build_dir.join(lower::make::COMMAND_STAMPS_DIR);
    let Ok(configs) = std::fs::read_dir(&root) else { return };
    for config in configs.filter_map(|e| e.ok()).filter(|e| e.file_type().is_ok_and(|t| t.is_dir())) {
        stale(&config.path());
        let _ = std::fs::remove_dir(config.path());
    }
}

/// `path` with its stamp, taken now.
fn stamped(path: PathBuf) -> (PathBuf, Option<Stamp>) {
    let s = stamp(&path);
    (path, s)
}

fn nanos(t: SystemTime) -> u128 {
    t.duration_since(SystemTime::UNIX_EPOCH).map_or(0, |d| d.as_nanos())
}

/// The modification time for the build files written: the generation's start, or the newest
/// input's when that is later (an input dated in the future, returned with how far ahead it is).
fn file_time(start: SystemTime, inputs: &[(PathBuf, Option<Stamp>)]) -> (SystemTime, Option<(PathBuf, Duration)>) {
    let newest = inputs.iter().filter_map(|(p, s)| s.map(|s| (s.mtime_ns, p))).max();
    match newest {
        Some((ns, path)) if ns > nanos(start) => {
            let t = SystemTime::UNIX_EPOCH + Duration::from_nanos(ns.min(u64::MAX as u128) as u64);
            // A second of slack: file systems round, clocks drift a little.
            let ahead = t.duration_since(start).unwrap_or_default();
            (t, (ahead > Duration::from_secs(1)).then(|| (path.clone(), ahead)))
        }
        _ => (start, None),
    }
}

/// The lock that keeps one generation at a time in a build directory (`.spygen-lock`, held
/// until dropped): two generations with different options would otherwise mix their build
/// files and leave a record that matches neither.
struct BuildLock {
    /// The open lock file; closing it releases the lock.
    _file: std::fs::File,
    /// The build directory, when this generation created it: a generation that fails removes
    /// it again (with the lock file), leaving the project as it found it.
    created: Option<PathBuf>,
}

impl BuildLock {
    /// The generation succeeded: whatever it created stays.
    fn keep(mut self) {
        self.created = None;
    }
}

impl Drop for BuildLock {
    fn drop(&mut self) {
        if let Some(dir) = &self.created {
            let _ = std::fs::remove_file(dir.join(Self::FILE));
            // Only when empty: nothing but the lock was ever in it.
            let _ = std::fs::remove_dir(dir);
        }
    }
}

/// The lock file one generation at a time holds in the build directory.
pub const LOCK_FILE: &str = ".spygen-lock";

impl BuildLock {
    /// The name of the lock file in the build directory.
    const FILE: &str = LOCK_FILE;

    fn acquire(build_dir: &Path, waiting: &dyn Fn(&Path)) -> Result<BuildLock> {
        if let Ok(meta) = std::fs::metadata(build_dir)
            && !meta.is_dir()
        {
            return Err(Error::usage(format!(
                "the build directory {} is {}, not a directory",
                build_dir.display(),
                fsutil::kind_of(&meta)
            ))
            .help("pass another --build-dir, or move the file away"));
        }
        let created = (!build_dir.exists()).then(|| build_dir.to_path_buf());
        let file = fsutil::open_lock_file(build_dir, Self::FILE)?;
        let path = build_dir.join(Self::FILE);
        match file.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                waiting(build_dir);
                file.lock().map_err(|e| Error::io("lock", &path, e))?;
            }
            Err(std::fs::TryLockError::Error(e)) => return Err(Error::io("lock", &path, e)),
        }
        Ok(BuildLock { _file: file, created })
    }
}

/// When the command started (set by the CLI first thing): the timings' first phase is the
/// start-up (argument parsing, the toolchain descriptors).
static PROCESS_START: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();

/// Notes the command's start, for [`Timer`].
pub fn note_process_start() {
    PROCESS_START.get_or_init(std::time::Instant::now);
}

/// Phase timings on stderr when `SPYGEN_TIMINGS=1` (for profiling generation).
pub(crate) struct Timer {
    /// When the current phase started; `None` when timings are off.
    start: Option<std::time::Instant>,
    /// Put before each phase's name: the enclosing phase, for the steps of one.
    prefix: &'static str,
}

impl Timer {
    /// The timer of the whole generation: its first phase starts with the process.
    fn new() -> Timer {
        let mut timer = Timer::steps("");
        if let Some(start) = &mut timer.start {
            *start = PROCESS_START.get().copied().unwrap_or(*start);
        }
        timer
    }

    /// A timer of the steps of a phase (`plan: units`, ...), starting now.
    pub(crate) fn steps(prefix: &'static str) -> Timer {
        let on = std::env::var("SPYGEN_TIMINGS").as_deref() == Ok("1");
        Timer { start: on.then(std::time::Instant::now), prefix }
    }

    pub(crate) fn lap(&mut self, phase: &str) {
        if let Some(start) = self.start {
            eprintln!("spygen: {}{phase}: {:.1} ms", self.prefix, start.elapsed().as_secs_f64() * 1000.0);
            self.start = Some(std::time::Instant::now());
        }
    }
}
