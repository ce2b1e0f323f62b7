//! `spygen build`: generate when an input changed (a few milliseconds otherwise), then run the
//! build: ninja on PATH, else the ninja of the `ninja` PyPI package, else GNU make over the
//! generated Makefile. The backend's exit status is spygen's; its output passes through.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use clap::{Args, ValueEnum};

use super::project_args::ProjectArgs;
use crate::error::{Error, Result};
use crate::generate::generate_reporting;
use crate::graph::ActionKind;
use crate::lower::goals::{GOALS_FILE, GoalKind, listing, parse_goals};
use crate::options::Format;
use crate::toolchain::Db;

/// Options of `spygen build`.
#[derive(Debug, Args)]
#[command(after_help = "EXAMPLES:
  spygen build                          # every installed configuration of the nearest project
  spygen build examples/out-of-tree/demo native-debug
  spygen build wasi encdemo -j 4        # goals: configurations, targets, modules, programs
  spygen build --list                   # the goals of this project
  spygen build --backend make -- V=1    # arguments after -- go to the backend")]
pub struct BuildArgs {
    #[command(flatten)]
    pub(super) project: ProjectArgs,
    /// What to build: configurations (wasi-release), targets (wasi), modules and programs by
    /// name, or `all` (the default: every installed configuration). `--list` shows them.
    #[arg(value_name = "GOAL")]
    goals: Vec<String>,
    /// How many jobs run at once (default: ninja's own choice; for make, one per core).
    #[arg(short = 'j', long = "jobs", value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    jobs: Option<u32>,
    /// Keep going until N jobs fail (0: as many as there are).
    #[arg(short = 'k', long = "keep-going", value_name = "N")]
    keep_going: Option<u32>,
    /// Show every command as it runs.
    #[arg(short, long)]
    verbose: bool,
    /// The tool that runs the build (default: ninja when found, else make).
    #[arg(long, value_enum, value_name = "TOOL")]
    backend: Option<BackendArg>,
    /// Print the goals (configurations, targets, modules, programs) and exit.
    #[arg(long)]
    list: bool,
    /// Arguments for the backend, after `--`.
    #[arg(last = true, value_name = "ARGS")]
    backend_args: Vec<String>,
}

/// `--backend` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(super) enum BackendArg {
    /// ninja (on PATH, else from the `ninja` PyPI package)
    Ninja,
    /// GNU make, 4.3 or newer
    Make,
}

/// The tool running the build.
#[derive(Debug)]
pub(super) enum Backend {
    /// ninja: the program.
    Ninja(PathBuf),
    /// GNU make: the program.
    Make(PathBuf),
}

impl Backend {
    /// The build file it runs.
    pub(super) fn format(&self) -> Format {
        match self {
            Backend::Ninja(_) => Format::Ninja,
            Backend::Make(_) => Format::Make,
        }
    }

    /// Its command building `goals` in `build_dir`, `jobs` at once (default: ninja's choice,
    /// one per core for make); `keep_going`: past every failure (`spygen run` and `spygen test`
    /// build through it).
    pub(super) fn command(&self, build_dir: &Path, jobs: Option<u32>, keep_going: bool, goals: &[String]) -> Command {
        match self {
            Backend::Ninja(ninja) => {
                let mut cmd = Command::new(ninja);
                cmd.arg("-C").arg(build_dir);
                if let Some(j) = jobs {
                    cmd.arg(format!("-j{j}"));
                }
                if keep_going {
                    cmd.arg("-k0");
                }
                cmd.args(goals);
                cmd
            }
            Backend::Make(make) => {
                let mut cmd = Command::new(make);
                cmd.arg("-C").arg(build_dir).arg("--no-print-directory");
                cmd.arg(format!("-j{}", jobs.map_or_else(default_make_jobs, |j| j as usize)));
                if keep_going {
                    cmd.arg("-k");
                }
                cmd.args(goals);
                cmd
            }
        }
    }
}

/// This process's stderr, for a child's stdout: a build's progress beside a program's or the
/// tests' output on stdout.
pub(super) fn to_stderr() -> Stdio {
    use std::os::fd::AsFd;
    std::io::stderr().as_fd().try_clone_to_owned().map_or_else(|_| Stdio::inherit(), Stdio::from)
}

/// make's job count when none is asked for: one per core (ninja chooses its own).
pub(super) fn default_make_jobs() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// The message for a generation waiting on another in the same build directory.
pub(super) fn say_waiting(dir: &Path) {
    eprintln!("spygen: waiting for another spygen gen in {}", dir.display());
}

/// What a command that builds (`build`, `run`, `test`) generated, and with which options.
pub(super) struct Prepared {
    /// The generation.
    pub generated: crate::generate::Generated,
    /// Its options.
    pub options: crate::options::GenOptions,
    /// The descriptors, when the kept options named another toolchain directory.
    pub db: Option<Db>,
}

impl Prepared {
    /// The project, and the graph its build files were written from planned again in this
    /// process: for the commands that choose their goals in it (`run`, `pack`).
    pub fn plan(&self, db: &Db) -> Result<(crate::manifest::Project, crate::plan::Plan)> {
        let project = crate::plan::load_project(&self.options)?;
        let plan = crate::plan::plan(self.db.as_ref().unwrap_or(db), &self.options, &project)?;
        Ok((project, plan))
    }
}

/// Generates for `backend` with `project_args`, keeping what they do not give from the last
/// generation into the build dir; prints which options were kept and the warnings.
pub(super) fn prepare(
    project_args: &ProjectArgs,
    project: Option<&Path>,
    db: &Db,
    toolchain_dir: Option<&Path>,
    backend: &Backend,
) -> Result<Prepared> {
    let kept = project_args.options_keeping_recorded(project, db, toolchain_dir)?;
    if let Some(note) = kept.note() {
        eprintln!("{note}");
    }
    let mut options = kept.options;
    options.format = backend.format();
    let generated = generate_reporting(kept.db.as_ref().unwrap_or(db), &options, &say_waiting)?;
    for w in &generated.warnings {
        eprintln!("spygen: warning: {w}");
    }
    Ok(Prepared { generated, options, db: kept.db })
}

/// How to get ninja, for the lines that say it is missing.
const NINJA_HINT: &str = "pip install ninja, or apt-get install ninja-build";

/// ninja on PATH, else the binary inside the `ninja` PyPI package.
fn find_ninja() -> Option<(PathBuf, &'static str)> {
    if let Ok(p) = which::which("ninja") {
        return Some((p, "ninja"));
    }
    let out = Command::new("python3")
        .args(["-c", "import ninja, os; print(os.path.join(ninja.BIN_DIR, 'ninja'))"])
        .stderr(Stdio::null())
        .output()
        .ok()
        .filter(|o| o.status.success())?;
    let path = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
    path.is_file().then_some((path, "ninja from the ninja PyPI package"))
}

/// GNU make and its version, when it is 4.3 or newer; otherwise why not.
fn find_make() -> std::result::Result<(PathBuf, String), String> {
    let make = which::which("make").map_err(|_| "no make on PATH".to_string())?;
    let out = Command::new(&make).arg("--version").stderr(Stdio::null()).output().map_err(|e| e.to_string())?;
    let first = String::from_utf8_lossy(&out.stdout).lines().next().unwrap_or_default().to_string();
    let version = first.strip_prefix("GNU Make ").map(str::trim).unwrap_or_default().to_string();
    let numbers: Vec<u32> = version.split('.').filter_map(|n| n.parse().ok()).collect();
    if numbers.len() >= 2 && (numbers[0], numbers[1]) >= (4, 3) {
        Ok((make, version))
    } else {
        Err(format!("{} is `{first}`, not GNU make 4.3 or newer", make.display()))
    }
}

/// The backend to use, and the line saying which one runs.
pub(super) fn choose_backend(choice: Option<BackendArg>) -> Result<(Backend, String)> {
    if choice != Some(BackendArg::Make)
        && let Some((ninja, what)) = find_ninja()
    {
        return Ok((Backend::Ninja(ninja.clone()), format!("building with {what} ({})", ninja.display())));
    }
    if choice == Some(BackendArg::Ninja) {
        return Err(Error::usage("--backend ninja: no ninja on PATH and no `ninja` PyPI package for python3")
            .help(format!("install ninja ({NINJA_HINT}), or build with --backend make")));
    }
    match find_make() {
        Ok((make, version)) => {
            let line = if choice == Some(BackendArg::Make) {
                format!("building with GNU make {version} ({})", make.display())
            } else {
                format!("building with GNU make {version}: no ninja found (for faster builds: {NINJA_HINT})")
            };
            Ok((Backend::Make(make), line))
        }
        Err(why) => Err(Error::usage(format!("nothing can run the build: no ninja, and {why}"))
            .help(format!("install ninja ({NINJA_HINT}) or GNU make 4.3 or newer (apt-get install make)"))),
    }
}

/// Splits the positional words into the project (the first, when it is a spy.toml or a
/// directory holding one) and the goals (a module's directory inside the project is not a
/// project: `spygen build m` builds module `m`).
fn project_and_goals(args: &BuildArgs) -> (Option<PathBuf>, Vec<String>) {
    let mut goals = args.goals.clone();
    match &args.project.project {
        Some(p) if is_project(p) => (Some(p.clone()), goals),
        Some(p) => {
            goals.insert(0, p.to_string_lossy().into_owned());
            (None, goals)
        }
        None => (None, goals),
    }
}

/// Whether `p` names a project: a spy.toml, or a directory holding one.
pub(super) fn is_project(p: &Path) -> bool {
    p.join(crate::manifest::PROJECT_MANIFEST).is_file()
        || (p.is_file() && p.file_name().is_some_and(|n| n == crate::manifest::PROJECT_MANIFEST))
}

/// Checks `goals` against the build directory's goals file: an alias must be one of them (a
/// path, with a `/`, is the backend's to check).
fn check_goals(goals: &[String], known: &[(GoalKind, String)]) -> Result<()> {
    for goal in goals {
        if goal.contains('/') || known.iter().any(|(_, n)| n == goal) {
            continue;
        }
        return Err(Error::usage(format!("unknown goal `{goal}`; the goals are:\n{}", listing(known).trim_end()))
            .help("name one of these, or an output file by its path in the build directory"));
    }
    Ok(())
}

pub fn run(args: &BuildArgs, db: &Db, toolchain_dir: Option<&Path>) -> Result<i32> {
    let (project, goals) = project_and_goals(args);
    let (backend, which_line) = choose_backend(args.backend)?;
    let prepared = prepare(&args.project, project.as_deref(), db, toolchain_dir, &backend)?;
    let build_dir = prepared.generated.build_dir;
    let known = std::fs::read_to_string(build_dir.join(GOALS_FILE)).map(|t| parse_goals(&t)).unwrap_or_default();
    if args.list {
        print!("{}", listing(&known));
        return Ok(0);
    }
    check_goals(&goals, &known)?;
    eprintln!("spygen: {which_line}");
    let _ = std::io::stderr().flush();
    match backend {
        Backend::Ninja(ninja) => run_ninja(&ninja, &build_dir, args, &goals),
        Backend::Make(make) => run_make(&make, &build_dir, args, &goals),
    }
}

/// The exit status of a finished child (128 + the signal when one killed it).
pub(super) fn exit_code(status: std::process::ExitStatus) -> i32 {
    use std::os::unix::process::ExitStatusExt;
    status.code().unwrap_or_else(|| 128 + status.signal().unwrap_or(0))
}

fn run_ninja(ninja: &Path, build_dir: &Path, args: &BuildArgs, goals: &[String]) -> Result<i32> {
    let mut cmd = Command::new(ninja);
    cmd.arg("-C").arg(build_dir);
    if let Some(j) = args.jobs {
        cmd.arg(format!("-j{j}"));
    }
    if let Some(k) = args.keep_going {
        cmd.arg(format!("-k{k}"));
    }
    if args.verbose {
        cmd.arg("-v");
    }
    cmd.args(goals).args(&args.backend_args);
    let status = cmd.status().map_err(|e| {
        Error::env(format!("cannot run {}: {e}", ninja.display())).help(format!("reinstall ninja ({NINJA_HINT})"))
    })?;
    Ok(exit_code(status))
}

/// Whether `line` is one of the Makefile's progress lines (`CC native/debug/obj/...`): the
/// verb of an action kind that runs a command, then a space.
fn is_progress_line(line: &str) -> bool {
    ActionKind::ALL
        .iter()
        .filter(|k| k.command().is_some())
        .any(|k| line.strip_prefix(k.verb()).is_some_and(|rest| rest.starts_with(' ')))
}

fn run_make(make: &Path, build_dir: &Path, args: &BuildArgs, goals: &[String]) -> Result<i32> {
    let jobs = args.jobs.map_or_else(default_make_jobs, |j| j as usize);
    let mut base = Command::new(make);
    base.arg("-C").arg(build_dir).arg("--no-print-directory");
    if args.keep_going.is_some_and(|k| k != 1) {
        base.arg("-k");
    }
    if args.verbose {
        base.arg("V=1");
    }
    base.args(goals).args(&args.backend_args);
    // How many steps will run, from a dry run: the denominator of the [k/N] counter.
    let dry = Command::new(make)
        .args(base.get_args())
        .arg("-n")
        .stderr(Stdio::null())
        .output()
        .map_err(|e| Error::env(format!("cannot run {}: {e}", make.display())).help("reinstall GNU make"))?;
    let total = String::from_utf8_lossy(&dry.stdout)
        .lines()
        .filter(|l| l.strip_prefix("echo ").is_some_and(is_progress_line))
        .count();
    let mut child = base
        .arg(format!("-j{jobs}"))
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| Error::env(format!("cannot run {}: {e}", make.display())).help("reinstall GNU make"))?;
    let mut done = 0;
    if let Some(out) = child.stdout.take() {
        let stdout = std::io::stdout();
        for line in BufReader::new(out).lines().map_while(std::result::Result::ok) {
            let mut stdout = stdout.lock();
            if is_progress_line(&line) {
                done += 1;
                let _ = writeln!(stdout, "[{done}/{}] {line}", total.max(done));
            } else {
                let _ = writeln!(stdout, "{line}");
            }
            let _ = stdout.flush();
        }
    }
    let status = child.wait().map_err(|e| Error::env(format!("make did not finish: {e}")).help("run it again"))?;
    Ok(exit_code(status))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_make_counter_counts_the_progress_line_of_every_kind_of_action_and_nothing_else() {
        for line in ["CC native/debug/obj/m/a.o", "TEST native/debug/.test/t.passed", "SPYMOD wasi/debug/m.spymod.json"]
        {
            assert!(is_progress_line(line), "{line}");
        }
        for line in ["make: Entering directory '/b'", "CCACHE native", "PHONY all", "  | TEST output"] {
            assert!(!is_progress_line(line), "{line}");
        }
    }
}
