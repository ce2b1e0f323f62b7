//! System libraries through pkg-config (honouring PKG_CONFIG_PATH), with fallback flags.
//!
//! pkg-config prints shell words: a directory with a space comes out as `-I/opt/my\ dir`, so its
//! output is split as the shell would (shlex), never on whitespace alone.

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
    /// Each package asked about, with its flags.
    known: HashMap<String, LibFlags>,
    /// pkg-config's environment as the generation sees it (`PKG_CONFIG_PATH`...; empty:
    /// unset), so that regeneration from ninja or make asks in the same one.
    env: Vec<(String, String)>,
}

impl Cache {
    /// A cache asking pkg-config with the variables `env` (those of
    /// [`crate::options::PKG_CONFIG_ENV`] are used; an empty value unsets the variable).
    pub fn new(env: &std::collections::BTreeMap<String, String>) -> Cache {
        let env = crate::options::PKG_CONFIG_ENV
            .iter()
            .map(|name| (name.to_string(), env.get(*name).cloned().unwrap_or_default()))
            .collect();
        Cache { known: HashMap::new(), env }
    }

    /// The flags of `lib`: pkg-config's answer, or the fallback flags with a warning.
    pub fn flags(&mut self, lib: &SystemLib, warnings: &mut Vec<String>) -> LibFlags {
        if let Some(f) = self.known.get(&lib.pkg_config) {
            return f.clone();
        }
        let flags = match (self.query(&lib.pkg_config, "--cflags"), self.query(&lib.pkg_config, "--libs")) {
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

    /// `pkg-config <what> <package>`, as words.
    fn query(&self, package: &str, what: &str) -> Result<Vec<String>, String> {
        let mut command = Command::new("pkg-config");
        command.arg(what).arg(package).stdin(Stdio::null());
        for (name, value) in &self.env {
            if value.is_empty() {
                command.env_remove(name);
            } else {
                command.env(name, value);
            }
        }
        let out = command.output().map_err(|e| format!("cannot run pkg-config ({e})"))?;
        if !out.status.success() {
            let path = self.env.iter().find(|(n, _)| n == "PKG_CONFIG_PATH").map_or("", |(_, v)| v.as_str());
            return Err(format!("pkg-config does not know `{package}` (PKG_CONFIG_PATH={path:?})"));
        }
        let text = String::from_utf8_lossy(&out.stdout);
        let words = shlex::split(text.trim()).ok_or_else(|| {
            format!("pkg-config's {what} for `{package}` do not parse as shell words ({:?})", text.trim())
        })?;
        if let Some(w) = words.iter().find(|w| w.chars().any(char::is_control)) {
            return Err(format!("pkg-config's {what} for `{package}` hold a control character ({w:?})"));
        }
        Ok(words)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn pkg_config_output_is_split_as_the_shell_splits_it() {
        let words = shlex::split(r#"-I/opt/my\ dir/include -DNAME=\"a\ b\" -lz"#).unwrap();
        assert_eq!(words, ["-I/opt/my dir/include", "-DNAME=\"a b\"", "-lz"]);
    }
}
