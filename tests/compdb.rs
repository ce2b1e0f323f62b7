//! compile_commands.json: `spygen gen` writes the default (first native) configuration's next
//! to build.ninja, `spygen graph --format compdb --config C` prints any configuration's, and
//! every entry's command, run in its directory, compiles its file.

mod common;

use std::path::Path;
use std::process::Command;

use common::*;
use serde_json::Value;
use spygen::paths;

const ALL_TARGETS: [&str; 4] = ["native", "native-static", "wasi", "emscripten"];

fn entries(text: &str) -> Vec<Value> {
    serde_json::from_str::<Value>(text).expect("compile_commands.json is JSON").as_array().expect("an array").clone()
}

fn str_of<'a>(entry: &'a Value, key: &str) -> &'a str {
    entry[key].as_str().unwrap_or_else(|| panic!("`{key}` is a string in {entry}"))
}

/// Runs every entry's `arguments` in its `directory` (creating it and the object's directory
/// first, as gen and ninja do) and checks the object appears.
fn compile_every_entry(entries: &[Value]) {
    for e in entries {
        let dir = Path::new(str_of(e, "directory"));
        assert!(dir.is_absolute(), "{e}");
        std::fs::create_dir_all(dir).unwrap(); // `graph` plans without writing: no build dir yet
        let args: Vec<&str> = e["arguments"].as_array().unwrap().iter().map(|w| w.as_str().unwrap()).collect();
        let c = args.iter().position(|w| *w == "-c").expect("a -c word");
        assert_eq!(args[c + 1], str_of(e, "file"), "`file` is the source as the command spells it");
        assert!(dir.join(str_of(e, "file")).is_file(), "{e}");
        assert_eq!(args.last(), Some(&str_of(e, "output")), "`output` is the -o word");
        let object = dir.join(str_of(e, "output"));
        std::fs::create_dir_all(object.parent().unwrap()).unwrap();
        run_ok(Command::new(args[0]).args(&args[1..]).current_dir(dir));
        assert!(object.is_file(), "{} was not written", object.display());
    }
}

#[test]
fn gen_writes_the_native_database_and_every_command_compiles() {
    if !require_target("native") {
        return;
    }
    let (_tmp, examples) = examples_copy();
    let demo = examples.join("out-of-tree/demo");
    generate_in_process(&gen_options(&demo));
    let build = demo.join("build");
    let text = std::fs::read_to_string(build.join("compile_commands.json"))
        .expect("a generation writes compile_commands.json in the build directory");
    assert!(text.ends_with("]\n"));
    // The same as `spygen graph --format compdb` with no --config, and as --config native-debug.
    assert_eq!(run_ok(spygen().args(["graph", "--format", "compdb"]).arg(&demo)), text);
    assert_eq!(run_ok(spygen().args(["graph", "--format", "compdb", "--config", "native-debug"]).arg(&demo)), text);

    // One entry per compile action of native-debug, in the graph's order, and among them
    // (where the foreign make action is) one per compile of the vendored library's Makefile,
    // in its directory, writing into the build dir's `foreign/tinyenc`.
    let graph: Value = serde_json::from_str(&run_ok(
        spygen().args(["graph", "--format", "json", "--config", "native-debug"]).arg(&demo),
    ))
    .unwrap();
    let files = graph["files"].as_array().unwrap();
    let objects: Vec<&str> = graph["actions"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["kind"] == "compile")
        .map(|a| files[a["outputs"][0].as_u64().unwrap() as usize]["path"].as_str().unwrap())
        .collect();
    let entries = entries(&text);
    let (own, foreign): (Vec<&Value>, Vec<&Value>) =
        entries.iter().partition(|e| Path::new(str_of(e, "directory")) == build);
    let outputs: Vec<&str> = own.iter().map(|e| str_of(e, "output")).collect();
    assert_eq!(outputs, objects);
    assert!(own.len() >= 8, "{}", own.len());
    for e in &own {
        assert!(str_of(e, "output").starts_with("native/debug/obj/"), "{e}");
    }
    let vendor = examples.join("out-of-tree/vendor/tinyenc");
    let sources: Vec<&str> = foreign.iter().map(|e| str_of(e, "file")).collect();
    assert_eq!(sources, ["src/base32.c", "src/base64.c", "src/crc32.c"]);
    for e in &foreign {
        assert_eq!(Path::new(str_of(e, "directory")), vendor, "{e}");
        assert!(str_of(e, "output").starts_with("../../demo/build/native/debug/foreign/tinyenc/obj/"), "{e}");
    }
    compile_every_entry(&entries);
    let mut filters = machine_filters(&build);
    filters.add_filter(&regex_escape(&vendor.display().to_string()), "<vendor>");
    filters.bind(|| insta::assert_snapshot!(text));
}

#[test]
fn every_configuration_database_compiles() {
    let (_tmp, examples) = examples_copy();
    let demo = examples.join("out-of-tree/demo");
    let configs: Vec<(&str, &str)> =
        ALL_TARGETS.into_iter().filter(|t| require_target(t)).flat_map(|t| [(t, "debug"), (t, "release")]).collect();
    std::thread::scope(|s| {
        for &(target, build_type) in &configs {
            let demo = &demo;
            s.spawn(move || {
                let config = format!("{target}-{build_type}");
                let text = run_ok(spygen().args(["graph", "--format", "compdb", "--config", &config]).arg(demo));
                let entries = entries(&text);
                assert!(!entries.is_empty(), "{config}");
                // spygen's compiles, in the build dir, and the vendored Makefile's, writing
                // into the build dir's `foreign/tinyenc`.
                let build = demo.join("build");
                for e in &entries {
                    let object = paths::normalize(&Path::new(str_of(e, "directory")).join(str_of(e, "output")));
                    let within = |dir: &str| object.starts_with(build.join(format!("{target}/{build_type}/{dir}")));
                    assert!(within("obj") || within("foreign/tinyenc/obj"), "{config}: {e}");
                }
                compile_every_entry(&entries);
            });
        }
    });
}
