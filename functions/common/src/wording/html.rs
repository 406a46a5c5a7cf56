//! Text placed in HTML (the portal's pages, the emails' HTML part).

/// `text` with the five characters HTML gives a meaning escaped, so that it
/// reads as written in an element's content or a quoted attribute.
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_five_special_characters_are_escaped_and_nothing_else() {
        assert_eq!(
            escape_html(r#"<a href="x">Zoé & l'été</a>"#),
            "&lt;a href=&quot;x&quot;&gt;Zoé &amp; l&#39;été&lt;/a&gt;"
        );
        assert_eq!(escape_html("Aix-Marseille 2022"), "Aix-Marseille 2022");
        assert_eq!(escape_html("&amp;"), "&amp;amp;");
        assert_eq!(escape_html(""), "");
    }
}
