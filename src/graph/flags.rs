//! Flag sets: named lists of flags built from parts, so that what many commands share is kept
//! once. The order of a set's words is the order of its parts, and nothing else:
//!
//! - [`FlagPart::Words`]: words of its own;
//! - [`FlagPart::Ref`]: another set, which build files define once as a variable and refer to
//!   (a configuration's base flags, a unit's include flags shared by its configurations);
//! - [`FlagPart::Inline`]: another set whose words are copied in (a dependency's public include
//!   flags, kept once in the graph but spelled out in every dependent's include set).
//!
//! A unit's compile flags are `[Ref(base), Words(defines, cflags), Ref(includes)]`; its include
//! set is `[Words(-I private), Inline(public of itself and each dependency)...]`.

use super::{BuildGraph, FlagSetId};

/// Flags a project adds to every compile and link of the configurations they are for (spy.toml's
/// `[spygen] cflags`, `--cflag`, the environment's `CFLAGS` for native), in the order they
/// apply: what comes later wins where flags conflict. Every configuration's base flags end with
/// them, and spygen.mk's CFLAGS and LDFLAGS too.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProjectFlags {
    /// The scopes, in order.
    pub scopes: Vec<ProjectFlagWords>,
}

/// Project flags for the configurations of one target, one build type, or all.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProjectFlagWords {
    /// The target they are for (`None`: every target).
    pub target: Option<String>,
    /// The build type they are for (`None`: every build type).
    pub build_type: Option<String>,
    /// Compile flags (definitions as `-D` words).
    pub cflags: Vec<String>,
    /// Link flags.
    pub ldflags: Vec<String>,
    /// Where they come from, for people (`spy.toml:12:1`, `--cflag`, `$CFLAGS`).
    pub origin: String,
}

impl ProjectFlags {
    /// The scopes applying to `target` in `build_type`, in order.
    fn applying<'a>(&'a self, target: &'a str, build_type: &'a str) -> impl Iterator<Item = &'a ProjectFlagWords> {
        self.scopes.iter().filter(move |s| {
            s.target.as_deref().is_none_or(|t| t == target) && s.build_type.as_deref().is_none_or(|b| b == build_type)
        })
    }

    /// The compile flags of `target` in `build_type`.
    pub fn cflags(&self, target: &str, build_type: &str) -> Vec<String> {
        self.applying(target, build_type).flat_map(|s| s.cflags.iter().cloned()).collect()
    }

    /// The link flags of `target` in `build_type`.
    pub fn ldflags(&self, target: &str, build_type: &str) -> Vec<String> {
        self.applying(target, build_type).flat_map(|s| s.ldflags.iter().cloned()).collect()
    }
}

/// One part of a flag set (see the module documentation).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FlagPart {
    /// Words of the set's own, unquoted.
    Words(Vec<String>),
    /// Another set, referred to by name where build files have variables.
    Ref(FlagSetId),
    /// Another set, its words copied in.
    Inline(FlagSetId),
}

/// A named list of flags, made of parts in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlagSet {
    /// Unique name, e.g. `cflags.tinyenc.wasi-release`: the variable build files define.
    pub name: String,
    /// Its parts, in order.
    pub parts: Vec<FlagPart>,
}

impl FlagSet {
    /// A set of `words` named `name`.
    pub fn words(name: impl Into<String>, words: Vec<String>) -> FlagSet {
        FlagSet { name: name.into(), parts: vec![FlagPart::Words(words)] }
    }

    /// The sets it refers to or copies, in order.
    pub fn referenced(&self) -> impl Iterator<Item = FlagSetId> + '_ {
        self.parts.iter().filter_map(|p| match p {
            FlagPart::Ref(id) | FlagPart::Inline(id) => Some(*id),
            FlagPart::Words(_) => None,
        })
    }

    /// The sets it refers to by name, in order.
    pub fn refs(&self) -> impl Iterator<Item = FlagSetId> + '_ {
        self.parts.iter().filter_map(|p| match p {
            FlagPart::Ref(id) => Some(*id),
            _ => None,
        })
    }

    /// Its own words, without those of the sets it refers to or copies.
    pub fn own_words(&self) -> impl Iterator<Item = &String> + '_ {
        self.parts.iter().flat_map(|p| match p {
            FlagPart::Words(w) => w.as_slice(),
            _ => &[],
        })
    }
}

impl BuildGraph {
    /// A flag set's words, every part expanded in order.
    pub fn expand_flags(&self, id: FlagSetId) -> Vec<String> {
        self.flag_words(id).into_iter().map(str::to_string).collect()
    }

    /// A flag set's words, every part expanded in order, borrowed (nothing copied).
    pub fn flag_words(&self, id: FlagSetId) -> Vec<&str> {
        let mut words = Vec::new();
        self.flag_words_into(id, &mut words);
        words
    }

    fn flag_words_into<'a>(&'a self, id: FlagSetId, out: &mut Vec<&'a str>) {
        for part in &self.flag_set(id).parts {
            match part {
                FlagPart::Words(w) => out.extend(w.iter().map(String::as_str)),
                FlagPart::Ref(r) | FlagPart::Inline(r) => self.flag_words_into(*r, out),
            }
        }
    }

    /// The sets `id` refers to by name that are not `defined` yet, then `id` itself, each
    /// marked defined: the variables a build file must define, in order, before using `id`.
    pub fn flag_sets_to_define(&self, id: FlagSetId, defined: &mut [bool], out: &mut Vec<FlagSetId>) {
        if std::mem::replace(&mut defined[id.index()], true) {
            return;
        }
        for r in self.flag_set(id).refs() {
            self.flag_sets_to_define(r, defined, out);
        }
        out.push(id);
    }

    /// The length in bytes of every set's expanded words, each followed by a space, by set.
    pub fn flag_set_lengths(&self) -> &[usize] {
        &self.flag_lengths
    }

    /// The length in bytes of `part`'s expanded words, each followed by a space (the sets it
    /// names already added).
    pub fn flag_part_length(&self, part: &FlagPart) -> usize {
        match part {
            FlagPart::Words(w) => w.iter().map(|w| w.len() + 1).sum(),
            FlagPart::Ref(r) | FlagPart::Inline(r) => self.flag_lengths[r.index()],
        }
    }

    /// The value of flag set `id`'s variable in a build file: each part in order, words
    /// appended by `spell` (given the set they belong to and the words), referenced sets
    /// spelled by `reference` (given the name), copied sets spelled out; empty parts leave no
    /// double space.
    pub fn flag_set_value(
        &self,
        id: FlagSetId,
        reference: &dyn Fn(&str) -> String,
        spell: &mut dyn FnMut(FlagSetId, &[String], &mut String),
    ) -> String {
        let mut value = String::new();
        self.push_flag_set_value(id, reference, spell, &mut value);
        value
    }

    fn push_flag_set_value(
        &self,
        id: FlagSetId,
        reference: &dyn Fn(&str) -> String,
        spell: &mut dyn FnMut(FlagSetId, &[String], &mut String),
        value: &mut String,
    ) {
        for part in &self.flag_set(id).parts {
            if let FlagPart::Inline(r) = part {
                self.push_flag_set_value(*r, reference, spell, value);
                continue;
            }
            let before = value.len();
            if before > 0 {
                value.push(' ');
            }
            let start = value.len();
            match part {
                FlagPart::Words(w) => spell(id, w, value),
                FlagPart::Ref(r) => value.push_str(&reference(&self.flag_set(*r).name)),
                FlagPart::Inline(_) => {}
            }
            if value.len() == start {
                value.truncate(before);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(list: &[&str]) -> FlagPart {
        FlagPart::Words(list.iter().map(|w| w.to_string()).collect())
    }

    #[test]
    fn a_flag_set_expands_its_parts_in_order() {
        let mut g = BuildGraph::new();
        let base = g.add_flag_set(FlagSet { name: "b".into(), parts: vec![words(&["-O2"])] });
        let public = g.add_flag_set(FlagSet { name: "p".into(), parts: vec![words(&["-Ipub"])] });
        let inc =
            g.add_flag_set(FlagSet { name: "i".into(), parts: vec![words(&["-Iinc"]), FlagPart::Inline(public)] });
        let child = g.add_flag_set(FlagSet {
            name: "c".into(),
            parts: vec![FlagPart::Ref(base), words(&["-DX"]), FlagPart::Ref(inc)],
        });
        assert_eq!(g.expand_flags(child), ["-O2", "-DX", "-Iinc", "-Ipub"]);
        assert_eq!(g.flag_set_lengths()[child.index()], "-O2 -DX -Iinc -Ipub ".len());
        let mut defined = vec![false; g.flag_set_count()];
        let mut order = Vec::new();
        g.flag_sets_to_define(child, &mut defined, &mut order);
        assert_eq!(order, [base, inc, child], "referenced sets first; copied ones are not defined");
        let value = g.flag_set_value(child, &|name| format!("${name}"), &mut |_, w, out| out.push_str(&w.join(" ")));
        assert_eq!(value, "$b -DX $i");
        let value = g.flag_set_value(inc, &|name| format!("${name}"), &mut |_, w, out| out.push_str(&w.join(" ")));
        assert_eq!(value, "-Iinc -Ipub");
    }
}
