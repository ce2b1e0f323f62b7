//! Manifests: the project (`spy.toml`) and its modules (`spygen.toml`), read with spans so
//! every error points at a file, line and column; plus source glob expansion.

pub mod glob;
mod project;
mod unit;

pub use project::{Layout, LoadOptions, ModuleRef, PROJECT_MANIFEST, Project, ProjectFlagScope};
pub use unit::{
    ForeignMake, LibScope, Located, MODULE_MANIFEST, Settings, SystemLib, Unit, UnitKind, is_valid_name, load_module,
};
