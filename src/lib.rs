//! spygen: a declarative build-graph generator for SPy's C runtime and out-of-tree modules.
//!
//! Data flows one way: toolchain descriptors and manifests are read, planned into a graph of
//! build actions over every configuration, and the graph is lowered into build files.

pub mod bundle;
pub mod cli;
pub mod error;
pub mod fingerprint;
pub mod foreign_dry_run;
pub mod fsutil;
pub mod generate;
pub mod graph;
pub mod lower;
pub mod manifest;
pub mod module_manifest;
pub mod options;
pub mod ownership;
pub mod pack;
mod parallel;
pub mod paths;
pub mod plan;
pub mod runtime;
pub mod shell;
pub mod source;
pub mod suggest;
pub mod testing;
pub mod toolchain;
pub mod wasm_call;

pub use error::{Error, Result};
pub use generate::{Generated, GeneratedFiles, generate};
pub use options::{Format, GenOptions};
