//! The inscription's unit tests: validation, normalisation, what changed.

use super::*;
use crate::domain::catalogue::Catalogue;
use crate::domain::validation::{codes, FieldError};
use crate::domain::Diploma;
use chrono::NaiveDate;
use proptest::prelude::*;
use serde_json::{json, Value};

/// A small catalogue in the shape of `GET /catalogue`.
pub(crate) fn catalogue() -> Catalogue {
    serde_json::from_value(json!({"diplomas": [
            {"diploma": "CAP", "label": "Certificat d'aptitude professionnelle", "specialties": [
                {"code": "CUISINE", "label": "Cuisine", "units": [
                    {"code": "EP1", "label": "Organisation de la production de cuisine", "kind": "professional"},
                    {"code": "EP2", "label": "Réalisation de la production de cuisine", "kind": "professional"},
                    {"code": "EG1", "label": "Français, histoire-géographie et enseignement moral et civique", "kind": "general"},
                    {"code": "EG2", "label": "Mathématiques et physique-chimie", "kind": "general"},
                    {"code": "EG3", "label": "Éducation physique et sportive", "kind": "general"}
                ]}
            ]},
            {"diploma": "BAC_PRO", "label": "Baccalauréat professionnel", "specialties": [
                {"code": "MELEC", "label": "Métiers de l'électricité et de ses environnements connectés", "units": [
                    {"code": "E2", "label": "Analyse d'un ouvrage", "kind": "professional"},
                    {"code": "E31", "label": "Réalisation d'une installation", "kind": "professional"}
                ]}
            ]}
        ]}))
        .expect("test catalogue")
}

pub(crate) fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2021, 11, 25).expect("date")
}

fn valid_json() -> Value {
    json!({
        "diploma": "CAP",
        "specialty": "CUISINE",
        "identity": {
            "last_name": "N'Diaye",
            "first_names": "Zoé Anaïs",
            "birth_date": "2004-05-17",
            "birth_place": "Marseille",
            "nationality": "FR",
            "address": {
                "line1": "12 rue de la République",
                "postal_code": "13001",
                "city": "Marseille",
                "country": "FR"
            },
            "phone": "06 12 34 56 78"
        },
        "disability": {"declared": false, "existing_accommodation": false},
        "acquis": [
            {"unit": "EG1", "type": "dispense", "year": 2019},
            {"unit": "EP1", "type": "benefit", "grade": 12.5, "year": 2020}
        ],
        "version": 0
    })
}

fn run(value: &Value) -> Result<ValidInscription, Vec<FieldError>> {
    run_on(value, today())
}

fn run_on(value: &Value, today: NaiveDate) -> Result<ValidInscription, Vec<FieldError>> {
    let input: InscriptionInput = serde_json::from_value(value.clone()).expect("deserialises");
    let cat = catalogue();
    validate(
        &input,
        &ValidationContext {
            catalogue: &cat,
            session_year: 2022,
            today,
        },
    )
}

/// The valid input with the value at a JSON pointer replaced (or removed for `None`).
fn with(pointer: &str, value: Option<Value>) -> Value {
    let mut v = valid_json();
    match value {
        Some(value) => *v.pointer_mut(pointer).expect("pointer exists") = value,
        None => {
            let (parent, key) = pointer.rsplit_once('/').expect("pointer");
            let removed = v
                .pointer_mut(parent)
                .and_then(Value::as_object_mut)
                .and_then(|o| o.remove(key));
            assert!(removed.is_some(), "{pointer} exists");
        }
    }
    v
}

/// The (field, code) pairs of the errors.
fn errors(value: &Value) -> Vec<(String, String)> {
    match run(value) {
        Ok(_) => Vec::new(),
        Err(errs) => {
            for e in &errs {
                assert!(!e.message.is_empty() && e.message.ends_with('.'), "{e:?}");
                assert!(codes::ALL.contains(&e.code.as_str()), "{e:?}");
            }
            errs.into_iter().map(|e| (e.field, e.code)).collect()
        }
    }
}

fn one(field: &str, code: &str) -> Vec<(String, String)> {
    vec![(field.to_owned(), code.to_owned())]
}

fn ok(value: &Value) -> ValidInscription {
    match run(value) {
        Ok(v) => v,
        Err(e) => panic!("expected valid, got {e:?}"),
    }
}

#[test]
fn a_valid_inscription_is_normalised() {
    let v = ok(&valid_json());
    assert_eq!(v.diploma, Diploma::Cap);
    assert_eq!(v.specialty, "CUISINE");
    assert_eq!(v.identity.last_name, "N'Diaye");
    assert_eq!(
        v.identity.birth_date,
        NaiveDate::from_ymd_opt(2004, 5, 17).unwrap()
    );
    assert_eq!(v.identity.phone, "+33612345678");
    assert_eq!(v.identity.address.line2, None);
    assert_eq!(
        v.disability,
        Disability {
            declared: false,
            existing_accommodation: false
        }
    );
    assert_eq!(
        v.acquis,
        vec![
            Acquis {
                unit: "EG1".into(),
                kind: AcquisKind::Dispense,
                grade: None,
                year: 2019
            },
            Acquis {
                unit: "EP1".into(),
                kind: AcquisKind::Benefit,
                grade: Some(12.5),
                year: 2020
            },
        ]
    );

    let mut messy = valid_json();
    messy["diploma"] = json!(" cap ");
    messy["specialty"] = json!(" CUISINE ");
    messy["identity"]["last_name"] = json!("  Le   Goff -Ménard ");
    messy["identity"]["first_names"] = json!("Zoe\u{301}\u{a0} Anaïs");
    messy["identity"]["nationality"] = json!(" fr");
    messy["identity"]["address"]["line1"] = json!(" 12  rue\tde la République ");
    messy["identity"]["address"]["line2"] = json!("   ");
    messy["identity"]["address"]["postal_code"] = json!("13 001");
    messy["identity"]["address"]["country"] = json!("fr");
    messy["identity"]["phone"] = json!("+33 (0)6.12.34.56.78");
    messy["acquis"][0]["unit"] = json!(" eg1 ");
    messy["acquis"][0]["type"] = json!("Dispense");
    messy.as_object_mut().unwrap().remove("disability");
    messy["disability"] = json!({"declared": false});
    let m = ok(&messy);
    assert_eq!(m.identity.last_name, "Le Goff-Ménard");
    assert_eq!(m.identity.first_names, "Zoé Anaïs");
    assert_eq!(m.identity.nationality, "FR");
    assert_eq!(m.identity.address.line1, "12 rue de la République");
    assert_eq!(m.identity.address.line2, None);
    assert_eq!(m.identity.address.postal_code, "13001");
    assert_eq!(m.identity.address.country, "FR");
    assert_eq!(m.identity.phone, "+33612345678");
    assert_eq!(m.acquis[0].unit, "EG1");
    assert_eq!(m.acquis[0].kind, AcquisKind::Dispense);
    assert!(!m.disability.existing_accommodation);
    // Everything but the last name and the line2 normalises back to the same data.
    assert_eq!(m.identity.first_names, v.identity.first_names);
}

#[test]
fn diploma_and_specialty() {
    assert_eq!(errors(&with("/diploma", None)), one("diploma", "required"));
    assert_eq!(
        errors(&with("/diploma", Some(json!("")))),
        one("diploma", "required")
    );
    assert_eq!(
        errors(&with("/diploma", Some(Value::Null))),
        one("diploma", "required")
    );
    // An unknown diploma hides the specialty's check (and the units').
    assert_eq!(
        errors(&with("/diploma", Some(json!("BTS")))),
        one("diploma", "unknown_diploma")
    );
    assert_eq!(
        errors(&with("/specialty", None)),
        one("specialty", "required")
    );
    assert_eq!(
        errors(&with("/specialty", Some(json!("PATISSERIE")))),
        one("specialty", "unknown_specialty")
    );
    // MELEC is a Bac Pro specialty, not a CAP one.
    assert_eq!(
        errors(&with("/specialty", Some(json!("MELEC")))),
        one("specialty", "unknown_specialty")
    );

    let mut bac = valid_json();
    bac["diploma"] = json!("Bac Pro");
    bac["specialty"] = json!("MELEC");
    bac["acquis"] = json!([]);
    let v = ok(&bac);
    assert_eq!(
        (v.diploma, v.specialty.as_str()),
        (Diploma::BacPro, "MELEC")
    );
}

#[test]
fn names() {
    for path in [
        "/identity/last_name",
        "/identity/first_names",
        "/identity/birth_place",
        "/identity/address/city",
    ] {
        let field = path.trim_start_matches('/').replace('/', ".");
        for good in [
            "N'Diaye",
            "Le Goff-Ménard",
            "Zoé Anaïs",
            "d’Artagnan",
            "Œdipe",
            "Aix-en-Provence",
            "Ngô",
        ] {
            let v = ok(&with(path, Some(json!(good))));
            let got = match path {
                "/identity/last_name" => v.identity.last_name,
                "/identity/first_names" => v.identity.first_names,
                "/identity/birth_place" => v.identity.birth_place,
                _ => v.identity.address.city,
            };
            assert_eq!(got, good);
        }
        assert_eq!(errors(&with(path, None)), one(&field, "required"), "{path}");
        assert_eq!(
            errors(&with(path, Some(json!("  \t ")))),
            one(&field, "required"),
            "{path}"
        );
        for bad in [
            "Jean2",
            "Marseille 13",
            "Jean_Pierre",
            "-Jean",
            "Jean--Pierre",
            "J@ne",
            "Dupont.",
        ] {
            assert_eq!(
                errors(&with(path, Some(json!(bad)))),
                one(&field, "invalid_name"),
                "{bad}"
            );
        }
        let long = "a".repeat(101);
        assert_eq!(
            errors(&with(path, Some(json!(long)))),
            one(&field, "invalid_name")
        );
        ok(&with(path, Some(json!("é".repeat(100)))));
    }
    let e = run(&with("/identity/first_names", Some(json!("Jean2")))).unwrap_err();
    assert_eq!(
        e[0].message,
        "Les prénoms ne peuvent contenir que des lettres, séparées par une espace, un trait \
             d'union ou une apostrophe (pas de chiffre ni d'autre symbole)."
    );
}

#[test]
fn birth_dates() {
    let f = "identity.birth_date";
    assert_eq!(
        errors(&with("/identity/birth_date", None)),
        one(f, "required")
    );
    for bad in [
        "2021-02-29",
        "2004-02-30",
        "17/05/2004",
        "2004-5-17",
        "2004-05-17T00:00:00Z",
        "hier",
    ] {
        assert_eq!(
            errors(&with("/identity/birth_date", Some(json!(bad)))),
            one(f, "invalid_date"),
            "{bad}"
        );
    }
    let e = run(&with("/identity/birth_date", Some(json!("2021-02-29")))).unwrap_err();
    assert_eq!(
        e[0].message,
        "La date de naissance doit être une date réelle au format AAAA-MM-JJ."
    );
    // A real 29 February.
    let v = ok(&with("/identity/birth_date", Some(json!("2004-02-29"))));
    assert_eq!(
        v.identity.birth_date,
        NaiveDate::from_ymd_opt(2004, 2, 29).unwrap()
    );
    assert_eq!(
        errors(&with("/identity/birth_date", Some(json!("2020-02-29")))),
        one(f, "implausible_birth_date")
    );
    // Today is 2021-11-25: 14 years old exactly is fine, one day less is not.
    ok(&with("/identity/birth_date", Some(json!("2007-11-25"))));
    assert_eq!(
        errors(&with("/identity/birth_date", Some(json!("2007-11-26")))),
        one(f, "implausible_birth_date")
    );
    // 100 years old is fine, 101 is not.
    ok(&with("/identity/birth_date", Some(json!("1920-11-26"))));
    assert_eq!(
        errors(&with("/identity/birth_date", Some(json!("1920-11-25")))),
        one(f, "implausible_birth_date")
    );
    // The future.
    assert_eq!(
        errors(&with("/identity/birth_date", Some(json!("2021-11-26")))),
        one(f, "implausible_birth_date")
    );
    assert_eq!(
        errors(&with("/identity/birth_date", Some(json!("2090-01-01")))),
        one(f, "implausible_birth_date")
    );
    // Born on 29 February 2008: 14 on 1 March 2022, not on 28 February.
    let born = with("/identity/birth_date", Some(json!("2008-02-29")));
    let day = |m, d| NaiveDate::from_ymd_opt(2022, m, d).unwrap();
    assert!(run_on(&born, day(2, 28)).is_err());
    assert!(run_on(&born, day(3, 1)).is_ok());
}

#[test]
fn countries() {
    for (path, field) in [
        ("/identity/nationality", "identity.nationality"),
        ("/identity/address/country", "identity.address.country"),
    ] {
        assert_eq!(errors(&with(path, None)), one(field, "required"));
        for bad in ["FRA", "France", "ZZ", "UK", "F", "12"] {
            assert_eq!(
                errors(&with(path, Some(json!(bad)))),
                one(field, "invalid_country"),
                "{bad}"
            );
        }
    }
    let mut be = with("/identity/nationality", Some(json!("be")));
    be["identity"]["address"]["country"] = json!("BE");
    be["identity"]["address"]["postal_code"] = json!("1000");
    be["identity"]["address"]["city"] = json!("Bruxelles");
    let v = ok(&be);
    assert_eq!(
        (
            v.identity.nationality.as_str(),
            v.identity.address.country.as_str()
        ),
        ("BE", "BE")
    );
}

#[test]
fn postal_codes_and_address_lines() {
    let f = "identity.address.postal_code";
    let p = "/identity/address/postal_code";
    assert_eq!(errors(&with(p, None)), one(f, "required"));
    for bad in ["1300", "130010", "13A01", "2A004", "ABCDE"] {
        assert_eq!(
            errors(&with(p, Some(json!(bad)))),
            one(f, "invalid_postal_code"),
            "{bad}"
        );
    }
    assert_eq!(
        ok(&with(p, Some(json!(" 13 090 "))))
            .identity
            .address
            .postal_code,
        "13090"
    );
    let e = run(&with(p, Some(json!("1300")))).unwrap_err();
    assert_eq!(
        e[0].message,
        "Le code postal doit comporter exactement 5 chiffres, par exemple 13100."
    );

    let mut gb = with("/identity/address/country", Some(json!("GB")));
    gb["identity"]["address"]["postal_code"] = json!("sw1a 1aa");
    gb["identity"]["address"]["city"] = json!("London");
    assert_eq!(ok(&gb).identity.address.postal_code, "SW1A 1AA");
    gb["identity"]["address"]["postal_code"] = json!("S");
    assert_eq!(errors(&gb), one(f, "invalid_postal_code"));
    // An unknown country: only the country is reported.
    let mut xx = with("/identity/address/country", Some(json!("XX")));
    xx["identity"]["address"]["postal_code"] = json!("1000");
    assert_eq!(
        errors(&xx),
        one("identity.address.country", "invalid_country")
    );

    let l1 = "/identity/address/line1";
    assert_eq!(
        errors(&with(l1, None)),
        one("identity.address.line1", "required")
    );
    assert_eq!(
        errors(&with(l1, Some(json!(" ")))),
        one("identity.address.line1", "required")
    );
    assert_eq!(
        errors(&with(l1, Some(json!("x".repeat(101))))),
        one("identity.address.line1", "too_long")
    );
    ok(&with(l1, Some(json!("x".repeat(100)))));
    assert_eq!(
        errors(&with(l1, Some(json!("12 rue\u{7}")))),
        one("identity.address.line1", "invalid_address_line")
    );
    let mut l2 = valid_json();
    l2["identity"]["address"]["line2"] = json!("  Bâtiment   B ");
    assert_eq!(
        ok(&l2).identity.address.line2.as_deref(),
        Some("Bâtiment B")
    );
    l2["identity"]["address"]["line2"] = Value::Null;
    assert_eq!(ok(&l2).identity.address.line2, None);
    l2["identity"]["address"]["line2"] = json!("y".repeat(101));
    assert_eq!(errors(&l2), one("identity.address.line2", "too_long"));
}

#[test]
fn phones() {
    let p = "/identity/phone";
    for (typed, e164) in [
        ("06 12 34 56 78", "+33612345678"),
        ("0612345678", "+33612345678"),
        ("06.12.34.56.78", "+33612345678"),
        ("06-12-34-56-78", "+33612345678"),
        ("+33 6 12 34 56 78", "+33612345678"),
        ("+32 470 12 34 56", "+32470123456"),
        ("0692 12 34 56", "+262692123456"),
    ] {
        assert_eq!(
            ok(&with(p, Some(json!(typed)))).identity.phone,
            e164,
            "{typed}"
        );
    }
    assert_eq!(errors(&with(p, None)), one("identity.phone", "required"));
    for bad in [
        "06 12 34 56",
        "12345",
        "+33 6 12",
        "+1234567890123456",
        "06 12 34 56 7O",
        "appelez-moi",
    ] {
        assert_eq!(
            errors(&with(p, Some(json!(bad)))),
            one("identity.phone", "invalid_phone"),
            "{bad}"
        );
    }
}

#[test]
fn disability() {
    let v = ok(&with(
        "/disability",
        Some(json!({"declared": true, "existing_accommodation": false})),
    ));
    assert!(v.needs_accommodation_request());
    assert_eq!(
        v.accommodation_request_url(),
        Some(ACCOMMODATION_REQUEST_URL)
    );
    assert_eq!(
        accommodation_request_url(&v),
        Some("https://appli.ac-aix-marseille.fr/amex/")
    );
    let v = ok(&with(
        "/disability",
        Some(json!({"declared": true, "existing_accommodation": true})),
    ));
    assert!(!v.needs_accommodation_request());
    assert_eq!(v.accommodation_request_url(), None);
    let v = ok(&with("/disability", Some(json!({"declared": false}))));
    assert_eq!(v.disability, Disability::default());
    assert_eq!(v.accommodation_request_url(), None);

    assert_eq!(
        errors(&with(
            "/disability",
            Some(json!({"declared": false, "existing_accommodation": true}))
        )),
        one(
            "disability.existing_accommodation",
            "inconsistent_disability"
        )
    );
    assert_eq!(
        errors(&with("/disability", Some(json!({"declared": true})))),
        one("disability.existing_accommodation", "required")
    );
    assert_eq!(
        errors(&with("/disability", Some(json!({})))),
        one("disability.declared", "required")
    );
    assert_eq!(
        errors(&with("/disability", None)),
        one("disability.declared", "required")
    );
}

#[test]
fn acquis() {
    let a = |v: Value| with("/acquis", Some(v));
    assert!(ok(&with("/acquis", None)).acquis.is_empty());
    assert!(ok(&a(json!([]))).acquis.is_empty());
    assert_eq!(
        errors(&a(
            json!([{"unit": "EP9", "type": "dispense", "year": 2019}])
        )),
        one("acquis[0].unit", "unknown_unit")
    );
    // A Bac Pro unit is not a CAP Cuisine unit.
    assert_eq!(
        errors(&a(
            json!([{"unit": "E31", "type": "dispense", "year": 2019}])
        )),
        one("acquis[0].unit", "unknown_unit")
    );
    assert_eq!(
        errors(&a(json!([
            {"unit": "EP1", "type": "dispense", "year": 2019},
            {"unit": "ep1", "type": "benefit", "grade": 12, "year": 2019}
        ]))),
        one("acquis[1].unit", "duplicate_unit")
    );
    assert_eq!(
        errors(&a(
            json!([{"unit": "EP1", "type": "exemption", "year": 2019}])
        )),
        one("acquis[0].type", "invalid_acquis_type")
    );
    assert_eq!(
        errors(&a(
            json!([{"unit": "EP1", "type": "dispense", "grade": 14, "year": 2019}])
        )),
        one("acquis[0].grade", "unexpected_grade")
    );
    assert_eq!(
        errors(&a(
            json!([{"unit": "EP1", "type": "benefit", "year": 2019}])
        )),
        one("acquis[0].grade", "required")
    );
    assert_eq!(
        errors(&a(json!([{}]))),
        vec![
            ("acquis[0].unit".to_owned(), "required".to_owned()),
            ("acquis[0].type".to_owned(), "required".to_owned()),
            ("acquis[0].year".to_owned(), "required".to_owned()),
        ]
    );
    for grade in [json!(10), json!(20), json!(12.25), json!(15.1), json!(10.0)] {
        ok(&a(
            json!([{"unit": "EP1", "type": "benefit", "grade": grade, "year": 2020}]),
        ));
    }
    for grade in [
        json!(9.99),
        json!(20.01),
        json!(12.345),
        json!(0),
        json!(-12),
        json!(1e300),
    ] {
        assert_eq!(
            errors(&a(
                json!([{"unit": "EP1", "type": "benefit", "grade": grade, "year": 2020}])
            )),
            one("acquis[0].grade", "invalid_grade"),
            "{grade}"
        );
    }
    // Benefits: the last five sessions, 2017 to 2021 for the 2022 session.
    for year in [2017, 2021] {
        ok(&a(
            json!([{"unit": "EP1", "type": "benefit", "grade": 11, "year": year}]),
        ));
    }
    for year in [2016, 2022, 0, -1, 99_999_999_999_i64] {
        assert_eq!(
            errors(&a(
                json!([{"unit": "EP1", "type": "benefit", "grade": 11, "year": year}])
            )),
            one("acquis[0].year", "invalid_year"),
            "{year}"
        );
    }
    // Dispenses: 1950 to this year (today is in 2021).
    for year in [1950, 1990, 2021] {
        ok(&a(
            json!([{"unit": "EG1", "type": "dispense", "year": year}]),
        ));
    }
    for year in [1949, 2022] {
        assert_eq!(
            errors(&a(
                json!([{"unit": "EG1", "type": "dispense", "year": year}])
            )),
            one("acquis[0].year", "invalid_year"),
            "{year}"
        );
    }
    let e = run(&a(
        json!([{"unit": "EP1", "type": "benefit", "grade": 11, "year": 2016}]),
    ))
    .unwrap_err();
    assert_eq!(
        e[0].message,
        "Un bénéfice de note doit venir de l'une des 5 dernières sessions, de 2017 à 2021."
    );
    // The canonical unit code is kept, the grade rounded to the hundredth.
    let v = ok(&a(
        json!([{"unit": " ep2", "type": "BENEFIT", "grade": 13.1, "year": 2018}]),
    ));
    assert_eq!(
        v.acquis,
        vec![Acquis {
            unit: "EP2".into(),
            kind: AcquisKind::Benefit,
            grade: Some(13.1),
            year: 2018
        }]
    );
}

#[test]
fn the_embedded_catalogue_is_used_as_is() {
    let cat = Catalogue::embedded().expect("embedded catalogue");
    let ctx = ValidationContext {
        catalogue: &cat,
        session_year: 2022,
        today: today(),
    };
    for entry in &cat.diplomas {
        let specialty = &entry.specialties[0];
        let unit = &specialty.units[0];
        let mut json = valid_json();
        json["diploma"] = json!(entry.diploma.code());
        json["specialty"] = json!(specialty.code.to_lowercase());
        json["acquis"] =
            json!([{"unit": unit.code.to_lowercase(), "type": "dispense", "year": 2015}]);
        let input: InscriptionInput = serde_json::from_value(json).unwrap();
        let v = validate(&input, &ctx).expect("valid");
        assert_eq!(v.specialty, specialty.code);
        assert_eq!(v.acquis[0].unit, unit.code);
        let summary = change_summary_fr(None, &v, &cat);
        assert!(
            summary.contains(&format!("- Spécialité : {}", specialty.label)),
            "{summary}"
        );
        assert!(
            summary.contains(&format!("{} – {}", unit.code, unit.label)),
            "{summary}"
        );
    }
}

#[test]
fn version_is_required() {
    assert_eq!(errors(&with("/version", None)), one("version", "required"));
    let input: InscriptionInput = serde_json::from_value(with("/version", Some(json!(7)))).unwrap();
    assert_eq!(input.expected_version(), 7);
}

#[test]
fn every_invalid_field_is_reported_at_once() {
    let mut bad = valid_json();
    bad["specialty"] = json!("PATISSERIE");
    bad["identity"]["last_name"] = json!("Dupont3");
    bad["identity"]["birth_date"] = json!("2021-02-29");
    bad["identity"]["address"]["postal_code"] = json!("1300");
    bad["identity"]["phone"] = json!("12");
    bad["disability"] = json!({"declared": false, "existing_accommodation": true});
    let got = errors(&bad);
    assert_eq!(
        got,
        vec![
            ("specialty".to_owned(), "unknown_specialty".to_owned()),
            ("identity.last_name".to_owned(), "invalid_name".to_owned()),
            ("identity.birth_date".to_owned(), "invalid_date".to_owned()),
            (
                "identity.address.postal_code".to_owned(),
                "invalid_postal_code".to_owned()
            ),
            ("identity.phone".to_owned(), "invalid_phone".to_owned()),
            (
                "disability.existing_accommodation".to_owned(),
                "inconsistent_disability".to_owned()
            ),
        ]
    );

    // An empty body: every required field, each at its own path.
    let fields: Vec<String> = errors(&json!({})).into_iter().map(|(f, _)| f).collect();
    assert_eq!(
        fields,
        [
            "diploma",
            "specialty",
            "identity.last_name",
            "identity.first_names",
            "identity.birth_date",
            "identity.birth_place",
            "identity.nationality",
            "identity.address.line1",
            "identity.address.country",
            "identity.address.postal_code",
            "identity.address.city",
            "identity.phone",
            "disability.declared",
            "version",
        ]
    );
}

#[test]
fn unknown_fields_are_rejected_at_every_level() {
    for pointer in [
        "",
        "/identity",
        "/identity/address",
        "/disability",
        "/acquis/0",
    ] {
        let mut v = valid_json();
        v.pointer_mut(pointer)
            .and_then(Value::as_object_mut)
            .expect("object")
            .insert("surprise".into(), json!(1));
        let err = serde_json::from_value::<InscriptionInput>(v).unwrap_err();
        assert!(
            err.to_string().contains("unknown field `surprise`"),
            "{pointer}: {err}"
        );
    }
}

#[test]
fn the_stored_shape_is_the_contract_shape_and_reads_back_as_input() {
    let mut input = valid_json();
    input["identity"]["address"]["line2"] = json!("Bâtiment B");
    let v = ok(&input);
    let stored = serde_json::to_value(&v).unwrap();
    assert_eq!(
        stored,
        json!({
            "diploma": "CAP",
            "specialty": "CUISINE",
            "identity": {
                "last_name": "N'Diaye",
                "first_names": "Zoé Anaïs",
                "birth_date": "2004-05-17",
                "birth_place": "Marseille",
                "nationality": "FR",
                "address": {
                    "line1": "12 rue de la République",
                    "line2": "Bâtiment B",
                    "postal_code": "13001",
                    "city": "Marseille",
                    "country": "FR"
                },
                "phone": "+33612345678"
            },
            "disability": {"declared": false, "existing_accommodation": false},
            "acquis": [
                {"unit": "EG1", "type": "dispense", "year": 2019},
                {"unit": "EP1", "type": "benefit", "grade": 12.5, "year": 2020}
            ],
            "options": []
        })
    );
    let back: ValidInscription = serde_json::from_value(stored.clone()).unwrap();
    assert_eq!(back, v);
    let mut again = stored;
    again["version"] = json!(3);
    assert_eq!(run(&again).unwrap(), v);
    assert_eq!(
        v.to_input(3),
        serde_json::from_value::<InscriptionInput>(again).unwrap()
    );
}

#[test]
fn changed_fields_name_what_changed() {
    let old = ok(&valid_json());
    assert!(changed_fields(&old, &old).is_empty());

    let mut new = old.clone();
    new.identity.address.city = "Aix-en-Provence".into();
    new.identity.address.postal_code = "13100".into();
    assert_eq!(
        changed_fields(&old, &new),
        ["identity.address.postal_code", "identity.address.city"]
    );

    let mut reordered = old.clone();
    reordered.acquis.reverse();
    assert!(changed_fields(&old, &reordered).is_empty());

    let mut other = old.clone();
    other.diploma = Diploma::BacPro;
    other.specialty = "MELEC".into();
    other.acquis.clear();
    other.disability = Disability {
        declared: true,
        existing_accommodation: true,
    };
    other.identity.address.line2 = Some("Bâtiment B".into());
    assert_eq!(
        changed_fields(&old, &other),
        [
            "diploma",
            "specialty",
            "identity.address.line2",
            "disability.declared",
            "disability.existing_accommodation",
            "acquis"
        ]
    );
}

#[test]
fn a_save_changes_nothing_when_only_normalisation_tells_the_bodies_apart() {
    let stored = ok(&valid_json());
    assert!(changes_nothing(&stored, &ok(&valid_json())));

    // The same declaration, written otherwise: validation erases every difference.
    let mut messy = valid_json();
    messy["diploma"] = json!(" cap ");
    messy["specialty"] = json!(" CUISINE ");
    messy["identity"]["last_name"] = json!("  N'Diaye ");
    // Decomposed accents (NFD) and a no-break space.
    messy["identity"]["first_names"] = json!("Zoe\u{301}\u{a0} Anai\u{308}s");
    messy["identity"]["nationality"] = json!(" fr");
    messy["identity"]["address"]["line1"] = json!(" 12  rue\tde la Re\u{301}publique ");
    messy["identity"]["address"]["line2"] = json!("   ");
    messy["identity"]["address"]["postal_code"] = json!("13 001");
    messy["identity"]["address"]["country"] = json!("fr");
    messy["identity"]["phone"] = json!("+33 (0)6.12.34.56.78");
    messy["disability"] = json!({"declared": false});
    messy["acquis"] = json!([
        {"unit": "ep1", "type": "Benefit", "grade": 12.50, "year": 2020},
        {"unit": " eg1 ", "type": "dispense", "year": 2019}
    ]);
    messy["version"] = json!(7);
    let rewritten = ok(&messy);
    assert!(
        changes_nothing(&stored, &rewritten),
        "{:?}",
        changed_fields(&stored, &rewritten)
    );

    // Any real change is one.
    for (pointer, value) in [
        ("/identity/address/city", json!("Aix-en-Provence")),
        ("/identity/first_names", json!("Zoé")),
        ("/identity/phone", json!("06 12 34 56 79")),
        ("/acquis/1/grade", json!(12.75)),
        (
            "/disability",
            json!({"declared": true, "existing_accommodation": true}),
        ),
    ] {
        let changed = ok(&with(pointer, Some(value)));
        assert!(!changes_nothing(&stored, &changed), "{pointer}");
    }
}

#[test]
fn the_summary_says_what_changed_in_french() {
    let cat = catalogue();
    let old = ok(&valid_json());
    let mut new = old.clone();
    new.identity.address.city = "Aix-en-Provence".into();
    new.identity.phone = "+33700000000".into();
    new.acquis.pop();
    let summary = change_summary_fr(Some(&old), &new, &cat);
    assert_eq!(
        summary,
        "- Ville : Marseille → Aix-en-Provence\n\
             - Téléphone : +33 6 12 34 56 78 → +33 7 00 00 00 00\n\
             - Acquis : EG1 – Français, histoire-géographie et enseignement moral et civique \
             (dispense, diplôme obtenu en 2019) ; EP1 – Organisation de la production de cuisine \
             (bénéfice de la note 12,5/20, session 2020) → EG1 – Français, histoire-géographie et \
             enseignement moral et civique (dispense, diplôme obtenu en 2019)"
    );
    assert_eq!(
        change_summary_fr(Some(&old), &old, &cat),
        "Aucune de vos informations n'a changé."
    );

    let mut moved = old.clone();
    moved.diploma = Diploma::BacPro;
    moved.specialty = "MELEC".into();
    moved.acquis.clear();
    moved.identity.birth_date = NaiveDate::from_ymd_opt(2004, 5, 18).unwrap();
    moved.identity.address.line2 = Some("Bâtiment B".into());
    let s = change_summary_fr(Some(&old), &moved, &cat);
    assert!(s.contains(
        "- Diplôme : Certificat d'aptitude professionnelle → Baccalauréat professionnel"
    ));
    assert!(s.contains(
        "- Spécialité : Cuisine → Métiers de l'électricité et de ses environnements connectés"
    ));
    assert!(s.contains("- Date de naissance : 17/05/2004 → 18/05/2004"));
    assert!(s.contains("- Complément d'adresse : (non renseigné) → Bâtiment B"));
    assert!(s.contains("→ aucun"));

    let created = change_summary_fr(None, &old, &cat);
    for line in [
            "- Diplôme : Certificat d'aptitude professionnelle",
            "- Spécialité : Cuisine",
            "- Nom de famille : N'Diaye",
            "- Prénoms : Zoé Anaïs",
            "- Date de naissance : 17/05/2004",
            "- Lieu de naissance : Marseille",
            "- Nationalité : française",
            "- Adresse : 12 rue de la République",
            "- Code postal : 13001",
            "- Ville : Marseille",
            "- Pays : France",
            "- Téléphone : +33 6 12 34 56 78",
            "- Situation de handicap déclarée : non",
            "- Acquis : EG1 – Français, histoire-géographie et enseignement moral et civique (dispense, \
             diplôme obtenu en 2019) ; EP1 – Organisation de la production de cuisine (bénéfice de la \
             note 12,5/20, session 2020)",
        ] {
            assert!(created.lines().any(|l| l == line), "missing {line:?} in\n{created}");
        }
    assert!(!created.contains("Complément d'adresse"));
    assert!(!created.contains("Aménagement"));
    let mut declared = old.clone();
    declared.disability = Disability {
        declared: true,
        existing_accommodation: false,
    };
    declared.acquis.clear();
    let created = change_summary_fr(None, &declared, &cat);
    assert!(created.contains("- Aménagement d'épreuves déjà accordé : non"));
    assert!(created.contains("- Acquis : aucun"));
}

/// The audit's case: every value of the summary is in words, before and
/// after, never a code the candidate never typed.
#[test]
fn the_summary_shows_words_not_codes() {
    let cat = catalogue();
    let old = ok(&valid_json());
    let mut new = old.clone();
    new.diploma = Diploma::BacPro;
    new.specialty = "MELEC".into();
    new.identity.nationality = "BE".into();
    new.identity.address.country = "BE".into();
    new.identity.birth_date = NaiveDate::from_ymd_opt(2004, 5, 18).unwrap();
    new.disability = Disability {
        declared: true,
        existing_accommodation: true,
    };
    new.acquis = vec![Acquis {
        unit: "E2".into(),
        kind: AcquisKind::Benefit,
        grade: Some(11.0),
        year: 2021,
    }];
    let s = change_summary_fr(Some(&old), &new, &cat);
    for line in [
        "- Diplôme : Certificat d'aptitude professionnelle → Baccalauréat professionnel",
        "- Spécialité : Cuisine → Métiers de l'électricité et de ses environnements connectés",
        "- Date de naissance : 17/05/2004 → 18/05/2004",
        "- Nationalité : française → étrangère, pays : Belgique (BE)",
        "- Pays : France → Belgique (BE)",
        "- Situation de handicap déclarée : non → oui",
        "- Aménagement d'épreuves déjà accordé : non → oui",
        "- Acquis : EG1 – Français, histoire-géographie et enseignement moral et civique \
             (dispense, diplôme obtenu en 2019) ; EP1 – Organisation de la production de cuisine \
             (bénéfice de la note 12,5/20, session 2020) → E2 – Analyse d'un ouvrage (bénéfice de \
             la note 11/20, session 2021)",
    ] {
        assert!(s.lines().any(|l| l == line), "missing {line:?} in\n{s}");
    }
    for code in [
        "FR", "CAP", "BAC_PRO", "CUISINE", "MELEC", "true", "false", "2004-05",
    ] {
        assert!(!s.contains(code), "raw {code:?} in\n{s}");
    }
    for bare in ["EG1 (", "EP1 (", "E2 ("] {
        assert!(!s.contains(bare), "unit without its label {bare:?} in\n{s}");
    }

    // And back: the old values are named the same way.
    let back = change_summary_fr(Some(&new), &old, &cat);
    assert!(back.contains("- Nationalité : étrangère, pays : Belgique (BE) → française"));
    assert!(back.contains("- Pays : Belgique (BE) → France"));
    assert!(back.contains("- Diplôme : Baccalauréat professionnel → Certificat d'aptitude"));
    assert!(!back.contains("BAC_PRO") && !back.contains("FR"), "{back}");

    // Acquis dropped: the units keep their labels on the « avant » side.
    let mut dropped = old.clone();
    dropped.acquis.clear();
    let s = change_summary_fr(Some(&old), &dropped, &cat);
    assert_eq!(
        s,
        "- Acquis : EG1 – Français, histoire-géographie et enseignement moral et civique \
             (dispense, diplôme obtenu en 2019) ; EP1 – Organisation de la production de cuisine \
             (bénéfice de la note 12,5/20, session 2020) → aucun"
    );
}

// -----------------------------------------------------------------------
// Properties
// -----------------------------------------------------------------------

fn any_text() -> impl Strategy<Value = Option<String>> {
    prop_oneof![
        Just(None),
        any::<String>().prop_map(Some),
        "[ -~]{0,12}".prop_map(Some),
        "[0-9 +.()-]{0,20}".prop_map(Some),
        "[0-9]{4}-[0-9]{2}-[0-9]{2}".prop_map(Some),
        prop::sample::select(vec![
            "FR", "fr", "CAP", "CUISINE", "EP1", "benefit", "dispense", "Zoé"
        ])
        .prop_map(|s| Some(s.to_owned())),
    ]
}

fn any_acquis() -> impl Strategy<Value = AcquisInput> {
    (
        any_text(),
        any_text(),
        proptest::option::of(prop_oneof![any::<f64>(), 0.0..30.0f64]),
        proptest::option::of(prop_oneof![any::<i64>(), 1900..2100i64]),
    )
        .prop_map(|(unit, kind, grade, year)| AcquisInput {
            unit,
            kind,
            grade,
            year,
        })
}

fn any_input() -> impl Strategy<Value = InscriptionInput> {
    let address = proptest::option::of(
        (any_text(), any_text(), any_text(), any_text(), any_text()).prop_map(
            |(line1, line2, postal_code, city, country)| AddressInput {
                line1,
                line2,
                postal_code,
                city,
                country,
            },
        ),
    );
    let identity = proptest::option::of(
        (
            any_text(),
            any_text(),
            any_text(),
            any_text(),
            any_text(),
            address,
            any_text(),
        )
            .prop_map(
                |(last_name, first_names, birth_date, birth_place, nationality, address, phone)| {
                    IdentityInput {
                        last_name,
                        first_names,
                        birth_date,
                        birth_place,
                        nationality,
                        address,
                        phone,
                        ..IdentityInput::default()
                    }
                },
            ),
    );
    let disability = proptest::option::of((any::<Option<bool>>(), any::<Option<bool>>()).prop_map(
        |(declared, existing_accommodation)| DisabilityInput {
            declared,
            existing_accommodation,
        },
    ));
    (
        any_text(),
        any_text(),
        identity,
        disability,
        proptest::option::of(proptest::collection::vec(any_acquis(), 0..5)),
        any::<Option<u64>>(),
    )
        .prop_map(
            |(diploma, specialty, identity, disability, acquis, version)| InscriptionInput {
                diploma,
                specialty,
                identity,
                disability,
                acquis,
                version,
                options: None,
            },
        )
}

fn padded(choices: Vec<&'static str>) -> impl Strategy<Value = String> {
    (
        prop::sample::select(vec!["", " ", "  ", "\t", "\u{a0}"]),
        prop::sample::select(choices),
        prop::sample::select(vec!["", " ", "   "]),
    )
        .prop_map(|(a, s, b)| format!("{a}{s}{b}"))
}

fn valid_input() -> impl Strategy<Value = InscriptionInput> {
    let names = vec![
        "N'Diaye",
        "Le Goff-Ménard",
        "Zoé  Anaïs",
        "d’Artagnan",
        "Œdipe",
        "Ngô Bảo",
        "Иван",
        "Jean - Pierre",
    ];
    let places = vec![
        "Marseille",
        "Aix-en-Provence",
        "L'Île-Rousse",
        "Saint-Étienne",
        "Alger",
    ];
    let addresses = vec![
        ("FR", "13001"),
        ("fr", "13 100"),
        ("RE", "97400"),
        ("BE", "1000"),
        ("GB", "sw1a 1aa"),
        ("us", "12345-6789"),
    ];
    let phones = vec![
        "06 12 34 56 78",
        "0612345678",
        "+33 6 12 34 56 78",
        "06.12.34.56.78",
        "+33 (0)4 42 91 70 00",
        "0692 12 34 56",
        "+44 20 7946 0958",
    ];
    let birth = (14 * 366 + 1..100 * 365i64).prop_map(|days| {
        (today() - chrono::Duration::days(days))
            .format("%Y-%m-%d")
            .to_string()
    });
    let units = vec!["EP1", "EP2", "EG1", "eg2", "EG3"];
    let acquis = proptest::sample::subsequence(units, 0..=5).prop_flat_map(|units| {
        let n = units.len();
        (
            Just(units),
            proptest::collection::vec(
                (
                    any::<bool>(),
                    1000..=2000u32,
                    2017..=2021i64,
                    1950..=2021i64,
                ),
                n,
            ),
        )
            .prop_map(|(units, specs)| {
                units
                    .into_iter()
                    .zip(specs)
                    .map(
                        |(unit, (benefit, hundredths, benefit_year, dispense_year))| AcquisInput {
                            unit: Some(unit.to_owned()),
                            kind: Some(if benefit { "benefit" } else { "dispense" }.to_owned()),
                            grade: benefit.then(|| f64::from(hundredths) / 100.0),
                            year: Some(if benefit { benefit_year } else { dispense_year }),
                        },
                    )
                    .collect::<Vec<_>>()
            })
    });
    (
        (
            padded(names.clone()),
            padded(names),
            birth,
            padded(places.clone()),
            padded(vec!["FR", "fr", "BE", "DZ"]),
        ),
        (
            padded(vec![
                "12 rue de la République",
                "Bât. B, 3 allée des Pins",
                "1",
            ]),
            proptest::option::of(padded(vec!["Appartement 12", "", " "])),
            prop::sample::select(addresses),
            padded(places),
            prop::sample::select(phones),
        ),
        (any::<bool>(), any::<bool>()),
        acquis,
        any::<u64>(),
    )
        .prop_map(
            |(
                (last_name, first_names, birth_date, birth_place, nationality),
                (line1, line2, (country, postal_code), city, phone),
                (declared, existing),
                acquis,
                version,
            )| InscriptionInput {
                diploma: Some("CAP".into()),
                specialty: Some("CUISINE".into()),
                identity: Some(IdentityInput {
                    last_name: Some(last_name),
                    first_names: Some(first_names),
                    birth_date: Some(birth_date),
                    birth_place: Some(birth_place),
                    nationality: Some(nationality),
                    address: Some(AddressInput {
                        line1: Some(line1),
                        line2,
                        postal_code: Some(postal_code.to_owned()),
                        city: Some(city),
                        country: Some(country.to_owned()),
                    }),
                    phone: Some(phone.to_owned()),
                    ..IdentityInput::default()
                }),
                disability: Some(DisabilityInput {
                    declared: Some(declared),
                    existing_accommodation: Some(declared && existing),
                }),
                acquis: Some(acquis),
                options: None,
                version: Some(version),
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn validate_never_panics(input in any_input()) {
        let cat = catalogue();
        let ctx = ValidationContext { catalogue: &cat, session_year: 2022, today: today() };
        match validate(&input, &ctx) {
            Ok(v) => {
                // Whatever passes validates again to itself.
                prop_assert_eq!(validate(&v.to_input(input.expected_version()), &ctx), Ok(v));
            }
            Err(errs) => {
                prop_assert!(!errs.is_empty());
                for e in &errs {
                    prop_assert!(codes::ALL.contains(&e.code.as_str()));
                    prop_assert!(!e.message.is_empty());
                }
            }
        }
    }

    #[test]
    fn valid_inputs_validate_again_to_themselves(input in valid_input()) {
        let cat = catalogue();
        let ctx = ValidationContext { catalogue: &cat, session_year: 2022, today: today() };
        let first = validate(&input, &ctx);
        prop_assert!(first.is_ok(), "{:?}", first);
        let Ok(v) = first else { unreachable!() };
        // Through the in-memory input...
        prop_assert_eq!(validate(&v.to_input(input.expected_version()), &ctx), Ok(v.clone()));
        // ...and through the stored JSON, read back as an input.
        let mut json = serde_json::to_value(&v).unwrap();
        json["version"] = json!(input.expected_version());
        let again: InscriptionInput = serde_json::from_value(json).unwrap();
        prop_assert_eq!(validate(&again, &ctx), Ok(v.clone()));
        prop_assert!(changed_fields(&v, &v).is_empty());
    }
}

// ---------------------------------------------------------------------------
// Options (optional units and their languages) and the birth place, against
// the embedded catalogue (whose optional units list their languages).
// ---------------------------------------------------------------------------

/// The (field, code) pairs of the errors of `value` checked against the
/// embedded catalogue, or the valid inscription.
fn run_embedded(value: &Value) -> Result<ValidInscription, Vec<(String, String)>> {
    let input: InscriptionInput = serde_json::from_value(value.clone()).expect("deserialises");
    let cat = Catalogue::embedded().expect("embedded catalogue");
    validate(
        &input,
        &ValidationContext {
            catalogue: &cat,
            session_year: 2022,
            today: today(),
        },
    )
    .map_err(|errs| {
        for e in &errs {
            assert!(e.message.ends_with('.'), "{e:?}");
            assert!(codes::ALL.contains(&e.code.as_str()), "{e:?}");
        }
        errs.into_iter().map(|e| (e.field, e.code)).collect()
    })
}

/// The valid CAP Cuisine input (EF1: a language unit; EF2: arts appliqués)
/// with these options.
fn with_options(options: Value) -> Value {
    let mut v = valid_json();
    v["options"] = options;
    v
}

#[test]
fn options_name_optional_units_of_the_specialty_with_their_language() {
    let v = run_embedded(&with_options(json!([
        {"unit": "ef1", "language": " ES "},
        {"unit": "EF2"}
    ])))
    .unwrap();
    assert_eq!(
        v.options,
        [
            OptionChoice {
                unit: "EF1".into(),
                language: Some("es".into())
            },
            OptionChoice {
                unit: "EF2".into(),
                language: None
            }
        ]
    );
    // None is fine, absent or empty.
    assert!(run_embedded(&valid_json()).unwrap().options.is_empty());
    assert!(run_embedded(&with_options(json!([])))
        .unwrap()
        .options
        .is_empty());
    // It round-trips through the form's input.
    let input = v.to_input(3);
    let back = validate(
        &input,
        &ValidationContext {
            catalogue: &Catalogue::embedded().unwrap(),
            session_year: 2022,
            today: today(),
        },
    )
    .unwrap();
    assert_eq!(back, v);
}

#[test]
fn every_invalid_option_is_reported_at_once() {
    let errs = run_embedded(&with_options(json!([
        {"unit": "EP1"},
        {"unit": "XX9"},
        {"unit": "EF1"},
        {"unit": "EF2", "language": "en"},
        {"language": "en"},
        {"unit": "EF1", "language": "en"}
    ])))
    .unwrap_err();
    let expected: Vec<(String, String)> = [
        ("options[0].unit", codes::NOT_OPTIONAL_UNIT),
        ("options[1].unit", codes::UNKNOWN_UNIT),
        ("options[2].language", codes::REQUIRED),
        ("options[3].language", codes::UNEXPECTED_LANGUAGE),
        ("options[4].unit", codes::REQUIRED),
        ("options[5].unit", codes::DUPLICATE_UNIT),
    ]
    .iter()
    .map(|(f, c)| (f.to_string(), c.to_string()))
    .collect();
    assert_eq!(errs, expected);
    // A language the unit does not list.
    assert_eq!(
        run_embedded(&with_options(json!([{"unit": "EF1", "language": "xx"}]))).unwrap_err(),
        one("options[0].language", codes::UNKNOWN_LANGUAGE)
    );
    // CAP: foreign languages only (breton is a regional one).
    assert_eq!(
        run_embedded(&with_options(json!([{"unit": "EF1", "language": "br"}]))).unwrap_err(),
        one("options[0].language", codes::UNKNOWN_LANGUAGE)
    );
    // With the other errors of the body.
    let mut v = with_options(json!([{"unit": "EP2"}]));
    v["identity"]["birth_department"] = json!("20");
    assert_eq!(
        run_embedded(&v).unwrap_err(),
        vec![
            (
                "identity.birth_department".to_owned(),
                codes::INVALID_DEPARTMENT.to_owned()
            ),
            (
                "options[0].unit".to_owned(),
                codes::NOT_OPTIONAL_UNIT.to_owned()
            )
        ]
    );
}

#[test]
fn a_specialty_without_optional_units_takes_no_option() {
    let mut v = with_options(json!([{"unit": "E1"}]));
    v["diploma"] = json!("MC");
    v["specialty"] = json!("SOMMELLERIE");
    v["acquis"] = json!([]);
    assert_eq!(
        run_embedded(&v).unwrap_err(),
        one("options[0].unit", codes::NOT_OPTIONAL_UNIT)
    );
}

/// The valid input with these birth fields.
fn born(department: Option<&str>, country: Option<&str>) -> Value {
    let mut v = valid_json();
    if let Some(d) = department {
        v["identity"]["birth_department"] = json!(d);
    }
    if let Some(c) = country {
        v["identity"]["birth_country"] = json!(c);
    }
    v
}

#[test]
fn the_birth_departement_and_country() {
    let identity = |d, c| run_embedded(&born(d, c)).map(|v| v.identity);
    // Neither: accepted, as before these fields existed.
    let id = identity(None, None).unwrap();
    assert_eq!((id.birth_department, id.birth_country), (None, None));
    // Born in France: the département, normalised; the country if given.
    let id = identity(Some(" 2a"), Some("fr")).unwrap();
    assert_eq!(id.birth_department.as_deref(), Some("2A"));
    assert_eq!(id.birth_country.as_deref(), Some("FR"));
    let id = identity(Some("1"), None).unwrap();
    assert_eq!(id.birth_department.as_deref(), Some("01"));
    assert_eq!(id.birth_country, None);
    // An overseas département with its own country code.
    assert!(identity(Some("974"), Some("RE")).is_ok());
    // Born abroad: the country alone.
    let id = identity(None, Some("MA")).unwrap();
    assert_eq!(id.birth_country.as_deref(), Some("MA"));
    // France without its département.
    assert_eq!(
        identity(None, Some("FR")).unwrap_err(),
        one("identity.birth_department", codes::REQUIRED)
    );
    assert_eq!(
        identity(Some(" "), Some("RE")).unwrap_err(),
        one("identity.birth_department", codes::REQUIRED)
    );
    // A département abroad.
    assert_eq!(
        identity(Some("13"), Some("BE")).unwrap_err(),
        one("identity.birth_department", codes::INCONSISTENT_BIRTH_PLACE)
    );
    assert_eq!(
        identity(Some("13"), Some("RE")).unwrap_err(),
        one("identity.birth_department", codes::INCONSISTENT_BIRTH_PLACE)
    );
    // Invalid values, both reported.
    assert_eq!(
        identity(Some("20"), Some("ZZ")).unwrap_err(),
        vec![
            (
                "identity.birth_department".to_owned(),
                codes::INVALID_DEPARTMENT.to_owned()
            ),
            (
                "identity.birth_country".to_owned(),
                codes::INVALID_COUNTRY.to_owned()
            )
        ]
    );
}

#[test]
fn the_birth_place_is_the_commune_as_written() {
    for place in ["Marseille 3e", "Saint-Denis", "Lyon 1er", "L'Haÿ-les-Roses"] {
        let v = run_embedded(&with("/identity/birth_place", Some(json!(place)))).unwrap();
        assert_eq!(v.identity.birth_place, place);
    }
    assert_eq!(
        run_embedded(&with("/identity/birth_place", Some(json!("3e Marseille")))).unwrap_err(),
        one("identity.birth_place", codes::INVALID_NAME)
    );
}

#[test]
fn birth_fields_and_options_are_changes_the_summary_names() {
    let cat = Catalogue::embedded().unwrap();
    let old = run_embedded(&valid_json()).unwrap();
    let mut new = old.clone();
    new.identity.birth_department = Some("13".into());
    new.options = vec![OptionChoice {
        unit: "EF1".into(),
        language: Some("es".into()),
    }];
    assert_eq!(
        changed_fields(&old, &new),
        ["identity.birth_department", "options"]
    );
    let summary = change_summary_fr(Some(&old), &new, &cat);
    assert!(
        summary.contains("- Département de naissance : (non renseigné) → 13"),
        "{summary}"
    );
    assert!(
        summary.contains(
            "- Épreuves facultatives : aucune → EF1 – Langue vivante (autre que celle de l'épreuve EG5), en espagnol (es)"
        ),
        "{summary}"
    );
    // The order of the options is not a change.
    let mut two = new.clone();
    two.options.push(OptionChoice {
        unit: "EF2".into(),
        language: None,
    });
    let mut reversed = two.clone();
    reversed.options.reverse();
    assert!(changes_nothing(&two, &reversed));
    // A creation lists them when given, and not otherwise.
    assert!(change_summary_fr(None, &new, &cat).contains("- Épreuves facultatives : EF1"));
    let plain = change_summary_fr(None, &old, &cat);
    assert!(!plain.contains("Épreuves facultatives") && !plain.contains("Département"));
}
