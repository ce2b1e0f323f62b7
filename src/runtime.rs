//! Where the runtime (libspy's role) is, for flag queries: its include directories and the
//! directory its archives are built in.

use std::path::{Path, PathBuf};

use crate::error::Result;
use crate::manifest::{self, Project};
use crate::paths;

/// The runtime's public include directories and its library directory root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuntimeLocation {
    /// Directories passed as `-I`.
    pub include_dirs: Vec<PathBuf>,
    /// The directory holding `<target>/<build-type>/<runtime>.a`.
    pub build_dir: PathBuf,
    /// How it was found, for `--format json`.
    pub found_by: String,
}

impl RuntimeLocation {
    /// `-L<build_dir>/<target>/<build_type>`.
    pub fn libdir(&self, target: &str, build_type: &str) -> String {
        format!("-L{}", self.build_dir.join(target).join(build_type).display())
    }
}

/// The outcome of looking for the runtime.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RuntimeLookup {
    /// Found.
    Found(RuntimeLocation),
    /// Not found; the message says why and what to pass.
    NotFound(String),
}

/// Finds the runtime: `--runtime-root` wins (include `<root>/include`, archives under
/// `<root>/build`); else `project` (the one given with `--project` or found by walking up from
/// the current directory, see [`Project::nearby`]) names its runtime module in
/// `[spygen] runtime`.
pub fn locate(runtime_root: Option<&Path>, project: Option<&Project>) -> Result<RuntimeLookup> {
    let cwd = paths::current_dir();
    if let Some(root) = runtime_root {
        let root = paths::absolute(root, &cwd);
        return Ok(RuntimeLookup::Found(RuntimeLocation {
            include_dirs: vec![root.join("include")],
            build_dir: root.join("build"),
            found_by: "--runtime-root".into(),
        }));
    }
    let Some(project) = project else {
        return Ok(RuntimeLookup::NotFound(format!(
            "no spy.toml in {} or its parents and no --runtime-root given",
            cwd.display()
        )));
    };
    let shown = project.manifest.as_ref().map_or_else(|| project.root.clone(), |m| m.path.clone());
    let Some(runtime) = &project.runtime else {
        return Ok(RuntimeLookup::NotFound(format!(
            "{} names no runtime module (add `runtime = \"path/to/runtime\"` under [spygen])",
            shown.display()
        )));
    };
    let (unit, _) = manifest::load_module(&runtime.dir, runtime.from.as_ref())?;
    let mut include_dirs: Vec<PathBuf> = unit.public_include_dirs.into_iter().map(|d| d.value).collect();
    if include_dirs.is_empty() {
        include_dirs.push(runtime.dir.join("include"));
    }
    Ok(RuntimeLookup::Found(RuntimeLocation {
        include_dirs,
        build_dir: project.layout.archive_root(&runtime.dir, &project.build_dir),
        found_by: format!("runtime module `{}` of {}", unit.name, shown.display()),
    }))
}
