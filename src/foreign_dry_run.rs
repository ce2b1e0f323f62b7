//! Foreign make modules at generation: what each vendored library's own Makefile runs, read
//! from its dry run (`make -n -B`) and put in the graph ([`crate::graph::DryRun`]) for the writers:
//! compile_commands.json gets the library's compiles, build.ninja the objects and depfiles it
//! writes in the build dir (so `ninja -t clean` removes them).
//!
//! Why a dry run rather than a goal a Makefile would add for spygen: a vendored Makefile is
//! upstream's, and spygen knows none of its rules. `make -n -B` prints every command a full
//! build runs, with spygen.mk's values already expanded, for any Makefile as it is; `-w` names
//! the directory each (sub-)make runs its commands in. A compile is a command running the
//! configuration's compiler (spygen.mk's `CC`, which is the graph's compiler tool) with `-c`.
//!
//! What it costs: one `make -n` per dry run (about 2 ms for the demo's library), all of them
//! at once on threads, and only when a generation runs (a no-op generation runs none). Dry
//! runs are made for the configuration compile_commands.json describes, and, when build.ninja
//! is written, for every configuration with an installed toolchain of the modules building
//! into `{out}` (their outputs are the build dir's; a library building into its own tree keeps
//! its files to itself). make missing or failing is a warning: the generation goes on without
//! what the dry run would have told.
//!
//! The dry runs must see this generation's spygen.mk, which is written only at the end (the
//! build files are written all or none): its text goes to a temporary file for them, which
//! they name as `SPYGEN_MK` (they are run with absolute paths, from make's `-C` directory).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::graph::{ActionId, ActionKind, BuildGraph, ConfigId, ForeignCompile, ToolRole};
use crate::paths;
use crate::plan::SPYGEN_OUT;

/// What the dry runs are wanted for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Wanted {
    /// The configuration whose compiles compile_commands.json lists, when one is written.
    pub compdb: Option<ConfigId>,
    /// Whether build.ninja is written: it names the outputs of modules building into `{out}`.
    pub outputs: bool,
}

/// One dry run to make: a foreign make action of an installed configuration.
#[derive(Debug, Clone)]
struct Job {
    /// The action.
    action: ActionId,
    /// Its module, for warnings.
    module: String,
    /// Its configuration's name, for warnings.
    config: String,
    /// make's arguments but the fragment's path: the action's, with `-n -B -w` and without
    /// `-s --no-print-directory`.
    args: Vec<String>,
    /// The directory make runs in (`-C`), absolute.
    directory: PathBuf,
    /// Its output directory (`SPYGEN_OUT`) relative to the build dir, when its outputs are
    /// wanted.
    out_dir: Option<String>,
    /// The configuration's compiler, the words that start a compile.
    compiler: Vec<String>,
    /// Whether its compiles are wanted (compile_commands.json's configuration).
    compiles: bool,
}

/// Why a dry run told nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Failure {
    /// make is not on PATH.
    NoMake,
    /// make failed; the last line it printed on stderr.
    Failed(String),
}

/// Makes the dry runs `wanted` asks for, for the foreign make actions of `graph` (planned
/// into `build_dir`), with `fragment` as spygen.mk, and records what they find in `graph`.
/// Returns the warnings: make missing, a dry run failing.
pub fn capture(graph: &mut BuildGraph, build_dir: &Path, fragment: &str, wanted: Wanted) -> Vec<String> {
    let jobs = jobs(graph, build_dir, wanted);
    if jobs.is_empty() {
        return Vec::new();
    }
    // In the system's temporary directory: the build dir may not exist yet (`spygen graph`).
    let temp = tempfile::Builder::new().prefix("spygen-dry-run.").suffix(".mk").tempfile().and_then(|mut file| {
        std::io::Write::write_all(&mut file, fragment.as_bytes())?;
        Ok(file)
    });
    let temp = match temp {
        Ok(temp) => temp,
        Err(e) => {
            return vec![format!(
                "cannot write spygen.mk for the dry runs of foreign make modules in the temporary directory: {e}; compile_commands.json leaves their compiles out"
            )];
        }
    };
    let fragment_arg = format!("SPYGEN_MK={}", temp.path().display());
    let results = run_all(&jobs, &fragment_arg);
    drop(temp);
    let mut warnings = Vec::new();
    let mut failed: Vec<&str> = Vec::new();
    for (job, result) in jobs.iter().zip(results) {
        match result {
            Ok(stdout) => {
                let (outputs, compiles) = found(job, &stdout, build_dir);
                graph.add_dry_run(job.action, &outputs, compiles);
            }
            Err(Failure::NoMake) => {
                warnings.push(
                    "make is not on PATH: foreign make modules cannot be built, and compile_commands.json leaves their compiles out (install GNU make)"
                        .to_string(),
                );
                break;
            }
            Err(Failure::Failed(why)) if !failed.contains(&job.module.as_str()) => {
                failed.push(&job.module);
                warnings.push(format!(
                    "the dry run of {}'s Makefile (`make -n`, {}) failed: {why}; compile_commands.json leaves its compiles out, and `ninja -t clean` its objects",
                    job.module, job.config
                ));
            }
            Err(Failure::Failed(_)) => {}
        }
    }
    warnings
}

/// The dry runs `wanted` asks for, in the graph's order.
fn jobs(graph: &BuildGraph, build_dir: &Path, wanted: Wanted) -> Vec<Job> {
    let mut jobs = Vec::new();
    for (id, action) in graph.actions_of(ActionKind::ForeignMake) {
        // A configuration whose toolchain is missing stops spygen.mk with an error.
        let Some(config_id) = action.config.filter(|&c| graph.config(c).available) else { continue };
        let config = graph.config(config_id);
        let Some(cc) = graph.find_tool(&config.target, ToolRole::Compiler) else { continue };
        let mut args = vec!["-n".to_string(), "-B".into(), "-w".into()];
        let (mut directory, mut out) = (None, None);
        let mut words = action.args.iter();
        while let Some(word) = words.next() {
            match word.as_str() {
                "-s" | "--no-print-directory" => {}
                "-C" => {
                    directory = words.next().map(|d| paths::absolute(Path::new(d), build_dir));
                    args.push(word.clone());
                    args.extend(directory.as_ref().map(|d| d.display().to_string()));
                }
                w if w.starts_with("SPYGEN_MK=") => {}
                w => {
                    if out.is_none() {
                        out = w.strip_prefix(SPYGEN_OUT).and_then(|v| v.strip_prefix('='));
                    }
                    args.push(word.clone());
                }
            }
        }
        let Some(directory) = directory else { continue };
        let out_dir = out
            .filter(|_| wanted.outputs)
            .map(|o| paths::relative_slash(&paths::absolute(Path::new(o), &directory), build_dir));
        let compiles = wanted.compdb == Some(config_id);
        if out_dir.is_none() && !compiles {
            continue;
        }
        jobs.push(Job {
            action: id,
            module: action.owner.as_deref().unwrap_or_default().to_string(),
            config: config.name(),
            args,
            directory,
            out_dir,
            compiler: graph.tool(cc).command.clone(),
            compiles,
        });
    }
    jobs
}

/// Runs the dry runs of `jobs`, a few at a time on threads; each one's stdout, in order.
fn run_all(jobs: &[Job], fragment_arg: &str) -> Vec<Result<String, Failure>> {
    let threads = std::thread::available_parallelism().map_or(4, |n| n.get()).min(jobs.len()).max(1);
    let per_thread = jobs.len().div_ceil(threads);
    std::thread::scope(|scope| {
        let workers: Vec<_> = jobs
            .chunks(per_thread)
            .map(|chunk| scope.spawn(move || chunk.iter().map(|j| run(j, fragment_arg)).collect::<Vec<_>>()))
            .collect();
        workers
            .into_iter()
            .zip(jobs.chunks(per_thread))
            .flat_map(|(worker, chunk)| {
                worker.join().unwrap_or_else(|_| vec![Err(Failure::Failed("the dry run panicked".into())); chunk.len()])
            })
            .collect()
    })
}

/// Runs one dry run; its stdout. It runs in make's `-C` directory (where the build's make
/// reads its Makefile and arguments from too), not in the build dir, which may not exist yet.
fn run(job: &Job, fragment_arg: &str) -> Result<String, Failure> {
    // Else spawning would fail as if make were missing.
    if !job.directory.is_dir() {
        return Err(Failure::Failed(format!("{} is not a directory", job.directory.display())));
    }
    let mut cmd = Command::new("make");
    cmd.args(&job.args)
        .arg(fragment_arg)
        .current_dir(&job.directory)
        .stdin(Stdio::null())
        // make's messages ("Entering directory '...'") as this parser reads them; and no
        // make around spygen (a regeneration run by make) lends this one its flags or jobs.
        .env("LC_ALL", "C")
        .env_remove("MAKEFLAGS")
        .env_remove("MFLAGS")
        .env_remove("MAKELEVEL");
    let output = match cmd.output() {
        Ok(output) => output,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(Failure::NoMake),
        Err(e) => return Err(Failure::Failed(e.to_string())),
    };
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let last = stderr.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or("no message");
        return Err(Failure::Failed(last.trim().to_string()));
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

/// What `job`'s dry run printed (`stdout`) says: the outputs in its output directory
/// (relative to `build_dir`) and its compiles (when they are wanted).
fn found(job: &Job, stdout: &str, build_dir: &Path) -> (Vec<String>, Vec<ForeignCompile>) {
    let mut outputs = Vec::new();
    let mut compiles = Vec::new();
    for compile in parse(stdout, &job.directory, &job.compiler) {
        if let Some(out_dir) = &job.out_dir {
            for path in compile.output.iter().chain(&compile.depfile) {
                let rel = paths::relative_slash(&paths::absolute(Path::new(path), &compile.directory), build_dir);
                let usable = paths::unsupported_character(&rel).is_none() && !rel.chars().any(char::is_control);
                if usable
                    && rel.strip_prefix(out_dir.as_str()).is_some_and(|r| r.starts_with('/'))
                    && !outputs.contains(&rel)
                {
                    outputs.push(rel);
                }
            }
        }
        let Some(directory) = compile.directory.to_str().filter(|_| job.compiles) else { continue };
        for file in &compile.sources {
            compiles.push(ForeignCompile {
                directory: directory.to_string(),
                file: file.clone(),
                arguments: compile.words.clone(),
                output: compile.output.clone(),
            });
        }
    }
    (outputs, compiles)
}

/// A compile command of a dry run.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Compile {
    /// The directory it runs in (absolute, normalised).
    directory: PathBuf,
    /// Its words, from the compiler on.
    words: Vec<String>,
    /// The sources it compiles.
    sources: Vec<String>,
    /// The object it writes (`-o`).
    output: Option<String>,
    /// The depfile it writes: `-MF`'s, or with `-MD`/`-MMD` the one the compiler names after
    /// the object (GCC's rule, which clang, zig cc and emcc follow).
    depfile: Option<String>,
}

/// Options whose argument is the next word (so that it is not taken for a source).
const TAKES_ARGUMENT: &[&str] = &[
    "-o",
    "-MF",
    "-MT",
    "-MQ",
    "-include",
    "-imacros",
    "-isystem",
    "-iquote",
    "-idirafter",
    "-iprefix",
    "-isysroot",
    "--sysroot",
    "-I",
    "-D",
    "-U",
    "-x",
    "-Xclang",
    "-Xpreprocessor",
    "-Xassembler",
    "-Xlinker",
    "-target",
    "--target",
    "-arch",
    "-aux-info",
];

/// The extensions of the sources a C compiler compiles.
const SOURCE_EXTENSIONS: &[&str] = &["c", "cc", "cp", "cpp", "cxx", "c++", "C", "m", "mm", "s", "S", "sx"];

/// The compiles in the output of `make -n -w` run in `directory`: the commands (each line a
/// shell command, `&&`, `||`, `;` and `|` separating them, a `cd` moving the rest of its
/// line) that run `compiler` with `-c`, their directory given by make's "Entering directory"
/// lines.
fn parse(stdout: &str, directory: &Path, compiler: &[String]) -> Vec<Compile> {
    let mut compiles = Vec::new();
    let mut dirs: Vec<PathBuf> = Vec::new();
    let mut line = String::new();
    for text in stdout.lines() {
        // A recipe line continued with a backslash: the shell joins the two.
        if let Some(start) = text.strip_suffix('\\') {
            line.push_str(start);
            continue;
        }
        line.push_str(text);
        let command = std::mem::take(&mut line);
        if let Some((entering, dir)) = directory_change(&command) {
            if entering {
                dirs.push(paths::normalize(Path::new(dir)));
            } else {
                dirs.pop();
            }
            continue;
        }
        let Some(words) = shlex::split(&command) else { continue };
        let mut here = dirs.last().cloned().unwrap_or_else(|| directory.to_path_buf());
        for segment in segments(&words) {
            if let [cd, dir] = segment.as_slice()
                && cd == "cd"
            {
                here = paths::absolute(Path::new(dir), &here);
                continue;
            }
            if let Some(compile) = compile(&segment, compiler, &here) {
                compiles.push(compile);
            }
        }
    }
    compiles
}

/// `line`'s directory, when it is make's `Entering directory '<dir>'` (true) or `Leaving
/// directory '<dir>'` (false) message.
fn directory_change(line: &str) -> Option<(bool, &str)> {
    let (program, message) = line.split_once(": ")?;
    if program.contains(' ') {
        return None;
    }
    let (entering, rest) = match message.strip_prefix("Entering directory '") {
        Some(rest) => (true, rest),
        None => (false, message.strip_prefix("Leaving directory '")?),
    };
    Some((entering, rest.strip_suffix('\'')?))
}

/// The simple commands of a command line's `words`, split at `&&`, `||`, `;`, `|` and `&`
/// (as separate words, or `;` ending one).
fn segments(words: &[String]) -> Vec<Vec<String>> {
    let mut segments = vec![Vec::new()];
    for word in words {
        match word.as_str() {
            "&&" | "||" | ";" | "|" | "&" => segments.push(Vec::new()),
            w => {
                let (word, ends) = w.strip_suffix(';').map_or((w, false), |start| (start, true));
                if let Some(segment) = segments.last_mut() {
                    segment.push(word.to_string());
                }
                if ends {
                    segments.push(Vec::new());
                }
            }
        }
    }
    segments.retain(|s| !s.is_empty());
    segments
}

/// The compile `segment` (a simple command run in `directory`) is, when it runs `compiler`
/// with `-c`; words before the compiler (a launcher, variable assignments) are left out.
fn compile(segment: &[String], compiler: &[String], directory: &Path) -> Option<Compile> {
    if compiler.is_empty() {
        return None;
    }
    let start = segment.windows(compiler.len()).position(|w| w == compiler)?;
    let words = &segment[start..];
    if !words.iter().any(|w| w == "-c") {
        return None;
    }
    let (mut sources, mut output, mut depfile, mut writes_depfile) = (Vec::new(), None, None, false);
    let args = &words[compiler.len()..];
    for (i, word) in args.iter().enumerate() {
        let previous = i.checked_sub(1).map(|p| args[p].as_str());
        match (previous, word.as_str()) {
            (Some("-o"), w) => output = Some(w.to_string()),
            (Some("-MF"), w) => depfile = Some(w.to_string()),
            (Some(p), _) if TAKES_ARGUMENT.contains(&p) => {}
            (_, "-MD" | "-MMD") => writes_depfile = true,
            (_, w) if w.starts_with("-MF") && w.len() > 3 => depfile = Some(w[3..].to_string()),
            (_, w) if w.starts_with("-o") && w.len() > 2 => output = Some(w[2..].to_string()),
            (_, w) if !w.starts_with('-') && is_source(w) => sources.push(w.to_string()),
            _ => {}
        }
    }
    if sources.is_empty() {
        return None;
    }
    if depfile.is_none() && writes_depfile {
        depfile = output.as_deref().map(depfile_of);
    }
    Some(Compile { directory: directory.to_path_buf(), words: words.to_vec(), sources, output, depfile })
}

/// Whether `word` names a source a C compiler compiles, by its extension.
fn is_source(word: &str) -> bool {
    let name = word.rsplit('/').next().unwrap_or(word);
    name.rsplit_once('.').is_some_and(|(stem, ext)| !stem.is_empty() && SOURCE_EXTENSIONS.contains(&ext))
}

/// The depfile `-MD` writes beside `object`: its name with `.d` for its extension.
fn depfile_of(object: &str) -> String {
    let name_start = object.rfind('/').map_or(0, |i| i + 1);
    match object[name_start..].rfind('.') {
        Some(dot) if dot > 0 => format!("{}.d", &object[..name_start + dot]),
        _ => format!("{object}.d"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `text` split as the shell would.
    fn words(text: &str) -> Vec<String> {
        shlex::split(text).unwrap()
    }

    /// Each source's (directory, file, output) in `stdout`, the dry run of a make run in `/v`.
    fn entries(stdout: &str, compiler: &str) -> Vec<(String, String, Option<String>)> {
        let compiles = parse(stdout, Path::new("/v"), &words(compiler));
        let each = |c: &Compile| -> Vec<(String, String, Option<String>)> {
            let dir = c.directory.display().to_string();
            c.sources.iter().map(|s| (dir.clone(), s.clone(), c.output.clone())).collect()
        };
        compiles.iter().flat_map(each).collect()
    }

    #[test]
    fn a_compile_is_a_line_running_the_compiler_with_dash_c_from_the_compiler_on() {
        let out = "make: Entering directory '/v/lib'\n\
                   mkdir -p ../b/obj\n\
                   ccache /opt/zig cc -Iinclude -MMD -MP -c src/a.c -o ../b/obj/a.o\n\
                   /opt/zig cc -o prog prog.o\n\
                   rm -f ../b/lib.a && /opt/zig ar rcs ../b/lib.a ../b/obj/a.o\n\
                   make: Leaving directory '/v/lib'\n";
        let compiles = parse(out, Path::new("/elsewhere"), &words("/opt/zig cc"));
        assert_eq!(compiles.len(), 1, "{compiles:?}");
        let c = &compiles[0];
        assert_eq!(c.directory, Path::new("/v/lib"));
        assert_eq!(c.words, words("/opt/zig cc -Iinclude -MMD -MP -c src/a.c -o ../b/obj/a.o"));
        assert_eq!(c.sources, ["src/a.c"]);
        assert_eq!(c.output.as_deref(), Some("../b/obj/a.o"));
        assert_eq!(c.depfile.as_deref(), Some("../b/obj/a.d"));
    }

    #[test]
    fn sub_makes_cd_and_continued_lines_give_each_compile_its_directory() {
        let out = "make: Entering directory '/v'\n\
                   make -C sub\n\
                   make[1]: Entering directory '/v/sub'\n\
                   cc -c x.c -MF deps/x.dep\n\
                   make[1]: Leaving directory '/v/sub'\n\
                   cd gen && cc -I .. \\\n\
                   -c 'y y.c' -o../y.o; cc -c z.c\n\
                   make: Leaving directory '/v'\n";
        let found = entries(out, "cc");
        let expected = [("/v/sub", "x.c", None), ("/v/gen", "y y.c", Some("../y.o")), ("/v/gen", "z.c", None)];
        let expected: Vec<(String, String, Option<String>)> =
            expected.iter().map(|(d, f, o)| (d.to_string(), f.to_string(), o.map(str::to_string))).collect();
        assert_eq!(found, expected);
        let compiles = parse(out, Path::new("/v"), &words("cc"));
        assert_eq!(compiles[0].depfile.as_deref(), Some("deps/x.dep"));
        assert_eq!(compiles[1].depfile, None, "no -MD: no depfile");
    }

    #[test]
    fn option_arguments_are_not_sources_and_messages_are_not_directories() {
        let c = compile(&words("cc -include pre.h -x c -c -DX=a.c real.c"), &words("cc"), Path::new("/d")).unwrap();
        assert_eq!(c.sources, ["real.c"]);
        assert!(compile(&words("cc -E a.c"), &words("cc"), Path::new("/d")).is_none(), "no -c: not a compile");
        assert_eq!(directory_change("make[2]: Entering directory '/a b'"), Some((true, "/a b")));
        assert_eq!(directory_change("warning: Entering directory 'x' is odd"), None);
        assert_eq!(depfile_of("obj/a.o"), "obj/a.d");
        assert_eq!(depfile_of("obj.v/a"), "obj.v/a.d");
    }
}
