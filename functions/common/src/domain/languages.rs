//! The languages an optional language unit (« épreuve facultative de langue
//! vivante ») may be sat in: ISO 639-1 codes with their French names, so
//! that the catalogue can only list languages the confirmation document can
//! name.
//!
//! The list is the one of the arrêté du 8 avril 2010 for the baccalauréat
//! professionnel's optional language épreuve (allemand, amharique, anglais,
//! arabe, ... occitan, tahitien), limited to the languages that have an
//! ISO 639-1 code (créole, gallo, the regional languages of Alsace and
//! Moselle and the Melanesian languages have none).

/// ISO 639-1 code and French name, sorted by code for a binary search.
pub const LANGUAGES_FR: [(&str, &str); 38] = [
    ("am", "amharique"),
    ("ar", "arabe"),
    ("bg", "bulgare"),
    ("br", "breton"),
    ("ca", "catalan"),
    ("co", "corse"),
    ("cs", "tchèque"),
    ("da", "danois"),
    ("de", "allemand"),
    ("el", "grec moderne"),
    ("en", "anglais"),
    ("es", "espagnol"),
    ("eu", "basque"),
    ("fa", "persan"),
    ("fi", "finnois"),
    ("he", "hébreu moderne"),
    ("hr", "croate"),
    ("hu", "hongrois"),
    ("hy", "arménien"),
    ("is", "islandais"),
    ("it", "italien"),
    ("ja", "japonais"),
    ("km", "cambodgien"),
    ("lo", "laotien"),
    ("mg", "malgache"),
    ("nl", "néerlandais"),
    ("no", "norvégien"),
    ("oc", "occitan"),
    ("pl", "polonais"),
    ("pt", "portugais"),
    ("ro", "roumain"),
    ("ru", "russe"),
    ("sr", "serbe"),
    ("sv", "suédois"),
    ("tr", "turc"),
    ("ty", "tahitien"),
    ("vi", "vietnamien"),
    ("zh", "chinois"),
];

/// The French name of a language (« anglais »), when the table knows it.
pub fn language_name_fr(code: &str) -> Option<&'static str> {
    LANGUAGES_FR
        .binary_search_by(|(c, _)| (*c).cmp(code))
        .ok()
        .map(|i| LANGUAGES_FR[i].1)
}

/// « anglais (en) », or the bare code when its name is not known.
pub fn language_fr(code: &str) -> String {
    match language_name_fr(code) {
        Some(name) => format!("{name} ({code})"),
        None => code.to_owned(),
    }
}

/// Trims and lowercases a language code: `" EN "` → `"en"` (validation then
/// checks it against the unit's list).
pub fn normalize_language(raw: &str) -> String {
    raw.trim().to_ascii_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_is_sorted_unique_and_iso_639_1_shaped() {
        assert!(LANGUAGES_FR.windows(2).all(|w| w[0].0 < w[1].0));
        for (code, name) in LANGUAGES_FR {
            assert!(code.len() == 2 && code.bytes().all(|b| b.is_ascii_lowercase()));
            assert!(!name.is_empty());
        }
    }

    #[test]
    fn names_in_french() {
        assert_eq!(language_name_fr("en"), Some("anglais"));
        assert_eq!(language_name_fr("de"), Some("allemand"));
        assert_eq!(language_name_fr("xx"), None);
        assert_eq!(language_fr("es"), "espagnol (es)");
        assert_eq!(language_fr("xx"), "xx");
        assert_eq!(normalize_language(" EN "), "en");
    }
}
