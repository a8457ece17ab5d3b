//! What the API answers about links.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Another publication, as a link target.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct PublicationRef {
    pub id: i32,
    pub slug: String,
    pub title: String,
}

/// A related link of a publication: exactly one of `url` and `target` is set.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": 1,
    "rel": "related",
    "title": "Prévenir en amont les violences sexistes et sexuelles au travail (VSST) : un kit pour les référentes et référents CSE et employeur",
    "url": null,
    "target": {
        "id": 2,
        "slug": "prevenir-violences-sexistes-sexuelles-travail-kit-cse",
        "title": "Prévenir en amont les violences sexistes et sexuelles au travail (VSST) : un kit pour les référentes et référents CSE et employeur"
    },
    "media_type": null,
    "hreflang": null,
    "position": 0,
    "version": 1
}))]
pub struct Link {
    pub id: i32,
    /// What the link is to the publication.
    pub rel: LinkRel,
    /// The text to show for the link.
    pub title: String,
    /// An absolute http or https URL; `null` when `target` is set.
    pub url: Option<String>,
    /// Another publication; `null` when `url` is set.
    pub target: Option<PublicationRef>,
    /// The media type of what `url` points to, e.g. `application/pdf`.
    pub media_type: Option<String>,
    /// The language of what the link points to, when it differs (BCP 47).
    pub hreflang: Option<String>,
    /// Order among the publication's links, ascending.
    pub position: i32,
    /// Incremented on every change.
    pub version: i32,
}

/// The kinds of link.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum LinkRel {
    /// Another publication on a close subject.
    #[default]
    Related,
    /// A file that belongs to the publication (a PDF, a data set).
    Attachment,
    /// A source the publication cites.
    Source,
    /// Further reading.
    SeeAlso,
}

impl LinkRel {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Related => "related",
            Self::Attachment => "attachment",
            Self::Source => "source",
            Self::SeeAlso => "see_also",
        }
    }

    /// Reads a stored value; the database's check constraint allows no other.
    pub fn from_stored(value: &str) -> Self {
        match value {
            "attachment" => Self::Attachment,
            "source" => Self::Source,
            "see_also" => Self::SeeAlso,
            _ => Self::Related,
        }
    }
}

/// A publication's links, in order.
#[derive(Debug, Serialize, ToSchema)]
pub struct Links {
    pub data: Vec<Link>,
}
