//! The language work of full-text search, done once in Rust for both
//! backends: accents fold (`développeurs` → `developpeurs`), case folds,
//! and each word is reduced to its Snowball stem in the text's language
//! (`concertations` → `concert`). Documents and queries go through the same
//! [`Analyser`], and each engine only indexes and matches the resulting
//! terms (ASCII letters and digits), so both find the same publications.
//!
//! An analyser is chosen by language ([`analyser`]): French and English
//! stem their words; any other language has its words folded but not
//! stemmed. A search that names no language is analysed once for each
//! analyser the catalogue's languages use ([`query_in`]), and a
//! publication matches when its terms hold one of those analyses.

use std::sync::LazyLock;

use rust_stemmers::{Algorithm, Stemmer};

/// The language of a publication that names none, of a search that names
/// none, and of the names every category has.
pub const DEFAULT_LANGUAGE: &str = "fr";

/// The longest search a list takes, in characters.
pub const MAX_QUERY_LENGTH: usize = 200;

/// How the texts of one language become search terms.
pub struct Analyser {
    /// The primary language subtag it stems for; empty for the analyser
    /// that folds only.
    language: &'static str,
    stemmer: Option<Stemmer>,
}

/// The analysers there are: one per stemmed language, then the one that
/// folds only, for every other language.
static ANALYSERS: LazyLock<[Analyser; 3]> = LazyLock::new(|| {
    [
        Analyser { language: "fr", stemmer: Some(Stemmer::create(Algorithm::French)) },
        Analyser { language: "en", stemmer: Some(Stemmer::create(Algorithm::English)) },
        Analyser { language: "", stemmer: None },
    ]
});

/// The analyser of the language a BCP 47 tag names (`fr`, `fr-BE`,
/// `en-GB`), by its primary subtag.
pub fn analyser(language: &str) -> &'static Analyser {
    let primary = language.split('-').next().unwrap_or_default();
    let analysers = &*ANALYSERS;
    let found = analysers.iter().find(|analyser| primary.eq_ignore_ascii_case(analyser.language));
    found.unwrap_or(&analysers[analysers.len() - 1])
}

/// A search `q` analysed for each of `languages` (each analyser once):
/// what a search that names no language looks for, `languages` being
/// those of the publications it may find. `None` when nothing searchable
/// is left.
pub fn query_in<'a>(q: &str, languages: impl IntoIterator<Item = &'a str>) -> Option<SearchQuery> {
    let mut analysers: Vec<&'static Analyser> = Vec::new();
    for language in languages {
        let analyser = analyser(language);
        if !analysers.iter().any(|known| std::ptr::eq(*known, analyser)) {
            analysers.push(analyser);
        }
    }
    if analysers.is_empty() {
        analysers.push(analyser(DEFAULT_LANGUAGE));
    }
    let mut alternatives: Vec<Vec<Vec<String>>> = Vec::new();
    for analyser in analysers {
        let groups = analyser.groups(q);
        if !groups.is_empty() && !alternatives.contains(&groups) {
            alternatives.push(groups);
        }
    }
    (!alternatives.is_empty()).then_some(SearchQuery { alternatives })
}

impl Analyser {
    /// The primary language subtag it stems for; empty when it only folds.
    pub fn language(&self) -> &'static str {
        self.language
    }

    /// The terms of a text, in order.
    pub fn terms(&self, text: &str) -> Vec<String> {
        let folded = deunicode::deunicode(text).to_ascii_lowercase();
        folded
            .split(|character: char| !character.is_ascii_alphanumeric())
            .filter(|word| !word.is_empty())
            .map(|word| match &self.stemmer {
                Some(stemmer) => stemmer.stem(word).into_owned(),
                None => word.to_owned(),
            })
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
        let groups = self.groups(q);
        (!groups.is_empty()).then(|| SearchQuery { alternatives: vec![groups] })
    }

    /// The groups of `q` in this language: each word alone, each phrase's
    /// words together.
    fn groups(&self, q: &str) -> Vec<Vec<String>> {
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
        groups
    }
}

/// Whether `title`, in `language`, holds every group of one of `query`'s
/// analyses, phrases as adjacent terms: what the index's title match
/// computes, from the same analysis.
pub fn title_matches(language: &str, title: &str, query: &SearchQuery) -> bool {
    let title = analyser(language).terms(title);
    query
        .alternatives
        .iter()
        .any(|groups| groups.iter().all(|group| title.windows(group.len()).any(|window| window == group.as_slice())))
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

/// A parsed `q`, as one or more analyses (one per language searched,
/// those that differ): a publication matches when every group of one of
/// them matches; a group of several terms is a phrase, its terms adjacent
/// and in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SearchQuery {
    pub alternatives: Vec<Vec<Vec<String>>>,
}

impl SearchQuery {
    /// Every term the query names, each once.
    pub fn terms(&self) -> Vec<String> {
        let mut terms: Vec<String> = self.alternatives.iter().flatten().flatten().cloned().collect();
        terms.sort();
        terms.dedup();
        terms
    }

    /// The terms every analysis names: a publication that matches holds
    /// them all.
    pub fn common_terms(&self) -> Vec<String> {
        let mut terms = self.terms();
        terms.retain(|term| self.alternatives.iter().all(|groups| groups.iter().flatten().any(|held| held == term)));
        terms
    }

    /// Whether some group is a phrase, or there are several analyses:
    /// then a set of terms cannot tell whether a text matches.
    pub fn beyond_terms(&self) -> bool {
        self.alternatives.len() > 1 || self.alternatives.iter().flatten().any(|group| group.len() > 1)
    }

    /// Whether a text whose terms may hold those `may_hold` says could
    /// match.
    pub fn may_match(&self, may_hold: impl Fn(&str) -> bool) -> bool {
        self.alternatives.iter().any(|groups| groups.iter().flatten().all(|term| may_hold(term)))
    }

    /// The query in FTS5's syntax, restricted to `column`.
    pub fn to_fts5(&self, column: &str) -> String {
        let alternatives: Vec<String> = self
            .alternatives
            .iter()
            .map(|groups| {
                let phrases: Vec<String> =
                    groups.iter().map(|group| format!("{column} : \"{}\"", group.join(" "))).collect();
                phrases.join(" AND ")
            })
            .collect();
        match alternatives.as_slice() {
            [one] => one.clone(),
            _ => alternatives.iter().map(|one| format!("({one})")).collect::<Vec<_>>().join(" OR "),
        }
    }

    /// The query in PostgreSQL's `tsquery` syntax.
    pub fn to_tsquery(&self) -> String {
        let alternatives: Vec<String> = self
            .alternatives
            .iter()
            .map(|groups| {
                let phrases: Vec<String> = groups
                    .iter()
                    .map(|group| {
                        let quoted: Vec<String> = group.iter().map(|term| format!("'{term}'")).collect();
                        format!("({})", quoted.join(" <-> "))
                    })
                    .collect();
                phrases.join(" & ")
            })
            .collect();
        match alternatives.as_slice() {
            [one] => one.clone(),
            _ => alternatives.iter().map(|one| format!("({one})")).collect::<Vec<_>>().join(" | "),
        }
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
            query.alternatives[0],
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
    fn each_language_has_its_analyser() {
        let english = analyser("en-GB");
        assert_eq!(english.terms("cultural policies"), english.terms("Culture policy"));
        assert_eq!(analyser("fr-BE").terms("politiques culturelles"), terms("politique culturelle"));
        // Another language folds, without stemming.
        assert_eq!(analyser("de").terms("Übersetzungen"), ["ubersetzungen"]);
        assert_eq!(analyser("de").language(), "");
    }

    #[test]
    fn a_search_in_several_languages_holds_each_analysis_once() {
        let query = query_in("cultural policies", ["fr", "en", "en-GB", "fr-CA"]).unwrap();
        assert_eq!(
            query.alternatives,
            [
                vec![vec!["cultural".to_owned()], vec!["polic".to_owned()]],
                vec![vec!["cultur".to_owned()], vec!["polici".to_owned()]]
            ]
        );
        assert!(query.common_terms().is_empty());
        assert!(query.beyond_terms());
        assert_eq!(query.to_fts5("t"), r#"(t : "cultural" AND t : "polic") OR (t : "cultur" AND t : "polici")"#);
        assert_eq!(query.to_tsquery(), "(('cultural') & ('polic')) | (('cultur') & ('polici'))");
        // Analyses that agree are one.
        let one = query_in("2024", ["fr", "en", "de"]).unwrap();
        assert_eq!(one.alternatives.len(), 1);
        assert!(!one.beyond_terms());
        assert!(title_matches("en", "Cultural policy in 2024", &query));
        assert!(!title_matches("en", "Cultural heritage", &query));
    }

    #[test]
    fn html_bodies_give_their_text() {
        assert_eq!(
            terms(&html_text("<p>Le&nbsp;droit d&#8217;auteur &amp; <em>l’IA</em></p>")),
            terms("Le droit d auteur l IA")
        );
    }
}
