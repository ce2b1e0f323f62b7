//! Flag composition: the fixed order in which a target's flag lists make a command line.

use std::collections::BTreeMap;

use super::descriptor::{BuildTypeSpec, FlagSpec};

/// Flags of one build type.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BuildTypeFlags {
    /// Compile flags (`-DSPY_DEBUG -O0 -g`).
    pub cflags: Vec<String>,
    /// Link flags (`-flto`).
    pub ldflags: Vec<String>,
}

/// A target's flag lists, before composition.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BuildFlags {
    /// Flags every compile starts with.
    pub base: Vec<String>,
    /// Flags naming the target.
    pub target: Vec<String>,
    /// Warning flags.
    pub warnings: Vec<String>,
    /// Used instead of `warnings` when warnings are errors (as SPy's helper does).
    pub warning_as_error: Vec<String>,
    /// Link flags of the target.
    pub ldflags: Vec<String>,
    /// The path-mapping flags, with `{from}` and `{to}` to fill in (see [`BuildFlags::path_map`]).
    pub path_map: Vec<String>,
    /// Flags each compile gets for its object, `{object}` standing for its path.
    pub per_object: Vec<String>,
    /// Flags per build type, by name.
    pub build_types: BTreeMap<String, BuildTypeFlags>,
}

/// What a flag query asks for besides the target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlagOptions {
    /// The build type (`debug`, `release`); must be one the toolchain knows.
    pub build_type: String,
    /// Whether warnings are errors.
    pub warning_as_error: bool,
}

impl BuildFlags {
    /// Builds the lists from descriptor sections (missing lists are empty).
    pub fn from_specs(flags: FlagSpec, build_types: BTreeMap<String, BuildTypeSpec>) -> BuildFlags {
        BuildFlags {
            base: flags.base.unwrap_or_default(),
            target: flags.target.unwrap_or_default(),
            warnings: flags.warnings.unwrap_or_default(),
            warning_as_error: flags.warning_as_error.unwrap_or_default(),
            ldflags: flags.ldflags.unwrap_or_default(),
            path_map: flags.path_map.unwrap_or_default(),
            per_object: flags.per_object.unwrap_or_default(),
            build_types: build_types
                .into_iter()
                .map(|(name, spec)| {
                    let flags = BuildTypeFlags {
                        cflags: spec.cflags.unwrap_or_default(),
                        ldflags: spec.ldflags.unwrap_or_default(),
                    };
                    (name, flags)
                })
                .collect(),
        }
    }

    fn build_type(&self, opts: &FlagOptions) -> &BuildTypeFlags {
        static EMPTY: BuildTypeFlags = BuildTypeFlags { cflags: Vec::new(), ldflags: Vec::new() };
        self.build_types.get(&opts.build_type).unwrap_or(&EMPTY)
    }

    /// Compile flags in their documented order: base, target, build type, then the warning
    /// flags, or with warnings as errors the `warning-as-error` ones instead (exactly SPy's
    /// helper: `-Werror -Wno-unreachable-code` replaces `-Werror=implicit-function-declaration`).
    /// Include directories (`-I`) are appended by the caller.
    pub fn cflags(&self, opts: &FlagOptions) -> Vec<String> {
        let mut out = Vec::new();
        out.extend_from_slice(&self.base);
        out.extend_from_slice(&self.target);
        out.extend_from_slice(&self.build_type(opts).cflags);
        out.extend_from_slice(if opts.warning_as_error { &self.warning_as_error } else { &self.warnings });
        out
    }

    /// The flags making a compile record paths starting with `from` as starting with `to`
    /// instead (none when the descriptor has no `path-map`).
    pub fn path_map(&self, from: &str, to: &str) -> Vec<String> {
        self.path_map.iter().map(|f| f.replace("{from}", from).replace("{to}", to)).collect()
    }

    /// Link flags: the target's, then the build type's.
    pub fn ldflags(&self, opts: &FlagOptions) -> Vec<String> {
        let mut out = self.ldflags.clone();
        out.extend_from_slice(&self.build_type(opts).ldflags);
        out
    }
}

/// A target's tools as found on this machine ([`super::Toolchain::config_tools`]): their
/// command words, or why there is none (what was tried, how to install it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigTools {
    /// The compiler.
    pub cc: Result<Vec<String>, String>,
    /// The archiver.
    pub ar: Result<Vec<String>, String>,
}

/// What code built for one configuration outside the graph needs (a vendored library's
/// Makefile, a flags query): the composed flags and the runtime's library directory.
/// [`super::Toolchain::config_flags`] is the one place they are put together, for `spygen
/// flags` in every format and for the make fragment. Finding the tools is separate
/// ([`ConfigTools`]): a plain flag query runs no lookup.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigFlags {
    /// Compile flags ([`BuildFlags::cflags`]), then `-I <dir>` for each include directory.
    pub cflags: Vec<String>,
    /// Link flags ([`BuildFlags::ldflags`]).
    pub ldflags: Vec<String>,
    /// `-L<dir>` of the runtime's archives for this configuration, when known.
    pub libdir: Option<String>,
    /// Object file suffix.
    pub obj_suffix: String,
    /// Archive suffix.
    pub lib_suffix: String,
    /// Program suffix.
    pub exe_suffix: String,
}
