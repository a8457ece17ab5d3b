//! The feed handlers: the newest published publications, optionally in
//! some categories (descendants included) or in one language.

use std::collections::HashMap;

use actix_web::{HttpRequest, get, web};
use atom_syndication as atom;
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::{IntoParams, ToSchema};

use crate::auth::Access;
use crate::cache::CountCache;
use crate::categories::dto::Localiser;
use crate::categories::queries as category_queries;
use crate::change::{Dependencies, ListScope, Order};
use crate::config::HttpSettings;
use crate::db::{self, CatalogueState, Pool};
use crate::error::{ApiError, BadRequest, NotModified, Unauthorized, Unavailable};
use crate::http::language::Lang;
use crate::http::represented::Represented;
use crate::pagination::PageRequest;
use crate::publications::dto::PublicationSummary;
use crate::publications::list::{self, Position, PublicationFilter, Sort};
use crate::publications::list_query::MAX_CATEGORIES;
use crate::publications::listing::category_filter;
use crate::publications::lookups;
use crate::publications::translations::{self, Translation};
use crate::publications::visibility::Viewer;
use crate::query::QueryParams;

/// How many publications a feed holds.
pub const FEED_LENGTH: i64 = 50;

const ATOM: &str = "application/atom+xml; charset=utf-8";
const JSON_FEED: &str = "application/feed+json; charset=utf-8";

/// The query parameters of a feed.
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FeedQuery {
    /// Only publications filed under this category (id or slug) or one of
    /// its descendants; repeat it for any of several.
    #[param(required = false, style = Form, explode, example = json!(["etudes-publications"]))]
    pub category: Vec<String>,
    /// Only publications in this language (a BCP 47 tag).
    #[param(required = false, example = "fr")]
    pub language: Option<String>,
}

/// A JSON Feed 1.1 document.
#[derive(Debug, Serialize, ToSchema)]
pub struct JsonFeed {
    /// Always `https://jsonfeed.org/version/1.1`.
    pub version: &'static str,
    pub title: String,
    /// The front end's home page, when `PARUTION_PUBLIC_URL` is set.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub home_page_url: Option<String>,
    /// This feed's own URL.
    pub feed_url: String,
    pub items: Vec<JsonFeedItem>,
}

/// One publication in a JSON Feed.
#[derive(Debug, Serialize, ToSchema)]
pub struct JsonFeedItem {
    /// Stable: it never changes, even when the slug does.
    pub id: String,
    /// The publication's page.
    pub url: String,
    pub title: String,
    pub summary: String,
    /// The sanitised body.
    pub content_html: String,
    pub date_published: Option<DateTime<Utc>>,
    pub date_modified: DateTime<Utc>,
    /// The names of its categories.
    pub tags: Vec<String>,
    pub authors: Vec<JsonFeedAuthor>,
    pub language: String,
    /// Parution's extension: its versions in other languages.
    #[serde(rename = "_parution", skip_serializing_if = "Option::is_none")]
    pub parution: Option<JsonFeedExtension>,
}

/// What Parution adds to a JSON Feed item (an extension, as JSON Feed
/// names them: a member whose name starts with `_`).
#[derive(Debug, Serialize, ToSchema)]
pub struct JsonFeedExtension {
    /// The item's versions in other languages, published, by language.
    pub translations: Vec<JsonFeedTranslation>,
}

/// Another language's version of an item.
#[derive(Debug, Serialize, ToSchema)]
pub struct JsonFeedTranslation {
    /// A BCP 47 tag.
    pub language: String,
    /// Its page.
    pub url: String,
    pub title: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct JsonFeedAuthor {
    pub name: String,
}

/// A feed's content, before it is written in either format.
struct Entries {
    items: Vec<(PublicationSummary, String)>,
    /// The published translations of each item, by id.
    translations: HashMap<i32, Vec<Translation>>,
    /// The catalogue as read for it.
    state: CatalogueState,
    /// This feed's own absolute URL.
    self_url: String,
    settings: HttpSettings,
    /// The API's scheme and authority, as the client reached it.
    api: String,
    /// The authority of the entries' stable ids.
    authority: String,
    home_page: Option<String>,
    /// What the feed shows.
    dependencies: Dependencies,
}

impl Entries {
    /// Where a publication's page is: the front end's, or the API's.
    fn page_url(&self, item: &PublicationSummary) -> String {
        self.settings.publication_url(&self.api, &item.slug, item.id)
    }

    /// The published translations of publication `id`, with their pages.
    fn translations(&self, id: i32) -> impl Iterator<Item = (&Translation, String)> {
        self.translations.get(&id).into_iter().flatten().map(|translation| {
            (translation, self.settings.publication_url(&self.api, &translation.slug, translation.id))
        })
    }

    fn item_id(&self, id: i32) -> String {
        format!("tag:{},2025:publication:{id}", self.authority)
    }

    /// When the feed last changed: its newest entry's change or release
    /// (a scheduled one is released after its last write), or the
    /// catalogue's when it is empty.
    fn updated(&self) -> DateTime<Utc> {
        self.items
            .iter()
            .map(|(item, _)| item.published_at.map_or(item.updated_at, |published| published.max(item.updated_at)))
            .max()
            .unwrap_or_else(|| self.state.modified_at().and_utc())
    }
}

async fn entries(
    pool: &Pool,
    cache: web::Data<CountCache>,
    settings: &HttpSettings,
    request: &HttpRequest,
) -> Result<Entries, ApiError> {
    let params = QueryParams::parse(request.query_string(), &["category", "language"])?;
    let categories = params.texts("category", MAX_CATEGORIES)?;
    let language = params.language("language")?;
    // Category names in the feed's language, when it has one.
    let lang = language.as_deref().map_or_else(Lang::default, Lang::explicit);
    let (records, bodies, translations, dependencies, state, tree) = db::run(pool, move |connection| {
        let state = db::catalogue_state(connection)?;
        // A feed is public, whoever reads it.
        let tree = category_queries::kept_tree(connection, &cache, &state)?;
        let filter = PublicationFilter {
            category_ids: category_filter(&tree, &categories)?,
            language,
            ..PublicationFilter::new(Viewer::as_of(Access::Public, &state))
        };
        let newest = Position::Page(PageRequest { page: 1, per_page: FEED_LENGTH });
        let (records, _) = list::page(connection, &filter, Sort::PublishedDesc, &newest, &Default::default())?;
        let ids: Vec<i32> = records.iter().map(|record| record.row.id).collect();
        let bodies = lookups::bodies(connection, &ids)?;
        let (translations, members) = translations::of_many(connection, &ids, &filter.viewer)?;
        let scope = ListScope { order: Some(Order::Published), ..filter.scope() };
        let shown = ids.into_iter().chain(members);
        Ok((records, bodies, translations, Dependencies::page(scope, shown), state, tree))
    })
    .await?;
    let mut bodies: HashMap<i32, String> = bodies;
    let names = Localiser::new(tree, &lang);
    let items = records
        .into_iter()
        .map(|record| {
            let body = bodies.remove(&record.row.id).unwrap_or_default();
            let mut item = PublicationSummary::new(record, state.at);
            names.rename(&mut item.categories);
            (item, body)
        })
        .collect();

    let connection = request.connection_info();
    let api = format!("{}://{}", connection.scheme(), connection.host());
    let mut self_url = format!("{api}{}", request.path());
    if !request.query_string().is_empty() {
        self_url = format!("{self_url}?{}", request.query_string());
    }
    let authority = settings.authority(connection.host());
    let home_page =
        settings.front_end().map(|url| format!("{}://{}/", url.scheme(), url.host_str().unwrap_or_default()));
    let settings = settings.clone();
    Ok(Entries { items, translations, state, self_url, settings, api, authority, home_page, dependencies })
}

const FEED_TITLE: &str = "Publications";

/// Feed of publications (Atom)
///
/// The 50 newest published publications as an Atom 1.0 feed, each with its
/// summary, its HTML body, its categories and a link to its page (the
/// front end's when `PARUTION_PUBLIC_URL` is set, else the API's).
#[utoipa::path(
    tag = "feeds",
    params(FeedQuery),
    security((), ("bearer" = ["read"])),
    responses(
        (status = 200, description = "An Atom 1.0 feed.", content_type = "application/atom+xml", body = String),
        (status = 304, response = NotModified),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 503, response = Unavailable),
    )
)]
#[get("/feeds/publications.atom")]
pub async fn atom_feed(
    pool: web::Data<Pool>,
    cache: web::Data<CountCache>,
    settings: web::Data<HttpSettings>,
    access: Access,
    request: HttpRequest,
) -> Result<Represented, ApiError> {
    let entries = entries(&pool, cache, &settings, &request).await?;
    let entry = |(item, body): &(PublicationSummary, String)| atom::Entry {
        id: entries.item_id(item.id),
        title: atom::Text::plain(item.title.clone()),
        updated: item.updated_at.fixed_offset(),
        published: item.published_at.map(|at| at.fixed_offset()),
        authors: item.authors.iter().map(|name| atom::Person { name: name.clone(), ..Default::default() }).collect(),
        categories: item
            .categories
            .iter()
            .map(|category| atom::Category {
                term: category.slug.clone(),
                label: Some(category.name.clone()),
                ..Default::default()
            })
            .collect(),
        links: std::iter::once(atom::Link {
            href: entries.page_url(item),
            rel: "alternate".into(),
            mime_type: Some("text/html".into()),
            hreflang: Some(item.language.clone()),
            ..Default::default()
        })
        .chain(entries.translations(item.id).map(|(translation, href)| atom::Link {
            href,
            rel: "alternate".into(),
            mime_type: Some("text/html".into()),
            hreflang: Some(translation.language.clone()),
            title: Some(translation.title.clone()),
            ..Default::default()
        }))
        .collect(),
        summary: Some(atom::Text::plain(item.summary.clone())),
        content: Some(atom::Content {
            value: Some(body.clone()),
            content_type: Some("html".into()),
            lang: Some(item.language.clone()),
            ..Default::default()
        }),
        ..Default::default()
    };
    let mut links = vec![atom::Link {
        href: entries.self_url.clone(),
        rel: "self".into(),
        mime_type: Some("application/atom+xml".into()),
        ..Default::default()
    }];
    if let Some(home) = &entries.home_page {
        links.push(atom::Link { href: home.clone(), rel: "alternate".into(), ..Default::default() });
    }
    let feed = atom::Feed {
        title: atom::Text::plain(FEED_TITLE),
        id: entries.self_url.clone(),
        updated: entries.updated().fixed_offset(),
        // Atom wants an author for every entry: the feed's stands in for
        // entries that name none.
        authors: vec![atom::Person { name: "Parution".into(), ..Default::default() }],
        links,
        entries: entries.items.iter().map(entry).collect(),
        ..Default::default()
    };
    let body = feed.write_to(Vec::new()).map_err(ApiError::internal)?;
    Ok(Represented::bytes(ATOM, body, access).as_of(&entries.state).depends_on(entries.dependencies))
}

/// Feed of publications (JSON Feed)
///
/// The same 50 newest published publications as a JSON Feed 1.1.
#[utoipa::path(
    tag = "feeds",
    params(FeedQuery),
    security((), ("bearer" = ["read"])),
    responses(
        (status = 200, description = "A JSON Feed 1.1.", content_type = "application/feed+json", body = JsonFeed),
        (status = 304, response = NotModified),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 503, response = Unavailable),
    )
)]
#[get("/feeds/publications.json")]
pub async fn json_feed(
    pool: web::Data<Pool>,
    cache: web::Data<CountCache>,
    settings: web::Data<HttpSettings>,
    access: Access,
    request: HttpRequest,
) -> Result<Represented, ApiError> {
    let entries = entries(&pool, cache, &settings, &request).await?;
    let items = entries
        .items
        .iter()
        .map(|(item, body)| JsonFeedItem {
            id: entries.item_id(item.id),
            url: entries.page_url(item),
            title: item.title.clone(),
            summary: item.summary.clone(),
            content_html: body.clone(),
            date_published: item.published_at,
            date_modified: item.updated_at,
            tags: item.categories.iter().map(|category| category.name.clone()).collect(),
            authors: item.authors.iter().map(|name| JsonFeedAuthor { name: name.clone() }).collect(),
            language: item.language.clone(),
            parution: {
                let translations: Vec<JsonFeedTranslation> = entries
                    .translations(item.id)
                    .map(|(translation, url)| JsonFeedTranslation {
                        language: translation.language.clone(),
                        url,
                        title: translation.title.clone(),
                    })
                    .collect();
                (!translations.is_empty()).then_some(JsonFeedExtension { translations })
            },
        })
        .collect();
    let feed = JsonFeed {
        version: "https://jsonfeed.org/version/1.1",
        title: FEED_TITLE.into(),
        home_page_url: entries.home_page.clone(),
        feed_url: entries.self_url.clone(),
        items,
    };
    let body = serde_json::to_vec(&feed).map_err(ApiError::internal)?;
    Ok(Represented::bytes(JSON_FEED, body, access).as_of(&entries.state).depends_on(entries.dependencies))
}
