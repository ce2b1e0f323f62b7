//! What a foreign make module's Makefile runs, as the graph carries it: read from the
//! Makefile's dry run at generation (`crate::foreign_dry_run`), so that writers know the
//! library's compiles and the files it writes without running make themselves.

use super::FileId;

/// What the dry run of one foreign make action found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DryRun {
    /// The files it writes in its output directory besides its archive (objects, depfiles):
    /// build.ninja names them as implicit outputs of the make (restat keeps an object its
    /// Makefile did not rebuild from re-running it), so `ninja -t clean` removes them too.
    pub outputs: Vec<FileId>,
    /// Its compiles, for compile_commands.json (only the database's configuration has any).
    pub compiles: Vec<ForeignCompile>,
}

/// One compile a foreign make runs, as compile_commands.json describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForeignCompile {
    /// The directory it runs in (absolute): make's `-C` directory, a sub-make's, or one its
    /// recipe `cd`s to.
    pub directory: String,
    /// The source, as the command names it (relative to `directory`, or absolute).
    pub file: String,
    /// The command's words from the compiler on (a launcher before it left out, as for
    /// spygen's own compiles).
    pub arguments: Vec<String>,
    /// The object it writes, as `-o` names it, when it names one.
    pub output: Option<String>,
}
