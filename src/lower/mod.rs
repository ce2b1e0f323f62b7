//! Lowering: turning the build graph into files other tools read. One file per output format.

pub mod commands;
pub mod make_syntax;
pub mod ninja;

pub use ninja::lower_ninja;
