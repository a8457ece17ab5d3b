//! The lines of an export file, how each is checked (with the very rules
//! of the API's writes, so that a file cannot store what a PATCH would
//! later refuse), and where an import reads them from.

use std::io::{BufRead, Write};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::attachments::dto::Role;
use crate::attachments::input::AttachmentInput;
use crate::attachments::queries::Facts;
use crate::categories::input::CategoryInput;
use crate::categories::names::Names;
use crate::domain::{Status, is_slug};
use crate::error::ApiError;
use crate::links::dto::LinkRel;
use crate::links::input::LinkInput;
use crate::publications::input::PublicationInput;

#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub(super) enum Line {
    Category(CategoryLine),
    Publication(PublicationLine),
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct CategoryLine {
    pub(super) slug: String,
    pub(super) name: String,
    pub(super) description: Option<String>,
    /// The parent's slug.
    pub(super) parent: Option<String>,
    pub(super) position: i32,
    pub(super) created_at: DateTime<Utc>,
    pub(super) updated_at: DateTime<Utc>,
    pub(super) version: i32,
    /// Slugs the category had before, which answer a redirect.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(super) former_slugs: Vec<String>,
    /// Its names in languages other than the default, by BCP 47 tag.
    #[serde(default, skip_serializing_if = "Names::is_empty")]
    pub(super) names: Names,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct PublicationLine {
    pub(super) slug: String,
    pub(super) title: String,
    pub(super) summary: String,
    pub(super) body: String,
    pub(super) status: Status,
    pub(super) language: String,
    pub(super) published_at: Option<DateTime<Utc>>,
    /// When it leaves public view.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) unpublish_at: Option<DateTime<Utc>>,
    /// Whether its coming release is in the public calendar.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub(super) announce: bool,
    pub(super) authors: Vec<String>,
    /// Category slugs, in order.
    pub(super) categories: Vec<String>,
    pub(super) links: Vec<LinkLine>,
    /// Its files: their metadata and hashes (the bytes travel beside the
    /// file, in a folder of blobs named by their SHA-256).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(super) attachments: Vec<AttachmentLine>,
    pub(super) created_at: DateTime<Utc>,
    pub(super) updated_at: DateTime<Utc>,
    pub(super) version: i32,
    /// Slugs the publication had before, which answer a redirect.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(super) former_slugs: Vec<String>,
    /// The slug of another publication of its group of translations (the
    /// group's first), which it joins once every line is written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) translation_of: Option<String>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct AttachmentLine {
    pub(super) role: Role,
    pub(super) title: String,
    pub(super) language: Option<String>,
    pub(super) filename: String,
    pub(super) media_type: String,
    pub(super) size: i64,
    pub(super) sha256: String,
    pub(super) alt: Option<String>,
    /// What was read from the bytes: an image's size and copies, a PDF's
    /// pages.
    pub(super) facts: Facts,
    pub(super) position: i32,
    pub(super) created_at: DateTime<Utc>,
    pub(super) updated_at: DateTime<Utc>,
    pub(super) version: i32,
}

impl AttachmentLine {
    /// The blobs it needs: its bytes and its copies'.
    pub(super) fn blobs(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.sha256.as_str()).chain(self.facts.variants.iter().map(|variant| variant.sha256.as_str()))
    }
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct LinkLine {
    pub(super) rel: LinkRel,
    pub(super) title: String,
    pub(super) url: Option<String>,
    /// The target publication's slug.
    pub(super) target: Option<String>,
    pub(super) media_type: Option<String>,
    pub(super) hreflang: Option<String>,
    pub(super) position: i32,
    pub(super) version: i32,
}

/// What a refused line says: each field at fault and why.
fn describe(error: ApiError) -> String {
    match error {
        ApiError::ValidationFailed(errors) => {
            let faults: Vec<String> = errors.iter().map(|error| format!("{} {}", error.field, error.message)).collect();
            faults.join("; ")
        }
        other => other.to_string(),
    }
}

fn object(value: serde_json::Value) -> serde_json::Map<String, serde_json::Value> {
    match value {
        serde_json::Value::Object(object) => object,
        _ => serde_json::Map::new(),
    }
}

/// Checks an attachment's line: its metadata as an upload's, a type on the
/// allow-list, hashes that are hashes.
fn check_attachment(attachment: &AttachmentLine) -> Result<(), String> {
    AttachmentInput::from_json(object(json!({
        "role": attachment.role,
        "title": attachment.title,
        "language": attachment.language,
        "alt": attachment.alt,
        "position": attachment.position,
        "filename": attachment.filename,
    })))
    .map_err(describe)?;
    if !crate::attachments::media::ALLOWED.iter().any(|(allowed, _)| *allowed == attachment.media_type) {
        return Err(format!("the type {} is not allowed", attachment.media_type));
    }
    if attachment.size < 1 {
        return Err("a file has at least one byte".into());
    }
    let is_hash = |text: &str| text.len() == 64 && text.bytes().all(|byte| matches!(byte, b'0'..=b'9' | b'a'..=b'f'));
    match attachment.blobs().find(|sha256| !is_hash(sha256)) {
        Some(wrong) => Err(format!("'{wrong}' is not a SHA-256 in lower-case hex")),
        None => Ok(()),
    }
}

/// The blobs the attachments of the lines of `input` need, each once.
pub fn blobs_in(input: impl BufRead) -> Result<std::collections::BTreeSet<String>, String> {
    let mut blobs = std::collections::BTreeSet::new();
    for line in lines(input, true) {
        if let (_, Line::Publication(publication)) = line? {
            for attachment in &publication.attachments {
                blobs.extend(attachment.blobs().map(str::to_owned));
            }
        }
    }
    Ok(blobs)
}

/// Checks one line on its own, with the very rules of the API's writes
/// (the same input types read it), so that a file cannot store what a
/// PATCH would later refuse.
fn check(line: &Line) -> Result<(), String> {
    let former = |current: &str, former: &[String]| {
        former.iter().try_for_each(|old| {
            if !is_slug(old) {
                Err(format!("former slug '{old}' is not a slug (lowercase letters, digits, hyphens)"))
            } else if old == current {
                Err(format!("'{old}' is the current slug, not a former one"))
            } else {
                Ok(())
            }
        })
    };
    match line {
        Line::Category(category) => {
            CategoryInput::from_json(object(json!({
                "slug": category.slug,
                "name": category.name,
                "description": category.description,
                "parent_id": category.parent,
                "position": category.position,
                "names": category.names,
            })))
            .map_err(describe)?;
            former(&category.slug, &category.former_slugs)?;
            if category.parent.as_deref() == Some(category.slug.as_str()) {
                return Err("a category cannot be its own parent".into());
            }
        }
        Line::Publication(publication) => {
            PublicationInput::from_json(object(json!({
                "slug": publication.slug,
                "title": publication.title,
                "summary": publication.summary,
                "body": publication.body,
                "status": publication.status,
                "language": publication.language,
                "published_at": publication.published_at,
                "unpublish_at": publication.unpublish_at,
                "announce": publication.announce,
                "authors": publication.authors,
                "categories": publication.categories,
                "translation_of": publication.translation_of,
            })))
            .map_err(describe)?;
            if publication.translation_of.as_deref() == Some(publication.slug.as_str()) {
                return Err("a publication cannot be a translation of itself".into());
            }
            former(&publication.slug, &publication.former_slugs)?;
            if publication.status == Status::Published && publication.published_at.is_none() {
                return Err("a published publication needs published_at".into());
            }
            if publication.status != publication.status.stored() {
                return Err("status must be draft, published or archived: a file holds stored statuses".into());
            }
            if publication.links.len() as i64 > crate::links::writes::MAX_PER_PUBLICATION {
                return Err(format!("links: at most {} a publication", crate::links::writes::MAX_PER_PUBLICATION));
            }
            if publication.attachments.len() as i64 > crate::attachments::writes::MAX_PER_PUBLICATION {
                return Err(format!(
                    "attachments: at most {} a publication",
                    crate::attachments::writes::MAX_PER_PUBLICATION
                ));
            }
            for (index, attachment) in publication.attachments.iter().enumerate() {
                check_attachment(attachment).map_err(|error| format!("attachments[{index}]: {error}"))?;
            }
            for (index, link) in publication.links.iter().enumerate() {
                LinkInput::from_json(object(json!({
                    "rel": link.rel,
                    "title": link.title,
                    "url": link.url,
                    "target": link.target,
                    "media_type": link.media_type,
                    "hreflang": link.hreflang,
                    "position": link.position,
                })))
                .map_err(|error| format!("links[{index}]: {}", describe(error)))?;
                if link.target.as_deref() == Some(publication.slug.as_str()) {
                    return Err(format!("links[{index}]: a publication cannot link to itself"));
                }
            }
        }
    }
    Ok(())
}

/// Reads the lines of `input` one at a time: (line number, line), each
/// checked when `checked` (the first pass), only parsed after it.
pub(super) fn lines(input: impl BufRead, checked: bool) -> impl Iterator<Item = Result<(usize, Line), String>> {
    input.lines().enumerate().filter_map(move |(index, text)| {
        let number = index + 1;
        match text {
            Err(error) => Some(Err(format!("line {number}: cannot be read: {error}"))),
            Ok(text) if text.trim().is_empty() => None,
            Ok(text) => Some(
                serde_json::from_str::<Line>(&text)
                    .map_err(|error| format!("line {number}: {error}"))
                    .and_then(|line| if checked { check(&line).map(|()| line) } else { Ok(line) })
                    .map(|line| (number, line))
                    .map_err(
                        |error| if error.starts_with("line ") { error } else { format!("line {number}: {error}") },
                    ),
            ),
        }
    })
}

/// Where an import reads from: a file, read again for each pass, or a
/// stream (standard input), kept in a temporary file meanwhile.
pub enum Source {
    File(std::path::PathBuf),
    Spooled(Spool),
}

impl Source {
    /// Keeps `input` in a temporary file, to be read as often as needed.
    pub fn spooled(input: impl BufRead) -> Result<Self, String> {
        let spool = Spool::new()?;
        let mut copy = std::io::BufWriter::new(spool.create()?);
        for (index, text) in input.lines().enumerate() {
            let text = text.map_err(|error| format!("line {}: cannot be read: {error}", index + 1))?;
            writeln!(copy, "{text}").map_err(|error| format!("cannot keep the input: {error}"))?;
        }
        copy.flush().map_err(|error| format!("cannot keep the input: {error}"))?;
        Ok(Self::Spooled(spool))
    }

    /// The file, read from its start.
    pub fn reader(&self) -> Result<std::io::BufReader<std::fs::File>, String> {
        self.open()
    }

    pub(super) fn open(&self) -> Result<std::io::BufReader<std::fs::File>, String> {
        let path = match self {
            Self::File(path) => path,
            Self::Spooled(spool) => &spool.0,
        };
        std::fs::File::open(path)
            .map(std::io::BufReader::new)
            .map_err(|error| format!("cannot read {}: {error}", path.display()))
    }
}

/// A temporary copy of the input, removed when dropped.
pub struct Spool(std::path::PathBuf);

impl Spool {
    fn new() -> Result<Self, String> {
        let mut random = [0u8; 8];
        getrandom::fill(&mut random).map_err(|error| format!("cannot name a temporary file: {error}"))?;
        let name: String = random.iter().map(|byte| format!("{byte:02x}")).collect();
        Ok(Self(std::env::temp_dir().join(format!("parution-import-{name}.jsonl"))))
    }

    fn create(&self) -> Result<std::fs::File, String> {
        std::fs::File::create(&self.0)
            .map_err(|error| format!("cannot keep the input in {}: {error}", self.0.display()))
    }
}

impl Drop for Spool {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

#[cfg(test)]
mod properties {
    use chrono::DateTime;
    use proptest::prelude::*;

    use super::*;

    proptest! {
        /// An export line reads back to the same line; any other text is an
        /// error naming its line, never a panic.
        #[test]
        fn an_export_line_reads_back_to_itself(slug in "[a-z][a-z0-9]{0,10}(-[a-z0-9]{1,6}){0,3}",
                                              title in "[A-Za-zÀ-ÿ0-9 ,.’']{0,60}[A-Za-z]",
                                              summary in "[A-Za-zÀ-ÿ0-9 ,.]{0,80}",
                                              authors in prop::collection::vec("[A-Za-z][A-Za-z .-]{0,28}[A-Za-z]", 0..3),
                                              seconds in 0_i64..4_000_000_000, version in 1_i32..1000,
                                              translation in proptest::option::of("[a-z]{1,10}"),
                                              garbage in ".{0,200}") {
            let at = DateTime::from_timestamp(seconds, 0).unwrap_or_default();
            let line = Line::Publication(PublicationLine {
                slug: slug.clone(), title, summary, body: "<p>Texte.</p>".into(), status: Status::Draft,
                language: "fr".into(), published_at: None, unpublish_at: None, announce: false, authors,
                categories: Vec::new(), links: Vec::new(), attachments: Vec::new(), created_at: at, updated_at: at,
                version, former_slugs: Vec::new(),
                translation_of: translation.filter(|other| *other != slug),
            });
            let written = serde_json::to_string(&line).unwrap();
            let read: Vec<_> = lines(written.as_bytes(), true).collect();
            prop_assert_eq!(read.len(), 1);
            let (number, again) = read.into_iter().next().unwrap().map_err(TestCaseError::fail)?;
            prop_assert_eq!(number, 1);
            prop_assert_eq!(serde_json::to_string(&again).unwrap(), written);
            for result in lines(garbage.as_bytes(), true) {
                if let Err(error) = result {
                    prop_assert!(error.starts_with("line "), "{error}");
                }
            }
        }
    }
}
