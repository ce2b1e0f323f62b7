//! The command lines of actions, fully expanded: what ninja and make run, spelled once here so
//! compile_commands.json and the lowerings cannot drift apart.

use crate::graph::{Action, ActionKind, BuildGraph};

/// Compile-line words between the compiler and the flags: the depfile options.
pub fn depfile_args(object: &str) -> [String; 3] {
    ["-MMD".into(), "-MF".into(), format!("{object}.d")]
}

/// The argument words of `action` as ninja runs them (paths relative to the build dir), or
/// `None` for actions that run no tool (phony, regeneration).
///
/// - compile: `<cc> -MMD -MF <obj>.d <cflags> -c <src> -o <obj>`
/// - archive: `<ar> rcs <archive> <objects>` (ninja passes objects past 32 KiB in a response
///   file)
/// - link: `<cc> -o <out> <inputs> <ldflags>`, inputs wrapped in `--whole-archive` for reactors
/// - foreign make: `make -C <dir> TARGET=<t> BUILD_TYPE=<b> SPYGEN_MK=<fragment> <args>`
/// - bundle: `spygen bundle --target <t> ... <archives> --export <name>... -o <out>`
///
/// Compiles are spelled without the project's compiler launcher (ccache, distcc), which
/// build.ninja and the Makefile put first: tools reading the words want the compiler.
pub fn action_words(graph: &BuildGraph, action: &Action) -> Option<Vec<String>> {
    let inputs = action.inputs.iter().map(|&f| graph.path(f).to_string());
    let out = || action.outputs.first().map(|&f| graph.path(f).to_string());
    let tool = || action.tool.map(|t| graph.tools[t.index()].command.clone());
    let flags = || action.flags.map(|f| graph.expand_flags(f)).unwrap_or_default();
    let mut words = Vec::new();
    match action.kind {
        ActionKind::Compile => {
            let out = out()?;
            words.extend(tool()?);
            words.extend(depfile_args(&out));
            words.extend(flags());
            words.push("-c".into());
            words.extend(inputs);
            words.push("-o".into());
            words.push(out);
        }
        ActionKind::Archive => {
            words.extend(tool()?);
            words.push("rcs".into());
            words.push(out()?);
            words.extend(inputs);
        }
        ActionKind::Link | ActionKind::LinkWholeArchive => {
            words.extend(tool()?);
            words.push("-o".into());
            words.push(out()?);
            let whole = action.kind == ActionKind::LinkWholeArchive;
            if whole {
                words.push("-Wl,--whole-archive".into());
            }
            words.extend(inputs);
            if whole {
                words.push("-Wl,--no-whole-archive".into());
            }
            words.extend(flags());
        }
        ActionKind::ForeignMake => {
            words.push("make".into());
            words.extend(action.args.iter().cloned());
        }
        ActionKind::Bundle => {
            // `spygen` stands for the executable that generated the build files.
            words.push("spygen".into());
            words.extend(action.args.iter().cloned());
        }
        ActionKind::Phony | ActionKind::Regenerate => return None,
    }
    Some(words)
}
