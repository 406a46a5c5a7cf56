//! Field-level validation: the [`FieldError`] every 422 answer lists, the
//! stable error codes, and small pure helpers that parse and normalise the
//! values a candidate types (names, dates, countries, postal codes, phones).
//!
//! Everything here is pure: no I/O and no clock read (`today` is a parameter).

use std::borrow::Cow;

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

/// One invalid field of a request body, as listed in the `errors` member of a
/// `validation_failed` problem.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, utoipa::ToSchema)]
pub struct FieldError {
    /// Dotted path of the field in the request body, with indices for arrays,
    /// e.g. `identity.birth_date` or `acquis[0].grade`.
    #[schema(example = "identity.birth_date")]
    pub field: String,
    /// Stable snake_case identifier of the rule the field breaks.
    #[schema(example = "invalid_date")]
    pub code: String,
    /// A French sentence the candidate understands.
    #[schema(example = "La date de naissance doit être une date réelle au format AAAA-MM-JJ.")]
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, code: &str, message: impl Into<String>) -> Self {
        FieldError {
            field: field.into(),
            code: code.to_owned(),
            message: message.into(),
        }
    }
}

/// The stable codes of [`FieldError::code`].
pub mod codes {
    /// A required field is missing, null or blank.
    pub const REQUIRED: &str = "required";
    /// A free-text field (address line) is longer than allowed.
    pub const TOO_LONG: &str = "too_long";
    /// An address line holds control characters.
    pub const INVALID_ADDRESS_LINE: &str = "invalid_address_line";
    pub const UNKNOWN_DIPLOMA: &str = "unknown_diploma";
    pub const UNKNOWN_SPECIALTY: &str = "unknown_specialty";
    pub const INVALID_NAME: &str = "invalid_name";
    pub const INVALID_DATE: &str = "invalid_date";
    pub const IMPLAUSIBLE_BIRTH_DATE: &str = "implausible_birth_date";
    pub const INVALID_COUNTRY: &str = "invalid_country";
    pub const INVALID_POSTAL_CODE: &str = "invalid_postal_code";
    pub const INVALID_PHONE: &str = "invalid_phone";
    pub const INCONSISTENT_DISABILITY: &str = "inconsistent_disability";
    pub const UNKNOWN_UNIT: &str = "unknown_unit";
    pub const DUPLICATE_UNIT: &str = "duplicate_unit";
    pub const INVALID_ACQUIS_TYPE: &str = "invalid_acquis_type";
    pub const UNEXPECTED_GRADE: &str = "unexpected_grade";
    pub const INVALID_GRADE: &str = "invalid_grade";
    pub const INVALID_YEAR: &str = "invalid_year";
    /// An option names a unit of the specialty that is not optional.
    pub const NOT_OPTIONAL_UNIT: &str = "not_optional_unit";
    /// An option's language is not one the catalogue lists for its unit.
    pub const UNKNOWN_LANGUAGE: &str = "unknown_language";
    /// A language given for an optional unit that is not sat in a language.
    pub const UNEXPECTED_LANGUAGE: &str = "unexpected_language";
    /// Not a French département code (`01`..`95`, `2A`, `2B`, `971`..`976`).
    pub const INVALID_DEPARTMENT: &str = "invalid_department";
    /// A birth département with a birth country other than France.
    pub const INCONSISTENT_BIRTH_PLACE: &str = "inconsistent_birth_place";

    /// Every code above, for documentation and tests.
    pub const ALL: [&str; 23] = [
        REQUIRED,
        TOO_LONG,
        INVALID_ADDRESS_LINE,
        UNKNOWN_DIPLOMA,
        UNKNOWN_SPECIALTY,
        INVALID_NAME,
        INVALID_DATE,
        IMPLAUSIBLE_BIRTH_DATE,
        INVALID_COUNTRY,
        INVALID_POSTAL_CODE,
        INVALID_PHONE,
        INCONSISTENT_DISABILITY,
        UNKNOWN_UNIT,
        DUPLICATE_UNIT,
        INVALID_ACQUIS_TYPE,
        UNEXPECTED_GRADE,
        INVALID_GRADE,
        INVALID_YEAR,
        NOT_OPTIONAL_UNIT,
        UNKNOWN_LANGUAGE,
        UNEXPECTED_LANGUAGE,
        INVALID_DEPARTMENT,
        INCONSISTENT_BIRTH_PLACE,
    ];
}

// ---------------------------------------------------------------------------
// Text
// ---------------------------------------------------------------------------

/// Unicode NFC: "Zoe\u{301}" (as some keyboards send it) becomes "Zoé".
pub fn nfc(s: &str) -> Cow<'_, str> {
    icu_normalizer::ComposingNormalizerBorrowed::new_nfc().normalize(s)
}

/// Trims and turns every inner run of whitespace (including non-breaking
/// spaces, tabs and newlines) into one ASCII space.
pub fn collapse_whitespace(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for word in s.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

/// NFC, trimmed, inner whitespace collapsed: the form free text is kept in.
pub fn normalize_text(s: &str) -> String {
    collapse_whitespace(&nfc(s))
}

/// Number of characters (Unicode scalar values), the unit of every length limit.
pub fn char_len(s: &str) -> usize {
    s.chars().count()
}

/// The longest a name (last name, first names, birth place, city) may be.
pub const NAME_MAX_CHARS: usize = 100;
/// The longest an address line may be.
pub const ADDRESS_LINE_MAX_CHARS: usize = 100;

fn is_name_separator(c: char) -> bool {
    matches!(c, ' ' | '-' | '\'' | '\u{2019}')
}

/// Combining marks that NFC cannot fold into their letter (they are not
/// "alphabetic" for Unicode, but belong to the letter before them).
fn is_combining_mark(c: char) -> bool {
    matches!(c,
        '\u{0300}'..='\u{036F}'
        | '\u{1AB0}'..='\u{1AFF}'
        | '\u{1DC0}'..='\u{1DFF}'
        | '\u{20D0}'..='\u{20FF}'
        | '\u{FE20}'..='\u{FE2F}')
}

/// Normalises a person's or a place's name: NFC, trimmed, whitespace
/// collapsed, and no space around hyphens ("Jean - Pierre" → "Jean-Pierre").
pub fn normalize_name(s: &str) -> String {
    let collapsed = normalize_text(s);
    collapsed
        .replace(" - ", "-")
        .replace(" -", "-")
        .replace("- ", "-")
}

/// Whether an already normalised name is acceptable: letters of any script
/// (accents, ç, œ, æ, ...), words joined by one space, one hyphen or one
/// apostrophe (`'` or `’`), starting and ending with a letter; no digit and
/// no other symbol.
pub fn is_valid_name(s: &str) -> bool {
    let mut prev_letter = false; // false at the start: a name starts with a letter
    let mut chars = 0usize;
    for c in s.chars() {
        chars += 1;
        if c.is_alphabetic() {
            prev_letter = true;
        } else if is_combining_mark(c) {
            if !prev_letter {
                return false;
            }
        } else if is_name_separator(c) {
            if !prev_letter {
                return false;
            }
            prev_letter = false;
        } else {
            return false;
        }
    }
    prev_letter && (1..=NAME_MAX_CHARS).contains(&chars)
}

/// Whether an already normalised place name (a commune as the candidate
/// writes it: « Marseille 3e », « Saint-Denis », « L'Haÿ-les-Roses ») is
/// acceptable: the rule of [`is_valid_name`], plus arrondissements: after
/// the first word, a word of one or two digits with its ordinal suffix
/// (« 3e », « 1er », « 15ème »). Other digits are refused (« Marseille 13 »
/// is ambiguous, « Jean2 » a typo).
pub fn is_valid_place_name(s: &str) -> bool {
    let mut words = Vec::new();
    for (i, word) in s.split(' ').enumerate() {
        if word.chars().any(|c| c.is_ascii_digit()) {
            if i == 0 || !is_arrondissement(word) {
                return false;
            }
            // Checked: stands for a word of letters in the rule of names.
            words.push("a");
        } else {
            words.push(word);
        }
    }
    is_valid_name(&words.join(" "))
}

/// « 3e », « 1er », « 2nd », « 15ème »: an arrondissement's number.
fn is_arrondissement(word: &str) -> bool {
    let digits = word.chars().take_while(char::is_ascii_digit).count();
    let suffix = word[digits..].to_lowercase();
    (1..=2).contains(&digits)
        && !word.starts_with('0')
        && matches!(
            suffix.as_str(),
            "e" | "er" | "re" | "ère" | "ème" | "eme" | "nd" | "nde"
        )
}

// ---------------------------------------------------------------------------
// Dates
// ---------------------------------------------------------------------------

/// Parses a strict `YYYY-MM-DD` calendar date (surrounding spaces are
/// tolerated). `2021-02-29` is not a date; `2020-02-29` is.
pub fn parse_iso_date(s: &str) -> Option<NaiveDate> {
    let b = s.trim().as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let digits = |r: std::ops::Range<usize>| -> Option<u32> {
        let mut n = 0u32;
        for &d in b.get(r)? {
            if !d.is_ascii_digit() {
                return None;
            }
            n = n * 10 + u32::from(d - b'0');
        }
        Some(n)
    };
    let year = i32::try_from(digits(0..4)?).ok()?;
    NaiveDate::from_ymd_opt(year, digits(5..7)?, digits(8..10)?)
}

/// Age in whole years on `today` of someone born on `birth` (0 if not born
/// yet). Someone born on 29 February has their birthday on 1 March in
/// common years.
pub fn age_on(birth: NaiveDate, today: NaiveDate) -> i32 {
    let mut age = today.year() - birth.year();
    if (today.month(), today.day()) < (birth.month(), birth.day()) {
        age -= 1;
    }
    age.max(0)
}

/// A date the way a French reader writes it: `15/01/2005`.
pub fn format_date_fr(d: NaiveDate) -> String {
    d.format("%d/%m/%Y").to_string()
}

// ---------------------------------------------------------------------------
// Countries
// ---------------------------------------------------------------------------

/// The 249 officially assigned ISO 3166-1 alpha-2 codes, plus `XK` (Kosovo:
/// a user-assigned code in common use, e.g. by the European Commission, so
/// that Kosovar nationals can register). Sorted, for a binary search.
const ISO_3166_ALPHA2: [&str; 250] = [
    "AD", "AE", "AF", "AG", "AI", "AL", "AM", "AO", "AQ", "AR", "AS", "AT", "AU", "AW", "AX", "AZ",
    "BA", "BB", "BD", "BE", "BF", "BG", "BH", "BI", "BJ", "BL", "BM", "BN", "BO", "BQ", "BR", "BS",
    "BT", "BV", "BW", "BY", "BZ", "CA", "CC", "CD", "CF", "CG", "CH", "CI", "CK", "CL", "CM", "CN",
    "CO", "CR", "CU", "CV", "CW", "CX", "CY", "CZ", "DE", "DJ", "DK", "DM", "DO", "DZ", "EC", "EE",
    "EG", "EH", "ER", "ES", "ET", "FI", "FJ", "FK", "FM", "FO", "FR", "GA", "GB", "GD", "GE", "GF",
    "GG", "GH", "GI", "GL", "GM", "GN", "GP", "GQ", "GR", "GS", "GT", "GU", "GW", "GY", "HK", "HM",
    "HN", "HR", "HT", "HU", "ID", "IE", "IL", "IM", "IN", "IO", "IQ", "IR", "IS", "IT", "JE", "JM",
    "JO", "JP", "KE", "KG", "KH", "KI", "KM", "KN", "KP", "KR", "KW", "KY", "KZ", "LA", "LB", "LC",
    "LI", "LK", "LR", "LS", "LT", "LU", "LV", "LY", "MA", "MC", "MD", "ME", "MF", "MG", "MH", "MK",
    "ML", "MM", "MN", "MO", "MP", "MQ", "MR", "MS", "MT", "MU", "MV", "MW", "MX", "MY", "MZ", "NA",
    "NC", "NE", "NF", "NG", "NI", "NL", "NO", "NP", "NR", "NU", "NZ", "OM", "PA", "PE", "PF", "PG",
    "PH", "PK", "PL", "PM", "PN", "PR", "PS", "PT", "PW", "PY", "QA", "RE", "RO", "RS", "RU", "RW",
    "SA", "SB", "SC", "SD", "SE", "SG", "SH", "SI", "SJ", "SK", "SL", "SM", "SN", "SO", "SR", "SS",
    "ST", "SV", "SX", "SY", "SZ", "TC", "TD", "TF", "TG", "TH", "TJ", "TK", "TL", "TM", "TN", "TO",
    "TR", "TT", "TV", "TW", "TZ", "UA", "UG", "UM", "US", "UY", "UZ", "VA", "VC", "VE", "VG", "VI",
    "VN", "VU", "WF", "WS", "XK", "YE", "YT", "ZA", "ZM", "ZW",
];

/// Whether `code` is an ISO 3166-1 alpha-2 country code (exact, uppercase).
pub fn is_country_code(code: &str) -> bool {
    ISO_3166_ALPHA2.binary_search(&code).is_ok()
}

/// Trims and uppercases a country code, and returns it if it is a known
/// ISO 3166-1 alpha-2 code (`" fr "` → `"FR"`).
pub fn normalize_country(s: &str) -> Option<String> {
    let code = s.trim().to_ascii_uppercase();
    is_country_code(&code).then_some(code)
}

/// Countries and territories whose addresses use French five-digit postal
/// codes: France, its overseas departments and collectivities, and Monaco.
const FRENCH_POSTAL_SYSTEM: [&str; 13] = [
    "BL", "FR", "GF", "GP", "MC", "MF", "MQ", "NC", "PF", "PM", "RE", "WF", "YT",
];

/// Whether addresses in `country` take a French five-digit postal code.
pub fn uses_french_postal_codes(country: &str) -> bool {
    FRENCH_POSTAL_SYSTEM.contains(&country)
}

// ---------------------------------------------------------------------------
// French départements (birth place)
// ---------------------------------------------------------------------------

/// The overseas départements (and Saint-Pierre-et-Miquelon, whose INSEE code
/// 975 birth certificates carry) with their own ISO 3166-1 codes: a birth
/// there is a birth in France whichever of the two countries is given.
const OVERSEAS_DEPARTMENTS: [(&str, &str); 6] = [
    ("971", "GP"),
    ("972", "MQ"),
    ("973", "GF"),
    ("974", "RE"),
    ("975", "PM"),
    ("976", "YT"),
];

/// Normalises a French département code (INSEE): `"13"`, `" 2a "` → `"2A"`,
/// `"1"` → `"01"`, `"974"`; `None` for anything else. Metropolitan codes run
/// from 01 to 95 with Corsica as 2A and 2B (there is no 20 since 1976);
/// overseas ones from 971 to 976.
pub fn normalize_department(s: &str) -> Option<String> {
    let code = s.trim().to_ascii_uppercase();
    let code = match code.as_bytes() {
        [d] if d.is_ascii_digit() && *d != b'0' => format!("0{code}"),
        _ => code,
    };
    let valid = match code.as_str() {
        "2A" | "2B" => true,
        c if c.len() == 2 && c.bytes().all(|b| b.is_ascii_digit()) => {
            matches!(c.parse::<u8>(), Ok(n) if (1..=95).contains(&n) && n != 20)
        }
        c => OVERSEAS_DEPARTMENTS.iter().any(|(d, _)| *d == c),
    };
    valid.then_some(code)
}

/// Whether a birth in `country` (ISO 3166-1 alpha-2) is a birth in France:
/// `FR`, or one of the overseas départements' own codes (`RE`, `GP`...).
pub fn is_french_birth_country(country: &str) -> bool {
    country == "FR" || OVERSEAS_DEPARTMENTS.iter().any(|(_, c)| *c == country)
}

/// Whether a birth in `department` fits a birth in `country`: any
/// département with `FR`, an overseas one with its own ISO code too.
pub fn department_fits_country(department: &str, country: &str) -> bool {
    country == "FR"
        || OVERSEAS_DEPARTMENTS
            .iter()
            .any(|(d, c)| *d == department && *c == country)
}

// ---------------------------------------------------------------------------
// Postal codes
// ---------------------------------------------------------------------------

/// Normalises a postal code for the given (already normalised) country, or
/// `None` if it cannot be one. French codes are exactly five digits (spaces
/// are dropped: "13 100" → "13100"); elsewhere 2 to 10 letters, digits,
/// spaces or hyphens, uppercased ("sw1a 1aa" → "SW1A 1AA"). An unknown
/// country gets the general rule.
pub fn normalize_postal_code(s: &str, country: Option<&str>) -> Option<String> {
    if country.is_some_and(uses_french_postal_codes) {
        let code: String = s.chars().filter(|c| !c.is_whitespace()).collect();
        return (code.len() == 5 && code.bytes().all(|b| b.is_ascii_digit())).then_some(code);
    }
    let code = collapse_whitespace(s).to_ascii_uppercase();
    let ok = (2..=10).contains(&code.len())
        && code
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b' ' || b == b'-')
        && code
            .bytes()
            .next()
            .is_some_and(|b| b.is_ascii_alphanumeric())
        && code
            .bytes()
            .last()
            .is_some_and(|b| b.is_ascii_alphanumeric());
    ok.then_some(code)
}

// ---------------------------------------------------------------------------
// Phones
// ---------------------------------------------------------------------------

/// French overseas departments dial with the French national `0` but have
/// their own E.164 country codes: `0692 12 34 56` is `+262692123456`.
const FRENCH_OVERSEAS_PREFIXES: [(&str, &str); 15] = [
    ("0262", "262"),
    ("0263", "262"),
    ("0269", "262"),
    ("0639", "262"),
    ("0692", "262"),
    ("0693", "262"),
    ("0590", "590"),
    ("0690", "590"),
    ("0691", "590"),
    ("0594", "594"),
    ("0694", "594"),
    ("0596", "596"),
    ("0696", "596"),
    ("0697", "596"),
    ("0976", "262"),
];

/// Parses a phone number into E.164 (`+33612345678`), or `None`.
///
/// Accepted: French national numbers (`06 12 34 56 78`, `0612345678`,
/// `06.12.34.56.78`, `06-12-34-56-78`), international numbers with `+` or
/// `00` (`+33 6 12 34 56 78`, `+33 (0)6 12 34 56 78`, `0033 6 12 34 56 78`,
/// `+44 20 7946 0958`): 8 to 15 digits after the `+`. Spaces, dots and
/// hyphens are ignored.
pub fn normalize_phone(s: &str) -> Option<String> {
    let compact: String = s
        .chars()
        .filter(|c| !(c.is_whitespace() || matches!(c, '.' | '-')))
        .collect();
    // "+33 (0)6 ...": the trunk prefix some people write after the country code.
    let compact = match compact.find("(0)") {
        Some(i) if compact.starts_with('+') && (2..=4).contains(&i) => {
            format!("{}{}", &compact[..i], &compact[i + 3..])
        }
        _ => compact,
    };
    let international = compact
        .strip_prefix('+')
        .or_else(|| compact.strip_prefix("00"));
    if let Some(digits) = international {
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        if let Some(national) = digits.strip_prefix("33") {
            // "+33 06 ..." is a common slip for "+33 6 ...".
            let national = match national.strip_prefix('0') {
                Some(rest) if national.len() == 10 => rest,
                _ => national,
            };
            let ok = national.len() == 9 && !national.starts_with('0');
            return ok.then(|| format!("+33{national}"));
        }
        let ok = (8..=15).contains(&digits.len()) && !digits.starts_with('0');
        return ok.then(|| format!("+{digits}"));
    }
    let b = compact.as_bytes();
    if b.len() == 10 && b[0] == b'0' && b[1] != b'0' && b.iter().all(|c| c.is_ascii_digit()) {
        let country = FRENCH_OVERSEAS_PREFIXES
            .iter()
            .find(|(prefix, _)| compact.starts_with(prefix))
            .map_or("33", |(_, cc)| cc);
        return Some(format!("+{country}{}", &compact[1..]));
    }
    None
}

// ---------------------------------------------------------------------------
// Numbers
// ---------------------------------------------------------------------------

/// Whether `x` has at most two decimals (12, 12.5, 12.25; not 12.345).
pub fn has_at_most_two_decimals(x: f64) -> bool {
    if !x.is_finite() {
        return false;
    }
    let hundredths = x * 100.0;
    (hundredths - hundredths.round()).abs() < 1e-6
}

/// Rounds to the hundredth, so that 12.5 stays 12.5 and float noise goes.
pub fn round_hundredths(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// A number the way a French reader writes it: `12,5`, `15`, `12,25`.
pub fn format_decimal_fr(x: f64) -> String {
    let s = format!("{:.2}", round_hundredths(x));
    let s = s.trim_end_matches('0').trim_end_matches('.');
    s.replace('.', ",")
}

/// A JSON body read as far as it goes: `value` with every value of the wrong
/// type replaced (by `None` for the optional fields), and the field errors
/// that replacing met, to report along with the domain validation's.
///
/// `http::json` reads request bodies into it (as an extractor, an unknown
/// field, malformed JSON or a body that cannot be read into `T` at all is
/// still refused at once).
#[derive(Debug, Clone, PartialEq)]
pub struct Parsed<T> {
    pub value: T,
    /// The values of the wrong type, each named by its path; empty when the
    /// body was well typed.
    pub errors: Vec<FieldError>,
}

impl<T> From<T> for Parsed<T> {
    /// A value built in code: nothing to report.
    fn from(value: T) -> Self {
        Parsed {
            value,
            errors: Vec::new(),
        }
    }
}

/// The errors of the parsing (values of the wrong type, see `http::json::parse_body`)
/// merged with those of the domain validation of what was left (`checked`),
/// in the validation's order: a parsing error stands for every validation
/// error on the same path or under it (a value replaced by `null` is then
/// reported `required`: its type is what is wrong), and the others follow.
pub fn merge_errors<V>(
    parsed: Vec<FieldError>,
    checked: Result<V, Vec<FieldError>>,
) -> Result<V, Vec<FieldError>> {
    if parsed.is_empty() {
        return checked;
    }
    let mut emitted = vec![false; parsed.len()];
    let mut merged = Vec::new();
    for error in checked.err().unwrap_or_default() {
        match parsed.iter().position(|p| covers(&p.field, &error.field)) {
            Some(i) if !emitted[i] => {
                emitted[i] = true;
                merged.push(parsed[i].clone());
            }
            Some(_) => {}
            None => merged.push(error),
        }
    }
    merged.extend(
        parsed
            .into_iter()
            .zip(emitted)
            .filter_map(|(p, emitted)| (!emitted).then_some(p)),
    );
    Err(merged)
}

/// Whether the field at path `outer` holds the one at path `inner`.
pub fn covers(outer: &str, inner: &str) -> bool {
    outer.is_empty()
        || inner == outer
        || inner
            .strip_prefix(outer)
            .is_some_and(|rest| rest.starts_with('.') || rest.starts_with('['))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn names_of_any_script_with_apostrophes_hyphens_and_spaces() {
        for ok in [
            "N'Diaye",
            "Le Goff-Ménard",
            "Zoé Anaïs",
            "d’Artagnan",
            "Œdipe",
            "Æsa",
            "François",
            "O'Connor",
            "Ngô Bảo Châu",
            "Ñúñez",
            "Müller",
            "Straße",
            "Λάμπρος",
            "Иванов",
            "محمد",
            "王小明",
            "Aix-en-Provence",
            "L'Île-Rousse",
            "A",
        ] {
            assert!(is_valid_name(&normalize_name(ok)), "{ok} should be valid");
        }
        for bad in [
            "",
            " ",
            "Jean2",
            "R2-D2",
            "Jean_Pierre",
            "Jean.Pierre",
            "Jean,Pierre",
            "-Jean",
            "Jean-",
            "Jean--Pierre",
            "d''Artagnan",
            "'Artagnan",
            "Jean (dit Pierre)",
            "Jean@",
            "<script>",
            "Zoé\u{0}",
            "😀",
        ] {
            assert!(
                !is_valid_name(&normalize_name(bad)),
                "{bad:?} should be invalid"
            );
        }
        let long = "a".repeat(NAME_MAX_CHARS);
        assert!(is_valid_name(&long));
        assert!(!is_valid_name(&format!("{long}a")));
        // 100 accented letters are 100 characters, not 200 bytes.
        assert!(is_valid_name(&"é".repeat(NAME_MAX_CHARS)));
    }

    #[test]
    fn names_are_normalised() {
        assert_eq!(normalize_name("  Zoé    Anaïs \t"), "Zoé Anaïs");
        assert_eq!(normalize_name("Jean - Pierre"), "Jean-Pierre");
        assert_eq!(normalize_name("Le Goff -Ménard"), "Le Goff-Ménard");
        assert_eq!(normalize_name("Zoe\u{301}"), "Zoé");
        assert_eq!(normalize_name("Zoé\u{a0}Anaïs"), "Zoé Anaïs");
        // A combining mark with no precomposed form stays, after its letter.
        assert!(is_valid_name(&normalize_name("Ba\u{0304}\u{0301}n")));
        assert!(!is_valid_name("\u{0301}a"));
    }

    #[test]
    fn place_names_may_hold_arrondissement_numbers() {
        for ok in [
            "Marseille 3e",
            "Paris 15e",
            "Lyon 1er",
            "Paris 20ème",
            "Saint-Denis",
            "L'Haÿ-les-Roses",
            "Aix-en-Provence",
            "Marseille",
        ] {
            assert!(is_valid_place_name(&normalize_name(ok)), "{ok}");
        }
        for bad in [
            "",
            "13",
            "3e arrondissement de Marseille",
            "Marseille (13)",
            "Marseille 13",
            "Marseille 03e",
            "Marseille 123e",
            "Jean2",
            "Paris_15",
            "Nice.",
        ] {
            assert!(!is_valid_place_name(&normalize_name(bad)), "{bad:?}");
        }
    }

    #[test]
    fn departments_are_insee_codes() {
        for (raw, code) in [
            ("13", "13"),
            (" 2a ", "2A"),
            ("2B", "2B"),
            ("1", "01"),
            ("01", "01"),
            ("95", "95"),
            ("974", "974"),
            ("971", "971"),
            ("976", "976"),
        ] {
            assert_eq!(normalize_department(raw).as_deref(), Some(code), "{raw}");
        }
        for bad in [
            "", "0", "00", "20", "96", "99", "100", "970", "977", "2C", "1 3", "A", "013",
        ] {
            assert_eq!(normalize_department(bad), None, "{bad:?}");
        }
        assert!(is_french_birth_country("FR") && is_french_birth_country("RE"));
        assert!(!is_french_birth_country("BE"));
        assert!(department_fits_country("13", "FR"));
        assert!(department_fits_country("974", "RE"));
        assert!(department_fits_country("974", "FR"));
        assert!(!department_fits_country("13", "RE"));
        assert!(!department_fits_country("13", "BE"));
    }

    #[test]
    fn dates_must_be_real_and_strict() {
        assert_eq!(parse_iso_date("2020-02-29"), Some(d("2020-02-29")));
        assert_eq!(parse_iso_date(" 2004-05-06 "), Some(d("2004-05-06")));
        for bad in [
            "2021-02-29",
            "2021-13-01",
            "2021-00-10",
            "2021-04-31",
            "2021-4-3",
            "21-04-03",
            "03/04/2021",
            "2021/04/03",
            "+2021-04-03",
            "2021-04-03T00:00:00",
            "",
            "éééé-éé-éé",
        ] {
            assert_eq!(parse_iso_date(bad), None, "{bad}");
        }
    }

    #[test]
    fn ages_turn_on_the_birthday() {
        assert_eq!(age_on(d("2008-01-15"), d("2022-01-14")), 13);
        assert_eq!(age_on(d("2008-01-15"), d("2022-01-15")), 14);
        assert_eq!(age_on(d("2004-02-29"), d("2021-02-28")), 16);
        assert_eq!(age_on(d("2004-02-29"), d("2021-03-01")), 17);
        assert_eq!(age_on(d("2030-01-01"), d("2022-01-01")), 0);
        assert_eq!(format_date_fr(d("2005-01-15")), "15/01/2005");
    }

    #[test]
    fn countries_are_iso_alpha2() {
        assert_eq!(ISO_3166_ALPHA2.len(), 250);
        assert!(
            ISO_3166_ALPHA2.windows(2).all(|w| w[0] < w[1]),
            "sorted and unique"
        );
        assert_eq!(normalize_country(" fr "), Some("FR".to_owned()));
        assert_eq!(normalize_country("BE"), Some("BE".to_owned()));
        assert_eq!(normalize_country("re"), Some("RE".to_owned()));
        for bad in ["", "F", "FRA", "ZZ", "UK", "EU", "fr1", "Fr ance", "ÉS"] {
            assert_eq!(normalize_country(bad), None, "{bad}");
        }
    }

    #[test]
    fn postal_codes() {
        let fr = Some("FR");
        assert_eq!(normalize_postal_code("13100", fr).as_deref(), Some("13100"));
        assert_eq!(
            normalize_postal_code(" 13 100 ", fr).as_deref(),
            Some("13100")
        );
        assert_eq!(
            normalize_postal_code("97400", Some("RE")).as_deref(),
            Some("97400")
        );
        for bad in ["1310", "131000", "13A00", "", "13-100", "２0000"] {
            assert_eq!(normalize_postal_code(bad, fr), None, "{bad}");
        }
        let gb = Some("GB");
        assert_eq!(
            normalize_postal_code("sw1a  1aa", gb).as_deref(),
            Some("SW1A 1AA")
        );
        assert_eq!(
            normalize_postal_code("1000", Some("BE")).as_deref(),
            Some("1000")
        );
        assert_eq!(
            normalize_postal_code("K1A 0B1", Some("CA")).as_deref(),
            Some("K1A 0B1")
        );
        assert_eq!(
            normalize_postal_code("12345-6789", Some("US")).as_deref(),
            Some("12345-6789")
        );
        assert_eq!(
            normalize_postal_code("13100", None).as_deref(),
            Some("13100")
        );
        for bad in ["1", "12345678901", "12#45", "-123", "123-", "é123"] {
            assert_eq!(normalize_postal_code(bad, gb), None, "{bad}");
        }
    }

    #[test]
    fn phones_are_normalised_to_e164() {
        for (input, e164) in [
            ("06 12 34 56 78", "+33612345678"),
            ("0612345678", "+33612345678"),
            ("06.12.34.56.78", "+33612345678"),
            ("06-12-34-56-78", "+33612345678"),
            ("+33 6 12 34 56 78", "+33612345678"),
            ("+33612345678", "+33612345678"),
            ("+33 (0)6 12 34 56 78", "+33612345678"),
            ("+33 06 12 34 56 78", "+33612345678"),
            ("0033 6 12 34 56 78", "+33612345678"),
            ("04 42 91 70 00", "+33442917000"),
            ("09 70 00 00 00", "+33970000000"),
            ("0692 12 34 56", "+262692123456"),
            ("0590 12 34 56", "+590590123456"),
            ("+44 20 7946 0958", "+442079460958"),
            ("+1 (0)", ""),
            ("+32 470 12 34 56", "+32470123456"),
            ("+12345678", "+12345678"),
            ("+123456789012345", "+123456789012345"),
        ] {
            let got = normalize_phone(input);
            if e164.is_empty() {
                assert_eq!(got, None, "{input}");
            } else {
                assert_eq!(got.as_deref(), Some(e164), "{input}");
                // Normalising twice changes nothing.
                assert_eq!(normalize_phone(e164).as_deref(), Some(e164));
            }
        }
        for bad in [
            "",
            "06 12 34 56",
            "06 12 34 56 789",
            "00 00 00 00 00",
            "6 12 34 56 78",
            "+33 6 12 34 56",
            "+33 6 12 34 56 789",
            "+1234567",
            "+1234567890123456",
            "+0123456789",
            "06 12 34 56 7a",
            "+33 6 12 34 56 7 8 #",
            "(06) 12 34 56 78",
            "+",
            "00",
            "téléphone",
        ] {
            assert_eq!(normalize_phone(bad), None, "{bad}");
        }
    }

    #[test]
    fn grades() {
        assert!(has_at_most_two_decimals(12.0));
        assert!(has_at_most_two_decimals(12.5));
        assert!(has_at_most_two_decimals(12.25));
        assert!(has_at_most_two_decimals(15.1));
        assert!(!has_at_most_two_decimals(12.345));
        assert!(!has_at_most_two_decimals(f64::NAN));
        assert!(!has_at_most_two_decimals(f64::INFINITY));
        assert_eq!(format_decimal_fr(12.5), "12,5");
        assert_eq!(format_decimal_fr(15.0), "15");
        assert_eq!(format_decimal_fr(12.25), "12,25");
        assert_eq!(format_decimal_fr(10.1), "10,1");
        assert_eq!(format_decimal_fr(20.0), "20");
    }

    #[test]
    fn every_code_is_snake_case_and_unique() {
        let mut seen = std::collections::HashSet::new();
        for c in codes::ALL {
            assert!(
                c.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'),
                "{c}"
            );
            assert!(seen.insert(c), "{c} twice");
        }
    }
}
