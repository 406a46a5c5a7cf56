//! French names of countries and nationalities, shared by the confirmation
//! document and the « Modification d'inscription » summary so that both say
//! the same words.

/// French names of the countries candidates most often give; other codes
/// print as they are (ISO 3166-1 alpha-2).
pub const COUNTRIES_FR: [(&str, &str); 48] = [
    ("AF", "Afghanistan"),
    ("AL", "Albanie"),
    ("AM", "Arménie"),
    ("AT", "Autriche"),
    ("BE", "Belgique"),
    ("BR", "Brésil"),
    ("CA", "Canada"),
    ("CD", "République démocratique du Congo"),
    ("CG", "Congo"),
    ("CH", "Suisse"),
    ("CI", "Côte d'Ivoire"),
    ("CM", "Cameroun"),
    ("CN", "Chine"),
    ("DE", "Allemagne"),
    ("DZ", "Algérie"),
    ("ES", "Espagne"),
    ("FR", "France"),
    ("GB", "Royaume-Uni"),
    ("GE", "Géorgie"),
    ("GN", "Guinée"),
    ("GR", "Grèce"),
    ("HT", "Haïti"),
    ("IE", "Irlande"),
    ("IT", "Italie"),
    ("KM", "Comores"),
    ("LB", "Liban"),
    ("LU", "Luxembourg"),
    ("MA", "Maroc"),
    ("MC", "Monaco"),
    ("MG", "Madagascar"),
    ("ML", "Mali"),
    ("MR", "Mauritanie"),
    ("NL", "Pays-Bas"),
    ("PL", "Pologne"),
    ("PT", "Portugal"),
    ("RO", "Roumanie"),
    ("RS", "Serbie"),
    ("RU", "Russie"),
    ("SN", "Sénégal"),
    ("SY", "Syrie"),
    ("TN", "Tunisie"),
    ("TR", "Turquie"),
    ("UA", "Ukraine"),
    ("US", "États-Unis"),
    ("VN", "Viêt Nam"),
    ("XK", "Kosovo"),
    ("YT", "Mayotte"),
    ("ZA", "Afrique du Sud"),
];

/// The French name of a country, when the table knows it.
pub fn country_name_fr(code: &str) -> Option<&'static str> {
    COUNTRIES_FR
        .binary_search_by(|(c, _)| (*c).cmp(code))
        .ok()
        .and_then(|i| COUNTRIES_FR.get(i))
        .map(|(_, name)| *name)
}

/// « France », « Belgique (BE) », or the code when its name is not known.
pub fn country_fr(code: &str) -> String {
    match country_name_fr(code) {
        Some(name) if code == "FR" => name.to_owned(),
        Some(name) => format!("{name} ({code})"),
        None => code.to_owned(),
    }
}

/// « française », or the country of an other nationality.
pub fn nationality_fr(code: &str) -> String {
    if code == "FR" {
        "française".to_owned()
    } else {
        format!("étrangère, pays : {}", country_fr(code))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_in_french() {
        assert_eq!(country_name_fr("FR"), Some("France"));
        assert_eq!(country_name_fr("QQ"), None);
        assert_eq!(country_fr("FR"), "France");
        assert_eq!(country_fr("BE"), "Belgique (BE)");
        assert_eq!(country_fr("QQ"), "QQ");
        assert_eq!(nationality_fr("FR"), "française");
        assert_eq!(nationality_fr("MA"), "étrangère, pays : Maroc (MA)");
        let mut sorted = COUNTRIES_FR;
        sorted.sort();
        assert_eq!(sorted, COUNTRIES_FR, "sorted for the binary search");
    }
}
