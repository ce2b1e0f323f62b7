//! Lowering: turning the build graph into files other tools read. One file per output format.

#[cfg(test)]
mod fixture;

pub mod compdb;
pub mod dot;
pub mod goals;
pub mod graph_json;
pub mod make;
pub mod make_fragment;
pub mod make_syntax;
pub mod ninja;
pub mod test_list;

use crate::graph::{Action, ActionKind, BuildGraph, ConfigId};

pub use compdb::lower_compdb;
pub use dot::lower_dot;
pub use graph_json::lower_graph_json;
pub use make::{MakeOutput, lower_make};
pub use ninja::lower_ninja;

/// Past this many bytes, a list of command words that grows with the project (a link's inputs
/// and flags, an archive's objects, a bundle's arguments) goes through a response file: ninja
/// and make run each command as one `sh -c` argument, which Linux caps at 128 KiB, and what
/// else a command holds (tools, one source's paths) stays far below the rest. Shorter lists
/// stay on the command line, sparing a file per command. (A unit's compile flags, shared by
/// all its objects, go into a file of their own much sooner: [`COMPILE_FLAGS_INLINE_LIMIT`].)
pub const RESPONSE_FILE_THRESHOLD: usize = 32 * 1024;

/// The directory, relative to the build directory, of the response files spygen writes for
/// long compile flags ([`COMPILE_FLAGS_INLINE_LIMIT`]).
pub const RESPONSE_FILES_DIR: &str = ".spygen/rsp";
/// spygen's own directory in the build directory, which [`RESPONSE_FILES_DIR`], make's command
/// stamps and `spygen run`'s WASI launcher live in.
pub const SPYGEN_DIR: &str = ".spygen";

/// Past this many bytes, a unit's compile flags go into a response file even though they would
/// fit a command line. ninja evaluates every edge's command and hashes it on every run (a
/// build, a no-op build checking its log, `ninja -n`): a flag list spelled in the command is
/// copied and hashed once per object, a response file's name once. A kilobyte is a few dozen
/// include directories, where the list starts to cost ninja more than the rest of the command
/// (about four instructions a byte against some 40,000 an edge); shorter lists stay inline,
/// where `ninja -v` and a failed compile show them.
pub const COMPILE_FLAGS_INLINE_LIMIT: usize = 1024;

/// A response file written at generation: the flags of one unit in one configuration, longer
/// than [`COMPILE_FLAGS_INLINE_LIMIT`]. Compiles name it (`cc @file`); the name holds a hash of
/// the content, so that changed flags change the compile command as inline flags would (ninja's
/// log and make's command stamps then rebuild the objects), and ninja need not stat the file
/// for every object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResponseFile {
    /// Its path relative to the build directory: `<dir>/<flag set>.<hash>.rsp`.
    pub path: String,
    /// Its words, in response-file syntax (`shell::response_file`).
    pub content: String,
}

/// The response files of the compile flag sets whose words pass
/// [`COMPILE_FLAGS_INLINE_LIMIT`], by flag set (`None`: the flags stay on the command line).
pub(crate) fn compile_response_files(graph: &BuildGraph) -> Vec<Option<ResponseFile>> {
    use sha2::Digest;
    let lengths = graph.flag_set_lengths();
    let mut files = vec![None; graph.flag_set_count()];
    for (_, action) in graph.actions().filter(|(_, a)| a.kind == ActionKind::Compile) {
        if let Some(id) = action.flags
            && lengths[id.index()] > COMPILE_FLAGS_INLINE_LIMIT
            && files[id.index()].is_none()
        {
            let name = &graph.flag_set(id).name;
            let mut content = crate::shell::response_file(&graph.flag_words(id));
            content.push('\n');
            // 64 bits, as ninja's own command hash: an accidental collision is as unlikely.
            let hash = crate::bundle::hex(&sha2::Sha256::digest(content.as_bytes())[..8]);
            files[id.index()] = Some(ResponseFile { path: format!("{RESPONSE_FILES_DIR}/{name}.{hash}.rsp"), content });
        }
    }
    files
}

/// The words of `action` that go into a response file (its kind's
/// [`crate::graph::ResponseFileCommand`] content) when they are too long for a command line:
/// an archive's objects, a link's words after the compiler, a bundle's arguments. `None`:
/// short enough, or a kind without a response-file form.
pub(crate) fn action_response_words(graph: &BuildGraph, action: &Action) -> Option<Vec<String>> {
    let rsp = action.kind.response_file_command()?;
    // Every archive and link of a large project comes here: measure before copying anything.
    (graph.words_len(action, rsp.content) > RESPONSE_FILE_THRESHOLD)
        .then(|| graph.expand_words(action, rsp.content, false))
}

/// A `# configuration wasi-release` comment line when `action` starts a new configuration
/// (`current` tracks the last one seen).
pub(crate) fn config_heading(graph: &BuildGraph, action: &Action, current: &mut Option<ConfigId>) -> Option<String> {
    let config = action.config?;
    if *current == Some(config) {
        return None;
    }
    *current = Some(config);
    let c = graph.config(config);
    let note = if c.available { "" } else { " (toolchain not installed: not built by default)" };
    Some(format!("\n# configuration {}{note}\n", c.name()))
}
