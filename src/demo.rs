//! The demo content: the page of the ministry's "Études & publications"
//! section that Parution was born from, so a new server has something to
//! show. The article is the page's own text; the two publications shown
//! beside it appear on that page by title only, so their summaries and dates
//! are demo content and say so.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use crate::categories::names::CategoryText;
use crate::categories::store::{self as category_store, CategoryValues};
use crate::change::{self, Author, Change, Stamps};
use crate::db::{self, DbConnection};
use crate::domain::{Reference, Status};
use crate::error::ApiError;
use crate::history::Reason;
use crate::links::dto::LinkRel;
use crate::links::store::{self as link_store, LinkValues};
use crate::publications::store::{self as publication_store, PublicationValues};
use crate::publications::translations::{self, Membership};
use crate::publications::{history, lookups};
use crate::search;

pub const ARTICLE_SLUG: &str = "concertation-fournisseurs-ia-ayants-droit";

const ARTICLE_TITLE: &str = "Concertation entre fournisseurs d’IA et ayants droit : un espace de dialogue et de négociation structuré mais un partage de la valeur encore insuffisant";

const ARTICLE_SUMMARY: &str = "Le 2 juin dernier, la ministre de la Culture et la ministre déléguée chargée de l’Intelligence artificielle et du Numérique, ont lancé un cycle de concertation entre développeurs de modèles d’IA et ayants droit, coordonné par deux personnalités qualifiées, Maxime Boutron, maître des requêtes au Conseil d’État, et Marc Bourreau, professeur d’économie à Télécom Paris.";

const ARTICLE_BODY: &str = "<p>L’esprit de cette concertation a consisté à sortir d’une opposition stérile entre innovation et culture, et à créer, au contraire, un cercle vertueux de création de valeur où chacun trouve sa juste place : les fournisseurs d’IA générative doivent pouvoir accéder à des données fiables et de qualité pour entraîner leurs modèles, dans un cadre juridique sécurisé ; les écosystèmes culturels, mais aussi les médias d’information, doivent pouvoir contribuer au développement des IA génératives tout en préservant leur capacité à créer, à produire et à diffuser une information rigoureuse.</p>\n\
<p>Après cinq réunions plénières et quarante bilatérales, la concertation a permis de favoriser une compréhension réciproque des enjeux de chacun. Bien que de premiers accords contractuels existent entre grands développeurs et organes de presse ou ayants droit culturels, et que des pourparlers soient en cours, ils ne sont pas systématiques et demeurent insuffisants pour assurer la juste rémunération des œuvres et contenus utilisés pour l’entraînement des modèles d’IA. En particulier, l’interprétation extensive de l’exemption de fouilles de données contrarie les démarches de contractualisation.</p>\n\
<p>Le droit d’auteur est le socle de notre exception culturelle et un pilier essentiel de notre souveraineté numérique et créative. Il apparaît dès lors pleinement légitime que les pouvoirs publics envisagent des actions, y compris de nature législative comme celles évoquées dans le cadre des missions conduites au Conseil supérieur de la propriété littéraire et artistique (CSPLA). Parmi ces actions, celle d’une « inversion de la charge de la preuve » ou d’une « présomption d’utilisation des contenus culturels par les fournisseurs d’IA » doit faire l’objet d’un travail attentif.</p>\n\
<p>Rachida Dati, ministre de la Culture, déclare :</p>\n\
<blockquote><p>« Je veux redire, tant aux ayants droit qu’aux développeurs, que je suis pleinement mobilisée pour parvenir à faire émerger des modèles d’IA éthiques et responsables. Ce développement représente une opportunité exceptionnelle pour l’économie française, y compris pour ses industries culturelles et créatives, mais il doit être gagnant pour tous. »</p></blockquote>";

/// The English version of the article: a shorter translation, written for
/// the demo (the page has none).
pub const ENGLISH_SLUG: &str = "consultation-ai-providers-rights-holders";

const ENGLISH_TITLE: &str = "Consultation between AI providers and rights holders: a structured space for dialogue and negotiation, but value sharing still falls short";

const ENGLISH_SUMMARY: &str = "On 2 June, the Minister of Culture and the Minister Delegate for Artificial Intelligence and Digital Affairs opened a round of consultation between AI model developers and rights holders, led by two qualified figures, Maxime Boutron, maître des requêtes at the Conseil d’État, and Marc Bourreau, professor of economics at Télécom Paris.";

const ENGLISH_BODY: &str = "<p>The consultation set out to move beyond a sterile opposition between innovation and culture, towards a virtuous circle of value creation: generative AI providers need reliable, high-quality data to train their models within a secure legal framework, and cultural and news media must be able to contribute to generative AI while keeping their capacity to create, produce and publish rigorous information.</p>\n\
<p>After five plenary meetings and forty bilateral ones, the consultation fostered a mutual understanding of each side’s stakes. Although first licensing agreements exist between large developers and press publishers or cultural rights holders, they are not systematic and remain insufficient to ensure fair remuneration for the works used to train AI models.</p>\n\
<p>Copyright is the foundation of cultural policy and a pillar of digital and creative sovereignty. It is therefore legitimate for public authorities to consider action, including legislation, such as a presumption that cultural content has been used by AI providers.</p>\n\
<p><em>Demo content: an English summary of the French article, written for this demonstration.</em></p>";

struct DemoPublication {
    slug: &'static str,
    title: &'static str,
    summary: &'static str,
    body: &'static str,
    /// Year, month, day; published at 09:00 UTC, the same date on every
    /// continent's calendar.
    date: (i32, u32, u32),
}

const RELATED: [DemoPublication; 2] = [
    DemoPublication {
        slug: "prevenir-violences-sexistes-sexuelles-travail-kit-cse",
        title: "Prévenir en amont les violences sexistes et sexuelles au travail (VSST) : un kit pour les référentes et référents CSE et employeur",
        summary: "Contenu de démonstration : la page d’origine ne montre que le titre de cette publication. Un kit pour aider les référentes et référents CSE et les employeurs à prévenir les violences sexistes et sexuelles au travail.",
        body: "<p>Contenu de démonstration : le texte de cette publication ne figure pas sur la page d’origine.</p>",
        date: (2025, 11, 28),
    },
    DemoPublication {
        slug: "emploi-lieux-concerts-wallonie-bruxelles",
        title: "L’emploi dans les lieux et organisations de concerts en Wallonie et à Bruxelles : Un secteur qui se transforme",
        summary: "Contenu de démonstration : la page d’origine ne montre que le titre de cette publication. Une étude de l’emploi dans les lieux et organisations de concerts en Wallonie et à Bruxelles.",
        body: "<p>Contenu de démonstration : le texte de cette publication ne figure pas sur la page d’origine.</p>",
        date: (2025, 11, 21),
    },
];

fn at_nine(date: (i32, u32, u32)) -> NaiveDateTime {
    NaiveDate::from_ymd_opt(date.0, date.1, date.2)
        .and_then(|day| day.and_hms_opt(9, 0, 0))
        .expect("the demo dates are valid")
}

/// Loads the demo content unless its article is already there, through
/// the stores as any write. Returns whether anything was written. All of
/// it is written, or none.
pub fn load(connection: &mut DbConnection) -> Result<bool, ApiError> {
    let change = Change::now(Author::Command("seed-demo"));
    db::write_transaction(connection, |connection| {
        change::logged(connection, &change, |connection| {
            if lookups::id_of_slug(connection, ARTICLE_SLUG)?.is_some() {
                return Ok(false);
            }
            let stamps = Stamps::new(&change);
            let category = |slug: &str, names: [(&str, &str); 2], parent_id: Option<i32>| {
                let [(name, description), (english, english_description)] = names;
                let english =
                    CategoryText { name: english.to_owned(), description: Some(english_description.to_owned()) };
                CategoryValues {
                    slug: slug.to_owned(),
                    name: name.to_owned(),
                    description: Some(description.to_owned()),
                    parent_id,
                    position: 0,
                    names: [("en".to_owned(), english)].into(),
                }
            };
            let studies = category_store::insert(
                connection,
                &change,
                &category(
                    "etudes-publications",
                    [
                        ("Études & publications", "Les études, rapports et publications du ministère."),
                        ("Studies & publications", "The ministry’s studies, reports and publications."),
                    ],
                    None,
                ),
                &stamps,
            )?;
            let phonographic = category_store::insert(
                connection,
                &change,
                &category(
                    "veille-industrie-phonographique",
                    [
                        ("Veille industrie phonographique", "Le suivi de l’industrie phonographique."),
                        ("Recorded music industry watch", "Following the recorded music industry."),
                    ],
                    Some(studies),
                ),
                &stamps,
            )?;

            let article = DemoPublication {
                slug: ARTICLE_SLUG,
                title: ARTICLE_TITLE,
                summary: ARTICLE_SUMMARY,
                body: ARTICLE_BODY,
                date: (2025, 12, 5),
            };
            let english = DemoPublication {
                slug: ENGLISH_SLUG,
                title: ENGLISH_TITLE,
                summary: ENGLISH_SUMMARY,
                body: ENGLISH_BODY,
                date: (2025, 12, 5),
            };
            let mut insert =
                |publication: &DemoPublication, language: &str, category_ids: Vec<i32>| -> QueryResult<i32> {
                    let published_at = at_nine(publication.date);
                    let values = PublicationValues {
                        slug: publication.slug.to_owned(),
                        title: publication.title.to_owned(),
                        summary: publication.summary.to_owned(),
                        body: publication.body.to_owned(),
                        status: Status::Published,
                        language: language.to_owned(),
                        published_at: Some(published_at),
                        unpublish_at: None,
                        announce: false,
                        authors: Vec::new(),
                        category_ids,
                    };
                    // Dated as the page dates them.
                    let stamps = Stamps { created_at: published_at, updated_at: published_at, version: 1 };
                    publication_store::insert(connection, &change, &values, &values.document(), &stamps)
                };
            // The English version first: on the same date, the French
            // article, newer by id, comes before it in lists.
            let english_id = insert(&english, "en", vec![studies, phonographic])?;
            let french = search::DEFAULT_LANGUAGE;
            let article_id = insert(&article, french, vec![studies, phonographic])?;
            let related_ids =
                [insert(&RELATED[0], french, vec![studies])?, insert(&RELATED[1], french, vec![studies])?];
            translations::write(connection, &change, english_id, "en", &Membership::Join(Reference::Id(article_id)))?;
            for (position, (target_id, related)) in related_ids.iter().zip(&RELATED).enumerate() {
                let link = LinkValues {
                    rel: LinkRel::Related,
                    title: related.title.to_owned(),
                    url: None,
                    target_id: Some(*target_id),
                    media_type: None,
                    hreflang: None,
                    position: position as i32,
                };
                link_store::insert(connection, &change, article_id, &link, &stamps)?;
            }
            // Their history starts here, as if written through the API.
            for id in [article_id, related_ids[0], related_ids[1], english_id] {
                history::revise(connection, &change, id, Reason::Edit)?;
            }
            Ok(true)
        })
    })
}
