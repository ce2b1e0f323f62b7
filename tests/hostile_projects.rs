//! Property-based harness: projects with hostile names and random dependency graphs.
//!
//! Each case is a project of up to five modules whose directories and source files are named
//! with every printable ASCII byte a build file can carry in a path (spaces, `$ # { } ! ~ % @ ,
//! +`, UTF-8, leading dashes), each module defining a string of *any* printable bytes
//! (`| ; = ' " \ * ? [ ( & < > ^ \``, too) that must reach the compiler verbatim, the modules depending on each other in a random DAG, and a program printing
//! every module's string. spygen generates both build.ninja and the Makefile; build.ninja is
//! parsed back with `ninja-build-syntax`; a sample of cases is built with real ninja and with
//! `make -j2`, the program's output checked, and then rebuilt: nothing when nothing changed,
//! exactly one object when one source is touched, exactly one module's objects when its
//! define changes. Names holding a character no build file can carry as a path (any of
//! `UNSUPPORTED` below: ninja's depfile reader and make's rule syntax) are refused at
//! generation, naming the path and the character, with nothing written.
//!
//! Deterministic by default (a fixed seed): 150 generated projects, 4 of them built. A longer
//! run: `SPYGEN_HARNESS_CASES=2000 cargo test --test hostile_projects` (a twentieth of the cases
//! are built); `SPYGEN_HARNESS_SEED=<n>` picks another seed. A failing case prints the shrunk
//! project (its module specs) and the command that failed.

mod common;

use std::path::Path;
use std::process::Command;

use common::*;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};

/// One module of a generated project.
#[derive(Debug, Clone)]
struct ModuleSpec {
    /// Its directory's name (hostile; made unique by the project).
    dir: String,
    /// Its source files' names, without `.c` (hostile).
    sources: Vec<String>,
    /// The string its define holds (hostile), which the program prints.
    value: String,
    /// Which later modules it depends on, as bits (module i may depend on i+1..).
    deps: u8,
}

/// Names: printable ASCII but `/` and what no build file can carry as a path, some UTF-8, a
/// leading dash now and then; never `.` or `..`.
fn hostile_name() -> impl Strategy<Value = String> {
    "-?[ !#$%+,.0-9@A-Z_a-{}~é中ß-]{1,10}".prop_filter("a file name", |s| s != "." && s != ".." && !s.starts_with('.'))
}

/// The characters a path in a build file cannot hold (see `paths::UNSUPPORTED_PATH_CHARACTERS`).
const UNSUPPORTED: &str = "\"&'*:;<>?\\^|`=()[]";

fn module_spec() -> impl Strategy<Value = ModuleSpec> {
    (hostile_name(), proptest::collection::vec(hostile_name(), 1..3), "[ -~é]{0,16}", any::<u8>())
        .prop_map(|(dir, sources, value, deps)| ModuleSpec { dir, sources, value, deps })
}

fn project_spec() -> impl Strategy<Value = Vec<ModuleSpec>> {
    proptest::collection::vec(module_spec(), 1..=5)
}

/// `text` as a C string literal.
fn c_str(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            // No trigraphs (`??=`) and no line splicing.
            '?' => out.push_str("\\?"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The generated project: module `i` in directory `<dir>_<i>`, unit `m<i>`, sources
/// `<name>_<k>.c` (listed by name, or through `*.c` when a name holds glob syntax).
struct Project {
    /// Each module's directory name, source file names and printed value.
    modules: Vec<(String, Vec<String>, String)>,
}

fn write_project(root: &Path, specs: &[ModuleSpec]) -> Project {
    let n = specs.len();
    let mut modules = Vec::new();
    for (i, spec) in specs.iter().enumerate() {
        let dir = format!("{}_{i}", spec.dir);
        let sources: Vec<String> = spec.sources.iter().enumerate().map(|(k, s)| format!("{s}_{k}.c")).collect();
        let module = root.join(&dir);
        std::fs::create_dir_all(&module).unwrap();
        for (k, source) in sources.iter().enumerate() {
            let body = if k == 0 {
                format!("const char *value_{i}(void) {{ return VALUE_{i}; }}\n")
            } else {
                format!("int extra_{i}_{k}(void) {{ return {k}; }}\n")
            };
            std::fs::write(module.join(source), body).unwrap();
        }
        let deps: Vec<String> = (i + 1..n)
            .filter(|j| spec.deps & (1 << (j - i - 1)) != 0)
            .map(|j| toml_string(&format!("../{}_{j}", specs[j].dir)))
            .collect();
        let listed = if sources.iter().any(|s| s.contains(['*', '?', '[', '{'])) {
            toml_string("*.c")
        } else {
            sources.iter().map(|s| toml_string(s)).collect::<Vec<_>>().join(", ")
        };
        let define = format!("VALUE_{i}={}", c_str(&spec.value));
        let manifest = format!(
            "name = \"m{i}\"\nsources = [{listed}]\ndefines = [{}]\ndeps = [{}]\n",
            toml_string(&define),
            deps.join(", ")
        );
        std::fs::write(module.join("spygen.toml"), manifest).unwrap();
        modules.push((dir, sources, spec.value.clone()));
    }
    let mut main = String::from("#include <stdio.h>\n");
    for i in 0..n {
        main += &format!("const char *value_{i}(void);\n");
    }
    main += "int main(void) {\n";
    for i in 0..n {
        main += &format!("  printf(\"%s\\n\", value_{i}());\n");
    }
    main += "  return 0;\n}\n";
    std::fs::write(root.join("main.c"), main).unwrap();
    let all: Vec<String> = modules.iter().map(|(d, _, _)| toml_string(&format!("./{d}"))).collect();
    std::fs::write(
        root.join("spy.toml"),
        format!(
            "[spygen]\ntargets = [\"native\"]\nbuild-types = [\"debug\"]\n\n[[spygen.program]]\nname = \"app\"\nsources = [\"main.c\"]\ndeps = [{}]\n",
            all.join(", ")
        ),
    )
    .unwrap();
    Project { modules }
}

/// Generates build.ninja and the Makefile for the project in `root` into `dir`, in this process.
fn generate(root: &Path, dir: &Path) -> Result<(), TestCaseError> {
    let options =
        spygen::GenOptions { format: spygen::Format::All, build_dir: Some(dir.to_path_buf()), ..gen_options(root) };
    let db = spygen::toolchain::Db::load(None).unwrap();
    spygen::generate(&db, &options).map(|_| ()).map_err(|e| TestCaseError::fail(format!("gen failed: {e}")))
}

/// Runs `cmd`; a failure is a test-case error carrying the command and its output.
fn check(cmd: &mut Command) -> Result<String, TestCaseError> {
    let (code, out, err) = run(cmd);
    if code != 0 {
        return Err(TestCaseError::fail(format!("{cmd:?} exited {code}\nstdout:\n{out}\nstderr:\n{err}")));
    }
    Ok(out)
}

/// Generates both lowerings for the project in `root` into `root/<build>`, and checks that
/// build.ninja parses (`ninja-build-syntax`), that ninja finds every file an edge reads (made by
/// an edge, or there: `ninja -n`, which runs nothing), and that make reads the Makefile and plans
/// the whole build (`make -n`).
fn generate_and_parse(root: &Path, build: &str) -> Result<(), TestCaseError> {
    let dir = root.join(build);
    generate(root, &dir)?;
    let text = std::fs::read(dir.join("build.ninja")).unwrap();
    let mut edges = 0;
    for statement in ninja_build_syntax::parse(&text) {
        let statement = statement.map_err(|e| TestCaseError::fail(format!("build.ninja does not parse: {e:?}")))?;
        if let ninja_build_syntax::Statement::Build(_) = statement {
            edges += 1;
        }
    }
    prop_assert!(edges > 0);
    check(Command::new("ninja").arg("-C").arg(&dir).arg("-n"))?;
    check(Command::new("make").arg("-C").arg(&dir).arg("-n"))?;
    Ok(())
}

/// How many `CC`, `AR`, `LINK` and `REGEN` lines a ninja or make run printed.
fn steps(out: &str) -> [usize; 4] {
    // A line starts with the step (make), or with ninja's `[k/n] ` before it; paths, which may
    // hold anything, come after.
    let step = |l: &str| -> String {
        let l = if l.starts_with('[') { l.split_once("] ").map_or(l, |(_, rest)| rest) } else { l };
        l.split(' ').next().unwrap_or_default().to_string()
    };
    let count = |what: &str| out.lines().filter(|l| step(l) == what || l.starts_with(what)).count();
    [count("CC"), count("AR"), count("LINK"), count("REGEN") + count("spygen: regenerated")]
}

/// Builds the project in `root/build` with `tool` (`ninja` or `make`), checks the program's
/// output, then the rebuilds: none, one object, one module.
fn build_and_rebuild(root: &Path, project: &Project, tool: &str) -> Result<(), TestCaseError> {
    let dir = root.join(format!("build-{tool}"));
    generate(root, &dir)?;
    let build = || {
        let mut cmd = Command::new(tool);
        cmd.arg("-C").arg(&dir);
        if tool == "make" {
            cmd.arg("-j2");
        }
        check(&mut cmd)
    };
    build()?;
    let printed = check(&mut Command::new(dir.join("native/debug/app")))?;
    let expected: String = project.modules.iter().map(|(_, _, v)| format!("{v}\n")).collect();
    prop_assert_eq!(printed, expected, "every define reached the compiler verbatim");
    prop_assert_eq!(steps(&build()?), [0, 0, 0, 0], "{}: nothing changed, nothing rebuilt", tool);

    // Touch one source: its object, its archive, the program.
    let (module_dir, sources, _) = &project.modules[0];
    touch(&root.join(module_dir).join(&sources[0]));
    prop_assert_eq!(steps(&build()?), [1, 1, 1, 0], "{}: one source touched", tool);

    // Change the define of the last module: its objects, its archive, the program (and a
    // regeneration first).
    let last = project.modules.len() - 1;
    let (module_dir, sources, _) = &project.modules[last];
    let manifest = root.join(module_dir).join("spygen.toml");
    let text = std::fs::read_to_string(&manifest).unwrap();
    std::fs::write(&manifest, text.replace(&format!("VALUE_{last}="), &format!("CHANGED=1\", \"VALUE_{last}=")))
        .unwrap();
    let out = build()?;
    let [cc, ar, link, regen] = steps(&out);
    prop_assert_eq!([cc, ar, link], [sources.len(), 1, 1], "{}: one module's define changed:\n{}", tool, out);
    prop_assert!(regen >= 1, "{tool}: the build files were regenerated:\n{out}");
    prop_assert_eq!(steps(&build()?), [0, 0, 0, 0], "{}: nothing changed since", tool);
    Ok(())
}

/// The harness's settings: how many cases, which seed.
fn config(default_cases: u32) -> Config {
    harness_config(default_cases, 0x5eed_0011, 64)
}

#[test]
fn hostile_projects_generate_build_files_that_parse_and_read_only_existing_files() {
    if !require_program("make", "apt-get install make") || !require_program("ninja", "apt-get install ninja-build") {
        return;
    }
    let mut runner = TestRunner::new(config(150));
    let result = runner.run(&project_spec(), |specs| {
        let dir = tempfile::tempdir().unwrap();
        write_project(dir.path(), &specs);
        generate_and_parse(dir.path(), "build")
    });
    if let Err(e) = result {
        panic!("{e}");
    }
}

#[test]
fn a_path_holding_a_character_no_build_file_can_carry_is_refused_naming_it() {
    let mut runner = TestRunner::new(config(60));
    let strategy = (project_spec(), 0..UNSUPPORTED.len(), any::<bool>());
    let result = runner.run(&strategy, |(mut specs, which, in_source)| {
        let c = UNSUPPORTED.chars().nth(which).unwrap();
        let last = specs.len() - 1;
        if in_source {
            specs[last].sources[0].insert(0, c);
        } else {
            specs[last].dir.push(c);
        }
        let dir = tempfile::tempdir().unwrap();
        write_project(dir.path(), &specs);
        let (code, _, err) = run(spygen().args(["gen", "-q"]).arg(dir.path()));
        prop_assert_eq!(code, 1, "{}", err);
        prop_assert!(err.contains(&format!("holds `{c}`")), "{err}");
        prop_assert!(!dir.path().join("build-spygen/build.ninja").exists());
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
}

#[test]
fn hostile_projects_build_with_ninja_and_make_and_rebuild_exactly_what_changed() {
    if !require_program("make", "apt-get install make")
        || !require_program("ninja", "apt-get install ninja-build")
        || !require_target("native")
    {
        return;
    }
    let cases = config(80).cases.div_ceil(20);
    let mut runner = TestRunner::new(Config { cases, ..config(80) });
    let result = runner.run(&project_spec(), |specs| {
        let dir = tempfile::tempdir().unwrap();
        let project = write_project(dir.path(), &specs);
        build_and_rebuild(dir.path(), &project, "ninja")?;
        // make on a fresh copy of the sources: the ninja run above changed a manifest.
        let fresh = tempfile::tempdir().unwrap();
        let project = write_project(fresh.path(), &specs);
        build_and_rebuild(fresh.path(), &project, "make")
    });
    if let Err(e) = result {
        panic!("{e}");
    }
}
