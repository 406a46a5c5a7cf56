//! The PDF's unit tests (the bytes of whole documents are checked by
//! `tests/pdf.rs` and the golden snapshots).

use super::fonts::{clean, faces};
use super::layout::Layout;
use super::style::{Weight, BODY_STYLE};

#[test]
fn clean_normalises_and_keeps_french_spaces() {
    // "e" + combining acute becomes "é"; tabs and newlines become spaces.
    assert_eq!(clean("Le\u{301}a\tB\nC"), "Léa B C");
    assert_eq!(clean("14,5\u{a0}€ a\u{202f}:"), "14,5\u{a0}€ a\u{202f}:");
    assert_eq!(clean("in\u{ad}vi\u{200b}sible\u{feff}"), "invisible");
}

#[test]
fn wrap_never_loses_a_character() {
    let faces = faces().expect("fonts");
    let layout = Layout::new(faces);
    let text = "Zoé-Anaïs-Marie-Clémentine-Éléonore-Œdipe-Ærø d’Artagnan \
                    adresse.tres.longue.sans.espace@exemple-de-domaine-interminable.fr \
                    Ça ira";
    for max in [20.0, 60.0, 150.0, 400.0] {
        let lines = layout.wrap(BODY_STYLE, text, max);
        for line in &lines {
            let w = layout.width(BODY_STYLE, line);
            // A single glyph may exceed an absurdly narrow column.
            assert!(
                w <= max + 0.01 || line.chars().count() == 1,
                "{line} {w} > {max}"
            );
        }
        let joined: String = lines.concat().chars().filter(|c| *c != ' ').collect();
        let expected: String = text.chars().filter(|c| *c != ' ').collect();
        assert_eq!(joined, expected, "at {max} pt");
    }
    assert_eq!(layout.wrap(BODY_STYLE, "", 100.0), vec![String::new()]);
}

#[test]
fn unknown_characters_print_as_replacement() {
    let faces = faces().expect("fonts");
    let layout = Layout::new(faces);
    // U+4E2D (CJK) is not in DejaVu Sans.
    assert_eq!(
        layout.printable(Weight::Regular, "a\u{4e2d}b"),
        "a\u{fffd}b"
    );
    assert_eq!(
        layout.printable(Weight::Bold, "Œdipe Ærø « ça »"),
        "Œdipe Ærø « ça »"
    );
}
