//! Small French phrases: « oui » / « non », « de » before a name, lists.

/// « oui » or « non ».
pub fn yes_no(b: bool) -> &'static str {
    if b {
        "oui"
    } else {
        "non"
    }
}

/// A name after « de », elided before a vowel: « d'Aix-Marseille »,
/// « de Nice ». Surrounding spaces are dropped.
pub fn de(name: &str) -> String {
    let name = name.trim();
    let elides = name.chars().next().is_some_and(|c| {
        c.to_lowercase()
            .next()
            .is_some_and(|c| "aâàäeéèêëiîïoôöuûùüyÿœæ".contains(c))
    });
    if elides {
        format!("d'{name}")
    } else {
        format!("de {name}")
    }
}

/// `items` as a sentence lists them, `conjunction` before the last one:
/// « a, b, c ou d » (or "a, b, c or d" in an English message).
pub fn enumerate(items: &[&str], conjunction: &str) -> String {
    match items {
        [] => String::new(),
        [only] => (*only).to_owned(),
        [init @ .., last] => format!("{} {conjunction} {last}", init.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yes_is_oui_and_no_is_non() {
        assert_eq!(yes_no(true), "oui");
        assert_eq!(yes_no(false), "non");
    }

    #[test]
    fn de_elides_before_a_vowel_whatever_its_case_or_accent() {
        assert_eq!(de("Aix-Marseille"), "d'Aix-Marseille");
        assert_eq!(de("Orléans-Tours"), "d'Orléans-Tours");
        assert_eq!(de("Île-de-France"), "d'Île-de-France");
        assert_eq!(de("Nice"), "de Nice");
        assert_eq!(de("Lyon"), "de Lyon");
        assert_eq!(de("Créteil"), "de Créteil");
        assert_eq!(de("La Réunion"), "de La Réunion");
        assert_eq!(de("  Amiens "), "d'Amiens");
    }

    #[test]
    fn lists_put_the_conjunction_before_the_last_item() {
        assert_eq!(enumerate(&[], "ou"), "");
        assert_eq!(enumerate(&["CAP"], "ou"), "CAP");
        assert_eq!(enumerate(&["BP", "CAP"], "ou"), "BP ou CAP");
        assert_eq!(
            enumerate(&["BAC_PRO", "MC", "BP", "CAP"], "and"),
            "BAC_PRO, MC, BP and CAP"
        );
    }
}
