//! The command line helps itself: completion scripts for the usual shells, and examples in
//! each subcommand's `--help`.

mod common;

use std::process::Command;

use common::*;

#[test]
fn the_bash_completion_script_is_valid_bash_and_completes_every_subcommand() {
    let script = run_ok(spygen().args(["completions", "bash"]));
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("spygen.bash");
    std::fs::write(&file, &script).unwrap();
    run_ok(Command::new("bash").arg("-n").arg(&file));
    for sub in ["build", "run", "clean", "gen", "flags", "toolchains", "graph", "bundle", "completions"] {
        assert!(script.contains(sub), "{sub} is completed");
    }
    // Sourced, it registers the completion for spygen.
    let registered =
        run_ok(Command::new("bash").arg("-c").arg(format!("source {} && complete -p spygen", file.display())));
    assert!(registered.contains("spygen"), "{registered}");
}

#[test]
fn zsh_and_fish_get_completion_scripts_too() {
    for shell in ["zsh", "fish", "elvish", "powershell"] {
        let script = run_ok(spygen().args(["completions", shell]));
        assert!(script.contains("build") && script.contains("toolchains"), "{shell}: {script}");
    }
    let (code, _, err) = run(spygen().args(["completions", "tcsh"]));
    assert_eq!(code, 2, "{err}");
}

#[test]
fn every_subcommands_help_ends_with_examples() {
    for sub in ["build", "run", "clean", "gen", "flags", "toolchains", "graph", "bundle", "completions"] {
        let help = run_ok(spygen().args([sub, "--help"]));
        assert!(help.contains("EXAMPLES"), "`spygen {sub} --help` has examples:\n{help}");
        assert!(help.contains(&format!("spygen {sub}")) || sub == "completions", "{help}");
    }
}
