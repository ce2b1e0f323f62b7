//! The README's runnable examples, run: every shell block fenced as ```` ```sh run ```` (in the
//! repository's top directory) or ```` ```sh run=DIR ```` (in DIR) runs in a fresh copy of
//! `examples/`, with this spygen first on PATH. Lines starting with `$ ` are commands (a line
//! ending in `\` continues on the next); the lines after one are output it must print, in
//! order, among its other lines, with `...` standing for any text. A command must succeed,
//! unless it ends with the comment `# fails`. So the README cannot drift from the program.

mod common;

use std::path::Path;
use std::process::Command;

use common::*;

/// A runnable block: where it runs, its commands with their expected output, and its line.
struct Block {
    dir: String,
    commands: Vec<(String, Vec<String>)>,
    line: usize,
}

fn runnable_blocks(readme: &str) -> Vec<Block> {
    let mut blocks = Vec::new();
    let mut current: Option<Block> = None;
    let mut pending = String::new();
    for (i, line) in readme.lines().enumerate() {
        if let Some(block) = current.as_mut() {
            if line.starts_with("```") {
                blocks.push(current.take().unwrap());
                continue;
            }
            if !pending.is_empty() {
                pending.push('\n');
                pending.push_str(line);
                if !line.ends_with('\\') {
                    block.commands.push((std::mem::take(&mut pending), Vec::new()));
                }
            } else if let Some(cmd) = line.strip_prefix("$ ") {
                if cmd.ends_with('\\') {
                    pending = cmd.to_string();
                } else {
                    block.commands.push((cmd.to_string(), Vec::new()));
                }
            } else if let Some((_, expected)) = block.commands.last_mut() {
                expected.push(line.to_string());
            }
        } else if let Some(info) = line.strip_prefix("```sh run") {
            let dir = info.strip_prefix('=').unwrap_or(".").trim().to_string();
            current = Some(Block { dir, commands: Vec::new(), line: i + 1 });
        }
    }
    blocks
}

/// Whether `line` is `pattern`, where `...` stands for any text.
fn matches(pattern: &str, line: &str) -> bool {
    let parts: Vec<&str> = pattern.split("...").collect();
    let [first, middle @ .., last] = parts.as_slice() else { return pattern == line };
    let Some(mut rest) = line.strip_prefix(first) else { return false };
    for part in middle {
        match rest.find(part) {
            Some(at) => rest = &rest[at + part.len()..],
            None => return false,
        }
    }
    rest.ends_with(last)
}

#[test]
fn the_pattern_matcher_takes_dots_for_any_text() {
    assert!(matches("a ... b", "a xyz b") && matches("...x", "yyx") && matches("exact", "exact"));
    assert!(!matches("a ... b", "a xyz c") && !matches("exact", "exact!") && !matches("a...a", "a"));
}

#[test]
fn every_runnable_readme_example_runs_as_written() {
    for (program, install) in [
        ("ninja", "apt-get install ninja-build"),
        ("make", "apt-get install make"),
        ("dot", "apt-get install graphviz"),
        ("jq", "apt-get install jq"),
        ("ccache", "apt-get install ccache"),
    ] {
        if !require_program(program, install) {
            return;
        }
    }
    if !["native", "wasi"].iter().all(|t| require_target(t)) {
        return;
    }
    let readme = std::fs::read_to_string(repo_root().join("README.md")).unwrap();
    let blocks = runnable_blocks(&readme);
    assert!(blocks.len() >= 8, "{} runnable blocks", blocks.len());
    let bin_dir = Path::new(env!("CARGO_BIN_EXE_spygen")).parent().unwrap().to_path_buf();
    let path = format!("{}:{}", bin_dir.display(), std::env::var("PATH").unwrap_or_default());
    for block in blocks {
        let (_tmp, examples) = examples_copy();
        let top = examples.parent().unwrap();
        let mut script = format!("cd {}\n", shell_quote(&top.join(&block.dir)));
        for (cmd, _) in &block.commands {
            script += &format!("{{ {cmd}\n}} 2>&1\necho \"@@@ $?\"\n");
        }
        let out = Command::new("bash").arg("-c").arg(&script).env("PATH", &path).output().unwrap();
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        let mut outputs = Vec::new();
        let mut lines = Vec::new();
        for l in text.lines() {
            match l.strip_prefix("@@@ ") {
                Some(code) => outputs.push((code.parse::<i32>().unwrap_or(-1), std::mem::take(&mut lines))),
                None => lines.push(l.to_string()),
            }
        }
        assert_eq!(outputs.len(), block.commands.len(), "README.md:{}: the block stopped early:\n{text}", block.line);
        for ((cmd, expected), (code, lines)) in block.commands.iter().zip(&outputs) {
            let shown = format!("README.md:{}: `{cmd}` printed:\n{}", block.line, lines.join("\n"));
            if cmd.trim_end().ends_with("# fails") {
                assert_ne!(*code, 0, "{shown}");
            } else {
                assert_eq!(*code, 0, "{shown}");
            }
            let mut at = 0;
            for want in expected {
                match lines[at..].iter().position(|l| matches(want, l)) {
                    Some(i) => at += i + 1,
                    None => panic!("{shown}\n\nexpected a line `{want}`"),
                }
            }
        }
    }
}

fn shell_quote(path: &Path) -> String {
    format!("'{}'", path.display().to_string().replace('\'', "'\\''"))
}
