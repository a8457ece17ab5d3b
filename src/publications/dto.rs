//! What the API answers about publications.

use chrono::{DateTime, NaiveDateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use super::translations::Translation;
use crate::attachments::dto::Attachment;
use crate::categories::dto::CategorySummary;
use crate::categories::dto::Localiser;
use crate::domain::Status;
use crate::http::language::DEFAULT;
use crate::links::dto::Link;
use crate::pagination::Pagination;

use super::facets::FacetCounts;
use super::lookups::{PublicationRecord, SummaryRecord, SummaryRow};

/// A publication as listed: everything but its body and links.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": 1,
    "slug": "concertation-fournisseurs-ia-ayants-droit",
    "title": "Concertation entre fournisseurs d’IA et ayants droit : un espace de dialogue et de négociation structuré mais un partage de la valeur encore insuffisant",
    "summary": "Le 2 juin dernier, la ministre de la Culture et la ministre déléguée chargée de l’Intelligence artificielle et du Numérique, ont lancé un cycle de concertation…",
    "status": "published",
    "language": "fr",
    "published_at": "2025-12-05T09:00:00Z",
    "unpublish_at": null,
    "announce": false,
    "authors": [],
    "categories": [
        {"id": 1, "slug": "etudes-publications", "name": "Études & publications", "lang": "fr"},
        {"id": 2, "slug": "veille-industrie-phonographique", "name": "Veille industrie phonographique", "lang": "fr"}
    ],
    "cover": null,
    "created_at": "2025-12-05T09:00:00Z",
    "updated_at": "2025-12-05T09:00:00Z",
    "version": 1
}))]
pub struct PublicationSummary {
    pub id: i32,
    /// Unique, URL-safe; the publication can be fetched by it.
    pub slug: String,
    pub title: String,
    /// The lead, as plain text.
    pub summary: String,
    /// As of the request: a published publication reads `scheduled` before
    /// its `published_at` and `expired` from its `unpublish_at` (only token
    /// holders see either).
    pub status: Status,
    /// A BCP 47 language tag.
    #[schema(example = "fr")]
    pub language: String,
    /// When it was or will be published (UTC); `null` for a draft.
    pub published_at: Option<DateTime<Utc>>,
    /// When it leaves public view (UTC); `null`: never.
    pub unpublish_at: Option<DateTime<Utc>>,
    /// Whether its release, while still to come, is in the public calendar.
    pub announce: bool,
    /// Author names, possibly none.
    pub authors: Vec<String>,
    /// The categories it is filed under, in the order the publication gives.
    pub categories: Vec<CategorySummary>,
    /// Its cover image (the first attachment of role `cover`), with its
    /// sizes for `srcset`; `null` without one.
    pub cover: Option<Attachment>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Incremented on every change.
    pub version: i32,
}

impl PublicationSummary {
    /// A list item as seen at `at` (its status depends on the time).
    pub fn new(record: SummaryRecord, at: NaiveDateTime) -> Self {
        summary(record.row, record.categories, record.cover, at)
    }
}

fn summary(
    row: SummaryRow,
    categories: Vec<CategorySummary>,
    cover: Option<Attachment>,
    at: NaiveDateTime,
) -> PublicationSummary {
    PublicationSummary {
        id: row.id,
        slug: row.slug,
        title: row.title,
        summary: row.summary,
        status: Status::from_stored(&row.status).at(row.published_at, row.unpublish_at, at),
        language: row.language,
        published_at: row.published_at.map(|at| at.and_utc()),
        unpublish_at: row.unpublish_at.map(|at| at.and_utc()),
        announce: row.announce,
        // The column only ever holds what the API wrote: a JSON array of strings.
        authors: serde_json::from_str(&row.authors).unwrap_or_default(),
        categories,
        cover,
        created_at: row.created_at.and_utc(),
        updated_at: row.updated_at.and_utc(),
        version: row.version,
    }
}

/// One publication in full: its body (sanitised HTML) and its links.
#[derive(Debug, Serialize, ToSchema)]
pub struct Publication {
    #[serde(flatten)]
    pub summary: PublicationSummary,
    /// The text, as sanitised HTML.
    #[schema(example = "<p>L’esprit de cette concertation…</p><blockquote><p>« Je veux redire… »</p></blockquote>")]
    pub body: String,
    /// Related links, ordered by `position`.
    pub links: Vec<Link>,
    /// Its files (report, annexes, data, covers), ordered by `position`.
    pub attachments: Vec<Attachment>,
    /// Its versions in other languages that the reader may see, by
    /// language (a draft or scheduled one is listed to token holders only).
    pub translations: Vec<Translation>,
}

/// What a publication's detail shows besides its row.
pub struct Parts {
    pub links: Vec<Link>,
    pub attachments: Vec<Attachment>,
    pub translations: Vec<Translation>,
}

impl Publication {
    /// A publication as seen at `at`.
    pub fn new(record: PublicationRecord, parts: Parts, at: NaiveDateTime) -> Self {
        Self {
            summary: summary(record.row, record.categories, record.cover, at),
            body: record.body,
            links: parts.links,
            attachments: parts.attachments,
            translations: parts.translations,
        }
    }
}

/// One page of a list.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Page_PublicationSummary)]
pub struct PublicationPage {
    #[schema(inline)]
    pub data: Vec<PublicationSummary>,
    pub pagination: Pagination,
    /// Counts for filter chips, when `facets` asks for them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub facets: Option<Facets>,
}

/// A list without pagination: every item fits in one answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct PublicationSummaries {
    pub data: Vec<PublicationSummary>,
}

/// How many publications of the current list fall under each value of a
/// filter: what a front end needs to draw its filter chips.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "category": [{"slug": "etudes-publications", "name": "Études & publications", "lang": "fr", "count": 3}],
    "year": [{"value": 2025, "count": 3}],
    "language": [{"value": "fr", "count": 3}]
}))]
pub struct Facets {
    /// Categories the publications are filed under directly, most first.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub category: Option<Vec<CategoryFacet>>,
    /// Years of publication, newest first.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub year: Option<Vec<YearFacet>>,
    /// Languages, most first.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub language: Option<Vec<LanguageFacet>>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CategoryFacet {
    pub slug: String,
    /// In the language asked for, or the default language's.
    pub name: String,
    /// The language `name` is in.
    pub lang: String,
    pub count: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct YearFacet {
    pub value: i32,
    pub count: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LanguageFacet {
    pub value: String,
    pub count: i64,
}

impl Facets {
    /// The facets counted, their categories named by `names`.
    pub fn named(counts: &FacetCounts, names: &Localiser) -> Self {
        Self {
            category: counts.category.as_ref().map(|rows| {
                rows.iter()
                    .map(|(id, slug, name, count)| {
                        let mut summary =
                            CategorySummary { id: *id, slug: slug.clone(), name: name.clone(), lang: DEFAULT.into() };
                        names.rename(std::iter::once(&mut summary));
                        CategoryFacet { slug: summary.slug, name: summary.name, lang: summary.lang, count: *count }
                    })
                    .collect()
            }),
            year: counts
                .year
                .as_ref()
                .map(|rows| rows.iter().map(|(value, count)| YearFacet { value: *value, count: *count }).collect()),
            language: counts.language.as_ref().map(|rows| {
                rows.iter().map(|(value, count)| LanguageFacet { value: value.clone(), count: *count }).collect()
            }),
        }
    }
}
