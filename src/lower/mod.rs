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

use crate::graph::{Action, BuildGraph, ConfigId, FlagPart, FlagSetId};

pub use compdb::lower_compdb;
pub use dot::lower_dot;
pub use graph_json::lower_graph_json;
pub use make::{MakeOutput, lower_make};
pub use ninja::lower_ninja;

/// Past this many bytes, a list of command words that grows with the project (a link's inputs
/// and flags, an archive's objects, a bundle's arguments) goes through a response file: ninja
/// and make run each command as one `sh -c` argument, which Linux caps at 128 KiB, and what
/// else a command holds (tools, one source's paths) stays far below the rest. Shorter lists
/// stay on the command line, sparing a file per command. (A unit's include flags, spelled for
/// all its objects, can go into a file of their own much sooner: [`FLAGS_PER_RUN_LIMIT`].)
pub const RESPONSE_FILE_THRESHOLD: usize = 32 * 1024;

/// The directory, relative to the build directory, of the response files spygen writes for
/// long compile flags ([`compile_response_files`]).
pub const RESPONSE_FILES_DIR: &str = ".spygen/rsp";
/// spygen's own directory in the build directory, which [`RESPONSE_FILES_DIR`], make's command
/// stamps and `spygen run`'s WASI launcher live in.
pub const SPYGEN_DIR: &str = ".spygen";

/// A list of flags that a unit's compile flags refer to (its include flags, the same in every
/// configuration) longer than this goes into a response file, even though it would fit a
/// command line, when it is also spelled for enough objects ([`FLAGS_PER_RUN_LIMIT`]). A
/// kilobyte is a few dozen include directories; shorter lists stay inline, where `ninja -v` and
/// a failed compile show them.
pub const FLAGS_INLINE_LIMIT: usize = 1024;

/// How many bytes of one list of flags, counted over the objects whose compile commands spell
/// it (in every configuration), build.ninja may spell before the list goes into a response file
/// ([`FLAGS_INLINE_LIMIT`]). ninja evaluates every edge's command and hashes it on every run (a
/// build, a no-op build checking its log, `ninja -n`): flags spelled in the command cost it
/// about 2 instructions a byte per object per run, a response file's name next to nothing. The
/// file costs one creation at generation. Measured with `cargo bench --bench gen -- 1000 100
/// chain` (870 files of 12 MB in all at this limit, where build.ninja would otherwise spell
/// 10 MB more): `ninja -n` 0.65 of GN's time instead of 0.75, and the fresh generation faster
/// too (0.62 of `gn gen` instead of 0.72), since it writes fewer bytes.
pub const FLAGS_PER_RUN_LIMIT: usize = 256 << 10;

/// A response file written at generation: the flags of one unit in one configuration too long
/// for a command line ([`compile_response_files`]), or a list of flags they refer to, spelled
/// for too many objects ([`referenced_response_files`]). Compiles name it (`cc @file`); the name
/// holds a hash of the content, so that changed flags change the compile command as inline flags
/// would (ninja's log and make's command stamps then rebuild the objects), and ninja need not
/// stat the file for every object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResponseFile {
    /// Its path relative to the build directory: `<dir>/<flag set>.<hash>.rsp`.
    pub path: String,
    /// Its words, in response-file syntax (`shell::response_file`).
    pub content: String,
}

/// The response file holding the words of flag set `id`, named by its content.
fn response_file(graph: &BuildGraph, id: FlagSetId) -> ResponseFile {
    use sha2::Digest;
    let mut content = crate::shell::response_file(&graph.flag_words(id));
    content.push('\n');
    // 64 bits, as ninja's own command hash: an accidental collision is as unlikely.
    let hash = crate::bundle::hex(&sha2::Sha256::digest(content.as_bytes())[..8]);
    ResponseFile { path: format!("{RESPONSE_FILES_DIR}/{}.{hash}.rsp", graph.flag_set(id).name), content }
}

/// The response files of the compile flag sets whose words pass [`RESPONSE_FILE_THRESHOLD`] on
/// a command line, by flag set (`None`: the flags stay on the command line). `referenced` (from
/// [`referenced_response_files`], by set; empty for the Makefile, which names none) are the
/// files a compile command names in place of the sets its flags refer to: a unit's include
/// flags in a file of their own leave its command short, and its flags need no file.
pub(crate) fn compile_response_files(
    graph: &BuildGraph,
    referenced: &[Option<ResponseFile>],
) -> Vec<Option<ResponseFile>> {
    // Measured as `spell_flags` in build.ninja spells them: a referenced set with a file of its
    // own is its `@file` word.
    let command_length = |id: FlagSetId| -> usize {
        let part_length = |part| match part {
            &FlagPart::Ref(r) if let Some(file) = referenced.get(r.index()).and_then(Option::as_ref) => {
                file.path.len() + 2
            }
            part => graph.flag_part_length(part),
        };
        graph.flag_set(id).parts.iter().map(part_length).sum()
    };
    let compiles = graph.compiles_by_flags();
    let wanted: Vec<FlagSetId> = graph
        .flag_sets()
        .map(|(id, _)| id)
        .filter(|&id| compiles[id.index()] > 0 && command_length(id) > RESPONSE_FILE_THRESHOLD)
        .collect();
    made_by_set(graph, &wanted)
}

/// build.ninja's response files, by flag set: its compile flags' own
/// ([`compile_response_files`]), measured once the lists they refer to have theirs
/// ([`referenced_response_files`]); both.
pub(crate) fn ninja_response_files(graph: &BuildGraph) -> (Vec<Option<ResponseFile>>, Vec<Option<ResponseFile>>) {
    let referenced = referenced_response_files(graph);
    (compile_response_files(graph, &referenced), referenced)
}

/// The response files of the flag sets that compile flag sets refer to (`FlagPart::Ref`: a
/// unit's include flags, shared by its configurations) past [`FLAGS_INLINE_LIMIT`] and
/// [`FLAGS_PER_RUN_LIMIT`] over the objects spelling them, by flag set; for build.ninja, whose
/// compile rules name them in place of the words.
fn referenced_response_files(graph: &BuildGraph) -> Vec<Option<ResponseFile>> {
    let lengths = graph.flag_set_lengths();
    let objects = graph.compiles_by_flags();
    let mut spelled = vec![0usize; graph.flag_set_count()];
    for (id, set) in graph.flag_sets().filter(|(id, _)| objects[id.index()] > 0) {
        for r in set.refs() {
            spelled[r.index()] = spelled[r.index()].saturating_add(objects[id.index()] as usize);
        }
    }
    let wanted: Vec<FlagSetId> = graph
        .flag_sets()
        .map(|(id, _)| id)
        .filter(|id| {
            let (len, n) = (lengths[id.index()], spelled[id.index()]);
            n > 0 && len > FLAGS_INLINE_LIMIT && len.saturating_mul(n) > FLAGS_PER_RUN_LIMIT
        })
        .collect();
    made_by_set(graph, &wanted)
}

/// The response files of the `wanted` flag sets, by set. Spelling and hashing them is linear in
/// their bytes, which a chain of modules makes quadratic in its length (12 MB for `cargo bench
/// --bench gen`'s 1000 modules): two threads share it past a megabyte.
fn made_by_set(graph: &BuildGraph, wanted: &[FlagSetId]) -> Vec<Option<ResponseFile>> {
    let lengths = graph.flag_set_lengths();
    let make = |ids: &[FlagSetId]| ids.iter().map(|&id| (id, response_file(graph, id))).collect::<Vec<_>>();
    let weights: Vec<usize> = wanted.iter().map(|id| lengths[id.index()]).collect();
    let made = if weights.iter().sum::<usize>() < 1 << 20 {
        make(wanted)
    } else {
        let (mut made, second) = in_two_halves(wanted, &weights, make);
        made.extend(second);
        made
    };
    let mut files = vec![None; graph.flag_set_count()];
    for (id, file) in made {
        files[id.index()] = Some(file);
    }
    files
}

/// Where to cut items of `weights` (one per item) in two halves of about the same weight.
fn middle(weights: &[usize]) -> usize {
    let total: usize = weights.iter().sum();
    let mut sum = 0;
    weights
        .iter()
        .position(|w| {
            sum += w;
            sum >= total / 2
        })
        .unwrap_or(weights.len() / 2)
}

/// `work` on the two halves of `items`, cut where their `weights` (one per item) reach half
/// the total ([`middle`]), the second half on a thread of its own; the results in order.
pub(crate) fn in_two_halves<I: Sync, T: Send>(
    items: &[I],
    weights: &[usize],
    work: impl Fn(&[I]) -> T + Sync,
) -> (T, T) {
    in_two_halves_apart(items, weights, &work, &work)
}

/// [`in_two_halves`] with work of its own for the first half, which runs on this thread (and may
/// borrow mutably what the second half's work cannot, and give a result of another type). The
/// work only formats text: should the worker fail anyway, its half is done here.
pub(crate) fn in_two_halves_apart<I: Sync, T, U: Send>(
    items: &[I],
    weights: &[usize],
    first: impl FnOnce(&[I]) -> T,
    second: impl Fn(&[I]) -> U + Sync,
) -> (T, U) {
    let (one, two) = items.split_at(middle(weights));
    let (first, other) = crate::parallel::join(|| first(one), || second(two));
    (first, other.unwrap_or_else(|_| second(two)))
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
