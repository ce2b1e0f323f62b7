//! The command line: parse arguments, call the library, print. No build logic lives here.

mod build_cmd;
mod bundle_cmd;
mod clean_cmd;
mod flags;
mod gen_cmd;
mod graph_cmd;
mod pack_cmd;
mod project_args;
mod run_cmd;
mod spymod_cmd;
mod test_cmd;
mod toolchains;

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::error::{Error, Result};
use crate::toolchain::{Db, TOOLCHAIN_DIR_ENV};

/// spygen: generate build files for SPy's runtime and out-of-tree modules, and answer
/// toolchain questions (`spygen flags`).
#[derive(Debug, Parser)]
#[command(name = "spygen", version, about, long_about = None)]
struct Cli {
    /// A directory of toolchain descriptors (*.toml) that override or extend the built-in ones
    /// (default: $SPYGEN_TOOLCHAIN_DIR, unless `gen --no-env`).
    #[arg(long, global = true, value_name = "DIR")]
    toolchain_dir: Option<PathBuf>,

    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Print compiler, flags and tools for a target (a drop-in for `python -m spy.build.flags`).
    Flags(flags::FlagsArgs),
    /// List the known targets, their tools, versions and availability on this machine.
    Toolchains(toolchains::ToolchainsArgs),
    /// Generate build files (build.ninja or Makefile, spygen.mk, compile_commands.json).
    Gen(gen_cmd::GenArgs),
    /// Generate when needed, then build (ninja, else make); the exit status is the build's.
    Build(build_cmd::BuildArgs),
    /// Remove what the build made (--all: the build files and bundle cache too).
    Clean(clean_cmd::CleanArgs),
    /// Build one program and run it through its target's runner (node for wasi and emscripten).
    Run(run_cmd::RunArgs),
    /// Build the tests and run them on every installed configuration, through each target's
    /// runner; print failures and a summary (--junit: JUnit XML too).
    Test(test_cmd::TestArgs),
    /// Run one test and write its report (what the build files' test actions run).
    #[command(hide = true)]
    TestOne(test_cmd::TestOneArgs),
    /// Write one module's resolved manifest (what the build files' module-manifest actions run).
    #[command(hide = true)]
    Spymod(spymod_cmd::SpymodArgs),
    /// Build one module and write it, with its manifests, into a pack another project links
    /// prebuilt (--inspect: list a pack and verify it).
    Pack(pack_cmd::PackArgs),
    /// Print the build graph: Graphviz dot, JSON for tools, or compile_commands.json.
    Graph(graph_cmd::GraphArgs),
    /// Link archives into a wasi reactor through a content-addressed cache (--list, --gc).
    Bundle(bundle_cmd::BundleArgs),
    /// Print a completion script for a shell: `source <(spygen completions bash)`.
    #[command(after_help = "EXAMPLES:
  source <(spygen completions bash)                               # this bash session
  spygen completions bash > ~/.local/share/bash-completion/completions/spygen
  spygen completions zsh > \"${fpath[1]}/_spygen\"
  spygen completions fish > ~/.config/fish/completions/spygen.fish")]
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
}

/// Runs spygen with the process arguments; returns the exit code.
pub fn run() -> i32 {
    crate::generate::note_process_start();
    let args = match bundle_cmd::expand_args_from(std::env::args_os().collect()) {
        Ok(args) => args,
        Err(e) => {
            eprintln!("spygen: error: {e}");
            return e.exit_code();
        }
    };
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return code;
        }
    };
    match dispatch(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("spygen: error: {e}");
            e.exit_code()
        }
    }
}

/// Runs the command; its exit code (a build's is the backend's).
fn dispatch(cli: Cli) -> Result<i32> {
    let reads_env = match &cli.command {
        Command::Gen(args) => args.project.reads_env(),
        Command::Build(args) => args.project.reads_env(),
        Command::Clean(args) => args.reads_env(),
        Command::Graph(args) => args.project.reads_env(),
        _ => true,
    };
    let toolchain_dir = cli.toolchain_dir.clone().or_else(|| {
        let from_env = std::env::var_os(TOOLCHAIN_DIR_ENV).filter(|v| reads_env && !v.is_empty());
        from_env.map(PathBuf::from)
    });
    let toolchain_dir = toolchain_dir.as_deref();
    let load_db = || Db::load(toolchain_dir);
    match &cli.command {
        Command::Flags(args) => flags::run(args, &load_db()?),
        Command::Toolchains(args) => toolchains::run(args, &load_db()?),
        Command::Gen(args) => gen_cmd::run(args, &load_db()?, toolchain_dir),
        Command::Build(args) => return build_cmd::run(args, &load_db()?, toolchain_dir),
        Command::Clean(args) => clean_cmd::run(args, &load_db()?, toolchain_dir),
        Command::Run(args) => return run_cmd::run(args, &load_db()?, toolchain_dir),
        Command::Test(args) => return test_cmd::run(args, &load_db()?, toolchain_dir),
        Command::TestOne(args) => return test_cmd::run_one(args),
        Command::Spymod(args) => spymod_cmd::run(args),
        Command::Pack(args) => return pack_cmd::run(args, &load_db()?, toolchain_dir),
        Command::Graph(args) => graph_cmd::run(args, &load_db()?, toolchain_dir),
        Command::Bundle(args) => bundle_cmd::run(args, &load_db()?),
        Command::Completions { shell } => {
            use clap::CommandFactory;
            let mut text = Vec::new();
            clap_complete::generate(*shell, &mut Cli::command(), "spygen", &mut text);
            print_out(&String::from_utf8_lossy(&text))
        }
    }
    .map(|()| 0)
}

/// Writes `text` to stdout; a closed pipe (`spygen flags | head`) is not an error.
fn print_out(text: &str) -> Result<()> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(Error::env(format!("cannot write to standard output: {e}"))
            .help("redirect the output to a file or a pipe that accepts it")),
    }
}
