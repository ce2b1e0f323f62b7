//! Quoting words for a POSIX shell, the way build commands and `spygen flags` print them.

/// `word` quoted for `sh` only when it needs it: `-O2` stays as it is, `a b` becomes `'a b'`.
pub fn quote(word: &str) -> String {
    if !word.is_empty() && word.bytes().all(is_safe) {
        return word.to_string();
    }
    let mut out = String::with_capacity(word.len() + 2);
    out.push('\'');
    for c in word.chars() {
        if c == '\'' {
            out.push_str("'\\''");
        } else {
            out.push(c);
        }
    }
    out.push('\'');
    out
}

/// Words quoted and joined with single spaces.
pub fn join<S: AsRef<str>>(words: &[S]) -> String {
    join_quoting(words, |w, out| out.push_str(&quote(w)))
}

/// Words as the text of a response file (`cc @file`, `ar @file`, `spygen bundle --args-from
/// file`), joined with spaces. A word that needs quoting is put in double quotes with `\` and
/// `"` backslash-escaped: the one spelling that GCC's and LLVM's response-file readers (gcc, ar,
/// clang, zig cc, llvm-ar) and Python's `shlex` (emcc) all read back as the same word, and that
/// [`split_response_file`] reads back too. Control characters are rejected earlier (no build
/// file can carry them).
pub fn response_file<S: AsRef<str>>(words: &[S]) -> String {
    join_quoting(words, |w, out| {
        out.push('"');
        for c in w.chars() {
            if c == '\\' || c == '"' {
                out.push('\\');
            }
            out.push(c);
        }
        out.push('"');
    })
}

/// Words joined with single spaces, each as it is when no byte needs quoting (no allocation:
/// this runs on every flag of a large project), else spelled by `quoted`.
fn join_quoting<S: AsRef<str>>(words: &[S], quoted: impl Fn(&str, &mut String)) -> String {
    let mut out = String::with_capacity(words.iter().map(|w| w.as_ref().len() + 3).sum());
    for (i, w) in words.iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        let w = w.as_ref();
        if !w.is_empty() && w.bytes().all(is_safe) {
            out.push_str(w);
        } else {
            quoted(w, &mut out);
        }
    }
    out
}

/// The words of a response file written by [`response_file`]; `None` when its quotes do not
/// close.
pub fn split_response_file(text: &str) -> Option<Vec<String>> {
    shlex::split(text)
}

/// Bytes that need no quoting, as a table: this test runs on every byte of every flag.
const SAFE: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        table[b] = c.is_ascii_alphanumeric()
            || matches!(c, b'_' | b'-' | b'+' | b'=' | b'@' | b'%' | b':' | b',' | b'.' | b'/');
        b += 1;
    }
    table
};

fn is_safe(b: u8) -> bool {
    SAFE[b as usize]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_only_what_the_shell_would_split_or_expand() {
        assert_eq!(quote("-DSPY_DEBUG"), "-DSPY_DEBUG");
        assert_eq!(quote("--target=wasm32-wasi-musl"), "--target=wasm32-wasi-musl");
        assert_eq!(quote("a b"), "'a b'");
        assert_eq!(quote("-Wl,--export=spy_mod$encode"), "'-Wl,--export=spy_mod$encode'");
        assert_eq!(quote("it's"), "'it'\\''s'");
        assert_eq!(quote(""), "''");
        assert_eq!(join(&["cc", "-I", "/x y"]), "cc -I '/x y'");
    }

    #[test]
    fn response_files_read_back_as_the_same_words() {
        let words = ["-O2", "a b", "it's", r#"say "hi""#, r"back\slash", "$HOME", "", "#x", "é"];
        let text = response_file(&words);
        assert_eq!(text, r##"-O2 "a b" "it's" "say \"hi\"" "back\\slash" "$HOME" "" "#x" "é""##);
        assert_eq!(split_response_file(&text).unwrap(), words);
    }
}
