//! The language work of full-text search, done once in Rust for both
//! backends: accents fold (`développeurs` → `developpeurs`), case folds,
//! and each word is reduced to its French Snowball stem (`concertations` →
//! `concert`). Documents and queries go through the same steps, and each
//! engine only indexes and matches the resulting terms (ASCII letters and
//! digits), so both find the same publications.

use std::sync::LazyLock;

use rust_stemmers::{Algorithm, Stemmer};

static FRENCH: LazyLock<Stemmer> = LazyLock::new(|| Stemmer::create(Algorithm::French));

/// The longest search a list takes, in characters.
pub const MAX_QUERY_LENGTH: usize = 200;

/// The terms of a text, in order.
pub fn terms(text: &str) -> Vec<String> {
    let folded = deunicode::deunicode(text).to_ascii_lowercase();
    folded
        .split(|character: char| !character.is_ascii_alphanumeric())
        .filter(|word| !word.is_empty())
        .map(|word| FRENCH.stem(word).into_owned())
        .collect()
}

/// The text of an HTML body: tags and character references become spaces.
pub fn html_text(html: &str) -> String {
    let mut text = String::with_capacity(html.len());
    let mut in_tag = false;
    let mut in_reference = false;
    for character in html.chars() {
        match character {
            '<' => in_tag = true,
            '>' if in_tag => {
                in_tag = false;
                text.push(' ');
            }
            '&' if !in_tag => in_reference = true,
            ';' if in_reference => {
                in_reference = false;
                text.push(' ');
            }
            _ if in_tag => {}
            _ if in_reference && !character.is_ascii_alphanumeric() && character != '#' => {
                in_reference = false;
                text.push(character);
            }
            _ if in_reference => {}
            _ => text.push(character),
        }
    }
    text
}

/// The key a title sorts by: folded, lowercase, words separated by one space.
pub fn sort_key(title: &str) -> String {
    deunicode::deunicode(title)
        .to_ascii_lowercase()
        .split(|character: char| !character.is_ascii_alphanumeric())
        .filter(|word| !word.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// What the index holds for one publication.
pub struct Document {
    pub title_terms: String,
    pub all_terms: String,
}

impl Document {
    pub fn new(title: &str, summary: &str, body: &str) -> Self {
        let title_terms = terms(title).join(" ");
        let mut all_terms = title_terms.clone();
        for more in [terms(summary), terms(&html_text(body))] {
            if !more.is_empty() {
                all_terms.push(' ');
                all_terms.push_str(&more.join(" "));
            }
        }
        Self { title_terms, all_terms }
    }
}

/// A parsed `q`: every group must match; a group of several terms is a
/// phrase, its terms adjacent and in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SearchQuery {
    pub groups: Vec<Vec<String>>,
}

impl SearchQuery {
    /// Words are combined with AND; `"quoted words"` form a phrase. `None`
    /// when nothing searchable is left.
    pub fn parse(q: &str) -> Option<Self> {
        let mut groups = Vec::new();
        for (index, part) in q.split('"').enumerate() {
            let part_terms = terms(part);
            if index % 2 == 1 {
                if !part_terms.is_empty() {
                    groups.push(part_terms);
                }
            } else {
                groups.extend(part_terms.into_iter().map(|term| vec![term]));
            }
        }
        groups.dedup();
        (!groups.is_empty()).then_some(Self { groups })
    }

    /// The query in FTS5's syntax, restricted to `column`.
    pub fn to_fts5(&self, column: &str) -> String {
        let phrases: Vec<String> =
            self.groups.iter().map(|group| format!("{column} : \"{}\"", group.join(" "))).collect();
        phrases.join(" AND ")
    }

    /// The query in PostgreSQL's `tsquery` syntax.
    pub fn to_tsquery(&self) -> String {
        let phrases: Vec<String> = self
            .groups
            .iter()
            .map(|group| {
                let quoted: Vec<String> = group.iter().map(|term| format!("'{term}'")).collect();
                format!("({})", quoted.join(" <-> "))
            })
            .collect();
        phrases.join(" & ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accents_case_and_inflections_fold_to_the_same_terms() {
        assert_eq!(terms("développeurs"), terms("DEVELOPPEURS"));
        assert_eq!(terms("Développeurs"), terms("developpeur"));
        assert_eq!(terms("concertations"), terms("concertation"));
        assert_eq!(terms("L’été, œuvres!"), ["l", "ete", "oeuvr"]);
    }

    #[test]
    fn queries_have_words_and_phrases() {
        let query = SearchQuery::parse(r#"IA "ayants droit" concertation"#).unwrap();
        assert_eq!(
            query.groups,
            [vec!["ia".to_owned()], vec!["ayant".to_owned(), "droit".to_owned()], vec!["concert".to_owned()]]
        );
        assert_eq!(query.to_tsquery(), "('ia') & ('ayant' <-> 'droit') & ('concert')");
        assert_eq!(
            query.to_fts5("all_terms"),
            r#"all_terms : "ia" AND all_terms : "ayant droit" AND all_terms : "concert""#
        );
        assert_eq!(SearchQuery::parse(" « … » \"\" "), None);
    }

    #[test]
    fn html_bodies_give_their_text() {
        assert_eq!(
            terms(&html_text("<p>Le&nbsp;droit d&#8217;auteur &amp; <em>l’IA</em></p>")),
            terms("Le droit d auteur l IA")
        );
    }
}
