//! The language work of full-text search, done once in Rust for both
//! backends: accents fold (`développeurs` → `developpeurs`), case folds,
//! and each word is reduced to its Snowball stem in the text's language
//! (`concertations` → `concert`). Documents and queries go through the same
//! [`Analyser`], and each engine only indexes and matches the resulting
//! terms (ASCII letters and digits), so both find the same publications.
//!
//! An analyser is chosen by language ([`analyser`]). French is the one
//! there is: every text is analysed as French, whatever its language, as
//! it always was; another language needs only its stemmer here.

use std::sync::LazyLock;

use rust_stemmers::{Algorithm, Stemmer};

/// The language of a publication that names none, and of a search that
/// names none.
pub const DEFAULT_LANGUAGE: &str = "fr";

/// The longest search a list takes, in characters.
pub const MAX_QUERY_LENGTH: usize = 200;

/// How the texts of one language become search terms.
pub struct Analyser {
    stemmer: Stemmer,
}

/// The analysers there are, by primary language subtag; the first is the
/// one a language without its own gets.
static ANALYSERS: LazyLock<[(&str, Analyser); 1]> =
    LazyLock::new(|| [("fr", Analyser { stemmer: Stemmer::create(Algorithm::French) })]);

/// The analyser of the language a BCP 47 tag names (`fr`, `fr-BE`), by
/// its primary subtag.
pub fn analyser(language: &str) -> &'static Analyser {
    let primary = language.split('-').next().unwrap_or_default();
    let analysers = &*ANALYSERS;
    let found = analysers.iter().find(|(tag, _)| primary.eq_ignore_ascii_case(tag));
    &found.unwrap_or(&analysers[0]).1
}

impl Analyser {
    /// The terms of a text, in order.
    pub fn terms(&self, text: &str) -> Vec<String> {
        let folded = deunicode::deunicode(text).to_ascii_lowercase();
        folded
            .split(|character: char| !character.is_ascii_alphanumeric())
            .filter(|word| !word.is_empty())
            .map(|word| self.stemmer.stem(word).into_owned())
            .collect()
    }

    /// What the index holds for a publication of this language.
    pub fn document(&self, title: &str, summary: &str, body: &str) -> Document {
        let title_terms = self.terms(title).join(" ");
        let mut all_terms = title_terms.clone();
        for more in [self.terms(summary), self.terms(&html_text(body))] {
            if !more.is_empty() {
                all_terms.push(' ');
                all_terms.push_str(&more.join(" "));
            }
        }
        Document { title_terms, all_terms }
    }

    /// A search `q` in this language: words combined with AND, `"quoted
    /// words"` as a phrase. `None` when nothing searchable is left.
    pub fn query(&self, q: &str) -> Option<SearchQuery> {
        let mut groups = Vec::new();
        for (index, part) in q.split('"').enumerate() {
            let part_terms = self.terms(part);
            if index % 2 == 1 {
                if !part_terms.is_empty() {
                    groups.push(part_terms);
                }
            } else {
                groups.extend(part_terms.into_iter().map(|term| vec![term]));
            }
        }
        groups.dedup();
        (!groups.is_empty()).then_some(SearchQuery { groups })
    }
}

/// Whether `title`, in `language`, holds every group of `query`, phrases
/// as adjacent terms: what the index's title match computes, from the
/// same analysis.
pub fn title_matches(language: &str, title: &str, query: &SearchQuery) -> bool {
    let title = analyser(language).terms(title);
    query.groups.iter().all(|group| title.windows(group.len()).any(|window| window == group.as_slice()))
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

/// What the index holds for one publication: its terms, in order.
pub struct Document {
    pub title_terms: String,
    pub all_terms: String,
}

/// A parsed `q`: every group must match; a group of several terms is a
/// phrase, its terms adjacent and in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SearchQuery {
    pub groups: Vec<Vec<String>>,
}

impl SearchQuery {
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

    fn terms(text: &str) -> Vec<String> {
        analyser(DEFAULT_LANGUAGE).terms(text)
    }

    #[test]
    fn accents_case_and_inflections_fold_to_the_same_terms() {
        assert_eq!(terms("développeurs"), terms("DEVELOPPEURS"));
        assert_eq!(terms("Développeurs"), terms("developpeur"));
        assert_eq!(terms("concertations"), terms("concertation"));
        assert_eq!(terms("L’été, œuvres!"), ["l", "ete", "oeuvr"]);
    }

    #[test]
    fn queries_have_words_and_phrases() {
        let query = analyser(DEFAULT_LANGUAGE).query(r#"IA "ayants droit" concertation"#).unwrap();
        assert_eq!(
            query.groups,
            [vec!["ia".to_owned()], vec!["ayant".to_owned(), "droit".to_owned()], vec!["concert".to_owned()]]
        );
        assert_eq!(query.to_tsquery(), "('ia') & ('ayant' <-> 'droit') & ('concert')");
        assert_eq!(
            query.to_fts5("all_terms"),
            r#"all_terms : "ia" AND all_terms : "ayant droit" AND all_terms : "concert""#
        );
        assert_eq!(analyser(DEFAULT_LANGUAGE).query(" « … » \"\" "), None);
    }

    #[test]
    fn html_bodies_give_their_text() {
        assert_eq!(
            terms(&html_text("<p>Le&nbsp;droit d&#8217;auteur &amp; <em>l’IA</em></p>")),
            terms("Le droit d auteur l IA")
        );
    }
}
