//! `spygen graph`: the demo's graph as Graphviz dot (rendered by `dot`) and as JSON (ids that
//! all resolve), snapshots of one configuration of each, awkward names in labels, and unknown
//! configurations.

mod common;

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use common::*;
use serde_json::Value;

const CONFIGS: &str = "emscripten-debug, emscripten-release, native-debug, native-release, native-static-debug, \
                       native-static-release, wasi-debug, wasi-release";

fn graph(project: &Path, args: &[&str]) -> String {
    run_ok(spygen().arg("graph").arg(project).args(args))
}

/// Renders `dot_text` with Graphviz to SVG, failing on any error or warning.
fn render_svg(dot_text: &str) -> String {
    let mut child = Command::new("dot")
        .arg("-Tsvg")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn dot");
    child.stdin.take().unwrap().write_all(dot_text.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success() && stderr.is_empty(), "dot failed: {stderr}");
    let svg = String::from_utf8(out.stdout).unwrap();
    assert!(svg.contains("<svg"), "{svg}");
    svg
}

/// Every id in the JSON graph resolves: ids are positions, producers write their files,
/// actions' files exist, defaults, configurations and owners are listed.
fn check_ids(doc: &Value) {
    let files = doc["files"].as_array().unwrap();
    let actions = doc["actions"].as_array().unwrap();
    let configs: Vec<&str> =
        doc["configurations"].as_array().unwrap().iter().map(|c| c["name"].as_str().unwrap()).collect();
    let modules = doc["modules"].as_array().unwrap();
    let file_id = |v: &Value| -> usize {
        let id = v.as_u64().unwrap_or_else(|| panic!("a file id: {v}")) as usize;
        assert!(id < files.len(), "file id {id} out of {}", files.len());
        id
    };
    for (i, f) in files.iter().enumerate() {
        assert_eq!(f["id"], i, "{f}");
        assert!(f["path"].as_str().is_some_and(|p| !p.is_empty()), "{f}");
        if let Some(p) = f["producer"].as_u64() {
            let a = &actions[p as usize];
            let writes = ["outputs", "implicit_outputs"].iter().flat_map(|k| a[k].as_array().unwrap());
            assert!(writes.map(file_id).any(|o| o == i), "{f} is not written by its producer {a}");
        }
    }
    for (i, a) in actions.iter().enumerate() {
        assert_eq!(a["id"], i, "{a}");
        for key in ["inputs", "implicit", "order_only", "outputs", "implicit_outputs"] {
            for f in a[key].as_array().unwrap_or_else(|| panic!("`{key}` in {a}")) {
                file_id(f);
            }
        }
        for out in ["outputs", "implicit_outputs"].iter().flat_map(|k| a[k].as_array().unwrap()) {
            assert_eq!(files[file_id(out)]["producer"], i, "{a}");
        }
        assert!(!a["outputs"].as_array().unwrap().is_empty(), "{a}");
        match a["config"].as_str() {
            Some(c) => assert!(configs.contains(&c), "{a}"),
            None => assert!(a["config"].is_null(), "{a}"),
        }
        if !a["owner"].is_null() {
            assert!(modules.contains(&a["owner"]), "{a}");
        }
        let runs_tool = a["kind"] != "phony";
        assert_eq!(a["command"].is_array(), runs_tool, "{a}");
        if a["kind"] == "compile" {
            let words: Vec<&str> = a["command"].as_array().unwrap().iter().map(|w| w.as_str().unwrap()).collect();
            let path = |key: &str| files[file_id(&a[key][0])]["path"].as_str().unwrap();
            assert!(words.contains(&path("inputs")) && words.last() == Some(&path("outputs")), "{a}");
        }
    }
    for d in doc["defaults"].as_array().unwrap() {
        file_id(d);
    }
}

#[test]
fn demo_dot_snapshot_renders() {
    if !require_target("native") {
        return;
    }
    let (_tmp, examples) = examples_copy();
    let demo = examples.join("out-of-tree/demo");
    let one = graph(&demo, &["--format", "dot", "--config", "native-debug"]);
    let all = graph(&demo, &[]);
    assert!(all.len() > one.len() && all.starts_with("digraph spygen {\n") && all.ends_with("}\n"));
    insta::assert_snapshot!(one);
    if require_program("dot", "apt-get install graphviz") {
        for text in [&one, &all] {
            render_svg(text);
        }
    }
}

#[test]
fn demo_json_snapshot_and_ids() {
    if !require_target("wasi") {
        return;
    }
    let (tmp, examples) = examples_copy();
    let demo = examples.join("out-of-tree/demo");
    let one = graph(&demo, &["--format", "json", "--config", "wasi-release"]);
    let all = graph(&demo, &["--format", "json"]);
    for text in [&one, &all] {
        let doc: Value = serde_json::from_str(text).expect("valid JSON");
        assert_eq!(doc["version"], 1);
        assert_eq!(Path::new(doc["build_dir"].as_str().unwrap()), demo.join("build"));
        check_ids(&doc);
    }
    let doc: Value = serde_json::from_str(&all).unwrap();
    let names: Vec<&str> =
        doc["configurations"].as_array().unwrap().iter().map(|c| c["name"].as_str().unwrap()).collect();
    assert_eq!(names.join(", "), CONFIGS);
    let kinds: Vec<&str> = doc["actions"].as_array().unwrap().iter().map(|a| a["kind"].as_str().unwrap()).collect();
    for kind in ["compile", "archive", "link", "link-whole-archive", "phony", "regenerate"] {
        assert!(kinds.contains(&kind), "no {kind} action");
    }
    let one_doc: Value = serde_json::from_str(&one).unwrap();
    assert!(one_doc["actions"].as_array().unwrap().iter().all(|a| a["config"] == "wasi-release"));
    assert!(!one_doc["defaults"].as_array().unwrap().is_empty(), "wasi is installed: its outputs are defaults");
    machine_filters(tmp.path()).bind(|| insta::assert_snapshot!(one));
}

#[test]
fn awkward_names_survive_dot_and_json() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().canonicalize().unwrap();
    // Every character here is one a build file can carry in a path (`"` and `\` are not: see
    // tests/globs.rs); dot's and JSON's quoting of those is checked by src/lower/dot.rs's tests.
    let source = "we {ird} $N #x%@!.c";
    write_files(
        &root,
        &[
            ("rt/spygen.toml", "name = \"rt\"\nsources = [\"rt.c\"]\n"),
            ("rt/rt.c", "int rt(void) { return 1; }\n"),
            (
                "p/spy.toml",
                "[spygen]\nruntime = \"../rt\"\ntargets = [\"native\"]\n\n[[spygen.program]]\nname = \"app\"\n\
                 sources = ['*.c']\n",
            ),
            (&format!("p/{source}"), "int main(void) { return 0; }\n"),
        ],
    );
    let project = root.join("p");
    let json: Value = serde_json::from_str(&graph(&project, &["--format", "json"])).unwrap();
    check_ids(&json);
    let path = format!("../{source}");
    assert!(json["files"].as_array().unwrap().iter().any(|f| f["path"] == path.as_str()), "{json}");
    let dot_text = graph(&project, &["--format", "dot"]);
    assert!(dot_text.contains(r#"[label="../we {ird} $N #x%@!.c", shape=note];"#), "{dot_text}");
    if require_program("dot", "apt-get install graphviz") {
        let svg = render_svg(&dot_text);
        assert!(svg.contains("../we {ird} $N #x%@!.c"), "the label is drawn verbatim:\n{svg}");
    }
}

#[test]
fn an_unknown_configuration_lists_the_valid_ones() {
    let demo = repo_root().join("examples/out-of-tree/demo");
    for format in ["dot", "json", "compdb"] {
        let (code, out, err) =
            run(spygen().arg("graph").arg(&demo).args(["--format", format, "--config", "wasi-fast"]));
        assert_eq!(code, 2, "{format}: {err}");
        assert_eq!(out, "", "{format}");
        assert!(err.contains("unknown configuration `wasi-fast`"), "{format}: {err}");
        assert!(err.contains(&format!("valid configurations: {CONFIGS}")), "{format}: {err}");
    }
    // A configuration left out by --target is unknown too.
    if require_target("native") {
        let (code, _, err) =
            run(spygen().arg("graph").arg(&demo).args(["--target", "native", "--config", "wasi-debug"]));
        assert_eq!(code, 2, "{err}");
        assert!(err.contains("valid configurations: native-debug, native-release"), "{err}");
    }
}

#[test]
fn path_names_the_chain_of_actions_from_a_source_to_a_program() {
    if !require_target("native") {
        return;
    }
    let demo = repo_root().join("examples/out-of-tree/demo");
    let text = graph(&demo, &["--target", "native", "--path", "native/debug/encdemo", "base64.c"]);
    assert_eq!(
        text,
        "native/debug/encdemo depends on ../../vendor/tinyenc/src/base64.c:\n  ../../vendor/tinyenc/src/base64.c\n    \
         -> foreign-make (native-debug, tinyenc) [implicit input]\n  native/debug/foreign/tinyenc/libtinyenc.a\n    \
         -> link (native-debug, encdemo)\n  native/debug/encdemo\n"
    );
    let json: Value = serde_json::from_str(&graph(
        &demo,
        &["--target", "native", "--format", "json", "--path", "native-debug", "native/debug/encdemo"],
    ))
    .unwrap();
    assert_eq!(json["depends"], true);
    assert_eq!(json["steps"][1]["action"]["kind"], "phony");
    let none = graph(&demo, &["--target", "native", "--path", "native/debug/whatis", "base64.c"]);
    assert_eq!(none, "native/debug/whatis does not depend on ../../vendor/tinyenc/src/base64.c\n");
}

#[test]
fn refs_list_what_rebuilds_when_a_file_changes() {
    if !require_target("native") {
        return;
    }
    let demo = repo_root().join("examples/out-of-tree/demo");
    let text = graph(&demo, &["--target", "native", "--build-type", "debug", "--refs", "base64.c"]);
    let files: Vec<&str> = text.lines().collect();
    assert_eq!(
        files,
        [
            "native/debug/foreign/tinyenc/libtinyenc.a",
            "native/debug/tinyenc.spymod.json",
            "native/debug/spyvm_tinyenc.spymod.json",
            "native/debug/encdemo",
            "native/debug/tinyenc_vectors",
            "native/debug/.test/tinyenc_vectors.passed",
            "native-debug",
            "native",
            "spyvm_tinyenc",
            "tinyenc",
            "encdemo",
            "tinyenc_vectors",
            "all",
            "test-native-debug",
            "test",
        ],
        "the archive, the module manifests over it, the programs linking it, the test running one, and the aliases naming them; not whatis"
    );
    let json: Value = serde_json::from_str(&graph(
        &demo,
        &[
            "--target",
            "native",
            "--build-type",
            "debug",
            "--format",
            "json",
            "--refs",
            "base64.c",
            "--config",
            "native-debug",
        ],
    ))
    .unwrap();
    let kinds: Vec<&str> = json["actions"].as_array().unwrap().iter().map(|a| a["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["foreign-make", "module-manifest", "module-manifest", "link", "link", "test"]);
}

#[test]
fn a_file_the_graph_does_not_have_is_a_usage_error_saying_how_to_name_one() {
    let demo = repo_root().join("examples/out-of-tree/demo");
    let (code, out, err) = run(spygen().arg("graph").arg(&demo).args(["--refs", "runtime.h"]));
    assert_eq!((code, out.as_str()), (2, ""), "{err}");
    assert!(err.contains("no file `runtime.h` in the build graph"), "{err}");
    assert!(err.contains("headers are not in the graph"), "{err}");
}
