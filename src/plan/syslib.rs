//! System libraries through pkg-config (honouring PKG_CONFIG_PATH), with fallback flags.

use std::collections::HashMap;
use std::process::{Command, Stdio};

use crate::manifest::SystemLib;

/// Compile and link flags of a system library.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LibFlags {
    /// `pkg-config --cflags`.
    pub cflags: Vec<String>,
    /// `pkg-config --libs`.
    pub libs: Vec<String>,
}

/// Answers per package name, so pkg-config runs once per library per generation.
#[derive(Debug, Default)]
pub struct Cache {
    known: HashMap<String, LibFlags>,
}

impl Cache {
    /// The flags of `lib`: pkg-config's answer, or the fallback flags with a warning.
    pub fn flags(&mut self, lib: &SystemLib, warnings: &mut Vec<String>) -> LibFlags {
        if let Some(f) = self.known.get(&lib.pkg_config) {
            return f.clone();
        }
        let flags = match (query(&lib.pkg_config, "--cflags"), query(&lib.pkg_config, "--libs")) {
            (Ok(cflags), Ok(libs)) => LibFlags { cflags, libs },
            (Err(why), _) | (_, Err(why)) => {
                warnings.push(format!(
                    "{}: {why}; using the fallback flags {}",
                    lib.location,
                    [lib.fallback_cflags.join(" "), lib.fallback_libs.join(" ")].join(" ").trim()
                ));
                LibFlags { cflags: lib.fallback_cflags.clone(), libs: lib.fallback_libs.clone() }
            }
        };
        self.known.insert(lib.pkg_config.clone(), flags.clone());
        flags
    }
}

fn query(package: &str, what: &str) -> Result<Vec<String>, String> {
    let out = Command::new("pkg-config")
        .arg(what)
        .arg(package)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run pkg-config ({e})"))?;
    if !out.status.success() {
        let path = std::env::var("PKG_CONFIG_PATH").unwrap_or_default();
        return Err(format!("pkg-config does not know `{package}` (PKG_CONFIG_PATH={path:?})"));
    }
    Ok(String::from_utf8_lossy(&out.stdout).split_whitespace().map(str::to_string).collect())
}
