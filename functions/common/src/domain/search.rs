//! What the office's search matches on, pure: names folded to their bare
//! letters (« Lefèvre » and « LEFEVRE » are both `lefevre`), so that a
//! prefix typed without accents or capitals finds them.

use std::collections::BTreeSet;

/// `text` lower-cased, without accents and without anything but letters
/// and digits: « Le Gall-Hervé » is `legallherve`, « Œillet » `oeillet`.
pub fn fold(text: &str) -> String {
    let decomposed = icu_normalizer::DecomposingNormalizerBorrowed::new_nfd().normalize(text);
    let mut folded = String::with_capacity(text.len());
    for c in decomposed.chars().flat_map(char::to_lowercase) {
        match c {
            'œ' => folded.push_str("oe"),
            'æ' => folded.push_str("ae"),
            'ß' => folded.push_str("ss"),
            c if c.is_alphanumeric() => folded.push(c),
            // Combining accents, spaces, hyphens, apostrophes: dropped.
            _ => {}
        }
    }
    folded
}

/// The name keys of a candidate: the whole last name, and each first name
/// (first names are separated by commas or spaces; a hyphenated one such as
/// « Jean-Pierre » is one name).
pub fn name_keys(last_name: &str, first_names: &str) -> BTreeSet<String> {
    std::iter::once(last_name)
        .chain(first_names.split([',', ' ']))
        .map(fold)
        .filter(|key| !key.is_empty())
        .collect()
}

/// Whether the folded `prefix` starts one of the candidate's name keys.
pub fn name_matches(prefix: &str, last_name: &str, first_names: &str) -> bool {
    let prefix = fold(prefix);
    !prefix.is_empty()
        && name_keys(last_name, first_names)
            .iter()
            .any(|key| key.starts_with(&prefix))
}

/// The order of the office's lists: last name, then first names, folded
/// (so that « Élise » sorts with the E), then as written.
pub fn name_order(last_name: &str, first_names: &str) -> (String, String, String, String) {
    (
        fold(last_name),
        fold(first_names),
        last_name.to_owned(),
        first_names.to_owned(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_fold_to_bare_letters() {
        assert_eq!(fold("Lefèvre"), "lefevre");
        assert_eq!(fold("LEFÈVRE"), "lefevre");
        assert_eq!(fold("Le Gall-Hervé"), "legallherve");
        assert_eq!(fold("Œillet d'Aÿ"), "oeilletday");
        assert_eq!(fold("Ñúñez"), "nunez");
        assert_eq!(fold(" - "), "");
    }

    #[test]
    fn a_prefix_of_the_last_name_or_of_any_first_name_matches() {
        assert!(name_matches("lefe", "Lefèvre", "Zoé, Marie"));
        assert!(name_matches("ZO", "Lefèvre", "Zoé, Marie"));
        assert!(name_matches("mari", "Lefèvre", "Zoé Marie"));
        assert!(name_matches("jean-p", "Martin", "Jean-Pierre"));
        assert!(!name_matches("evre", "Lefèvre", "Zoé"));
        assert!(!name_matches("", "Lefèvre", "Zoé"));
        assert_eq!(
            name_keys("Lefèvre", "Zoé, Marie-Ange"),
            ["lefevre", "marieange", "zoe"]
                .into_iter()
                .map(String::from)
                .collect()
        );
    }

    #[test]
    fn names_sort_without_regard_to_accents_or_case() {
        let mut names = [("Étienne", "Zoé"), ("Dupont", "Luc"), ("ESPINASSE", "Ana")];
        names.sort_by_key(|(last, first)| name_order(last, first));
        assert_eq!(names[0].0, "Dupont");
        assert_eq!(names[1].0, "ESPINASSE");
        assert_eq!(names[2].0, "Étienne");
    }
}
