//! The candidate number (« numéro de candidat »): the dossier's short id
//! within a session, such as `K7M2-9QXP`.
//!
//! It is random, not counted: 8 symbols of Crockford's base32 (no `I`, `L`,
//! `O`, `U`, so that it reads aloud and copies without mistakes), 40 bits.
//! A counter would be one hot item every creation writes, and its gaps after
//! failed transactions would be questioned; a random code needs no shared
//! state. (The first code tried for a dossier is a hash of the session and
//! the address, see [`CandidateNumber::first_choice`]; retries are random.)
//! Uniqueness within the session is a guard item written with
//! `attribute_not_exists` in the creation's own transaction (see
//! `records::numbers`): a collision (with 34,000 dossiers in a session, about
//! one chance in 2,000 that it happens once at all) fails that transaction,
//! which the write path tries again with a new code. Pure but for
//! [`CandidateNumber::random`]: the random bits may be handed in.

use std::fmt;

use sha2::{Digest, Sha256};

/// Crockford's base32 alphabet.
const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
const SYMBOLS: usize = 8;

/// A well-formed candidate number: `XXXX-XXXX` in Crockford's base32.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CandidateNumber(String);

impl CandidateNumber {
    /// The number made of the low 40 bits of `random`.
    pub fn from_random(random: u64) -> Self {
        let mut text = String::with_capacity(SYMBOLS + 1);
        for i in 0..SYMBOLS {
            if i == SYMBOLS / 2 {
                text.push('-');
            }
            let shift = 5 * (SYMBOLS - 1 - i);
            text.push(char::from(ALPHABET[((random >> shift) & 31) as usize]));
        }
        Self(text)
    }

    /// A fresh random number.
    pub fn random() -> Self {
        Self::from_random(rand::random())
    }

    /// The number first tried for the dossier of `email` in `session`: a
    /// hash of both, as evenly spread as a random draw, but the same for the
    /// same address, so that a scripted journey prints the same number (and
    /// the same PDF) on every run and backend. A retry after a collision
    /// takes [`CandidateNumber::random`].
    pub fn first_choice(session: &str, email: &str) -> Self {
        let digest = Sha256::new()
            .chain_update(b"examreg candidate number\0")
            .chain_update(session.as_bytes())
            .chain_update(b"\0")
            .chain_update(email.to_lowercase().as_bytes())
            .finalize();
        let mut bytes = [0u8; 8];
        bytes.copy_from_slice(&digest[..8]);
        Self::from_random(u64::from_be_bytes(bytes))
    }

    /// Reads a number as an agent may type it: any case, with or without
    /// the dash or spaces, and the letters Crockford reads as digits (`O` for
    /// `0`, `I` and `L` for `1`). `None` when it cannot be a number.
    pub fn parse(text: &str) -> Option<Self> {
        let mut symbols = String::with_capacity(SYMBOLS);
        for c in text.chars().filter(|c| !matches!(c, '-' | ' ')) {
            let c = match c.to_ascii_uppercase() {
                'O' => '0',
                'I' | 'L' => '1',
                other => other,
            };
            if !ALPHABET.contains(&u8::try_from(c).ok()?) {
                return None;
            }
            symbols.push(c);
        }
        if symbols.len() != SYMBOLS {
            return None;
        }
        let (head, tail) = symbols.split_at(SYMBOLS / 2);
        Some(Self(format!("{head}-{tail}")))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for CandidateNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matches_the_contract(text: &str) -> bool {
        (4..=16).contains(&text.len())
            && text
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '-')
    }

    #[test]
    fn numbers_are_short_unambiguous_and_match_the_contract() {
        for random in [0, 1, u64::MAX, 0x12_3456_789A, rand::random()] {
            let number = CandidateNumber::from_random(random);
            assert!(matches_the_contract(number.as_str()), "{number}");
            assert_eq!(number.as_str().len(), 9);
            assert!(!number.as_str().contains(['I', 'L', 'O', 'U']));
        }
        assert_eq!(CandidateNumber::from_random(0).as_str(), "0000-0000");
        assert_eq!(CandidateNumber::from_random(31).as_str(), "0000-000Z");
    }

    #[test]
    fn the_first_choice_depends_on_the_session_and_the_address_only() {
        let a = CandidateNumber::first_choice("2022", "Zoe@Exemple.fr");
        assert_eq!(a, CandidateNumber::first_choice("2022", "zoe@exemple.fr"));
        assert_ne!(a, CandidateNumber::first_choice("2023", "zoe@exemple.fr"));
        assert_ne!(a, CandidateNumber::first_choice("2022", "luc@exemple.fr"));
        assert!(matches_the_contract(a.as_str()));
    }

    #[test]
    fn a_typed_number_is_read_leniently() {
        let number = CandidateNumber::from_random(0x12_3456_789A);
        assert_eq!(
            CandidateNumber::parse(number.as_str()),
            Some(number.clone())
        );
        let loose = number.as_str().to_lowercase().replace('-', " ");
        assert_eq!(CandidateNumber::parse(&loose), Some(number));
        assert_eq!(
            CandidateNumber::parse("oiL0-0000").map(|n| n.to_string()),
            Some("0110-0000".into())
        );
        for bad in [
            "",
            "ABC",
            "ABCD-EFGH-J",
            "ABCD-EFGU",
            "ABCD_EFGH",
            "ÉBCD-EFGH",
        ] {
            assert_eq!(CandidateNumber::parse(bad), None, "{bad}");
        }
    }
}
