//! Finding a toolchain's programs: environment override, then candidates resolved with `which`.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Mutex;

use super::descriptor::{PackageSpec, ProbeInputs, ToolSpec};
use super::requirement::{Requirements, Version, VersionReq};
use super::tool_cache;

/// How a tool is looked up: an optional environment override and ordered candidates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tool {
    /// What the tool is, for messages (`compiler`, `archiver`).
    pub role: &'static str,
    /// Environment variable that replaces the candidates when set and non-empty.
    pub env: Option<String>,
    /// Candidate commands in order of preference.
    pub candidates: Vec<Candidate>,
    /// Arguments that make the tool print its version.
    pub version_args: Vec<String>,
    /// The package it comes from, which projects may require a version of.
    pub package: Option<PackageSpec>,
    /// How to install it when no candidate is found.
    pub install: Option<String>,
}

/// One way of running a tool.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    /// The command words.
    pub command: Vec<String>,
    /// A command that must succeed for the candidate to count.
    pub probe: Option<Vec<String>>,
    /// What decides the probe's answer besides the program's file.
    pub probe_inputs: ProbeInputs,
    /// The command build files run when it is found, if not `command` (`{probe}`: the file the
    /// probe printed first).
    pub runs: Option<Vec<String>>,
}

/// The outcome of looking a tool up on this machine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolution {
    /// The tool can run.
    Found(ResolvedTool),
    /// No candidate works; `tried` says what was looked for, in order.
    Missing {
        /// One line per candidate tried and why it did not count.
        tried: Vec<String>,
    },
}

/// A tool found on this machine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedTool {
    /// The command words to put in build files: the program that does the work, by its
    /// absolute path (so PATH at build time does not change which compiler runs, and no
    /// interpreter starts per command), then the words after it in the descriptor or `$CC`.
    pub command: Vec<String>,
    /// The program (the first word of `command`).
    pub program: PathBuf,
    /// Where the command came from (`$CC`, `candidate 2`).
    pub origin: String,
    /// A file identifying the installation, printed by the candidate's probe (for zig from
    /// PyPI, the `zig` binary inside the package): an upgrade changes it.
    pub witness: Option<PathBuf>,
}

impl Tool {
    /// Builds the tool model from its descriptor section.
    pub fn from_spec(role: &'static str, spec: ToolSpec) -> Tool {
        Tool {
            role,
            env: spec.env,
            candidates: spec
                .candidates
                .into_iter()
                .map(|c| Candidate {
                    command: c.command,
                    probe: c.probe,
                    probe_inputs: c.probe_inputs.unwrap_or_default(),
                    runs: c.runs,
                })
                .collect(),
            version_args: spec.version_args,
            package: spec.package,
            install: spec.install,
        }
    }

    /// The command words spygen would use without looking at the machine: `$CC` if set, else
    /// the first candidate. Runs no process; used by plain flag queries.
    pub fn preferred_command(&self, env: &dyn Fn(&str) -> Option<String>) -> Vec<String> {
        if let Some(words) = self.env_override(env) {
            return words;
        }
        self.candidates.first().map(|c| c.command.clone()).unwrap_or_default()
    }

    fn env_override(&self, env: &dyn Fn(&str) -> Option<String>) -> Option<Vec<String>> {
        let var = self.env.as_deref()?;
        let value = env(var)?;
        let words: Vec<String> = value.split_whitespace().map(str::to_string).collect();
        (!words.is_empty()).then_some(words)
    }

    /// Looks the tool up: the environment override if set, else the first candidate whose
    /// program is on PATH and whose probe (if any) passes.
    pub fn resolve(&self, env: &dyn Fn(&str) -> Option<String>) -> Resolution {
        self.resolve_where(env, &|_| Ok(()))
    }

    /// [`Tool::resolve`], counting only a tool whose package version meets `requirement` (a
    /// candidate that does not is passed over, saying so in `tried`). No requirement, or a
    /// tool of no package: plain resolution.
    pub fn resolve_requiring(
        &self,
        env: &dyn Fn(&str) -> Option<String>,
        requirement: Option<&VersionReq>,
    ) -> Resolution {
        let (Some(package), Some(requirement)) = (&self.package, requirement) else {
            return self.resolve(env);
        };
        self.resolve_where(env, &|found: &ResolvedTool| match found.package_version(package) {
            Some(v) if requirement.matches(&v) => Ok(()),
            Some(v) => Err(format!("{} {v} does not meet `{requirement}`", package.name)),
            None => Err(format!("`{} {}` printed no version", found.program.display(), package.version_args.join(" "))),
        })
    }

    /// [`Tool::resolve_requiring`] with the requirement `requirements` has for this tool's package.
    pub fn resolve_with(&self, env: &dyn Fn(&str) -> Option<String>, requirements: &Requirements) -> Resolution {
        let requirement = self.package.as_ref().and_then(|p| requirements.get(&p.name));
        self.resolve_requiring(env, requirement)
    }

    /// Resolution counting only a found tool `accept` takes (its error says why not).
    fn resolve_where(
        &self,
        env: &dyn Fn(&str) -> Option<String>,
        accept: &dyn Fn(&ResolvedTool) -> Result<(), String>,
    ) -> Resolution {
        if let Some(words) = self.env_override(env) {
            let var = self.env.as_deref().unwrap_or_default();
            return match find_on_path(&words[0]) {
                Some(program) => {
                    let found = ResolvedTool {
                        command: absolute_command(&program, &words[1..]),
                        program,
                        origin: format!("${var}"),
                        witness: None,
                    };
                    match accept(&found) {
                        Ok(()) => Resolution::Found(found),
                        Err(why) => Resolution::Missing { tried: vec![format!("${var}={}: {why}", words.join(" "))] },
                    }
                }
                None => Resolution::Missing {
                    tried: vec![format!("${var}={}: `{}` is not on PATH", words.join(" "), words[0])],
                },
            };
        }
        let mut tried = Vec::new();
        for (i, candidate) in self.candidates.iter().enumerate() {
            let shown = candidate.command.join(" ");
            let Some(first) = candidate.command.first() else {
                continue;
            };
            // `$VIRTUAL_ENV/bin/python`: the active environment's, when there is one.
            let (first, probe) = match (expand_leading_var(first), candidate.probe.as_deref().map(expand_probe)) {
                (Ok(first), None) => (first, None),
                (Ok(first), Some(Ok(probe))) => (first, Some(probe)),
                (Err(why), _) | (_, Some(Err(why))) => {
                    tried.push(format!("{shown}: {why}"));
                    continue;
                }
            };
            let first = &first;
            let program = match find_on_path(first) {
                Some(p) => p,
                None => {
                    tried.push(format!("{shown}: `{first}` is not on PATH"));
                    continue;
                }
            };
            let mut witness = None;
            if let Some(probe) = &probe {
                match run_probe(probe, &candidate.probe_inputs, &program) {
                    Some(w) => witness = w,
                    None => {
                        tried.push(format!("{shown}: `{}` failed", probe.join(" ")));
                        continue;
                    }
                }
            }
            let (command, program) = match &candidate.runs {
                Some(runs) => {
                    let Some(printed) = witness.as_deref() else {
                        tried.push(format!("{shown}: `runs` names {{probe}}, but the probe printed no file"));
                        continue;
                    };
                    let words: Vec<String> =
                        runs.iter().map(|w| w.replace("{probe}", &printed.to_string_lossy())).collect();
                    let Some(first) = words.first().map(PathBuf::from) else { continue };
                    (words, first)
                }
                None => (absolute_command(&program, &candidate.command[1..]), program),
            };
            let found = ResolvedTool { command, program, origin: format!("candidate {}", i + 1), witness };
            match accept(&found) {
                Ok(()) => return Resolution::Found(found),
                Err(why) => tried.push(format!("{shown}: {why}")),
            }
        }
        Resolution::Missing { tried }
    }
}

impl Tool {
    /// The environment variables its candidates' probes read, with their values now (see
    /// `ProbeInputs`). A change to one may resolve the tool to another program, so generations
    /// record them.
    pub fn probe_env(&self) -> impl Iterator<Item = (String, String)> + '_ {
        let probed = self.candidates.iter().filter(|c| c.probe.is_some());
        probed.flat_map(|c| c.probe_inputs.env.iter().map(|v| (v.clone(), std::env::var(v).unwrap_or_default())))
    }

    /// The files its candidates' probes read besides the programs (see `ProbeInputs`), which
    /// generations record for the same reason.
    pub fn probe_files(&self) -> impl Iterator<Item = PathBuf> + '_ {
        self.candidates.iter().filter(|c| c.probe.is_some()).flat_map(|c| deciding_files(&c.probe_inputs))
    }
}

/// `word` with a leading `$NAME` (up to the first `/`) replaced by that variable's value; an
/// unset or empty variable is an error saying so (the candidate does not count).
fn expand_leading_var(word: &str) -> Result<String, String> {
    let Some(rest) = word.strip_prefix('$') else { return Ok(word.to_string()) };
    let (name, tail) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    match std::env::var(name) {
        Ok(value) if !value.is_empty() => Ok(format!("{value}{tail}")),
        _ => Err(format!("${name} is not set")),
    }
}

/// A probe command with its program's leading `$NAME` expanded (see [`expand_leading_var`]).
fn expand_probe(probe: &[String]) -> Result<Vec<String>, String> {
    let mut words = probe.to_vec();
    if let Some(first) = words.first_mut() {
        *first = expand_leading_var(first)?;
    }
    Ok(words)
}

/// `program` (absolute, as `which` found it: a symbolic link is kept, as ccache's masquerade
/// directories need) followed by `args`.
fn absolute_command(program: &Path, args: &[String]) -> Vec<String> {
    std::iter::once(program.to_string_lossy().into_owned()).chain(args.iter().cloned()).collect()
}

impl ResolvedTool {
    /// The first line with a digit the tool prints for its version query, if it answers;
    /// remembered on disk until the program, the probe's witness file or PATH changes.
    pub fn version(&self, version_args: &[String]) -> Option<String> {
        let key = tool_cache::key(&format!("version {} {}", self.command.join(" "), version_args.join(" ")));
        let mut files: Vec<&Path> = vec![&self.program];
        files.extend(self.witness.as_deref());
        let fingerprint = tool_cache::fingerprint(&files);
        if let Some(answer) = tool_cache::lookup(&key).filter(|a| a.fingerprint == fingerprint) {
            return Some(answer.value);
        }
        let version = self.query_version(version_args)?;
        tool_cache::remember(&key, &fingerprint, &version);
        Some(version)
    }

    /// The version of the package the tool comes from (its program run with the package's
    /// `version-args`), remembered on disk like [`ResolvedTool::version`].
    pub fn package_version(&self, package: &PackageSpec) -> Option<Version> {
        let key = tool_cache::key(&format!("package {} {}", self.program.display(), package.version_args.join(" ")));
        let mut files: Vec<&Path> = vec![&self.program];
        files.extend(self.witness.as_deref());
        let fingerprint = tool_cache::fingerprint(&files);
        if let Some(answer) = tool_cache::lookup(&key).filter(|a| a.fingerprint == fingerprint) {
            return Version::parse(&answer.value);
        }
        let out = Command::new(&self.program).args(&package.version_args).stdin(Stdio::null()).output().ok()?;
        let text = if out.stdout.iter().any(|b| !b.is_ascii_whitespace()) { out.stdout } else { out.stderr };
        let version = Version::find_in(&String::from_utf8_lossy(&text))?;
        tool_cache::remember(&key, &fingerprint, &version.to_string());
        Some(version)
    }

    fn query_version(&self, version_args: &[String]) -> Option<String> {
        let (program, args) = self.command.split_first()?;
        let out = Command::new(program).args(args).args(version_args).stdin(Stdio::null()).output().ok()?;
        let text = if out.stdout.iter().any(|b| !b.is_ascii_whitespace()) { out.stdout } else { out.stderr };
        String::from_utf8_lossy(&text)
            .lines()
            .map(str::trim)
            .find(|l| l.bytes().any(|b| b.is_ascii_digit()))
            .map(str::to_string)
    }
}

/// Answers worked out once per process, by question: looking them up again would repeat
/// system calls or a subprocess each time a generation asks (for every configuration, and
/// again for spygen.mk). A question is answered unlocked: two threads asking the same one at
/// once both work it out, and get the same answer.
struct ProcessMemo<K, V>(Mutex<Option<HashMap<K, V>>>);

impl<K: std::hash::Hash + Eq, V: Clone> ProcessMemo<K, V> {
    const fn new() -> Self {
        ProcessMemo(Mutex::new(None))
    }

    /// The answer to `key`, worked out by `answer` the first time.
    fn get_or(&self, key: K, answer: impl FnOnce() -> V) -> V {
        if let Some(known) = self.0.lock().ok().and_then(|m| m.as_ref()?.get(&key).cloned()) {
            return known;
        }
        let value = answer();
        if let Ok(mut m) = self.0.lock() {
            m.get_or_insert_with(HashMap::new).insert(key, value.clone());
        }
        value
    }
}

/// `which::which(name)`, once per process for each name and PATH: a generation resolves the
/// same programs for every configuration and again for spygen.mk (with eight configurations,
/// each of a dozen PATH directories was looked in up to eight times for one program).
pub fn find_on_path(name: &str) -> Option<PathBuf> {
    static FOUND: ProcessMemo<(String, std::ffi::OsString), Option<PathBuf>> = ProcessMemo::new();
    let key = (name.to_string(), std::env::var_os("PATH").unwrap_or_default());
    FOUND.get_or(key, || which::which(name).ok())
}

/// Runs a candidate's probe: `None` if it fails, else the file it printed on its first line
/// (if that is an existing file). Within a process a probe runs once. A passing probe that
/// printed a file is remembered on disk until what decided it changes: the program, the file
/// it printed and any further files it printed (the interpreter that really ran), and the
/// candidate's `probe-inputs` (the variables and files a shim reads to choose that interpreter).
fn run_probe(probe: &[String], inputs: &ProbeInputs, program: &Path) -> Option<Option<PathBuf>> {
    static SEEN: ProcessMemo<Vec<String>, Option<Option<PathBuf>>> = ProcessMemo::new();
    SEEN.get_or(probe.to_vec(), || probe_answer(probe, inputs, program))
}

/// What [`run_probe`] answers, worked out: remembered on disk, or from running the probe.
fn probe_answer(probe: &[String], inputs: &ProbeInputs, program: &Path) -> Option<Option<PathBuf>> {
    let key = probe_key(probe, inputs);
    let deciding = deciding_files(inputs);
    let fingerprint_of = |printed: &[PathBuf]| {
        let mut files: Vec<&Path> = vec![program];
        files.extend(printed.iter().map(PathBuf::as_path));
        files.extend(deciding.iter().map(PathBuf::as_path));
        tool_cache::fingerprint(&files)
    };
    let remembered = tool_cache::lookup(&key).and_then(|a| {
        let printed: Vec<PathBuf> = a.value.lines().map(PathBuf::from).collect();
        (a.fingerprint == fingerprint_of(&printed)).then(|| printed.into_iter().next())?
    });
    match remembered {
        Some(witness) => Some(Some(witness)),
        None => {
            let (name, args) = probe.split_first()?;
            let out = Command::new(name).args(args).stdin(Stdio::null()).stderr(Stdio::null()).output().ok();
            match out {
                Some(out) if out.status.success() => {
                    let printed: Vec<PathBuf> = String::from_utf8_lossy(&out.stdout)
                        .lines()
                        .map(|l| PathBuf::from(l.trim()))
                        .take_while(|p| p.is_absolute() && p.is_file())
                        .collect();
                    if !printed.is_empty() {
                        let value: Vec<String> = printed.iter().map(|p| p.to_string_lossy().into_owned()).collect();
                        tool_cache::remember(&key, &fingerprint_of(&printed), &value.join("\n"));
                    }
                    Some(printed.into_iter().next())
                }
                _ => None,
            }
        }
    }
}

/// The cache key of `probe`'s answer: the probe, PATH and the values of the variables that
/// decide it.
fn probe_key(probe: &[String], inputs: &ProbeInputs) -> String {
    let mut question = format!("probe {}", probe.join(" "));
    for var in &inputs.env {
        question += &format!(" {var}={}", std::env::var(var).unwrap_or_default());
    }
    tool_cache::key(&question)
}

/// The files whose state decides a probe's answer: `inputs.files` (with `~/` and `$NAME`
/// expanded), and for each of `inputs.nearest` that name in the current directory and each of
/// its parents, up to the nearest that exists (a missing one is fingerprinted as missing, so
/// creating it is a change).
fn deciding_files(inputs: &ProbeInputs) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for f in &inputs.files {
        if let Some(path) = expand_path(f) {
            files.push(path);
        }
    }
    let cwd = crate::paths::current_dir();
    for name in &inputs.nearest {
        for dir in cwd.ancestors() {
            let candidate = dir.join(name);
            let found = candidate.is_file();
            files.push(candidate);
            if found {
                break;
            }
        }
    }
    files
}

/// `text` with a leading `~/` and `$NAME` components expanded; `None` when a variable is unset
/// (the file does not apply).
fn expand_path(text: &str) -> Option<PathBuf> {
    let mut out = PathBuf::new();
    for (i, part) in text.split('/').enumerate() {
        match part {
            "~" if i == 0 => out.push(std::env::var_os("HOME")?),
            p if p.starts_with('$') => out.push(std::env::var_os(&p[1..]).filter(|v| !v.is_empty())?),
            "" if i == 0 => out.push("/"),
            p => out.push(p),
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tool(env: Option<&str>, candidates: &[&[&str]]) -> Tool {
        Tool {
            role: "compiler",
            env: env.map(str::to_string),
            candidates: candidates
                .iter()
                .map(|c| Candidate {
                    command: c.iter().map(|s| s.to_string()).collect(),
                    probe: None,
                    probe_inputs: ProbeInputs::default(),
                    runs: None,
                })
                .collect(),
            version_args: vec![],
            package: None,
            install: None,
        }
    }

    #[test]
    fn env_override_wins_and_is_split_into_words() {
        let t = tool(Some("CC"), &[&["cc"]]);
        let env = |k: &str| (k == "CC").then(|| "sh -x".to_string());
        match t.resolve(&env) {
            Resolution::Found(r) => {
                assert_eq!(r.command, [which::which("sh").unwrap().to_string_lossy().as_ref(), "-x"]);
                assert!(Path::new(&r.command[0]).is_absolute());
                assert_eq!(r.origin, "$CC");
            }
            other => panic!("expected sh to be found, got {other:?}"),
        }
        assert_eq!(t.preferred_command(&env), ["sh", "-x"]);
    }

    #[test]
    fn missing_candidates_are_all_reported_in_order() {
        let t = tool(None, &[&["spygen-no-such-tool-a"], &["spygen-no-such-tool-b", "cc"]]);
        match t.resolve(&|_| None) {
            Resolution::Missing { tried } => {
                assert_eq!(tried.len(), 2);
                assert!(tried[0].contains("spygen-no-such-tool-a"));
                assert!(tried[1].starts_with("spygen-no-such-tool-b cc:"));
            }
            other => panic!("expected missing, got {other:?}"),
        }
    }

    #[test]
    fn a_found_tool_runs_by_its_absolute_path_or_as_runs_says_with_the_probed_file() {
        let t = tool(None, &[&["sh", "-e"]]);
        match t.resolve(&|_| None) {
            Resolution::Found(r) => {
                assert_eq!(r.command, [which::which("sh").unwrap().to_string_lossy().as_ref(), "-e"]);
                assert_eq!(r.program, which::which("sh").unwrap());
            }
            other => panic!("expected sh, got {other:?}"),
        }
        // The probe prints a file (here sh's own path); `runs` puts it in place of the command.
        let mut t = tool(None, &[&["sh", "-c", "true"]]);
        let sh = which::which("sh").unwrap().to_string_lossy().into_owned();
        t.candidates[0].probe = Some(vec!["sh".into(), "-c".into(), format!("echo {sh}")]);
        t.candidates[0].runs = Some(vec!["{probe}".into(), "cc".into()]);
        match t.resolve(&|_| None) {
            Resolution::Found(r) => assert_eq!(r.command, [sh.as_str(), "cc"]),
            other => panic!("expected the probed program, got {other:?}"),
        }
    }

    #[test]
    fn a_failing_probe_skips_the_candidate() {
        let mut t = tool(None, &[&["sh"], &["sh", "-e"]]);
        t.candidates[0].probe = Some(vec!["false".into()]);
        match t.resolve(&|_| None) {
            Resolution::Found(r) => assert_eq!(r.command[1..], ["-e"]),
            other => panic!("expected the second candidate, got {other:?}"),
        }
    }
}
