//! Strict JSON bodies: malformed JSON is a 400, an unknown field a 422
//! `unknown_field`, a missing field or a value of the wrong type a 422
//! `validation_failed` naming the field, a body over 64 KiB a 413.
//!
//! Every invalid field is reported at once, not only the first: a value of
//! the wrong type is recorded with its path and replaced (by `null`, or a
//! neutral value of another type when `null` does not fit), an unknown field
//! is recorded and removed, and the body is read again, a bounded number of
//! times, until it fits. [`parse_body`] answers what is left with the errors
//! met on the way, so that the domain validation can still run on the rest
//! and [`merge_errors`] report both lists together (`PUT /inscription`);
//! [`parse_strict`] refuses a body with any such error ([`StrictJson`]).

use axum::body::{to_bytes, Body, Bytes};
use axum::extract::{FromRequest, Request};
use axum::http::header;
use serde::de::{DeserializeOwned, Visitor};
use serde::Deserialize;
use serde_json::Value;
use serde_path_to_error::Segment;

use crate::domain::validation::covers;
use crate::domain::validation::{codes, FieldError};
pub use crate::domain::validation::{merge_errors, Parsed};
use crate::error::AppError;

pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// A field the body type does not have.
pub const UNKNOWN_FIELD: &str = "unknown_field";
/// A value of the wrong JSON type (a number for a text...), or out of its
/// type's range (a negative `version`).
pub const INVALID_TYPE: &str = "invalid_type";
/// A value of the right type its type still refuses (an unknown variant...).
pub const INVALID_VALUE: &str = "invalid_value";

/// How many times a body is read again, fixing one error each time, before
/// giving up on the rest: enough for any form, bounded for any body.
pub const MAX_PARSE_ROUNDS: usize = 64;

/// What stands in, in turn, for a value of the wrong type (or a missing one)
/// until one fits: `null` for the optional fields, else a neutral value.
fn placeholders() -> [Value; 6] {
    [
        Value::Null,
        Value::String(String::new()),
        Value::from(0),
        Value::Bool(false),
        Value::Object(serde_json::Map::new()),
        Value::Array(Vec::new()),
    ]
}

/// A JSON body, deserialised strictly into `T`: any error is the answer.
pub struct StrictJson<T>(pub T);

fn too_large() -> AppError {
    AppError::refused(
        413,
        "payload_too_large",
        "Requête trop volumineuse",
        "Le contenu envoyé dépasse 64 Kio.",
    )
}

fn malformed(reason: &str) -> AppError {
    AppError::refused(
        400,
        "malformed_json",
        "Requête illisible",
        format!("Le contenu envoyé n'est pas du JSON valide ({reason})."),
    )
}

/// The request's body, refused over [`MAX_BODY_BYTES`].
async fn read_body(req: Request) -> Result<Bytes, AppError> {
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|len| len > MAX_BODY_BYTES as u64) {
        return Err(too_large());
    }
    to_bytes(req.into_body(), MAX_BODY_BYTES)
        .await
        .map_err(|_| too_large())
}

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for StrictJson<T> {
    type Rejection = AppError;

    async fn from_request(req: Request, _state: &S) -> Result<Self, Self::Rejection> {
        let bytes = read_body(req).await?;
        parse_strict(&bytes).map(StrictJson)
    }
}

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for Parsed<T> {
    type Rejection = AppError;

    async fn from_request(req: Request, _state: &S) -> Result<Self, Self::Rejection> {
        let bytes = read_body(req).await?;
        parse_body(&bytes)
    }
}

/// Parses `bytes` as `T`, refusing it with every error found: 400
/// `malformed_json`, 422 `unknown_field` (naming every unknown field, and any
/// other invalid one), or 422 `validation_failed` naming every missing field
/// and every value of the wrong type.
pub fn parse_strict<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, AppError> {
    let Parsed { value, errors } = parse_body(bytes)?;
    if errors.is_empty() {
        Ok(value)
    } else {
        Err(AppError::validation(errors))
    }
}

/// Parses `bytes` as `T` as far as it goes: a value of the wrong type is
/// reported in [`Parsed::errors`] and left out of [`Parsed::value`], so the
/// caller can validate the rest and report everything at once (see
/// [`merge_errors`]). Refuses malformed JSON (400), any unknown field (422
/// `unknown_field`, with every unknown field and every other error found),
/// and a body that cannot be read into `T` even so (422 `validation_failed`
/// with every error found, e.g. a required field missing).
pub fn parse_body<T: DeserializeOwned>(bytes: &[u8]) -> Result<Parsed<T>, AppError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(malformed("le corps de la requête est vide"));
    }
    let value: Value = serde_json::from_slice(bytes)
        .map_err(|e| malformed(&format!("ligne {}, colonne {}", e.line(), e.column())))?;
    parse_value(value)
}

/// [`parse_body`] for a JSON value already read (an event rather than a
/// request body): the same refusals, but for malformed JSON.
pub fn parse_value<T: DeserializeOwned>(value: Value) -> Result<Parsed<T>, AppError> {
    if !value.is_object() {
        // Every body is an object (serde would read a struct from an array).
        return Err(AppError::validation(vec![not_an_object()]));
    }
    let (built, found) = collect::<T>(integral_numbers_as_integers(value));
    match built {
        Some(value) if found.unknown.is_empty() => Ok(Parsed {
            value,
            errors: found.invalid,
        }),
        _ if !found.unknown.is_empty() => Err(unknown_fields(found)),
        _ => Err(AppError::validation(found.invalid)),
    }
}

/// `value` with every number written with a fraction but of integral value
/// (`183204.0`, `2e3`) as the integer it is. JSON does not tell the two
/// spellings apart, nor does the OpenAPI document's `integer`: a client (or a
/// fuzzer) may send either, and an integer field must read both alike. Only
/// values exactly representable (below 2^53) are rewritten; `1.5` stays a
/// float, still refused where an integer is expected.
fn integral_numbers_as_integers(value: Value) -> Value {
    const EXACT: f64 = 9_007_199_254_740_992.0; // 2^53
    match value {
        Value::Number(n) if !n.is_i64() && !n.is_u64() => match n.as_f64() {
            Some(f) if f.fract() == 0.0 && f.abs() < EXACT => Value::from(f as i64),
            _ => Value::Number(n),
        },
        Value::Array(items) => items
            .into_iter()
            .map(integral_numbers_as_integers)
            .collect(),
        Value::Object(fields) => Value::Object(
            fields
                .into_iter()
                .map(|(k, v)| (k, integral_numbers_as_integers(v)))
                .collect(),
        ),
        other => other,
    }
}

/// The errors met while reading a body.
#[derive(Default)]
struct Found {
    /// Unknown fields, removed from the body.
    unknown: Vec<FieldError>,
    /// Missing fields and values of the wrong type, replaced in the body.
    invalid: Vec<FieldError>,
}

/// Deserialises `value` as `T` again and again, recording and fixing one
/// error each time: `T` when it could be built, and every error met.
fn collect<T: DeserializeOwned>(mut value: Value) -> (Option<T>, Found) {
    let mut found = Found::default();
    // Paths where a placeholder was put, and the next one to try there.
    let mut replaced: Vec<(Vec<Segment>, usize)> = Vec::new();
    for _ in 0..MAX_PARSE_ROUNDS {
        let error = match serde_path_to_error::deserialize::<_, T>(&value) {
            Ok(built) => return (Some(built), found),
            Err(error) => error,
        };
        let segments: Vec<Segment> = error.path().iter().cloned().collect();
        let message = error.inner().to_string();

        if let Some(rest) = message.strip_prefix("unknown field `") {
            // The path ends with the unknown key itself.
            let key = match segments.last() {
                Some(Segment::Map { key }) if rest.starts_with(&format!("{key}`")) => key.clone(),
                _ => break,
            };
            let parent = &segments[..segments.len() - 1];
            let removed = slot_mut(&mut value, parent)
                .and_then(Value::as_object_mut)
                .and_then(|object| object.remove(&key));
            if removed.is_none() {
                break;
            }
            let full = path_string(&segments);
            found.unknown.push(FieldError::new(
                full,
                UNKNOWN_FIELD,
                "Ce champ n'est pas attendu.",
            ));
            continue;
        }

        // A missing field is reported at its parent's path: name it in full.
        let mut target = segments;
        if let Some(rest) = message.strip_prefix("missing field `") {
            let Some(field) = rest.strip_suffix('`') else {
                break;
            };
            target.push(Segment::Map {
                key: field.to_owned(),
            });
        }
        // The value at `target` is replaced as a whole: what was found
        // inside it (a struct read from an array, element by element) is moot.
        let full = path_string(&target);
        found
            .invalid
            .retain(|e| e.field == full || !covers(&full, &e.field));
        found.unknown.retain(|e| !covers(&full, &e.field));
        if target.is_empty() {
            // The body as a whole is not what is expected (not an object).
            found.invalid.push(not_an_object());
            break;
        }

        // The same path again: the placeholder put there does not fit either.
        let next = match replaced.iter_mut().find(|(p, _)| same_path(p, &target)) {
            Some((_, next)) => next,
            None => {
                let inside_placeholder = replaced.iter().any(|(p, _)| is_within(&target, p));
                if !inside_placeholder && !found.invalid.iter().any(|e| e.field == full) {
                    let message_fr = error_message(&message, &full);
                    found
                        .invalid
                        .push(FieldError::new(full, error_code(&message), message_fr));
                }
                replaced.push((target.clone(), 0));
                &mut replaced.last_mut().expect("just pushed").1
            }
        };
        let Some(placeholder) = placeholders().into_iter().nth(*next) else {
            break;
        };
        *next += 1;
        if !set_at(&mut value, &target, placeholder) {
            break;
        }
    }
    if found.invalid.is_empty() && found.unknown.is_empty() {
        // Not reachable with serde_json's errors; never answer a bare refusal.
        found.invalid.push(FieldError::new(
            "",
            INVALID_TYPE,
            "Le contenu envoyé n'a pas la forme attendue.",
        ));
    }
    (None, found)
}

fn not_an_object() -> FieldError {
    FieldError::new(
        "",
        INVALID_TYPE,
        "Le contenu envoyé doit être un objet JSON, entre accolades { }.",
    )
}

fn unknown_fields(found: Found) -> AppError {
    let names: Vec<String> = found
        .unknown
        .iter()
        .map(|e| format!("« {} »", e.field))
        .collect();
    let (title, detail) = match names.as_slice() {
        [one] => (
            "Champ inconnu",
            format!("Le champ {one} n'est pas attendu ici."),
        ),
        [init @ .., last] => (
            "Champs inconnus",
            format!(
                "Les champs {} et {last} ne sont pas attendus ici.",
                init.join(", ")
            ),
        ),
        [] => (
            "Champ inconnu",
            "Un champ n'est pas attendu ici.".to_owned(),
        ),
    };
    let mut errors = found.unknown;
    errors.extend(found.invalid);
    AppError::refused(422, "unknown_field", title, detail).with_errors(errors)
}

/// The dotted path of `segments`, with indices for arrays: `identity.phone`,
/// `acquis[0].grade`; empty for the body itself.
fn path_string(segments: &[Segment]) -> String {
    let mut path = String::new();
    for segment in segments {
        match segment {
            Segment::Seq { index } => path.push_str(&format!("[{index}]")),
            Segment::Map { key } | Segment::Enum { variant: key } => {
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(key);
            }
            Segment::Unknown => {
                if !path.is_empty() {
                    path.push('.');
                }
                path.push('?');
            }
        }
    }
    path
}

fn same_segment(a: &Segment, b: &Segment) -> bool {
    match (a, b) {
        (Segment::Seq { index: a }, Segment::Seq { index: b }) => a == b,
        (Segment::Map { key: a }, Segment::Map { key: b }) => a == b,
        (Segment::Enum { variant: a }, Segment::Enum { variant: b }) => a == b,
        _ => false,
    }
}

fn same_path(a: &[Segment], b: &[Segment]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(a, b)| same_segment(a, b))
}

/// Whether `inner` is strictly under `outer`.
fn is_within(inner: &[Segment], outer: &[Segment]) -> bool {
    inner.len() > outer.len() && same_path(&inner[..outer.len()], outer)
}

/// The value at `segments`, if it is there.
fn slot_mut<'a>(value: &'a mut Value, segments: &[Segment]) -> Option<&'a mut Value> {
    segments
        .iter()
        .try_fold(value, |value, segment| match segment {
            Segment::Map { key } => value.as_object_mut()?.get_mut(key),
            Segment::Seq { index } => value.as_array_mut()?.get_mut(*index),
            Segment::Enum { .. } | Segment::Unknown => None,
        })
}

/// Puts `new` at `segments` (adding the key to its object if missing);
/// false when that place is not in `value`.
fn set_at(value: &mut Value, segments: &[Segment], new: Value) -> bool {
    let Some((last, parent)) = segments.split_last() else {
        return false;
    };
    let Some(parent) = slot_mut(value, parent) else {
        return false;
    };
    match (last, parent) {
        (Segment::Map { key }, Value::Object(object)) => {
            object.insert(key.clone(), new);
            true
        }
        (Segment::Seq { index }, Value::Array(items)) => match items.get_mut(*index) {
            Some(slot) => {
                *slot = new;
                true
            }
            None => false,
        },
        _ => false,
    }
}

fn error_code(message: &str) -> &'static str {
    if message.starts_with("missing field") {
        codes::REQUIRED
    } else if message.starts_with("invalid type")
        || message.starts_with("invalid value")
        || message.starts_with("invalid length")
    {
        INVALID_TYPE
    } else {
        // `unknown variant`, or a value the type itself refuses (a date...).
        INVALID_VALUE
    }
}

/// A French sentence for serde's `message` about the field at `path`.
fn error_message(message: &str, path: &str) -> String {
    if message.starts_with("missing field") {
        return format!("Le champ « {path} » est obligatoire.");
    }
    if message.starts_with("unknown variant") {
        return "Cette valeur n'est pas l'une de celles acceptées.".into();
    }
    let expected = message
        .rsplit_once(", expected ")
        .map(|(_, expected)| expected.trim());
    let wrong = message.starts_with("invalid type")
        || message.starts_with("invalid value")
        || message.starts_with("invalid length");
    match expected {
        Some(expected) if wrong => expected_fr(expected).into(),
        _ => "Cette valeur n'est pas acceptée.".into(),
    }
}

/// What serde says it expected, as a French sentence.
fn expected_fr(expected: &str) -> &'static str {
    match expected {
        "a string" | "a borrowed string" | "a character" => {
            "Cette valeur doit être un texte, entre guillemets."
        }
        "u8" | "u16" | "u32" | "u64" | "u128" | "usize" => {
            "Cette valeur doit être un nombre entier positif ou nul, sans guillemets."
        }
        "i8" | "i16" | "i32" | "i64" | "i128" | "isize" => {
            "Cette valeur doit être un nombre entier, sans guillemets."
        }
        "f32" | "f64" => "Cette valeur doit être un nombre, sans guillemets (par exemple 12.5).",
        "a boolean" => "Cette valeur doit être true (oui) ou false (non), sans guillemets.",
        "a sequence" => "Cette valeur doit être une liste, entre crochets [ ].",
        e if e == "a map" || e.starts_with("struct ") => {
            "Cette valeur doit être un objet, entre accolades { }."
        }
        _ => "Cette valeur n'est pas du type attendu (texte, nombre, booléen ou liste).",
    }
}

/// The names serde gives `T`'s parts, in their order of declaration: a
/// struct's fields, or an enum's variants (as written in JSON, renames
/// applied); empty for any other type. Messages that list what is accepted
/// derive it from the type this way rather than from a list typed beside it.
pub fn serde_names<T: Deserialize<'static>>() -> &'static [&'static str] {
    match T::deserialize(NameReader) {
        Err(Names(names)) => names,
        Ok(_) => &[],
    }
}

/// What [`NameReader`] answers instead of a value: the names it was given.
#[derive(Debug)]
struct Names(&'static [&'static str]);

impl std::fmt::Display for Names {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}", self.0)
    }
}

impl std::error::Error for Names {}

impl serde::de::Error for Names {
    fn custom<M: std::fmt::Display>(_: M) -> Self {
        Names(&[])
    }
}

/// A deserializer that reads no value: it stops at the names a derived
/// `Deserialize` hands it (`deserialize_struct`'s fields,
/// `deserialize_enum`'s variants).
struct NameReader;

impl<'de> serde::Deserializer<'de> for NameReader {
    type Error = Names;

    fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Names> {
        Err(Names(&[]))
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        fields: &'static [&'static str],
        _: V,
    ) -> Result<V::Value, Names> {
        Err(Names(fields))
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _: &'static str,
        variants: &'static [&'static str],
        _: V,
    ) -> Result<V::Value, Names> {
        Err(Names(variants))
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf option unit unit_struct newtype_struct seq tuple
        tuple_struct map identifier ignored_any
    }
}

/// An empty body for routes that take none, still refusing oversize ones.
pub async fn drain(body: Body) -> Result<(), AppError> {
    to_bytes(body, MAX_BODY_BYTES)
        .await
        .map(|_| ())
        .map_err(|_| too_large())
}

#[cfg(test)]
mod tests {
    use axum::extract::FromRequest;
    use chrono::NaiveDate;
    use serde::Deserialize;
    use serde_json::json;

    use super::*;
    use crate::domain::catalogue::Catalogue;
    use crate::domain::inscription::{validate, InscriptionInput, ValidationContext};
    use crate::services::accounts::{Credentials, EmailOnly, NewPassword, TokenOnly};
    use crate::services::documents::UploadRequestInput;

    fn inscription_body() -> Value {
        crate::testkit::cap_cuisine_inscription(0)
    }

    fn bytes(body: &Value) -> Vec<u8> {
        body.to_string().into_bytes()
    }

    /// What `PUT /inscription` reports for `body`: the parsing's errors
    /// merged with the validation's, or the refusal of the parsing itself.
    fn inscription_errors(body: &Value) -> Result<Vec<FieldError>, AppError> {
        let parsed = parse_body::<InscriptionInput>(&bytes(body))?;
        let catalogue = Catalogue::embedded().unwrap();
        let ctx = ValidationContext {
            catalogue: &catalogue,
            session_year: 2022,
            today: NaiveDate::from_ymd_opt(2021, 11, 20).unwrap(),
        };
        Ok(merge_errors(parsed.errors, validate(&parsed.value, &ctx))
            .err()
            .unwrap_or_default())
    }

    fn fields(errors: &[FieldError]) -> Vec<(&str, &str)> {
        errors
            .iter()
            .map(|e| (e.field.as_str(), e.code.as_str()))
            .collect()
    }

    fn refusal(error: &AppError) -> (u16, &'static str, &[FieldError]) {
        match error {
            AppError::Refused {
                status,
                code,
                errors,
                ..
            } => (*status, *code, errors),
            other => panic!("not a refusal: {other:?}"),
        }
    }

    #[test]
    fn the_valid_body_validates() {
        assert_eq!(inscription_errors(&inscription_body()).unwrap(), vec![]);
        let parsed = parse_body::<InscriptionInput>(&bytes(&inscription_body())).unwrap();
        assert!(parsed.errors.is_empty());
        assert_eq!(
            parse_strict::<InscriptionInput>(&bytes(&inscription_body())).unwrap(),
            parsed.value
        );
    }

    #[test]
    fn type_errors_do_not_hide_the_other_invalid_fields() {
        // The audit's body: two numbers for texts, an empty name, a text for the version.
        let mut body = inscription_body();
        body["identity"]["birth_date"] = json!(20000517);
        body["identity"]["phone"] = json!(612345678);
        body["identity"]["last_name"] = json!("");
        body["version"] = json!("0");

        let parsed = parse_body::<InscriptionInput>(&bytes(&body)).unwrap();
        let identity = parsed.value.identity.as_ref().unwrap();
        assert_eq!(identity.birth_date, None);
        assert_eq!(identity.phone, None);
        assert_eq!(identity.last_name.as_deref(), Some(""));
        assert_eq!(identity.first_names.as_deref(), Some("Zoé Anaïs"));
        assert_eq!(parsed.value.version, None);
        assert_eq!(
            fields(&parsed.errors),
            vec![
                ("identity.birth_date", INVALID_TYPE),
                ("identity.phone", INVALID_TYPE),
                ("version", INVALID_TYPE),
            ]
        );

        let errors = inscription_errors(&body).unwrap();
        let found = fields(&errors);
        assert_eq!(found.len(), 4, "{errors:#?}");
        assert_eq!(found[0], ("identity.last_name", codes::REQUIRED));
        for expected in [
            ("identity.birth_date", INVALID_TYPE),
            ("identity.phone", INVALID_TYPE),
            ("version", INVALID_TYPE),
        ] {
            assert!(found.contains(&expected), "{expected:?} in {found:?}");
        }
        // In the form's order, once each, each with a French sentence.
        assert_eq!(
            found.iter().map(|f| f.0).collect::<Vec<_>>(),
            [
                "identity.last_name",
                "identity.birth_date",
                "identity.phone",
                "version"
            ]
        );
        let message = |field: &str| {
            errors
                .iter()
                .find(|e| e.field == field)
                .map(|e| e.message.clone())
                .unwrap()
        };
        assert_eq!(
            message("identity.birth_date"),
            "Cette valeur doit être un texte, entre guillemets."
        );
        assert_eq!(
            message("version"),
            "Cette valeur doit être un nombre entier positif ou nul, sans guillemets."
        );

        // And the strict parser refuses it with the three type errors at once.
        let error = parse_strict::<InscriptionInput>(&bytes(&body)).unwrap_err();
        let (status, code, errors) = refusal(&error);
        assert_eq!((status, code, errors.len()), (422, "validation_failed", 3));
    }

    #[test]
    fn every_kind_of_wrong_value_is_reported_with_the_rest() {
        let mut body = inscription_body();
        body["diploma"] = json!(5);
        body["identity"]["address"] = json!("12 rue de la République");
        body["identity"]["nationality"] = json!(["FR"]);
        body["disability"]["declared"] = json!("oui");
        body["acquis"] = json!([
            5,
            { "unit": "EP1", "type": "benefit", "grade": "12,5", "year": 2020 },
            { "unit": "EP2", "type": "dispense", "year": "2019" }
        ]);
        body["identity"]["first_names"] = json!("R2-D2");
        let errors = inscription_errors(&body).unwrap();
        let found = fields(&errors);
        for expected in [
            ("diploma", INVALID_TYPE),
            ("identity.first_names", "invalid_name"),
            ("identity.nationality", INVALID_TYPE),
            ("identity.address", INVALID_TYPE),
            ("disability.declared", INVALID_TYPE),
            ("acquis[0]", INVALID_TYPE),
            ("acquis[1].grade", INVALID_TYPE),
            ("acquis[2].year", INVALID_TYPE),
        ] {
            assert!(found.contains(&expected), "{expected:?} in {found:#?}");
        }
        // A type error stands for the validation's errors on its path and under it.
        for (field, _) in &found {
            assert_eq!(
                found.iter().filter(|(f, _)| f == field).count(),
                1,
                "{field} once in {found:#?}"
            );
            assert!(
                !field.starts_with("identity.address.") && !field.starts_with("acquis[0]."),
                "{field} is under a wrong value: {found:#?}"
            );
        }
        assert!(errors.iter().all(|e| !e.message.is_empty()));
    }

    #[test]
    fn a_missing_field_is_named_by_its_full_path() {
        for (body, field) in [
            (json!({ "email": "a@b.fr" }), "password"),
            (json!({ "password": "x" }), "email"),
        ] {
            let error = parse_strict::<Credentials>(&bytes(&body)).unwrap_err();
            let (status, code, errors) = refusal(&error);
            assert_eq!((status, code), (422, "validation_failed"));
            assert_eq!(fields(errors), vec![(field, codes::REQUIRED)]);
            assert_eq!(
                errors[0].message,
                format!("Le champ « {field} » est obligatoire.")
            );
        }
        let error = parse_strict::<TokenOnly>(b"{}").unwrap_err();
        assert_eq!(fields(refusal(&error).2), vec![("token", codes::REQUIRED)]);
        let error = parse_strict::<EmailOnly>(b"{}").unwrap_err();
        assert_eq!(fields(refusal(&error).2), vec![("email", codes::REQUIRED)]);
        // Every one at once.
        let error = parse_strict::<NewPassword>(b"{}").unwrap_err();
        assert_eq!(
            fields(refusal(&error).2),
            vec![("token", codes::REQUIRED), ("password", codes::REQUIRED)]
        );
        let error = parse_strict::<Credentials>(br#"{"email": 5}"#).unwrap_err();
        assert_eq!(
            fields(refusal(&error).2),
            vec![("email", INVALID_TYPE), ("password", codes::REQUIRED)]
        );

        // Nested, and inside arrays.
        #[derive(Deserialize, Debug)]
        #[serde(deny_unknown_fields)]
        #[allow(dead_code)]
        struct Address {
            city: String,
            line2: Option<String>,
        }
        #[derive(Deserialize, Debug)]
        #[serde(deny_unknown_fields)]
        #[allow(dead_code)]
        struct Identity {
            address: Address,
            phones: Vec<Address>,
        }
        #[derive(Deserialize, Debug)]
        #[serde(deny_unknown_fields)]
        #[allow(dead_code)]
        struct Form {
            identity: Identity,
        }
        let body =
            json!({ "identity": { "address": { "line2": 3 }, "phones": [{}, { "city": "Aix" }] } });
        let error = parse_strict::<Form>(&bytes(&body)).unwrap_err();
        assert_eq!(
            fields(refusal(&error).2),
            vec![
                ("identity.address.line2", INVALID_TYPE),
                ("identity.address.city", codes::REQUIRED),
                ("identity.phones[0].city", codes::REQUIRED),
            ]
        );
    }

    #[test]
    fn unknown_fields_are_still_refused_and_all_named() {
        let mut body = inscription_body();
        body["identity"]["surnom"] = json!("Zozo");
        let error = parse_body::<InscriptionInput>(&bytes(&body)).unwrap_err();
        let (status, code, errors) = refusal(&error);
        assert_eq!((status, code), (422, UNKNOWN_FIELD));
        assert_eq!(fields(errors), vec![("identity.surnom", UNKNOWN_FIELD)]);
        assert!(error.message().contains("« identity.surnom »"));

        body["admin"] = json!(true);
        body["acquis"] = json!([{ "unit": "EP1", "type": "dispense", "year": 2019, "note": 1 }]);
        body["version"] = json!("1");
        let error = parse_strict::<InscriptionInput>(&bytes(&body)).unwrap_err();
        let (status, code, errors) = refusal(&error);
        assert_eq!((status, code), (422, UNKNOWN_FIELD));
        let found = fields(errors);
        for expected in [
            ("admin", UNKNOWN_FIELD),
            ("acquis[0].note", UNKNOWN_FIELD),
            ("identity.surnom", UNKNOWN_FIELD),
            ("version", INVALID_TYPE),
        ] {
            assert!(found.contains(&expected), "{expected:?} in {found:?}");
        }
        assert_eq!(found[0].1, UNKNOWN_FIELD);
        let detail = error.message();
        assert!(detail.starts_with("Les champs « "), "{detail}");
        assert!(detail.ends_with(" ne sont pas attendus ici."), "{detail}");

        let error = parse_strict::<Credentials>(&bytes(
            &json!({ "email": "a@b.fr", "password": "x", "admin": true }),
        ))
        .unwrap_err();
        assert_eq!(refusal(&error).1, UNKNOWN_FIELD);
        assert_eq!(error.message(), "Le champ « admin » n'est pas attendu ici.");
    }

    #[test]
    fn an_integral_number_reads_as_an_integer_whatever_its_spelling() {
        let input = parse_strict::<UploadRequestInput>(
            br#"{"content_type": "image/png", "size_bytes": 837820.0}"#,
        )
        .unwrap();
        assert_eq!(input.size_bytes, Some(837_820));
        let input = parse_strict::<UploadRequestInput>(br#"{"size_bytes": 2e3}"#).unwrap();
        assert_eq!(input.size_bytes, Some(2000));
        for fraction in [&br#"{"size_bytes": 1.5}"#[..], br#"{"size_bytes": -1.0}"#] {
            let error = parse_strict::<UploadRequestInput>(fraction).unwrap_err();
            assert_eq!(
                fields(refusal(&error).2),
                vec![("size_bytes", INVALID_TYPE)]
            );
        }
        // A float field still takes an integer-valued grade.
        let mut body = inscription_body();
        body["acquis"] = json!([{"unit": "EP1", "type": "benefit", "grade": 12.0, "year": 2020.0}]);
        assert_eq!(inscription_errors(&body).unwrap(), vec![]);
    }

    #[test]
    fn malformed_and_wrongly_shaped_bodies() {
        for body in [&b""[..], b"  \n", b"{\"email\": ", b"{,}", b"nul"] {
            let error = parse_body::<InscriptionInput>(body).unwrap_err();
            assert_eq!(refusal(&error).0, 400, "{body:?}");
            assert_eq!(refusal(&error).1, "malformed_json");
            assert!(refusal(&error).2.is_empty());
        }
        for body in [&b"5"[..], b"[]", b"null", b"\"x\""] {
            let error = parse_body::<InscriptionInput>(body).unwrap_err();
            let (status, code, errors) = refusal(&error);
            assert_eq!((status, code), (422, "validation_failed"), "{body:?}");
            assert_eq!(errors.len(), 1);
            assert_eq!(errors[0].field, "");
            assert!(errors[0].message.contains("objet JSON"));
        }
        // serde reads a struct from an array too: still one error, for the
        // value as a whole.
        for body in [&br#"["a@b.fr"]"#[..], br#"[5]"#, br#"[[], {}]"#] {
            let error = parse_strict::<Credentials>(body).unwrap_err();
            assert_eq!(
                fields(refusal(&error).2),
                vec![("", INVALID_TYPE)],
                "{body:?}"
            );
        }
        let mut body = inscription_body();
        body["identity"] = json!([5, "x"]);
        let errors = inscription_errors(&body).unwrap();
        assert_eq!(fields(&errors), vec![("identity", INVALID_TYPE)]);
        assert_eq!(
            errors[0].message,
            "Cette valeur doit être un objet, entre accolades { }."
        );
        // An empty object is the validation's to refuse, field by field.
        let errors = inscription_errors(&json!({})).unwrap();
        assert!(fields(&errors).contains(&("version", codes::REQUIRED)));
        assert!(fields(&errors).contains(&("diploma", codes::REQUIRED)));
    }

    #[test]
    fn the_upload_body_names_its_field() {
        let error =
            parse_strict::<UploadRequestInput>(br#"{"content_type": 1, "size_bytes": "10"}"#)
                .unwrap_err();
        assert_eq!(
            fields(refusal(&error).2),
            vec![("content_type", INVALID_TYPE), ("size_bytes", INVALID_TYPE)]
        );
        let error = parse_strict::<UploadRequestInput>(br#"{"size_bytes": -1}"#).unwrap_err();
        assert_eq!(
            fields(refusal(&error).2),
            vec![("size_bytes", INVALID_TYPE)]
        );
    }

    #[test]
    fn the_rounds_are_bounded() {
        // Far more wrong values than rounds: some are reported, never a hang or a panic.
        let mut body = inscription_body();
        body["acquis"] = Value::Array(
            (0..500)
                .map(|i| json!({ "unit": i, "type": "benefit", "grade": "12", "year": "2020" }))
                .collect(),
        );
        let error = parse_strict::<InscriptionInput>(&bytes(&body)).unwrap_err();
        let (status, code, errors) = refusal(&error);
        assert_eq!((status, code), (422, "validation_failed"));
        assert!(!errors.is_empty() && errors.len() <= MAX_PARSE_ROUNDS);
        assert!(errors.iter().all(|e| e.field.starts_with("acquis[")));

        // A deep body is still classified.
        let deep = format!("{}1{}", "[".repeat(100), "]".repeat(100));
        let error = parse_body::<InscriptionInput>(deep.as_bytes()).unwrap_err();
        assert_eq!(refusal(&error).0, 422);
    }

    #[test]
    fn merging_keeps_the_validation_order_and_lets_type_errors_win() {
        let e = |field: &str, code: &str| FieldError::new(field, code, "m");
        let parsed = vec![
            e("identity.phone", INVALID_TYPE),
            e("identity.address", INVALID_TYPE),
            e("acquis[1].grade", INVALID_TYPE),
            e("version", INVALID_TYPE),
        ];
        let checked: Result<(), _> = Err(vec![
            e("identity.last_name", codes::REQUIRED),
            e("identity.address.line1", codes::REQUIRED),
            e("identity.address.city", codes::REQUIRED),
            e("identity.addressee", codes::REQUIRED),
            e("identity.phone", codes::REQUIRED),
            e("acquis[10].grade", "invalid_grade"),
            e("version", codes::REQUIRED),
        ]);
        let merged = merge_errors(parsed.clone(), checked).unwrap_err();
        assert_eq!(
            fields(&merged),
            vec![
                ("identity.last_name", codes::REQUIRED),
                ("identity.address", INVALID_TYPE),
                ("identity.addressee", codes::REQUIRED),
                ("identity.phone", INVALID_TYPE),
                ("acquis[10].grade", "invalid_grade"),
                ("version", INVALID_TYPE),
                ("acquis[1].grade", INVALID_TYPE),
            ]
        );
        // A valid rest is still refused for the type errors, and nothing else.
        assert_eq!(merge_errors(parsed.clone(), Ok(())).unwrap_err(), parsed);
        assert_eq!(merge_errors(Vec::new(), Ok(1)), Ok(1));
        assert!(covers("", "anything"));
        assert!(covers("acquis[0]", "acquis[0].grade"));
        assert!(!covers("acquis[1]", "acquis[10]"));
    }

    #[test]
    fn serde_names_reads_fields_and_variants_from_the_types() {
        assert_eq!(serde_names::<Credentials>(), ["email", "password"]);
        #[derive(Deserialize)]
        #[serde(rename_all = "snake_case")]
        #[allow(dead_code)]
        enum Colour {
            DeepBlue,
            Red,
        }
        assert_eq!(serde_names::<Colour>(), ["deep_blue", "red"]);
        assert!(serde_names::<String>().is_empty());
        assert!(serde_names::<Option<Credentials>>().is_empty());
    }

    #[test]
    fn a_value_is_parsed_as_strictly_as_a_body() {
        let parsed =
            parse_value::<Credentials>(json!({"email": "a@b.fr", "password": "x"})).unwrap();
        assert_eq!(parsed.value.email, "a@b.fr");
        let error =
            parse_value::<Credentials>(json!({"email": "a@b.fr", "password": "x", "admin": 1}))
                .err()
                .unwrap();
        assert_eq!(fields(refusal(&error).2), vec![("admin", UNKNOWN_FIELD)]);
        let error = parse_value::<Credentials>(json!([1])).err().unwrap();
        assert_eq!(fields(refusal(&error).2), vec![("", INVALID_TYPE)]);
    }

    fn request(body: Vec<u8>) -> Request {
        Request::builder()
            .method("POST")
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body))
            .unwrap()
    }

    #[tokio::test]
    async fn the_extractors_refuse_oversize_bodies() {
        let big = format!("{{\"email\": \"{}\"}}", "a".repeat(MAX_BODY_BYTES));
        let error = StrictJson::<EmailOnly>::from_request(request(big.clone().into_bytes()), &())
            .await
            .err()
            .unwrap();
        assert_eq!(refusal(&error).1, "payload_too_large");
        let error = Parsed::<InscriptionInput>::from_request(request(big.into_bytes()), &())
            .await
            .err()
            .unwrap();
        assert_eq!(
            (refusal(&error).0, refusal(&error).1),
            (413, "payload_too_large")
        );

        let mut body = inscription_body();
        body["version"] = json!("0");
        let parsed = Parsed::<InscriptionInput>::from_request(request(bytes(&body)), &())
            .await
            .unwrap();
        assert_eq!(fields(&parsed.errors), vec![("version", INVALID_TYPE)]);
        let StrictJson(credentials) = StrictJson::<Credentials>::from_request(
            request(bytes(&json!({ "email": "a@b.fr", "password": "x" }))),
            &(),
        )
        .await
        .unwrap();
        assert_eq!(credentials.email, "a@b.fr");
    }
}
