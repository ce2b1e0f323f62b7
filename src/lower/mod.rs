//! Lowering: turning the build graph into files other tools read. One file per output format.

pub mod commands;
pub mod compdb;
pub mod dot;
pub mod graph_json;
pub mod make;
pub mod make_fragment;
pub mod make_syntax;
pub mod ninja;

pub use compdb::lower_compdb;
pub use dot::lower_dot;
pub use graph_json::lower_graph_json;
pub use make::lower_make;
pub use ninja::lower_ninja;
