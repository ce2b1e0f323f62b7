//! `spygen test`: generate when needed, build the test programs (their output live, on
//! stderr), run each test × configuration through the build files' `test` actions (so ninja
//! runs them in parallel and does not rerun a passed, unchanged test), then print each failure
//! with its output, a summary per configuration and a total line. `spygen test-one` (hidden)
//! is what those actions run.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::SystemTime;

use clap::Args;

use super::build_cmd::{BackendArg, choose_backend, exit_code, is_project, prepare, to_stderr};
use super::project_args::ProjectArgs;
use crate::error::{Error, Result};
use crate::lower::test_list::{SkippedEntry, TESTS_FILE, TestEntry, TestList, parse_test_list};
use crate::testing::{Outcome, RUN_ID_ENV, Report, TestRun};
use crate::toolchain::Db;

/// Options of `spygen test`.
#[derive(Debug, Args)]
#[command(after_help = "EXAMPLES:
  spygen test                              # every test on every installed configuration
  spygen test examples/out-of-tree/demo --target wasi
  spygen test --build-type release vectors # tests whose name holds `vectors`
  spygen test --rerun --junit results.xml  # run passed tests again; a report for CI
  spygen test --runner 'wasi=wasmtime run --dir=.'
The build files have the same goals: `ninja -C build test`, `make -C build test-wasi-debug`.
Under CI=true, configurations that cannot run (toolchain or runner missing) fail the run.")]
pub struct TestArgs {
    /// The project directory or spy.toml (default: the nearest spy.toml upwards), then name
    /// filters: a test runs when its name contains one of them (default: every test).
    #[arg(value_name = "PROJECT] [NAME-FILTER")]
    words: Vec<String>,
    /// Only this target's configurations (repeatable).
    #[arg(long = "target", value_name = "T")]
    targets: Vec<String>,
    /// Only this build type's configurations (repeatable).
    #[arg(long = "build-type", value_name = "B")]
    build_types: Vec<String>,
    /// How many tests (and build jobs) run at once (default: ninja's choice; for make, one per
    /// core).
    #[arg(short = 'j', long = "jobs", value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    jobs: Option<u32>,
    /// Run every chosen test, even those that passed and whose program has not changed.
    #[arg(long)]
    rerun: bool,
    /// Write the results as JUnit XML to FILE (for CI systems).
    #[arg(long, value_name = "FILE")]
    junit: Option<PathBuf>,
    /// List the tests and the configurations they run in; run nothing.
    #[arg(long)]
    list: bool,
    /// Where build files and outputs go (default: the project's build-dir).
    #[arg(long, value_name = "DIR")]
    build_dir: Option<PathBuf>,
    /// Run TARGET's programs through CMD (repeatable; `none`: directly); see `spygen gen --help`.
    #[arg(long = "runner", value_name = "TARGET=CMD")]
    runners: Vec<String>,
    /// The tool that runs the build (default: ninja when found, else make).
    #[arg(long, value_enum, value_name = "TOOL")]
    backend: Option<BackendArg>,
}

/// Options of `spygen test-one`, which the build files' test actions run.
#[derive(Debug, Args)]
pub struct TestOneArgs {
    /// The file written when the test passes.
    #[arg(long, value_name = "FILE")]
    stamp: PathBuf,
    /// The test's name.
    #[arg(long)]
    name: String,
    /// Its configuration.
    #[arg(long)]
    config: String,
    /// Seconds before it is killed.
    #[arg(long)]
    timeout: f64,
    /// Where its report goes.
    #[arg(long, value_name = "FILE")]
    report: PathBuf,
    /// An argument of the program (repeatable, in order).
    #[arg(long = "arg", value_name = "ARG", allow_hyphen_values = true)]
    args: Vec<String>,
    /// The runner's words and the program.
    #[arg(last = true, required = true, value_name = "COMMAND")]
    command: Vec<String>,
}

/// Runs one test (`spygen test-one`): exit status 0 when it passes, 1 when not, with the
/// failure and its output on stdout.
pub fn run_one(args: &TestOneArgs) -> Result<i32> {
    let mut command = args.command.clone();
    command.extend(args.args.iter().cloned());
    let test = TestRun {
        name: args.name.clone(),
        config: args.config.clone(),
        timeout: args.timeout,
        command,
        report: args.report.clone(),
        stamp: args.stamp.clone(),
    };
    let report = crate::testing::run_test(&test)?;
    if report.passed() {
        return Ok(0);
    }
    print!("{}", report.failure_text());
    let _ = std::io::stdout().flush();
    Ok(1)
}

/// A test's result in this run.
#[derive(Debug)]
enum RunResult {
    /// It ran now (or passed before, unchanged: `cached`).
    Ran { report: Box<Report>, cached: bool },
    /// It did not run (the backend stopped first).
    NotRun,
}

pub fn run(args: &TestArgs, db: &Db, toolchain_dir: Option<&Path>) -> Result<i32> {
    let (project, filters) = match args.words.split_first() {
        Some((first, rest)) if is_project(Path::new(first)) => (Some(PathBuf::from(first)), rest.to_vec()),
        _ => (None, args.words.clone()),
    };
    let (backend, _) = choose_backend(args.backend)?;
    let project_args =
        ProjectArgs { build_dir: args.build_dir.clone(), runners: args.runners.clone(), ..ProjectArgs::default() };
    let build_dir = prepare(&project_args, project.as_deref(), db, toolchain_dir, &backend)?.generated.build_dir;
    let list =
        std::fs::read_to_string(build_dir.join(TESTS_FILE)).ok().and_then(|t| parse_test_list(&t)).unwrap_or_default();
    let (tests, skipped) = select(&list, args, &filters)?;
    if args.list {
        for t in &tests {
            println!("{} [{}]", t.name, t.config);
        }
        for s in &skipped {
            println!("{} [{}] skipped: {}", s.tests.join(", "), s.config, s.why);
        }
        return Ok(0);
    }
    if tests.is_empty() && skipped.is_empty() {
        eprintln!("spygen: no test to run (a test is a [[spygen.program]] with kind = \"test\")");
        return Ok(0);
    }
    if args.rerun {
        for t in &tests {
            let _ = std::fs::remove_file(build_dir.join(&t.stamp));
        }
    }

    // Build the programs, the build's output live (on stderr: stdout is the results').
    let mut programs: Vec<String> = tests.iter().map(|t| t.program.clone()).collect();
    programs.dedup();
    if !programs.is_empty() {
        let status = backend
            .command(&build_dir, args.jobs, false, &programs)
            .stdout(to_stderr())
            .status()
            .map_err(|e| Error::env(format!("cannot run the build: {e}")).help("check it with `spygen build`"))?;
        if !status.success() {
            eprintln!("spygen: the build failed: no test ran");
            return Ok(exit_code(status));
        }
    }

    // Run them: the build files' test actions, whose output (failures) is read back from the
    // reports; those of this run carry its id.
    let run_id = format!(
        "{}-{}",
        std::process::id(),
        SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).map_or(0, |d| d.as_nanos())
    );
    let stamps: Vec<String> = tests.iter().map(|t| t.stamp.clone()).collect();
    let backend_output = if stamps.is_empty() {
        String::new()
    } else {
        eprintln!("spygen: running {} test{}", tests.len(), if tests.len() == 1 { "" } else { "s" });
        let out = backend
            .command(&build_dir, args.jobs, true, &stamps)
            .env(RUN_ID_ENV, &run_id)
            .stdin(Stdio::null())
            .output()
            .map_err(|e| Error::env(format!("cannot run the tests: {e}")).help("check it with `spygen build test`"))?;
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr)
    };
    let results: Vec<(&TestEntry, RunResult)> = tests.iter().map(|t| (*t, result_of(&build_dir, t, &run_id))).collect();
    let ci = std::env::var("CI").is_ok_and(|v| v == "true" || v == "1");
    let (text, total) = summary(&list, &results, &skipped, &backend_output, ci);
    print!("{text}");
    let _ = std::io::stdout().flush();
    if let Some(path) = &args.junit {
        let xml = junit(&results, &skipped);
        let path = crate::paths::absolute(path, &crate::paths::current_dir());
        crate::fsutil::write_if_changed(&path, xml.as_bytes())?;
    }
    Ok(if total.failed + total.not_run > 0 || (ci && total.skipped > 0) { 1 } else { 0 })
}

/// How many tests ended each way.
#[derive(Debug, Default, Clone, Copy)]
struct Counts {
    passed: usize,
    failed: usize,
    skipped: usize,
    not_run: usize,
}

/// What `spygen test` prints once the tests ran: each failure with its output, a line per
/// configuration (in the build files' order), then the total; with the total counts. `ci`:
/// skipped configurations fail the run, which a line says.
fn summary(
    list: &TestList,
    results: &[(&TestEntry, RunResult)],
    skipped: &[SkippedEntry],
    backend_output: &str,
    ci: bool,
) -> (String, Counts) {
    let mut out = String::new();
    for (_, r) in results {
        if let RunResult::Ran { report, .. } = r
            && !report.passed()
        {
            out += &report.failure_text();
        }
    }
    if results.iter().any(|(_, r)| matches!(r, RunResult::NotRun)) {
        out += "spygen: some tests did not run; the backend said:\n";
        out += backend_output;
    }
    let mut by_config: BTreeMap<(usize, &str), Counts> = BTreeMap::new();
    let order = |config: &str| list.tests.iter().position(|t| t.config == config).unwrap_or(usize::MAX);
    for (t, r) in results {
        let counts = by_config.entry((order(&t.config), t.config.as_str())).or_default();
        match r {
            RunResult::Ran { report, .. } if report.passed() => counts.passed += 1,
            RunResult::Ran { .. } => counts.failed += 1,
            RunResult::NotRun => counts.not_run += 1,
        }
    }
    let mut total = Counts::default();
    for ((_, config), counts) in &by_config {
        let mut line = format!("{config}: {} passed", counts.passed);
        if counts.failed > 0 {
            line += &format!(", {} failed", counts.failed);
        }
        if counts.not_run > 0 {
            line += &format!(", {} not run", counts.not_run);
        }
        out += &format!("{line}\n");
        total.passed += counts.passed;
        total.failed += counts.failed;
        total.not_run += counts.not_run;
    }
    for s in skipped {
        out += &format!("{}: {} skipped: {}\n", s.config, s.tests.len(), s.why);
        total.skipped += s.tests.len();
    }
    let cached = results.iter().filter(|(_, r)| matches!(r, RunResult::Ran { cached: true, .. })).count();
    let mut line =
        format!("{} passed, {} failed, {} skipped", total.passed, total.failed + total.not_run, total.skipped);
    if cached > 0 {
        line += &format!(" ({cached} passed before and unchanged, not rerun: --rerun runs them)");
    }
    out += &format!("{line}\n");
    if ci && total.skipped > 0 {
        out += "spygen: CI=true: skipped configurations fail the run (install what they need, or choose configurations with --target and --build-type)\n";
    }
    (out, total)
}

/// The tests and skipped configurations `args` and `filters` choose from `list`.
fn select<'l>(
    list: &'l TestList,
    args: &TestArgs,
    filters: &[String],
) -> Result<(Vec<&'l TestEntry>, Vec<SkippedEntry>)> {
    let configs: Vec<(&str, &str)> = list
        .tests
        .iter()
        .map(|t| (t.target.as_str(), t.build_type.as_str()))
        .chain(list.skipped.iter().map(|s| (s.target.as_str(), s.build_type.as_str())))
        .collect();
    for (what, wanted, known) in [
        ("target", &args.targets, configs.iter().map(|c| c.0).collect::<Vec<_>>()),
        ("build type", &args.build_types, configs.iter().map(|c| c.1).collect::<Vec<_>>()),
    ] {
        if let Some(w) = wanted.iter().find(|w| !known.contains(&w.as_str())) {
            let mut known = known;
            known.sort();
            known.dedup();
            return Err(Error::usage(format!("no test runs on {what} `{w}` in this project")).help(format!(
                "tests run on: {}",
                if known.is_empty() { "nothing".into() } else { known.join(", ") }
            )));
        }
    }
    let config_wanted = |target: &str, build_type: &str| {
        (args.targets.is_empty() || args.targets.iter().any(|t| t == target))
            && (args.build_types.is_empty() || args.build_types.iter().any(|b| b == build_type))
    };
    let name_wanted = |name: &str| filters.is_empty() || filters.iter().any(|f| name.contains(f.as_str()));
    let tests: Vec<&TestEntry> =
        list.tests.iter().filter(|t| config_wanted(&t.target, &t.build_type) && name_wanted(&t.name)).collect();
    let skipped: Vec<SkippedEntry> = list
        .skipped
        .iter()
        .filter(|s| config_wanted(&s.target, &s.build_type))
        .map(|s| SkippedEntry { tests: s.tests.iter().filter(|n| name_wanted(n)).cloned().collect(), ..s.clone() })
        .filter(|s| !s.tests.is_empty())
        .collect();
    if tests.is_empty() && skipped.is_empty() && !filters.is_empty() {
        let mut names: Vec<&str> = list.tests.iter().map(|t| t.name.as_str()).collect();
        names.sort();
        names.dedup();
        return Err(Error::usage(format!("no test's name contains {}", filters.join(" or ")))
            .help(format!("the tests are: {}", if names.is_empty() { "none".into() } else { names.join(", ") })));
    }
    Ok((tests, skipped))
}

/// The result of `test` in the run `run_id`: its report when this run wrote it, a pass from
/// before when its stamp stands (ninja did not rerun it), else not run.
fn result_of(build_dir: &Path, test: &TestEntry, run_id: &str) -> RunResult {
    let report = Report::read(&build_dir.join(&test.report));
    let stamped = build_dir.join(&test.stamp).is_file();
    match report {
        Some(report) if report.run.as_deref() == Some(run_id) => {
            RunResult::Ran { report: Box::new(report), cached: false }
        }
        Some(report) if stamped && report.passed() => RunResult::Ran { report: Box::new(report), cached: true },
        _ => RunResult::NotRun,
    }
}

/// One configuration's test cases in a JUnit file.
#[derive(Default)]
struct Suite {
    config: String,
    cases: String,
    tests: usize,
    failures: usize,
    skipped: usize,
    seconds: f64,
}

/// The suite of `config` in `suites`, added on first use.
fn suite<'s>(suites: &'s mut Vec<Suite>, config: &str) -> &'s mut Suite {
    let i = match suites.iter().position(|s| s.config == config) {
        Some(i) => i,
        None => {
            suites.push(Suite { config: config.to_string(), ..Suite::default() });
            suites.len() - 1
        }
    };
    &mut suites[i]
}

/// The results as JUnit XML: a test suite per configuration, a test case per test.
fn junit(results: &[(&TestEntry, RunResult)], skipped: &[SkippedEntry]) -> String {
    let mut suites: Vec<Suite> = Vec::new();
    for (t, r) in results {
        let s = suite(&mut suites, &t.config);
        let (seconds, body) = match r {
            RunResult::Ran { report, .. } if report.passed() => (report.seconds, String::new()),
            RunResult::Ran { report, .. } => {
                s.failures += 1;
                let kind = if report.outcome == Outcome::Failed { "failure" } else { "error" };
                let text = format!("$ {}\n{}", crate::shell::join(&report.command), report.output);
                let message = xml_escape(&report.verdict());
                (report.seconds, format!("<{kind} message=\"{message}\">{}</{kind}>", xml_escape(&text)))
            }
            RunResult::NotRun => {
                s.failures += 1;
                (0.0, "<error message=\"not run: the build stopped first\"/>".to_string())
            }
        };
        s.tests += 1;
        s.seconds += seconds;
        s.cases += &format!(
            "    <testcase name=\"{}\" classname=\"{}\" time=\"{seconds:.3}\">{body}</testcase>\n",
            xml_escape(&t.name),
            xml_escape(&t.config)
        );
    }
    for skip in skipped {
        let s = suite(&mut suites, &skip.config);
        for name in &skip.tests {
            s.tests += 1;
            s.skipped += 1;
            s.cases += &format!(
                "    <testcase name=\"{}\" classname=\"{}\" time=\"0\"><skipped message=\"{}\"/></testcase>\n",
                xml_escape(name),
                xml_escape(&skip.config),
                xml_escape(&skip.why)
            );
        }
    }
    let sum = |f: fn(&Suite) -> usize| suites.iter().map(f).sum::<usize>();
    let time: f64 = suites.iter().map(|s| s.seconds).sum();
    let mut xml = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"spygen\" tests=\"{}\" failures=\"{}\" skipped=\"{}\" time=\"{time:.3}\">\n",
        sum(|s| s.tests),
        sum(|s| s.failures),
        sum(|s| s.skipped)
    );
    for s in &suites {
        xml += &format!(
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" skipped=\"{}\" time=\"{:.3}\">\n{}  </testsuite>\n",
            xml_escape(&s.config),
            s.tests,
            s.failures,
            s.skipped,
            s.seconds,
            s.cases
        );
    }
    xml + "</testsuites>\n"
}

/// `text` escaped for XML text and attributes; characters XML 1.0 cannot hold are left out.
fn xml_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\n' | '\t' | '\r' => out.push(c),
            c if (c as u32) < 0x20 => {}
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xml_escapes_markup_and_drops_what_xml_cannot_hold() {
        assert_eq!(xml_escape("a<b> & \"c\"\u{1b}[31m\n"), "a&lt;b&gt; &amp; &quot;c&quot;[31m\n");
    }
}
