//! GNU make syntax helpers shared by the Makefile, the includable fragment and `flags --format make`.

/// `text` escaped for the right-hand side of a make variable assignment: `$` doubles and `#`
/// (which would start a comment) is backslash-escaped.
pub fn escape_value(text: &str) -> String {
    text.replace('$', "$$").replace('#', "\\#")
}

/// Command words as one make value: quoted for the shell, then escaped for make (recipes and
/// variable values alike).
pub fn words(words: &[String]) -> String {
    escape_value(&crate::shell::join(words))
}

/// A `NAME := value` line.
pub fn assign(name: &str, value: &str) -> String {
    format!("{name} := {}\n", escape_value(value))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dollars_and_hashes_survive_make() {
        assert_eq!(escape_value("'-Wl,--export=a$b' -DX=#1"), "'-Wl,--export=a$$b' -DX=\\#1");
        assert_eq!(assign("CC", "cc"), "CC := cc\n");
    }
}
