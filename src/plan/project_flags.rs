//! Project-wide flags: spy.toml's `[spygen] defines/cflags/ldflags` (and per target and build
//! type), the environment's `CPPFLAGS`, `CFLAGS` and `LDFLAGS` for the native target only (as
//! Meson and CMake give them to the host compiler: a cross compiler must not get the host's),
//! then `--define`, `--cflag` and `--ldflag`. Later scopes come later on the command line, so
//! the command line wins over the environment, which wins over spy.toml.

use crate::error::{Error, Result};
use crate::graph::{ProjectFlagWords, ProjectFlags};
use crate::manifest::Project;
use crate::options::{FlagArg, FlagKind};
use crate::toolchain::Db;

/// The target the environment's flags apply to.
pub const ENV_FLAGS_TARGET: &str = "native";

/// The project flags of `project` (when a manifest was read), the environment as `env` gives
/// it and the command line's `args`, checked against `db`'s targets and build types; with the
/// notes to print (the environment's flags reach one target only).
pub fn project_flags(
    db: &Db,
    project: Option<&Project>,
    args: &[FlagArg],
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<(ProjectFlags, Vec<String>)> {
    let mut scopes = Vec::new();
    for scope in project.map(|p| p.flags.as_slice()).unwrap_or_default() {
        if let Some(t) = &scope.target
            && db.get(&t.value).is_err()
        {
            return Err(db.unknown_target(&t.value).in_file(t.location.clone()));
        }
        if let Some(b) = &scope.build_type {
            db.check_any_build_type(&b.value).map_err(|e| e.at(b.location.clone()))?;
        }
        let at = scope.target.as_ref().or(scope.build_type.as_ref()).map(|l| l.location.to_string());
        let mut cflags: Vec<String> = scope.defines.iter().map(|d| format!("-D{d}")).collect();
        cflags.extend(scope.cflags.iter().cloned());
        scopes.push(ProjectFlagWords {
            target: scope.target.as_ref().map(|t| t.value.clone()),
            build_type: scope.build_type.as_ref().map(|b| b.value.clone()),
            cflags,
            ldflags: scope.ldflags.clone(),
            origin: at.unwrap_or_else(|| "[spygen] in spy.toml".to_string()),
        });
    }
    let mut notes = Vec::new();
    let words = |name: &str| -> Result<Vec<String>> {
        let Some(value) = env(name) else { return Ok(Vec::new()) };
        shlex::split(&value).ok_or_else(|| {
            Error::usage(format!("{name}={value} does not parse as shell words"))
                .help(format!("fix the quoting in {name}, or unset it"))
        })
    };
    let (cppflags, cflags, ldflags) = (words("CPPFLAGS")?, words("CFLAGS")?, words("LDFLAGS")?);
    if !(cppflags.is_empty() && cflags.is_empty() && ldflags.is_empty()) {
        let set: Vec<&str> = ["CPPFLAGS", "CFLAGS", "LDFLAGS"].into_iter().filter(|n| env(n).is_some()).collect();
        notes.push(format!(
            "{} from the environment apply to target `{ENV_FLAGS_TARGET}` only, as Meson and CMake give them to the host compiler; for other targets use --cflag TARGET=FLAG or [spygen.target.TARGET] in spy.toml",
            set.join(", ")
        ));
        scopes.push(ProjectFlagWords {
            target: Some(ENV_FLAGS_TARGET.to_string()),
            build_type: None,
            cflags: cppflags.into_iter().chain(cflags).collect(),
            ldflags,
            origin: "the environment".to_string(),
        });
    }
    for arg in args {
        if let Some(t) = &arg.target {
            db.get(t)?;
        }
        let mut scope = ProjectFlagWords {
            target: arg.target.clone(),
            build_type: None,
            origin: arg.kind.option().to_string(),
            ..ProjectFlagWords::default()
        };
        match arg.kind {
            FlagKind::Cflag => scope.cflags.push(arg.value.clone()),
            FlagKind::Define => scope.cflags.push(format!("-D{}", arg.value)),
            FlagKind::Ldflag => scope.ldflags.push(arg.value.clone()),
        }
        scopes.push(scope);
    }
    Ok((ProjectFlags { scopes }, notes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_command_line_comes_after_the_environment_which_reaches_native_only() {
        let db = Db::load(None).unwrap();
        let targets = db.names();
        let args = [
            FlagArg::parse(FlagKind::Define, "MODE=2", &targets),
            FlagArg::parse(FlagKind::Cflag, "wasi=-O3", &targets),
            FlagArg::parse(FlagKind::Ldflag, "-Wl,--gc-sections", &targets),
        ];
        let env = |k: &str| match k {
            "CFLAGS" => Some("-Wall '-DTEXT=a b'".to_string()),
            "CPPFLAGS" => Some("-DFROM_CPP".to_string()),
            _ => None,
        };
        let (flags, notes) = project_flags(&db, None, &args, &env).unwrap();
        assert_eq!(flags.cflags("native", "debug"), ["-DFROM_CPP", "-Wall", "-DTEXT=a b", "-DMODE=2"]);
        assert_eq!(flags.cflags("wasi", "release"), ["-DMODE=2", "-O3"], "the environment's flags stay native");
        assert_eq!(flags.ldflags("emscripten", "debug"), ["-Wl,--gc-sections"]);
        assert_eq!(notes.len(), 1);
        assert!(
            notes[0].starts_with("CPPFLAGS, CFLAGS from the environment apply to target `native` only"),
            "{notes:?}"
        );
    }

    #[test]
    fn a_definition_with_a_value_is_not_taken_for_a_target() {
        let db = Db::load(None).unwrap();
        let a = FlagArg::parse(FlagKind::Define, "NDEBUG=1", &db.names());
        assert_eq!((a.target, a.value.as_str()), (None, "NDEBUG=1"));
        let a = FlagArg::parse(FlagKind::Define, "native-static=STATIC=1", &db.names());
        assert_eq!((a.target.as_deref(), a.value.as_str()), (Some("native-static"), "STATIC=1"));
        assert_eq!(a.to_arg(), "native-static=STATIC=1");
    }

    #[test]
    fn unparsable_environment_flags_are_an_error_naming_the_variable() {
        let db = Db::load(None).unwrap();
        let env = |k: &str| (k == "LDFLAGS").then(|| "-L'/opt/unclosed".to_string());
        let err = project_flags(&db, None, &[], &env).unwrap_err();
        assert!(err.message.starts_with("LDFLAGS=-L'/opt/unclosed does not parse"), "{err}");
    }
}
