//! What a client sends to create or patch a link.

use serde::Serialize;
use serde_json::{Map, Value};
use utoipa::ToSchema;

use crate::body::MergePatch;
use crate::domain::Reference;
use crate::error::ApiError;
use crate::validation::Fields;

use super::dto::LinkRel;
use super::queries::LinkRow;

/// A link as written: exactly one of `url` and `target`.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "rel": "attachment",
    "title": "Le rapport complet (PDF)",
    "url": "https://www.culture.gouv.fr/rapport.pdf",
    "media_type": "application/pdf"
}))]
pub struct LinkInput {
    /// Default `related`.
    #[serde(default)]
    #[schema(default = "related")]
    pub rel: LinkRel,
    /// Plain text, at most 300 characters. Required with `url`; with
    /// `target`, the target's title when absent.
    #[serde(default)]
    pub title: Option<String>,
    /// An absolute http or https URL.
    #[serde(default)]
    pub url: Option<String>,
    /// Another publication, by id or slug (not the publication itself).
    #[serde(default)]
    pub target: Option<Reference>,
    /// The media type of what `url` points to, e.g. `application/pdf`.
    #[serde(default)]
    pub media_type: Option<String>,
    /// The language of what the link points to (BCP 47).
    #[serde(default)]
    pub hreflang: Option<String>,
    /// Order among the publication's links; after the last one when absent.
    #[serde(default)]
    pub position: Option<i32>,
}

impl LinkInput {
    pub fn from_json(object: Map<String, Value>) -> Result<Self, ApiError> {
        let mut fields = Fields::new(object);
        let input = Self {
            rel: fields
                .choice(
                    "rel",
                    &[
                        ("related", LinkRel::Related),
                        ("attachment", LinkRel::Attachment),
                        ("source", LinkRel::Source),
                        ("see_also", LinkRel::SeeAlso),
                    ],
                )
                .unwrap_or(LinkRel::Related),
            title: fields.optional_text("title", 300, true),
            url: fields.optional_text("url", 2000, false),
            target: fields.reference("target"),
            media_type: fields.optional_text("media_type", 100, true),
            hreflang: fields.language("hreflang"),
            position: fields.integer("position", -1_000_000, 1_000_000),
        };
        if let Some(url) = &input.url
            && !is_web_url(url)
        {
            fields.error("url", "invalid_url", "must be an absolute http or https URL");
        }
        if let Some(media_type) = &input.media_type
            && !is_media_type(media_type)
        {
            fields.error("media_type", "invalid_media_type", "must be a media type such as application/pdf");
        }
        match (&input.url, &input.target) {
            (Some(_), Some(_)) => fields.error("target", "url_and_target", "give either url or target, not both"),
            (None, None) => fields.error("url", "url_or_target", "give either url or target"),
            (Some(_), None) if input.title.is_none() => fields.error("title", "required", "is required with url"),
            _ => {}
        }
        fields.finish()?;
        Ok(input)
    }

    /// The link as it stands, patched (RFC 7396), then read again. Giving
    /// `url` drops `target` and the other way round, so a patch can switch
    /// a link from one kind to the other.
    pub fn patched(current: &LinkRow, patch: MergePatch) -> Result<Self, ApiError> {
        let mut current = Self {
            rel: LinkRel::from_stored(&current.rel),
            title: Some(current.title.clone()).filter(|title| !title.is_empty()),
            url: current.url.clone(),
            target: current.target_id.map(Reference::Id),
            media_type: current.media_type.clone(),
            hreflang: current.hreflang.clone(),
            position: Some(current.position),
        };
        if patch.0.get("url").is_some_and(|url| !url.is_null()) {
            current.target = None;
        }
        if patch.0.get("target").is_some_and(|target| !target.is_null()) {
            current.url = None;
        }
        let Ok(Value::Object(mut object)) = serde_json::to_value(current) else {
            return Err(ApiError::internal("a link did not serialise to a JSON object"));
        };
        patch.apply_to(&mut object);
        Self::from_json(object)
    }
}

fn is_web_url(text: &str) -> bool {
    url::Url::parse(text).is_ok_and(|url| matches!(url.scheme(), "http" | "https") && url.host().is_some())
}

fn is_media_type(text: &str) -> bool {
    let token = |part: &str| {
        !part.is_empty() && part.bytes().all(|byte| byte.is_ascii_alphanumeric() || b"!#$&-^_.+".contains(&byte))
    };
    text.split_once('/').is_some_and(|(kind, subtype)| token(kind) && token(subtype))
}
