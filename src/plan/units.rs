//! The unit set: every module reachable from the project (runtime, VM modules, program deps)
//! and the programs, with their dependency edges, cycle check and topological order.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::error::{Error, Location, Result};
use crate::manifest::{self, ModuleRef, Project, Unit};
use crate::source::SourceFile;

/// A unit (module or program) of the project.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct UnitId(u32);

impl UnitId {
    /// Its position among the units (for side tables indexed alike).
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// A dependency edge: the unit depended on and where the dependency is written.
#[derive(Debug, Clone)]
pub struct Dep {
    /// The unit depended on.
    pub unit: UnitId,
    /// Where it is written (`None` for the implicit runtime dependency).
    pub from: Option<Location>,
}

/// Modules and programs of a project, indexed.
#[derive(Debug)]
pub struct Units {
    /// Every unit: modules in load order, then programs.
    units: Vec<Unit>,
    /// Direct dependencies of each unit.
    deps: Vec<Vec<Dep>>,
    /// Module manifests read (inputs of the build files).
    pub manifests: Vec<SourceFile>,
    /// Each unit's manifest in `manifests`, when it was read from one (not a pack's, nor a
    /// program's, which spy.toml declares).
    manifest_of: Vec<Option<usize>>,
    /// Packs read (inputs of the build files too), each with its stamp from before it was read.
    pub packs: Vec<(PathBuf, Option<crate::fsutil::Stamp>)>,
    /// The runtime module, if the project names one.
    runtime: Option<UnitId>,
    /// Every unit, dependencies before dependents.
    topo: Vec<UnitId>,
}

impl std::ops::Index<UnitId> for Units {
    type Output = Unit;

    fn index(&self, u: UnitId) -> &Unit {
        &self.units[u.index()]
    }
}

impl Units {
    /// The manifest unit `u` was read from, as it was read.
    pub fn manifest_source(&self, u: UnitId) -> Option<&SourceFile> {
        self.manifest_of[u.index()].map(|i| &self.manifests[i])
    }

    /// How many units there are.
    pub fn len(&self) -> usize {
        self.units.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.units.is_empty()
    }

    /// Every unit with its id, modules in load order, then programs.
    pub fn iter(&self) -> impl Iterator<Item = (UnitId, &Unit)> {
        self.units.iter().enumerate().map(|(i, u)| (UnitId(i as u32), u))
    }

    /// Every unit, in the order of their ids.
    pub fn all(&self) -> &[Unit] {
        &self.units
    }

    /// The direct dependencies of `u`.
    pub fn deps(&self, u: UnitId) -> &[Dep] {
        &self.deps[u.index()]
    }

    /// Every unit, dependencies before dependents.
    pub fn topo(&self) -> &[UnitId] {
        &self.topo
    }

    /// The runtime module, if the project names one.
    pub fn runtime(&self) -> Option<UnitId> {
        self.runtime
    }

    /// Loads every module reachable from `project` and checks the dependency graph; a module
    /// named by its pack is unpacked into `pack_cache` (see [`crate::pack`]).
    pub fn load(project: &Project, pack_cache: &Path) -> Result<Units> {
        let mut loader = Loader {
            prefetched: prefetch(&project.extra_vm_modules),
            pack_cache: pack_cache.to_path_buf(),
            ..Loader::default()
        };
        let runtime = match &project.runtime {
            Some(r) => Some(loader.module(r)?),
            None => None,
        };
        for m in &project.extra_vm_modules {
            let idx = loader.module(m)?;
            if let Some(rt) = runtime
                && idx != rt
            {
                loader.add_dep(idx, rt, None);
            }
        }
        for program in &project.programs {
            let idx = loader.add(program.clone(), None);
            for dep in &program.deps {
                let m = loader.module(&ModuleRef { dir: dep.value.clone(), from: Some(dep.location.clone()) })?;
                loader.add_dep(idx, m, Some(dep.location.clone()));
            }
            if let Some(rt) = runtime {
                loader.add_dep(idx, rt, None);
            }
        }
        loader.check_names()?;
        let topo = loader.topo_order()?.into_iter().map(|u| UnitId(u as u32)).collect();
        let runtime = runtime.map(|r| UnitId(r as u32));
        Ok(Units {
            units: loader.units,
            deps: loader.deps,
            manifests: loader.manifests,
            manifest_of: loader.manifest_of,
            packs: loader.packs,
            runtime,
            topo,
        })
    }
}

/// Reading a manifest is mostly waiting for the file system: the project's own list of modules
/// (known before any is read) is read on two threads when it is long, and the loader takes the
/// results, errors included, as it meets the modules in its own order.
fn prefetch(modules: &[ModuleRef]) -> HashMap<PathBuf, Result<(Unit, SourceFile)>> {
    if modules.len() < 32 {
        return HashMap::new();
    }
    let read = |refs: &[ModuleRef]| -> Vec<(PathBuf, Result<(Unit, SourceFile)>)> {
        refs.iter().map(|r| (r.dir.clone(), manifest::load_module(&r.dir, r.from.as_ref()))).collect()
    };
    let (first, second) = modules.split_at(modules.len() / 2);
    let (a, b) = crate::parallel::join(|| read(first), || read(second));
    // A worker that failed only leaves its modules to be read in order.
    a.into_iter().chain(b.unwrap_or_default()).collect()
}

#[derive(Default)]
struct Loader {
    /// Modules read ahead, by directory (see [`prefetch`]).
    prefetched: HashMap<PathBuf, Result<(Unit, SourceFile)>>,
    units: Vec<Unit>,
    deps: Vec<Vec<Dep>>,
    manifests: Vec<SourceFile>,
    /// Each unit's manifest in `manifests`, when it was read from one.
    manifest_of: Vec<Option<usize>>,
    packs: Vec<(PathBuf, Option<crate::fsutil::Stamp>)>,
    /// Where packs are unpacked.
    pack_cache: PathBuf,
    by_dir: HashMap<PathBuf, usize>,
}

impl Loader {
    /// Loads the module in `r.dir` (once) and everything it depends on, depth first, each
    /// module before its dependencies. Iterative: a chain of 50,000 modules is as deep as it
    /// gets, and no stack is that deep.
    fn module(&mut self, r: &ModuleRef) -> Result<usize> {
        if let Some(&idx) = self.by_dir.get(&r.dir) {
            return Ok(idx);
        }
        let root = self.load(r)?;
        // (module, index of its next dependency to visit)
        let mut stack = vec![(root, 0usize)];
        while let Some(&mut (idx, ref mut next)) = stack.last_mut() {
            let Some(dep) = self.units[idx].deps.get(*next) else {
                stack.pop();
                continue;
            };
            *next += 1;
            let (dir, at) = (dep.value.clone(), dep.location.clone());
            let d = match self.by_dir.get(&dir) {
                Some(&d) => d,
                None => {
                    let d = self.load(&ModuleRef { dir, from: Some(at.clone()) })?;
                    stack.push((d, 0));
                    d
                }
            };
            self.add_dep(idx, d, Some(at));
        }
        Ok(root)
    }

    /// Reads one module's manifest and adds it, without its dependencies; a file is a pack,
    /// unpacked (once) and added with everything it holds.
    fn load(&mut self, r: &ModuleRef) -> Result<usize> {
        // Read ahead from `<dir>/spygen.toml`: a module directory, no pack.
        let read_ahead = match self.prefetched.remove(&r.dir) {
            Some(Ok(read)) => Some(read),
            // An error names where the module is written: read again from this reference (the
            // loader may meet the module first as another module's dependency).
            _ => None,
        };
        if read_ahead.is_none() && r.dir.is_file() {
            let located = |e: Error| match &r.from {
                Some(at) => e.at(at.clone()),
                None => e,
            };
            if !crate::pack::looks_like_pack(&r.dir) {
                let manifest = r.dir.file_name().is_some_and(|n| n == manifest::MODULE_MANIFEST);
                return Err(located(Error::input(format!(
                    "{} is a file, neither a module directory nor a pack",
                    r.dir.display()
                )))
                .help(match (manifest, r.dir.parent()) {
                    (true, Some(dir)) => format!("name the module's directory: {}", dir.display()),
                    _ => "name the directory holding the module's spygen.toml, or a pack `spygen pack` wrote (.spymod)"
                        .to_string(),
                }));
            }
            let stamp = crate::fsutil::stamp(&r.dir);
            let prebuilt = crate::pack::unpack(&r.dir, &self.pack_cache).map_err(located)?;
            let idx = self.add(crate::pack::unit(prebuilt, r.from.as_ref()), None);
            self.by_dir.insert(r.dir.clone(), idx);
            self.packs.push((r.dir.clone(), stamp));
            return Ok(idx);
        }
        let (unit, source) = match read_ahead {
            Some(read) => read,
            None => manifest::load_module(&r.dir, r.from.as_ref())?,
        };
        let idx = self.add(unit, Some(source));
        self.by_dir.insert(r.dir.clone(), idx);
        Ok(idx)
    }

    /// Adds `unit`, without dependencies yet, with the manifest it was read from, if any; its
    /// index.
    fn add(&mut self, unit: Unit, manifest: Option<SourceFile>) -> usize {
        self.units.push(unit);
        self.deps.push(Vec::new());
        let manifest = manifest.map(|m| {
            self.manifests.push(m);
            self.manifests.len() - 1
        });
        self.manifest_of.push(manifest);
        self.units.len() - 1
    }

    fn add_dep(&mut self, from: usize, to: usize, at: Option<Location>) {
        let to = UnitId(to as u32);
        if !self.deps[from].iter().any(|d| d.unit == to) {
            self.deps[from].push(Dep { unit: to, from: at });
        }
    }

    fn check_names(&self) -> Result<()> {
        let mut seen: HashMap<&str, usize> = HashMap::new();
        for (i, u) in self.units.iter().enumerate() {
            if let Some(&first) = seen.get(u.name.as_str()) {
                let other = &self.units[first];
                // A pack is named by its file: two packs of one module are told apart by it.
                let describe = |u: &Unit| match &u.prebuilt {
                    Some(p) => format!("{} packed in {}", u.kind.as_str(), p.pack.display()),
                    None => u.kind.as_str().to_string(),
                };
                return Err(Error::input(format!(
                    "two units are named `{}`: this {} and the {} at {}",
                    u.name,
                    describe(u),
                    describe(other),
                    other.location
                ))
                .at(u.location.clone())
                .help("names must be unique: they name output files and build aliases"));
            }
            seen.insert(&u.name, i);
        }
        Ok(())
    }

    /// Dependencies before dependents; a cycle is an error naming its modules in order.
    fn topo_order(&self) -> Result<Vec<usize>> {
        #[derive(Clone, Copy, PartialEq)]
        enum State {
            New,
            Active,
            Done,
        }
        let n = self.units.len();
        let mut state = vec![State::New; n];
        let mut order = Vec::with_capacity(n);
        for root in 0..n {
            if state[root] != State::New {
                continue;
            }
            // Iterative DFS: (unit, next dep index); `path` mirrors the stack for cycle reports.
            let mut stack = vec![(root, 0usize)];
            state[root] = State::Active;
            while let Some(&mut (u, ref mut next)) = stack.last_mut() {
                if let Some(dep) = self.deps[u].get(*next) {
                    *next += 1;
                    let d = dep.unit.index();
                    match state[d] {
                        State::New => {
                            state[d] = State::Active;
                            stack.push((d, 0));
                        }
                        State::Active => {
                            let start = stack.iter().position(|&(x, _)| x == d).unwrap_or(0);
                            let mut names: Vec<&str> =
                                stack[start..].iter().map(|&(x, _)| self.units[x].name.as_str()).collect();
                            names.push(&self.units[d].name);
                            let err = Error::input(format!("dependency cycle: {}", names.join(" -> ")))
                                .help("a module cannot depend on itself, directly or through others; remove one of these deps");
                            return Err(match &dep.from {
                                Some(loc) => err.at(loc.clone()),
                                None => err,
                            });
                        }
                        State::Done => {}
                    }
                } else {
                    state[u] = State::Done;
                    order.push(u);
                    stack.pop();
                }
            }
        }
        Ok(order)
    }
}
