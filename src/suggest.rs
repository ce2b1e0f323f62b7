//! "Did you mean": the name a misspelt one was probably meant to be, out of a fixed set (the
//! keys of a manifest table, the targets, the program kinds).

/// The candidate closest to `word`, when one is close enough to be what was meant: its
/// Damerau-Levenshtein distance to `word` (an adjacent swap counts as one edit) is at most a
/// third of `word`'s length, at least 1, and less than the candidate's own length, so a short
/// word is never "corrected" into an unrelated one. Case and `_` against `-` do not count
/// (`public_headers` is `public-headers`). The nearest wins; of equally near ones, the first.
pub fn closest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let word = normalized(word);
    let allowed = (word.chars().count() / 3).max(1);
    candidates
        .into_iter()
        .filter_map(|candidate| {
            let norm = normalized(candidate);
            let distance = strsim::damerau_levenshtein(&word, &norm);
            (distance <= allowed && distance < norm.chars().count()).then_some((distance, candidate))
        })
        .min_by_key(|&(distance, _)| distance)
        .map(|(_, candidate)| candidate)
}

/// `; did you mean `x`?` when [`closest`] finds `x`, else nothing: the end of an "unknown ..."
/// message.
pub fn did_you_mean<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> String {
    closest(word, candidates).map_or_else(String::new, |c| format!("; did you mean `{c}`?"))
}

/// `word` as compared: lower case, `_` spelt `-` (TOML keys here are kebab-case).
fn normalized(word: &str) -> String {
    word.chars().map(|c| if c == '_' { '-' } else { c.to_ascii_lowercase() }).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const UNIT_KEYS: &[&str] = &["name", "kind", "sources", "public-include-dirs", "include-dirs", "public-headers"];

    #[test]
    fn a_dropped_letter_is_corrected() {
        assert_eq!(closest("sorces", UNIT_KEYS.iter().copied()), Some("sources"));
        assert_eq!(closest("extra-vm-module", ["extra-vm-modules", "spygen"]), Some("extra-vm-modules"));
    }

    #[test]
    fn swapped_letters_count_as_one_edit() {
        assert_eq!(closest("exectuable", ["executable", "test", "reactor", "wasm-bundle"]), Some("executable"));
    }

    #[test]
    fn underscores_and_case_match_the_kebab_case_key() {
        assert_eq!(closest("public_headers", UNIT_KEYS.iter().copied()), Some("public-headers"));
        assert_eq!(closest("Sources", UNIT_KEYS.iter().copied()), Some("sources"));
        assert_eq!(closest("extra_vm_modules", ["extra-vm-modules"]), Some("extra-vm-modules"));
    }

    #[test]
    fn the_nearest_of_several_close_candidates_wins() {
        assert_eq!(closest("include-dir", UNIT_KEYS.iter().copied()), Some("include-dirs"));
        assert_eq!(closest("public-include-dir", UNIT_KEYS.iter().copied()), Some("public-include-dirs"));
        assert_eq!(closest("spyy", ["build-dir", "spy"]), Some("spy"));
    }

    #[test]
    fn a_word_far_from_every_candidate_gets_no_suggestion() {
        assert_eq!(closest("colour", UNIT_KEYS.iter().copied()), None);
        assert_eq!(closest("wasm64", ["emscripten", "native", "native-static", "wasi"]), None);
        assert_eq!(closest("anything", []), None);
    }

    #[test]
    fn a_short_word_is_not_turned_into_an_unrelated_short_candidate() {
        // One edit is allowed even for short words, but not one replacing the whole candidate.
        assert_eq!(closest("q", ["a", "cc"]), None);
        assert_eq!(closest("cx", ["cc", "zig"]), Some("cc"));
        assert_eq!(closest("xy", ["cc"]), None);
    }

    #[test]
    fn did_you_mean_ends_a_message_or_adds_nothing() {
        assert_eq!(did_you_mean("wasii", ["native", "wasi"]), "; did you mean `wasi`?");
        assert_eq!(did_you_mean("gn", ["build-dir", "spy"]), "");
    }
}
