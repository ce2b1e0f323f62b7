//! GNU make syntax helpers shared by the Makefile, the includable fragment and `flags --format make`.

use crate::toolchain::{ConfigFlags, ConfigTools};

/// `text` escaped for the right-hand side of a make variable assignment: `$` doubles, and `#`
/// (which would start a comment) is backslash-escaped. make halves the backslashes before an
/// escaped `#`, so those are doubled first (`\#` stays `\#`); and a value ending in a backslash
/// gets an empty `$()` after it, or make would join the next line to it.
pub fn escape_value(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    let mut backslashes = 0;
    for c in text.chars() {
        match c {
            '\\' => backslashes += 1,
            '#' => {
                out.extend(std::iter::repeat_n('\\', 2 * backslashes + 1));
                backslashes = 0;
            }
            _ => {
                out.extend(std::iter::repeat_n('\\', backslashes));
                backslashes = 0;
            }
        }
        match c {
            '\\' => {}
            '$' => out.push_str("$$"),
            c => out.push(c),
        }
    }
    out.extend(std::iter::repeat_n('\\', backslashes));
    if backslashes > 0 {
        out.push_str("$()");
    }
    out
}

/// Command words as one make value: quoted for the shell, then escaped for make (recipes and
/// variable values alike).
pub fn words(words: &[String]) -> String {
    escape_value(&crate::shell::join(words))
}

/// Command words as they go on a recipe line: quoted for the shell, then only `$` doubled (a
/// `#` in a recipe reaches the shell as it is; `\#` would too, backslash and all).
pub fn recipe_words(words: &[String]) -> String {
    crate::shell::join(words).replace('$', "$$")
}

/// A `NAME := value` line.
pub fn assign(name: &str, value: &str) -> String {
    if value.is_empty() { format!("{name} :=\n") } else { format!("{name} := {}\n", escape_value(value)) }
}

/// The make variables of one configuration (see [`ConfigFlags`]), each named by `name` (given
/// `CC`: `CC` in `spygen flags --format make`, `SPYGEN_CC_wasi_release` in spygen.mk): CC, AR,
/// LAUNCHER, CFLAGS, LDFLAGS, LIBDIR, OBJ_SUFFIX, LIB_SUFFIX and EXE_SUFFIX. A missing tool or
/// launcher is a recursively expanded `$(error ...)`: it stops make only where it is used.
/// The one writer of these variables, for both.
pub fn config_variables(
    flags: &ConfigFlags,
    tools: &ConfigTools,
    launcher: &std::result::Result<Option<Vec<String>>, String>,
    name: &dyn Fn(&str) -> String,
) -> String {
    let mut out = String::new();
    let mut words_or_error = |var: &str, value: &std::result::Result<Vec<String>, String>| match value {
        Ok(words) => out.push_str(&assign(&name(var), &crate::shell::join(words))),
        Err(why) => out.push_str(&format!("{} = $(error {})\n", name(var), escape_value(&why.replace('\n', " ")))),
    };
    words_or_error("CC", &tools.cc);
    words_or_error("AR", &tools.ar);
    words_or_error("LAUNCHER", &launcher.clone().map(Option::unwrap_or_default));
    for (var, value) in [
        ("CFLAGS", crate::shell::join(&flags.cflags)),
        ("LDFLAGS", crate::shell::join(&flags.ldflags)),
        ("LIBDIR", flags.libdir.as_deref().map(crate::shell::quote).unwrap_or_default()),
        ("OBJ_SUFFIX", flags.obj_suffix.clone()),
        ("LIB_SUFFIX", flags.lib_suffix.clone()),
        ("EXE_SUFFIX", flags.exe_suffix.clone()),
    ] {
        out.push_str(&assign(&name(var), &value));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dollars_and_hashes_survive_make() {
        assert_eq!(escape_value("'-Wl,--export=a$b' -DX=#1"), "'-Wl,--export=a$$b' -DX=\\#1");
        assert_eq!(assign("CC", "cc"), "CC := cc\n");
        assert_eq!(recipe_words(&["../#a/$b.c".into()]), "'../#a/$$b.c'");
        // make halves the backslashes before an escaped `#`; a trailing one would join lines.
        assert_eq!(escape_value(r"\#"), r"\\\#");
        assert_eq!(escape_value(r"a\b\\#c"), r"a\b\\\\\#c");
        assert_eq!(escape_value(r"end\"), r"end\$()");
    }
}
