//! What each kind of action runs, spelled once: a command template of literal words and
//! variables ([`Var`]). Writers render the variables in their own syntax (ninja `$in`, make
//! `$^`-style paths and `$(cflags...)`), and [`BuildGraph::action_words`] expands them into
//! the words a process runs (compile_commands.json, JSON, make's command stamps). No writer
//! spells a command of its own, so build.ninja, the Makefile, the compilation database and
//! `spygen bundle` cannot drift apart.
//!
//! | kind | command |
//! |---|---|
//! | compile | `PWD=/proc/self/cwd <launcher> <cc> -MMD -MF <out>.d <cflags> <object flags> -c <in> -o <out>` |
//! | archive | `rm -f <out> && <ar> rcs <out> <in>` |
//! | link | `<cc> -o <out> <in> <ldflags>` |
//! | link-whole-archive | `<cc> -o <out> -Wl,--whole-archive <in> -Wl,--no-whole-archive <ldflags>` |
//! | foreign-make | `PWD=/proc/self/cwd make <args>` |
//! | bundle | `spygen bundle <args>` |
//! | regenerate | `spygen <args> --regen` |
//! | test | `spygen test-one --stamp <out> <args> -- <runner> <in>` |
//! | module-manifest | `spygen spymod <args> -o <out> -- <cc>` |
//!
//! Words that grow with the project (an archive's objects, a link's inputs and flags, a
//! bundle's arguments) can go through a response file: see [`ResponseFileCommand`].

use super::{Action, ActionKind, BuildGraph, FlagPart, FlagSetId};

/// The working directory compilers are told they run in (`PWD`): the same path in every
/// checkout. GCC and clang record `$PWD` (when it is the real working directory, as this
/// link to it is) in debug info and GCC's LTO objects; the path map turns it into `.`.
pub const PORTABLE_PWD: &str = "/proc/self/cwd";

/// The shell word setting it, which [`Var::Pwd`] is in every writer.
pub const PORTABLE_PWD_ASSIGNMENT: &str = "PWD=/proc/self/cwd";

/// A variable of a command template.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Var {
    /// `PWD=/proc/self/cwd` ([`PORTABLE_PWD`]) before a compile or a foreign make, where a
    /// shell runs the command (left out where tools read it: compile_commands.json).
    Pwd,
    /// The compiler launcher of the action's target (ccache, distcc); nothing when it has
    /// none, and left out where tools read the command (compile_commands.json).
    Launcher,
    /// The action's tool, all its words (`zig cc`).
    Tool,
    /// The action's flags, expanded (or, for compiles whose flags are too long, `@<file>`).
    Flags,
    /// The tool's flags for the one object a compile writes ([`super::Tool::object_flags`]).
    ObjectFlags,
    /// The action's explicit inputs.
    Inputs,
    /// The action's first output.
    Output,
    /// The depfile a compiler writes: `<output>.d`.
    Depfile,
    /// The action's response file, `<output>.rsp`, preceded by `@` ([`ResponseFileCommand`]).
    AtRspfile,
    /// The action's response file, `<output>.rsp`, as a word of its own.
    Rspfile,
    /// The action's arguments.
    Args,
    /// The spygen executable that generated the build files.
    Spygen,
    /// make, as the build runs it (`$(MAKE)` in a Makefile, sharing its jobserver).
    Make,
}

/// A word of a command template.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Word {
    /// A literal word.
    Lit(&'static str),
    /// A variable: zero or more words.
    Var(Var),
}

/// The command of an action kind: steps run one after the other, each only when the previous
/// one succeeded (`&&`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CommandTemplate {
    /// The steps, each a list of words.
    pub steps: &'static [&'static [Word]],
}

impl CommandTemplate {
    /// The step running the action's tool (the last): what JSON and compile_commands.json
    /// show.
    pub fn main_step(&self) -> &'static [Word] {
        self.steps.last().copied().unwrap_or(&[])
    }

    /// Whether a step of the command has `var` (a depfile, arguments to bind).
    pub fn uses(&self, var: Var) -> bool {
        self.steps.iter().any(|s| s.contains(&Word::Var(var)))
    }
}

/// The form of a command whose long words go into a response file (`<output>.rsp`, passed as
/// `@file`): `content` is what the file holds, `command` what runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResponseFileCommand {
    /// The command naming the response file.
    pub command: CommandTemplate,
    /// The words written into the response file.
    pub content: &'static [Word],
}

use Var::*;
use Word::Lit;

const fn v(var: Var) -> Word {
    Word::Var(var)
}

const COMPILE: CommandTemplate = CommandTemplate {
    steps: &[&[
        v(Pwd),
        v(Launcher),
        v(Tool),
        Lit("-MMD"),
        Lit("-MF"),
        v(Depfile),
        v(Flags),
        v(ObjectFlags),
        Lit("-c"),
        v(Inputs),
        Lit("-o"),
        v(Output),
    ]],
};
const ARCHIVE: CommandTemplate =
    CommandTemplate { steps: &[&[Lit("rm"), Lit("-f"), v(Output)], &[v(Tool), Lit("rcs"), v(Output), v(Inputs)]] };
const ARCHIVE_RSP: ResponseFileCommand = ResponseFileCommand {
    command: CommandTemplate {
        steps: &[&[Lit("rm"), Lit("-f"), v(Output)], &[v(Tool), Lit("rcs"), v(Output), v(AtRspfile)]],
    },
    content: &[v(Inputs)],
};
const LINK_ARGS: &[Word] = &[Lit("-o"), v(Output), v(Inputs), v(Flags)];
const LINK: CommandTemplate = CommandTemplate { steps: &[&[v(Tool), Lit("-o"), v(Output), v(Inputs), v(Flags)]] };
const LINK_WHOLE_ARGS: &[Word] =
    &[Lit("-o"), v(Output), Lit("-Wl,--whole-archive"), v(Inputs), Lit("-Wl,--no-whole-archive"), v(Flags)];
const LINK_WHOLE: CommandTemplate = CommandTemplate {
    steps: &[&[
        v(Tool),
        Lit("-o"),
        v(Output),
        Lit("-Wl,--whole-archive"),
        v(Inputs),
        Lit("-Wl,--no-whole-archive"),
        v(Flags),
    ]],
};
const LINK_RSP_COMMAND: CommandTemplate = CommandTemplate { steps: &[&[v(Tool), v(AtRspfile)]] };
const FOREIGN_MAKE: CommandTemplate = CommandTemplate { steps: &[&[v(Pwd), v(Make), v(Args)]] };
const BUNDLE: CommandTemplate = CommandTemplate { steps: &[&[v(Spygen), Lit("bundle"), v(Args)]] };
const BUNDLE_RSP: ResponseFileCommand = ResponseFileCommand {
    command: CommandTemplate { steps: &[&[v(Spygen), Lit("bundle"), Lit("--args-from"), v(Rspfile)]] },
    content: &[v(Args)],
};
const REGENERATE: CommandTemplate = CommandTemplate { steps: &[&[v(Spygen), v(Args), Lit("--regen")]] };
const MODULE_MANIFEST: CommandTemplate =
    CommandTemplate { steps: &[&[v(Spygen), Lit("spymod"), v(Args), Lit("-o"), v(Output), Lit("--"), v(Tool)]] };
const MODULE_MANIFEST_RSP: ResponseFileCommand = ResponseFileCommand {
    command: CommandTemplate {
        steps: &[&[v(Spygen), Lit("spymod"), Lit("--args-from"), v(Rspfile), Lit("-o"), v(Output), Lit("--"), v(Tool)]],
    },
    content: &[v(Args)],
};
const TEST: CommandTemplate = CommandTemplate {
    steps: &[&[v(Spygen), Lit("test-one"), Lit("--stamp"), v(Output), v(Args), Lit("--"), v(Tool), v(Inputs)]],
};

impl ActionKind {
    /// The command actions of this kind run; `None` for aliases, which run nothing.
    pub fn command(self) -> Option<CommandTemplate> {
        match self {
            ActionKind::Compile => Some(COMPILE),
            ActionKind::Archive => Some(ARCHIVE),
            ActionKind::Link => Some(LINK),
            ActionKind::LinkWholeArchive => Some(LINK_WHOLE),
            ActionKind::ForeignMake => Some(FOREIGN_MAKE),
            ActionKind::Bundle => Some(BUNDLE),
            ActionKind::Regenerate => Some(REGENERATE),
            ActionKind::Test => Some(TEST),
            ActionKind::ModuleManifest => Some(MODULE_MANIFEST),
            ActionKind::Phony => None,
        }
    }

    /// The response-file form of the command, for the kinds whose words grow with the project.
    /// (A compile's flags go into a response file of their own, shared by the unit's compiles:
    /// [`Var::Flags`].)
    pub fn response_file_command(self) -> Option<ResponseFileCommand> {
        match self {
            ActionKind::Archive => Some(ARCHIVE_RSP),
            ActionKind::Link => Some(ResponseFileCommand { command: LINK_RSP_COMMAND, content: LINK_ARGS }),
            ActionKind::LinkWholeArchive => {
                Some(ResponseFileCommand { command: LINK_RSP_COMMAND, content: LINK_WHOLE_ARGS })
            }
            ActionKind::Bundle => Some(BUNDLE_RSP),
            ActionKind::ModuleManifest => Some(MODULE_MANIFEST_RSP),
            _ => None,
        }
    }
}

/// Expands `words`, calling `value` for each variable (it pushes the variable's words) and
/// copying literals.
pub fn expand(words: &[Word], value: &mut dyn FnMut(Var, &mut Vec<String>)) -> Vec<String> {
    let mut out = Vec::new();
    for word in words {
        match word {
            Word::Lit(text) => out.push(text.to_string()),
            Word::Var(var) => value(*var, &mut out),
        }
    }
    out
}

impl BuildGraph {
    /// The words of `action`'s main step as a process runs them, from the build directory:
    /// every variable expanded, the launcher left out (tools reading the words want the
    /// compiler), spygen spelled `spygen` and make `make`. `None` for aliases.
    ///
    /// compile_commands.json's `arguments`, the JSON graph's `command` and make's command
    /// stamps are these words.
    pub fn action_words(&self, action: &Action) -> Option<Vec<String>> {
        Some(self.expand_words(action, action.kind.command()?.main_step(), false))
    }

    /// `words` of `action`, every variable expanded; the launcher too when `launcher` is set.
    pub fn expand_words(&self, action: &Action, words: &[Word], launcher: bool) -> Vec<String> {
        let mut out = Vec::new();
        self.visit_words(action, words, launcher, &mut |w| out.push(w.to_string()));
        out
    }

    /// The total length of `words` of `action` expanded, one separator byte per word: to
    /// decide whether they need a response file without copying them.
    pub fn words_len(&self, action: &Action, words: &[Word]) -> usize {
        let mut len = 0;
        self.visit_words(action, words, false, &mut |w| len += w.len() + 1);
        len
    }

    /// Calls `f` with each word of `words` of `action`, expanded.
    fn visit_words(&self, action: &Action, words: &[Word], launcher: bool, f: &mut dyn FnMut(&str)) {
        let output = || action.outputs.first().map(|&o| self.path(o)).unwrap_or_default();
        for word in words {
            match word {
                Word::Lit(text) => f(text),
                Word::Var(Pwd) => {
                    if launcher {
                        f(PORTABLE_PWD_ASSIGNMENT);
                    }
                }
                Word::Var(Launcher) => {
                    if launcher
                        && let Some(tool) = action.tool
                        && let Some(l) = self.launcher(&self.tool(tool).target)
                    {
                        l.command.iter().for_each(|w| f(w));
                    }
                }
                Word::Var(Tool) => {
                    if let Some(tool) = action.tool {
                        self.tool(tool).command.iter().for_each(|w| f(w));
                    }
                }
                Word::Var(Flags) => {
                    if let Some(flags) = action.flags {
                        self.visit_flags(flags, f);
                    }
                }
                Word::Var(ObjectFlags) => {
                    if let Some(tool) = action.tool {
                        self.tool(tool).object_flags_for(output()).for_each(|w| f(&w));
                    }
                }
                Word::Var(Inputs) => action.inputs.iter().for_each(|&i| f(self.path(i))),
                Word::Var(Output) => f(output()),
                Word::Var(Depfile) => f(&format!("{}.d", output())),
                Word::Var(AtRspfile) => f(&format!("@{}.rsp", output())),
                Word::Var(Rspfile) => f(&format!("{}.rsp", output())),
                Word::Var(Args) => action.args.iter().for_each(|w| f(w)),
                Word::Var(Spygen) => f("spygen"),
                Word::Var(Make) => f("make"),
            }
        }
    }

    fn visit_flags(&self, id: FlagSetId, f: &mut dyn FnMut(&str)) {
        for part in &self.flag_set(id).parts {
            match part {
                FlagPart::Words(words) => words.iter().for_each(|w| f(w)),
                FlagPart::Ref(r) | FlagPart::Inline(r) => self.visit_flags(*r, f),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::{Configuration, FlagSet, Tool, ToolRole};

    /// A compile and a reactor link of wasi-debug, with a launcher.
    fn graph() -> BuildGraph {
        let mut g = BuildGraph::new();
        let config = g.add_config(Configuration { target: "wasi".into(), build_type: "debug".into(), available: true });
        let tool = |role, command: &[&str]| Tool::new("wasi", role, command.iter().map(|w| w.to_string()).collect());
        let cc = g.add_tool(tool(ToolRole::Compiler, &["zig", "cc"]));
        g.add_tool(tool(ToolRole::Launcher, &["ccache"]));
        let cflags = g.add_flag_set(FlagSet::words("cflags.m.wasi-debug", vec!["-O0".into(), "-DX=a b".into()]));
        let ldflags = g.add_flag_set(FlagSet::words("ldflags.p.wasi-debug", vec!["-mexec-model=reactor".into()]));
        let mut compile = Action::new(ActionKind::Compile);
        compile.config = Some(config);
        compile.tool = Some(cc);
        compile.flags = Some(cflags);
        compile.inputs.push(g.file("../m/a.c"));
        compile.outputs.push(g.file("wasi/debug/obj/m/a.o"));
        g.add_action(compile).unwrap();
        let mut link = Action::new(ActionKind::LinkWholeArchive);
        link.tool = Some(cc);
        link.flags = Some(ldflags);
        link.inputs.push(g.file("wasi/debug/obj/m/a.o"));
        link.inputs.push(g.file("wasi/debug/m.a"));
        link.outputs.push(g.file("wasi/debug/p.wasm"));
        g.add_action(link).unwrap();
        g
    }

    #[test]
    fn a_compile_runs_its_tool_flags_and_depfile_without_the_launcher() {
        let g = graph();
        let (_, compile) = g.actions().next().unwrap();
        assert_eq!(
            g.action_words(compile).unwrap(),
            [
                "zig",
                "cc",
                "-MMD",
                "-MF",
                "wasi/debug/obj/m/a.o.d",
                "-O0",
                "-DX=a b",
                "-c",
                "../m/a.c",
                "-o",
                "wasi/debug/obj/m/a.o"
            ]
        );
        let template = ActionKind::Compile.command().unwrap();
        assert_eq!(
            g.expand_words(compile, template.main_step(), true)[..2],
            ["PWD=/proc/self/cwd", "ccache"],
            "as a shell runs it: the working directory compilers record, then the launcher"
        );
    }

    #[test]
    fn the_pwd_assignment_names_the_portable_pwd() {
        assert_eq!(PORTABLE_PWD_ASSIGNMENT, format!("PWD={PORTABLE_PWD}"));
    }

    #[test]
    fn a_reactor_link_keeps_every_archive_member_and_its_response_file_holds_all_but_the_tool() {
        let g = graph();
        let (_, link) = g.actions().nth(1).unwrap();
        let words = g.action_words(link).unwrap();
        assert_eq!(
            words,
            [
                "zig",
                "cc",
                "-o",
                "wasi/debug/p.wasm",
                "-Wl,--whole-archive",
                "wasi/debug/obj/m/a.o",
                "wasi/debug/m.a",
                "-Wl,--no-whole-archive",
                "-mexec-model=reactor"
            ]
        );
        let rsp = ActionKind::LinkWholeArchive.response_file_command().unwrap();
        assert_eq!(g.expand_words(link, rsp.content, false), words[2..]);
        assert_eq!(g.expand_words(link, rsp.command.main_step(), false), ["zig", "cc", "@wasi/debug/p.wasm.rsp"]);
        assert_eq!(g.words_len(link, rsp.content), words[2..].iter().map(|w| w.len() + 1).sum::<usize>());
    }

    #[test]
    fn every_kind_but_aliases_runs_a_command() {
        for kind in ActionKind::ALL {
            assert_eq!(kind.command().is_none(), kind == ActionKind::Phony, "{kind:?}");
        }
    }
}
