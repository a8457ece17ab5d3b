//! The demo article's files: a short report (PDF) and a cover image, made
//! by the project (see [`samples`](super::samples)), attached when the
//! demo content is loaded and the article is still as it was loaded.

use diesel::prelude::*;

use crate::change::{self, Author, Change, Stamps};
use crate::db::schema::publications;
use crate::db::{self, Pool};
use crate::demo::ARTICLE_SLUG;
use crate::error::ApiError;
use crate::publications::writes as publication_writes;
use crate::storage::Storage;

use super::dto::Role;
use super::queries::Facts;
use super::store::{self, FileValues, MetaValues};
use super::{images, samples};

const REPORT_LINES: &[&str] = &[
    "Synthèse de la concertation entre fournisseurs d’IA et ayants droit.",
    "Cinq réunions plénières et quarante bilatérales ont permis une compréhension",
    "réciproque des enjeux ; les accords contractuels restent insuffisants pour",
    "assurer la juste rémunération des œuvres utilisées pour l’entraînement.",
    "Document de démonstration de Parution : son texte reprend le communiqué.",
];

/// Attaches the demo files to the demo article, when it exists at its
/// first version (as the demo loader wrote it); `true` when they were.
pub async fn attach(pool: &Pool, storage: &Storage) -> Result<bool, ApiError> {
    let article = db::run(pool, |connection| {
        Ok(publications::table
            .filter(publications::slug.eq(ARTICLE_SLUG))
            .select((publications::id, publications::version))
            .first::<(i32, i32)>(connection)
            .optional()?)
    })
    .await?;
    let Some((id, 1)) = article else { return Ok(false) };
    let report = samples::report("Concertation entre fournisseurs d’IA et ayants droit", REPORT_LINES, 4);
    let pages = super::media::pdf_pages(&report);
    let report_blob = storage.put(report.into()).await?;
    let cover = samples::cover_png(1200, 630);
    let read = images::read(&cover)?.ok_or_else(|| ApiError::internal("the demo cover cannot be read"))?;
    let cover_blob = storage.put(cover.into()).await?;
    let variants = super::upload::store_copies(storage, &read.copies).await?;
    let files = [
        (
            MetaValues {
                role: Role::Cover,
                title: "Couverture".into(),
                language: None,
                filename: "couverture-concertation-ia.png".into(),
                alt: Some("Bandeaux bleus du ministère, barrés d’un filet clair".into()),
                position: 0,
            },
            FileValues {
                media_type: "image/png".into(),
                size: cover_blob.size as i64,
                sha256: cover_blob.sha256,
                facts: Facts {
                    width: Some(read.width as i32),
                    height: Some(read.height as i32),
                    pages: None,
                    variants,
                },
            },
        ),
        (
            MetaValues {
                role: Role::Document,
                title: "Synthèse de la concertation".into(),
                language: Some("fr".into()),
                filename: "synthese-concertation-ia.pdf".into(),
                alt: None,
                position: 1,
            },
            FileValues {
                media_type: "application/pdf".into(),
                size: report_blob.size as i64,
                sha256: report_blob.sha256,
                facts: Facts { pages, ..Facts::default() },
            },
        ),
    ];
    let change = Change::now(Author::Command("seed-demo"));
    db::write(pool, move |connection| {
        change::logged(connection, &change, |connection| {
            let version: i32 = publications::table.find(id).select(publications::version).first(connection)?;
            if version != 1 {
                return Ok(false);
            }
            for (meta, file) in &files {
                store::insert(connection, id, meta, file, &Stamps::new(&change))?;
            }
            publication_writes::parts_changed(connection, &change, id)?;
            Ok(true)
        })
    })
    .await
}
