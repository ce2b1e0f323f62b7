//! Sources: each unit's patterns expanded (by a worker thread ahead of the planner for many units), and each file named
//! as the build files spell it, with the object path it compiles to.

use std::path::{Path, PathBuf};

use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use super::{Planner, UnitId, Units};
use crate::error::{Error, Result};
use crate::fsutil::Stamp;
use crate::graph::Configuration;
use crate::manifest::{Located, Unit, glob};
use crate::paths;

/// What expanding a unit's patterns found.
#[derive(Debug, Default)]
pub(super) struct Found {
    /// The files, each pattern's sorted, in pattern order.
    files: Vec<PathBuf>,
    /// For each file, the index of the pattern that found it.
    from: Vec<usize>,
    /// The directories listed, each with its stamp from before the listing.
    pub(super) dirs: Vec<(PathBuf, Option<Stamp>)>,
    /// Symbolic links not followed, each a warning naming its manifest entry.
    pub(super) warnings: Vec<String>,
}

/// Expands a unit's source patterns. An error at the pattern's manifest entry when a pattern
/// is invalid or absolute, when a directory it must list cannot be read, when it matches
/// nothing, or when it matches a file whose name no build file can spell.
fn expand_patterns(unit: &Unit, patterns: &[Located<String>], cache: &glob::PatternCache) -> Result<Found> {
    let mut found = Found::default();
    for (index, p) in patterns.iter().enumerate() {
        let at = |message: String| Error::input(message).at(p.location.clone());
        let pattern = cache.get(&p.value).map_err(|why| {
            at(why).help("write a pattern relative to the manifest's directory, such as `src/**/*.c`")
        })?;
        let e = glob::expand(&unit.dir, &pattern).map_err(|why| {
            at(why).help("fix the permissions, or the pattern; patterns are relative to the manifest's directory")
        })?;
        if e.files.is_empty() {
            let err = if pattern.has_wildcard() {
                at(format!("source pattern `{}` matches no file in {}", p.value, unit.dir.display()))
                    .help("fix the pattern or remove it; patterns are relative to the manifest's directory")
            } else {
                at(format!("source `{}` does not exist ({})", p.value, unit.dir.join(&p.value).display()))
                    .help("fix the path or remove the entry; paths are relative to the manifest's directory")
            };
            return Err(err);
        }
        for f in &e.files {
            match f.to_str() {
                None => {
                    return Err(at(format!(
                        "`{}` matches {f:?}, whose name is not UTF-8: build files are text",
                        p.value
                    ))
                    .help("rename the file (or leave it out of the pattern)"));
                }
                // Bytes first (100,000 names in a large project); characters only on a hit.
                Some(text) if crate::graph::may_hold_control_characters(text) && text.chars().any(char::is_control) => {
                    return Err(at(format!(
                        "`{}` matches {text:?}, whose path holds a control character: no build file can carry it",
                        p.value
                    ))
                    .help("rename the file (or leave it out of the pattern)"));
                }
                Some(_) => {}
            }
        }
        found.warnings.extend(e.warnings.into_iter().map(|w| format!("{}: {w}", p.location)));
        found.dirs.extend(e.dirs_read);
        found.from.extend(std::iter::repeat_n(index, e.files.len()));
        found.files.extend(e.files);
    }
    Ok(found)
}

/// The files `found` by `patterns` of `unit`, as the build files name them; a name no build file
/// can carry as a path is an error at the pattern that found it.
fn plan_sources(
    found: &Found,
    unit: &Unit,
    patterns: &[Located<String>],
    unit_rel: &str,
    build_dir: &Path,
) -> Result<PlannedSources> {
    let mut planned = PlannedSources::with_capacity(found.files.len());
    let unit_dir = UnitDir { path: &unit.dir, text: unit.dir.to_str() };
    for (f, &from) in found.files.iter().zip(&found.from) {
        let source = planned.push(f, unit_dir, unit_rel, build_dir);
        if let Some(c) = paths::unsupported_character(source.path) {
            return Err(super::unsupported_path(source.path, c).at(patterns[from].location.clone()));
        }
    }
    Ok(planned)
}

/// A unit's source files as the build files name them, with the object paths they compile to:
/// the text of them all in one string (a large project has 100,000 sources, which a string or
/// two each would cost as many allocations, and as many frees).
#[derive(Debug, Clone, Default)]
pub(super) struct PlannedSources {
    text: String,
    /// Each source's path and stem in `text`: `text[start..stem]` and `text[stem..end]`.
    spans: Vec<(u32, u32, u32)>,
}

/// A source file as the build files name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct PlannedSource<'a> {
    /// Its path relative to the build directory.
    pub(super) path: &'a str,
    /// Its path relative to the unit's directory, without the extension and with `..` as
    /// `__`: where its object goes under the unit's object directory.
    pub(super) stem: &'a str,
}

impl PlannedSources {
    fn with_capacity(n: usize) -> PlannedSources {
        PlannedSources { text: String::with_capacity(n * 48), spans: Vec::with_capacity(n) }
    }

    /// How many sources there are.
    pub(super) fn len(&self) -> usize {
        self.spans.len()
    }

    /// The sources, in order.
    pub(super) fn iter(&self) -> impl Iterator<Item = PlannedSource<'_>> {
        self.spans.iter().map(|&(start, stem, end)| PlannedSource {
            path: &self.text[start as usize..stem as usize],
            stem: &self.text[stem as usize..end as usize],
        })
    }

    /// Appends `other`'s sources.
    pub(super) fn extend(&mut self, other: &PlannedSources) {
        for source in other.iter() {
            self.push_spelled(|text| text.push_str(source.path), |text| text.push_str(source.stem));
        }
    }

    /// Appends the source whose path and stem `path` and `stem` write at the end of the text.
    fn push_spelled(&mut self, path: impl FnOnce(&mut String), stem: impl FnOnce(&mut String)) -> PlannedSource<'_> {
        let start = self.text.len();
        path(&mut self.text);
        let stem_start = self.text.len();
        stem(&mut self.text);
        let end = self.text.len();
        // Offsets fit: no unit lists 4 GB of file names.
        self.spans.push((start as u32, stem_start as u32, end as u32));
        PlannedSource { path: &self.text[start..stem_start], stem: &self.text[stem_start..end] }
    }

    /// Appends `src` (absolute) of the unit in `unit_dir`, whose path from the build dir is
    /// `unit_rel`.
    fn push(&mut self, src: &Path, unit_dir: UnitDir, unit_rel: &str, build_dir: &Path) -> PlannedSource<'_> {
        // The usual case, a plain path under the unit's directory, in byte operations only
        // (every source passes here: searching by `char` costs more than the rest together).
        if let (Some(src_text), Some(dir_text)) = (src.to_str(), unit_dir.text)
            && let Some(under) = src_text.strip_prefix(dir_text).and_then(|r| r.strip_prefix('/'))
            && is_plain_relative(under)
        {
            let bytes = under.as_bytes();
            let name_start = bytes.iter().rposition(|&b| b == b'/').map_or(0, |i| i + 1);
            // `Path::with_extension("")` semantics: a leading dot is not an extension.
            let stem_end = match bytes[name_start..].iter().rposition(|&b| b == b'.') {
                Some(0) | None => under.len(),
                Some(i) => name_start + i,
            };
            let stem = &under[..stem_end];
            return self.push_spelled(
                |text| {
                    if unit_rel != "." {
                        text.push_str(unit_rel);
                        text.push('/');
                    }
                    text.push_str(under);
                },
                |text| text.push_str(short_stem(stem).as_deref().unwrap_or(stem)),
            );
        }
        let unit_dir = unit_dir.path;
        let (rel_to_unit, path) = match src.strip_prefix(unit_dir) {
            Ok(under) => {
                let under_slash = paths::to_slash(under);
                let path = if unit_rel == "." { under_slash } else { format!("{unit_rel}/{under_slash}") };
                (under.to_path_buf(), path)
            }
            Err(_) => (paths::relative(src, unit_dir), paths::relative_slash(src, build_dir)),
        };
        let mut stem = String::new();
        for c in rel_to_unit.with_extension("").components() {
            if !stem.is_empty() {
                stem.push('/');
            }
            match c {
                std::path::Component::ParentDir => stem.push_str("__"),
                other => stem.push_str(&other.as_os_str().to_string_lossy()),
            }
        }
        let stem = short_stem(&stem).unwrap_or(stem);
        self.push_spelled(|text| text.push_str(&path), |text| text.push_str(&stem))
    }
}

/// A unit's directory, with its text when it is UTF-8 (found once per unit, not per source).
#[derive(Clone, Copy)]
struct UnitDir<'a> {
    path: &'a Path,
    text: Option<&'a str>,
}

/// Whether `path` is relative with no empty, `.` or `..` component: `a/b.c`, not `a//b.c`,
/// `./b.c`, `a/../b.c` or `a/`.
fn is_plain_relative(path: &str) -> bool {
    !path.is_empty() && path.as_bytes().split(|&b| b == b'/').all(|c| !c.is_empty() && c != b"." && c != b"..")
}

/// The longest last component of an object's stem: tools append their own suffixes to the
/// object's name (`.o`, `.o.d`, `.o.rsp`, temporary names), and a file name cannot pass 255 bytes.
const MAX_STEM_NAME: usize = 200;

/// `stem` with its last component, when longer than [`MAX_STEM_NAME`], cut (at a character
/// boundary) and completed with `-` and 16 hex digits of a hash of the whole stem, so objects
/// stay distinct and are named the same in every generation; `None`: short enough as it is.
fn short_stem(stem: &str) -> Option<String> {
    // Most names are short: one comparison, no search (a component cannot be longer than the
    // whole stem).
    if stem.len() <= MAX_STEM_NAME {
        return None;
    }
    let name_start = stem.rfind('/').map_or(0, |i| i + 1);
    if stem.len() - name_start <= MAX_STEM_NAME {
        return None;
    }
    use sha2::Digest;
    let digest = sha2::Sha256::digest(stem.as_bytes());
    let mut cut = name_start + MAX_STEM_NAME - 17;
    while !stem.is_char_boundary(cut) {
        cut -= 1;
    }
    Some(format!("{}-{}", &stem[..cut], crate::bundle::hex(&digest[..8])))
}

/// Every unit's sources, listed for the planner as it needs them. Listing directories is mostly
/// the kernel's work and each unit's is independent: for many units a worker thread lists them
/// in the planner's order (dependencies first) while the planner plans those listed, and the
/// planner lists the next ones itself whenever it catches up, so both cores share listing and
/// planning.
pub(super) struct Listing<'a> {
    units: &'a Units,
    /// Each unit's directory relative to the build dir.
    unit_dirs: &'a [String],
    build_dir: &'a Path,
    patterns: glob::PatternCache,
    /// The order units are listed in: the planner's.
    order: &'a [UnitId],
    /// The next position in `order` to list (past its end: nothing left to claim).
    next: AtomicUsize,
    /// What listing each unit found, by unit, once listed.
    listed: Vec<OnceLock<Result<UnitListing>>>,
    /// Set when no worker runs (any more): what is not listed yet, the planner lists itself.
    worker_gone: AtomicBool,
}

/// A unit's sources as the build files name them, and what else listing them found.
type UnitListing = (PlannedSources, Found);

/// Fewer units than this are listed on the planner's thread alone: a worker costs more than it
/// saves.
const LISTING_WORKER_MIN_UNITS: usize = 64;

impl<'a> Listing<'a> {
    /// Lists the sources of `units` as `plan` asks for them (see [`Listing::sources`]), `plan`
    /// running while a worker thread lists ahead of it; then every unit's listing, in the
    /// order of their ids, for the planner to take what else it found (directories read,
    /// warnings). `plan`'s error wins; then the first unit's whose listing failed.
    pub(super) fn with<T>(
        units: &'a Units,
        unit_dirs: &'a [String],
        build_dir: &'a Path,
        plan: impl FnOnce(&Listing<'a>) -> Result<T>,
    ) -> Result<(T, Vec<Found>)> {
        let listing = Listing {
            units,
            unit_dirs,
            build_dir,
            patterns: glob::PatternCache::default(),
            order: units.topo(),
            next: AtomicUsize::new(0),
            listed: (0..units.len()).map(|_| OnceLock::new()).collect(),
            worker_gone: AtomicBool::new(units.len() < LISTING_WORKER_MIN_UNITS),
        };
        let planning = || {
            let planned = plan(&listing);
            // Whatever happened, the worker claims nothing more.
            listing.next.store(usize::MAX / 2, Ordering::Relaxed);
            planned
        };
        let worker = || {
            // Set however the worker ends, a panic included: the planner then lists whatever
            // the worker did not.
            struct Gone<'g>(&'g AtomicBool);
            impl Drop for Gone<'_> {
                fn drop(&mut self) {
                    self.0.store(true, Ordering::Release);
                }
            }
            let _gone = Gone(&listing.worker_gone);
            while listing.list_next() {}
        };
        let planned = if listing.worker_gone.load(Ordering::Acquire) {
            planning()
        } else {
            // A worker that panicked only leaves its units to the planner.
            crate::parallel::join(planning, worker).0
        }?;
        // Units no configuration planned are listed too: their manifests' errors stand.
        for (u, _) in units.iter() {
            listing.listed(u)?;
        }
        // Every unit is listed, and without error, now.
        let found = listing.listed.into_iter().filter_map(|slot| slot.into_inner()?.ok()).map(|(_, found)| found);
        Ok((planned, found.collect()))
    }

    /// The sources of unit `u`, listed now unless listed already; an error at the manifest
    /// entry of the pattern that failed.
    pub(super) fn sources(&self, u: UnitId) -> Result<&PlannedSources> {
        self.listed(u).map(|(planned, _)| planned)
    }

    fn listed(&self, u: UnitId) -> Result<&UnitListing> {
        loop {
            if let Some(listed) = self.listed[u.index()].get() {
                return listed.as_ref().map_err(Clone::clone);
            }
            // Not listed yet: list the next unit in order (`u`, or one the planner needs
            // soon). When none is left to claim, the worker is listing `u`: wait for it,
            // unless it is gone without doing so.
            if !self.list_next() {
                if self.worker_gone.load(Ordering::Acquire) {
                    let _ = self.listed[u.index()].set(self.list(u));
                } else {
                    std::thread::yield_now();
                }
            }
        }
    }

    /// Claims and lists the next unit in order; `false` when none is left to claim.
    fn list_next(&self) -> bool {
        let i = self.next.fetch_add(1, Ordering::Relaxed);
        let Some(&u) = self.order.get(i) else {
            return false;
        };
        let _ = self.listed[u.index()].set(self.list(u));
        true
    }

    fn list(&self, u: UnitId) -> Result<UnitListing> {
        let unit = &self.units[u];
        let found = expand_patterns(unit, &unit.sources, &self.patterns)?;
        let planned = plan_sources(&found, unit, &unit.sources, &self.unit_dirs[u.index()], self.build_dir)?;
        // The paths are spelled in `planned` now: free them.
        Ok((planned, Found { files: Vec::new(), from: Vec::new(), ..found }))
    }
}

impl Planner<'_> {
    /// Expands one pattern list, recording directories read; no match is an error at the entry.
    pub(super) fn expand(&mut self, u: UnitId, patterns: &[Located<String>]) -> Result<PlannedSources> {
        let unit = &self.units[u];
        let found = expand_patterns(unit, patterns, &self.patterns)?;
        let planned = plan_sources(&found, unit, patterns, &self.unit_dirs[u.index()], &self.build_dir)?;
        self.add_inputs(found.dirs);
        self.add_warnings(found.warnings);
        Ok(planned)
    }

    pub(super) fn extra_sources(&mut self, u: UnitId, config: &Configuration) -> Result<PlannedSources> {
        let unit = &self.units[u];
        let mut out = PlannedSources::default();
        if let Some((s, _)) = unit.per_target.get(&config.target) {
            out.extend(&self.expand(u, &s.extra_sources)?);
        }
        if let Some((s, _)) = unit.per_build_type.get(&config.build_type) {
            out.extend(&self.expand(u, &s.extra_sources)?);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn planned(src: &str, unit_rel: &str) -> (String, String) {
        let mut sources = PlannedSources::default();
        let unit_dir = UnitDir { path: Path::new("/p/mod"), text: Some("/p/mod") };
        let p = sources.push(Path::new(src), unit_dir, unit_rel, Path::new("/p/demo/build"));
        (p.path.to_string(), p.stem.to_string())
    }

    #[test]
    fn sources_name_their_objects_by_their_path_under_the_unit() {
        assert_eq!(planned("/p/mod/src/a.c", "../../mod"), ("../../mod/src/a.c".into(), "src/a".into()));
        assert_eq!(planned("/p/mod/a.b.c", "."), ("a.b.c".into(), "a.b".into()));
        assert_eq!(planned("/p/mod/src/.hidden", "../../mod"), ("../../mod/src/.hidden".into(), "src/.hidden".into()));
        assert_eq!(planned("/p/mod/noext", "../../mod"), ("../../mod/noext".into(), "noext".into()));
        // Through `..` (a pattern like `../shared/*.c`): `..` becomes `__` in the object path.
        assert_eq!(
            planned("/p/mod/../shared/x.c", "../../mod"),
            ("../../mod/../shared/x.c".into(), "__/shared/x".into())
        );
        // Outside the unit's directory altogether.
        assert_eq!(planned("/p/other/y.c", "../../mod"), ("../../other/y.c".into(), "__/other/y".into()));
    }

    #[test]
    fn only_plain_relative_paths_take_the_byte_path() {
        for plain in ["a.c", "src/a.c", "src/.hidden", "...c", "a..c/b"] {
            assert!(is_plain_relative(plain), "{plain}");
        }
        for odd in ["", "/a.c", "a/", "a//b.c", "./a.c", "src/./a.c", "../a.c", "src/.."] {
            assert!(!is_plain_relative(odd), "{odd}");
        }
    }

    #[test]
    fn long_source_names_get_short_distinct_object_names() {
        let long = |tail: &str| format!("/p/mod/src/{}{tail}.c", "é".repeat(120));
        let (a, b) = (planned(&long("a"), "."), planned(&long("b"), "."));
        let name = |stem: &str| stem.rsplit('/').next().unwrap().to_string();
        assert!(name(&a.1).len() <= MAX_STEM_NAME && name(&b.1).len() <= MAX_STEM_NAME, "{a:?}");
        assert_ne!(a.1, b.1, "two names sharing their first 240 bytes stay distinct");
        assert!(a.1.starts_with("src/éé"));
        assert_eq!(planned(&long("a"), "."), a, "the same name in every generation");
        assert_eq!(a.0, long("a")["/p/mod/".len()..], "the source itself keeps its name");
    }
}
