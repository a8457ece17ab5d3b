// The reference front end: the ministry's "Études & publications" pages,
// rebuilt from the API's answers alone. Three pages: the listing (`/`), a
// publication (`/publications/{slug}`) and the coming releases
// (`/a-paraitre`); anything else is "not found".
import "./style.css";
import {
  api,
  apiUrl,
  fileUrl,
  reach,
  Unreachable,
  type Attachment,
  type Facets,
  type Publication,
  type PublicationSummary,
  type Release,
} from "./api";
import { day, fileSize, fileType, h, moment } from "./format";

const SITE = "Ministère de la Culture";
const main = document.querySelector("main") as HTMLElement;

/** Replaces the page's content and moves focus to it, for screen readers. */
function show(title: string, ...content: Node[]): void {
  document.title = `${title} – ${SITE}`;
  main.replaceChildren(...content);
  main.focus({ preventScroll: true });
}

function loading(): void {
  main.replaceChildren(h("p", { class: "status", role: "status", "aria-live": "polite" }, "Chargement…"));
}

function failure(error: unknown): void {
  const message =
    error instanceof Unreachable
      ? "Le service des publications est injoignable pour le moment. Réessayez dans quelques instants."
      : "Une erreur est survenue en chargeant cette page. Réessayez dans quelques instants.";
  document.documentElement.lang = "fr";
  alternates([]);
  show("Service indisponible", h("h1", {}, "Service indisponible"), h("p", { role: "alert", class: "error" }, message));
}

function notFound(): void {
  document.documentElement.lang = "fr";
  alternates([]);
  show(
    "Page introuvable",
    h("h1", {}, "Page introuvable"),
    h("p", {}, "La publication demandée n’existe pas ou n’est plus en ligne."),
    h("p", {}, link("/", "Retour aux études et publications")),
  );
}

/** A link handled by the page itself, without reloading. */
function link(href: string, text: string, attributes: Record<string, string> = {}): HTMLElement {
  return h("a", { href, "data-route": "", ...attributes }, text);
}

/** The few words of a publication's page, in its language (French otherwise). */
const WORDS = {
  fr: { home: "Accueil", trail: "Fil d’Ariane", categories: "Catégories", versions: "Autres langues" },
  en: { home: "Home", trail: "Breadcrumb", categories: "Categories", versions: "Other languages" },
};

function words(language: string): (typeof WORDS)["fr"] {
  return language.split("-")[0] === "en" ? WORDS.en : WORDS.fr;
}

/** How a link to a version reads, in that version's own language. */
function versionName(language: string): string {
  const primary = language.split("-")[0];
  if (primary === "fr") return "Version française";
  if (primary === "en") return "English version";
  const name = new Intl.DisplayNames([language], { type: "language" }).of(language) ?? language;
  return name.charAt(0).toLocaleUpperCase(language) + name.slice(1);
}

function breadcrumb(trail: { name: string; href?: string }[], label = WORDS.fr.trail): HTMLElement {
  const items = trail.map((step, index) =>
    h("li", {}, step.href && index < trail.length - 1 ? link(step.href, step.name) : h("span", { "aria-current": "page" }, step.name)),
  );
  return h("nav", { class: "breadcrumb", "aria-label": label }, h("ol", {}, ...items));
}

/** The page's `<link rel="alternate" hreflang>`: one per version the API lists. */
function alternates(translations: Publication["translations"]): void {
  for (const old of document.head.querySelectorAll("link[data-translation]")) old.remove();
  for (const translation of translations) {
    const alternate = document.createElement("link");
    alternate.rel = "alternate";
    alternate.hreflang = translation.language;
    alternate.href = new URL(`/publications/${translation.slug}`, location.origin).toString();
    alternate.dataset.translation = "";
    document.head.append(alternate);
  }
}

/** "English version" / "Version française": the other versions a reader may open. */
function versions(publication: Publication): HTMLElement | null {
  if (publication.translations.length === 0) return null;
  return h(
    "nav",
    { class: "versions", "aria-label": words(publication.language).versions },
    h(
      "ul",
      {},
      ...publication.translations.map((translation) =>
        h("li", {}, link(`/publications/${translation.slug}`, versionName(translation.language), { hreflang: translation.language, lang: translation.language })),
      ),
    ),
  );
}

// ---------------------------------------------------------------- publication

async function publicationPage(slug: string): Promise<void> {
  loading();
  const answer = await reach(() => api.GET("/api/v1/publications/{ref}", { params: { path: { ref: slug } } }));
  if (answer.response.status === 404) return notFound();
  let publication = answer.data;
  if (!publication) return failure(answer.error);
  // An old slug was redirected by the API: the page ends on the current URL.
  if (publication.slug !== slug) history.replaceState(null, "", `/publications/${publication.slug}`);
  // Labels (its categories, the breadcrumb) in the publication's language.
  const lang = publication.language;
  if (lang.split("-")[0] !== "fr") {
    const ref = publication.slug;
    const named = await reach(() => api.GET("/api/v1/publications/{ref}", { params: { path: { ref }, query: { lang } } }));
    publication = named.data ?? publication;
  }
  const shown = publication;

  const first = shown.categories[0];
  const [category, related] = await Promise.all([
    first ? reach(() => api.GET("/api/v1/categories/{ref}", { params: { path: { ref: first.slug }, query: { lang } } })) : undefined,
    reach(() => api.GET("/api/v1/publications/{ref}/related", { params: { path: { ref: shown.slug }, query: { lang } } })),
  ]);
  const trail: { name: string; href?: string }[] = [{ name: words(lang).home, href: "/" }];
  if (category?.data) {
    for (const ancestor of [...category.data.ancestors, category.data]) {
      trail.push({ name: ancestor.name, href: `/?category=${encodeURIComponent(ancestor.slug)}` });
    }
  }
  document.documentElement.lang = lang;
  alternates(shown.translations);
  const content = [breadcrumb(trail, words(lang).trail), versions(shown), article(shown), relatedList(related.data?.data ?? [])];
  show(shown.title, ...content.filter((node): node is HTMLElement | Text => node !== null));
}

function article(publication: Publication): HTMLElement {
  const body = h("div", { class: "body" });
  // The API sanitised the body on write: article markup only.
  body.innerHTML = publication.body;
  return h(
    "article",
    { class: "publication" },
    h("h1", {}, publication.title),
    publication.published_at
      ? h("p", { class: "date" }, h("time", { datetime: publication.published_at }, day(publication.published_at)))
      : null,
    h(
      "ul",
      { class: "labels", "aria-label": words(publication.language).categories },
      ...publication.categories.map((category) => h("li", {}, link(`/?category=${encodeURIComponent(category.slug)}`, category.name))),
    ),
    publication.cover ? coverFigure(publication.cover, "(min-width: 60rem) 40rem, 100vw", "cover") : null,
    publication.summary ? h("p", { class: "lead" }, publication.summary) : null,
    body,
    downloads(publication.attachments),
  );
}

/** A cover image, its copies offered for the reader's screen. */
function coverFigure(cover: Attachment, sizes: string, className: string): HTMLElement {
  const srcset = [...cover.variants.map((variant) => `${fileUrl(variant.url)} ${variant.width}w`)];
  if (cover.width) srcset.push(`${fileUrl(cover.url)} ${cover.width}w`);
  return h("img", {
    class: className,
    src: fileUrl(cover.variants.at(-1)?.url ?? cover.url),
    srcset: srcset.length ? srcset.join(", ") : undefined,
    sizes,
    alt: cover.alt ?? "",
    width: cover.width ? String(cover.width) : undefined,
    height: cover.height ? String(cover.height) : undefined,
    loading: className === "thumbnail" ? "lazy" : undefined,
    decoding: "async",
  });
}

const DOWNLOAD: Record<Attachment["role"], string> = {
  document: "Télécharger le rapport",
  annex: "Télécharger l’annexe",
  dataset: "Télécharger les données",
  cover: "Télécharger l’image",
};

/** The files to download: "Télécharger le rapport (PDF, 2,3 Mo)". */
function downloads(attachments: Attachment[]): HTMLElement | null {
  const files = attachments.filter((attachment) => attachment.role !== "cover");
  if (files.length === 0) return null;
  return h(
    "section",
    { class: "downloads", "aria-labelledby": "downloads-title" },
    h("h2", { id: "downloads-title" }, "Documents à télécharger"),
    h(
      "ul",
      {},
      ...files.map((file) =>
        h(
          "li",
          {},
          h("span", { class: "file-title", lang: file.language ?? undefined }, file.title),
          " ",
          h(
            "a",
            { href: fileUrl(file.url), download: file.filename, hreflang: file.language ?? undefined, type: file.media_type },
            `${DOWNLOAD[file.role]} (${fileType(file.media_type)}, ${fileSize(file.size)})`,
          ),
        ),
      ),
    ),
  );
}

function relatedList(related: PublicationSummary[]): HTMLElement | Text {
  if (related.length === 0) return document.createTextNode("");
  return h(
    "aside",
    { class: "related", "aria-labelledby": "related-title" },
    h("h2", { id: "related-title" }, "Publications liées"),
    h("ul", {}, ...related.map((item) => h("li", {}, link(`/publications/${item.slug}`, item.title)))),
  );
}

// ---------------------------------------------------------------- listing

type Sort = "-published_at" | "published_at" | "title" | "relevance";
const SORTS: [Sort, string][] = [
  ["-published_at", "Les plus récentes"],
  ["published_at", "Les plus anciennes"],
  ["title", "Titre, de A à Z"],
  ["relevance", "Pertinence (avec une recherche)"],
];

/** What the listing shows, kept in the page's URL so it can be shared. */
interface ListState {
  q: string;
  category: string[];
  language: string;
  year: string;
  sort: Sort | "";
}

function readState(): ListState {
  const params = new URLSearchParams(location.search);
  const sort = params.get("sort") ?? "";
  return {
    q: params.get("q") ?? "",
    category: params.getAll("category"),
    language: params.get("language") ?? "",
    year: params.get("year") ?? "",
    sort: SORTS.some(([value]) => value === sort) ? (sort as Sort) : "",
  };
}

function stateUrl(state: ListState): string {
  const params = new URLSearchParams();
  if (state.q) params.set("q", state.q);
  for (const category of state.category) params.append("category", category);
  if (state.language) params.set("language", state.language);
  if (state.year) params.set("year", state.year);
  if (state.sort) params.set("sort", state.sort);
  const query = params.toString();
  return query ? `/?${query}` : "/";
}

function listQuery(state: ListState, cursor?: string) {
  const sort = state.sort === "relevance" && !state.q ? undefined : state.sort || undefined;
  return {
    per_page: 10,
    facets: "category,year,language",
    ...(state.q ? { q: state.q } : {}),
    ...(state.category.length ? { category: state.category } : {}),
    ...(state.language ? { language: state.language } : {}),
    ...(state.year ? { published_after: `${state.year}-01-01`, published_before: `${state.year}-12-31` } : {}),
    ...(sort ? { sort } : {}),
    ...(cursor ? { cursor } : {}),
  };
}

async function listingPage(): Promise<void> {
  loading();
  const state = readState();
  const [list, tree] = await Promise.all([
    reach(() => api.GET("/api/v1/publications", { params: { query: listQuery(state) } })),
    reach(() => api.GET("/api/v1/categories", { params: { query: { tree: true } } })),
  ]);
  document.documentElement.lang = "fr";
  alternates([]);
  if (list.response.status === 400 || list.response.status === 404) {
    // A shared URL with a filter that no longer applies: start afresh.
    history.replaceState(null, "", "/");
    return listingPage();
  }
  const page = list.data;
  if (!page) return failure(list.error);

  const results = h("ol", { class: "results" }, ...page.data.map(resultItem));
  const { total, total_is_estimate: estimated } = page.pagination;
  // A broad search's total is an estimate, and reads as one.
  const count = h(
    "p",
    { class: "count", role: "status", "aria-live": "polite" },
    (estimated ? "environ " : "") + (total === 1 ? "1 publication" : `${total} publications`),
  );
  const more = h("button", { type: "button", class: "more" }, "Charger plus de publications");
  let cursor = page.pagination.next_cursor;
  more.hidden = !cursor;
  more.addEventListener("click", async () => {
    if (!cursor) return;
    more.setAttribute("aria-busy", "true");
    try {
      const next = await reach(() => api.GET("/api/v1/publications", { params: { query: listQuery(state, cursor ?? undefined) } }));
      if (!next.data) return failure(next.error);
      results.append(...next.data.data.map(resultItem));
      cursor = next.data.pagination.next_cursor;
      more.hidden = !cursor;
    } catch (error) {
      failure(error);
    } finally {
      more.removeAttribute("aria-busy");
    }
  });

  show(
    "Études & publications",
    breadcrumb([{ name: "Accueil", href: "/" }, { name: "Études & publications" }]),
    h("h1", {}, "Études & publications"),
    h("p", {}, link("/a-paraitre", "Voir les publications à paraître")),
    searchForm(state),
    h(
      "div",
      { class: "layout" },
      h("div", { class: "side" }, categoryNavigation(tree.data?.data ?? []), facetChips(state, page.facets)),
      h("section", { class: "list", "aria-label": "Résultats" }, count, results, more),
    ),
  );
}

function resultItem(item: PublicationSummary): HTMLElement {
  return h(
    "li",
    { class: item.cover ? "with-cover" : undefined },
    item.cover ? coverFigure(item.cover, "10rem", "thumbnail") : null,
    h("h2", {}, link(`/publications/${item.slug}`, item.title)),
    item.published_at ? h("p", { class: "date" }, h("time", { datetime: item.published_at }, day(item.published_at))) : null,
    item.summary ? h("p", {}, item.summary) : null,
  );
}

function searchForm(state: ListState): HTMLElement {
  const input = h("input", { type: "search", id: "q", name: "q", value: state.q, autocomplete: "off" }) as HTMLInputElement;
  const select = h(
    "select",
    { id: "sort", name: "sort" },
    ...SORTS.map(([value, label]) => {
      const option = h("option", { value }, label) as HTMLOptionElement;
      option.selected = value === (state.sort || (state.q ? "relevance" : "-published_at"));
      return option;
    }),
  ) as HTMLSelectElement;
  const form = h(
    "form",
    { role: "search", class: "search" },
    h("label", { for: "q" }, "Rechercher une publication"),
    input,
    h("label", { for: "sort" }, "Trier par"),
    select,
    h("button", { type: "submit" }, "Rechercher"),
  );
  // The order given by the page's default is left out of the URL, so a new
  // search sorts by relevance unless the reader chose an order.
  let chosen = state.sort !== "";
  select.addEventListener("change", () => {
    chosen = true;
  });
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    navigate(stateUrl({ ...state, q: input.value.trim(), sort: chosen ? (select.value as Sort) : "" }));
  });
  return form;
}

function categoryNavigation(nodes: { slug: string; name: string; children?: unknown }[]): HTMLElement {
  const list = (items: typeof nodes): HTMLElement =>
    h(
      "ul",
      {},
      ...items.map((node) =>
        h(
          "li",
          {},
          link(`/?category=${encodeURIComponent(node.slug)}`, node.name),
          Array.isArray(node.children) && node.children.length ? list(node.children as typeof nodes) : null,
        ),
      ),
    );
  return h("nav", { class: "categories", "aria-labelledby": "categories-title" }, h("h2", { id: "categories-title" }, "Catégories"), list(nodes));
}

function facetChips(state: ListState, facets: Facets | null | undefined): HTMLElement {
  const group = (title: string, chips: { label: string; count: number; active: boolean; next: ListState }[]) =>
    chips.length === 0
      ? null
      : h(
          "div",
          { class: "facet", role: "group", "aria-label": title },
          h("h3", {}, title),
          ...chips.map((chip) => {
            const button = h(
              "button",
              { type: "button", class: "chip", "aria-pressed": String(chip.active), "data-count": String(chip.count) },
              `${chip.label} (${chip.count})`,
            );
            button.addEventListener("click", () => navigate(stateUrl(chip.next)));
            return button;
          }),
        );
  const toggle = (values: string[], value: string) =>
    values.includes(value) ? values.filter((other) => other !== value) : [...values, value];
  return h(
    "section",
    { class: "facets", "aria-labelledby": "facets-title" },
    h("h2", { id: "facets-title" }, "Filtrer"),
    group(
      "Catégories",
      (facets?.category ?? []).map((facet) => ({
        label: facet.name,
        count: facet.count,
        active: state.category.includes(facet.slug),
        next: { ...state, category: toggle(state.category, facet.slug) },
      })),
    ),
    group(
      "Années",
      (facets?.year ?? []).map((facet) => ({
        label: String(facet.value),
        count: facet.count,
        active: state.year === String(facet.value),
        next: { ...state, year: state.year === String(facet.value) ? "" : String(facet.value) },
      })),
    ),
    group(
      "Langues",
      (facets?.language ?? []).map((facet) => ({
        label: facet.value,
        count: facet.count,
        active: state.language === facet.value,
        next: { ...state, language: state.language === facet.value ? "" : facet.value },
      })),
    ),
  );
}

// ---------------------------------------------------------------- coming releases

async function schedulePage(): Promise<void> {
  loading();
  const answer = await reach(() => api.GET("/api/v1/schedule", { params: { query: { per_page: 100 } } }));
  const coming = answer.data;
  if (!coming) return failure(answer.error);
  document.documentElement.lang = "fr";
  alternates([]);
  const releases = coming.data.length
    ? h("ol", { class: "results releases" }, ...coming.data.map(releaseItem))
    : h("p", {}, "Aucune publication n’est annoncée pour le moment.");
  show(
    "À paraître",
    breadcrumb([{ name: "Accueil", href: "/" }, { name: "Études & publications", href: "/" }, { name: "À paraître" }]),
    h("h1", {}, "À paraître"),
    h("p", {}, "Les prochaines publications annoncées, à l’heure de Paris."),
    releases,
    h("p", {}, h("a", { href: `${apiUrl}/api/v1/schedule.ics`, type: "text/calendar" }, "S’abonner au calendrier des parutions (iCalendar)")),
  );
}

function releaseItem(release: Release): HTMLElement {
  return h(
    "li",
    { lang: release.language },
    h("h2", {}, release.title),
    h("p", { class: "date" }, h("time", { datetime: release.published_at, lang: "fr" }, moment(release.published_at))),
    release.categories.length
      ? h("ul", { class: "labels", "aria-label": "Catégories", lang: "fr" }, ...release.categories.map((category) => h("li", {}, category.name)))
      : null,
  );
}

// ---------------------------------------------------------------- routing

function navigate(url: string): void {
  history.pushState(null, "", url);
  void route();
}

async function route(): Promise<void> {
  const match = /^\/publications\/([^/]+)\/?$/.exec(location.pathname);
  try {
    if (location.pathname === "/") await listingPage();
    else if (location.pathname === "/a-paraitre") await schedulePage();
    else if (match?.[1]) await publicationPage(decodeURIComponent(match[1]));
    else notFound();
  } catch (error) {
    failure(error);
  }
}

document.addEventListener("click", (event) => {
  const anchor = (event.target as Element | null)?.closest("a[data-route]");
  if (!(anchor instanceof HTMLAnchorElement) || event.metaKey || event.ctrlKey || event.shiftKey) return;
  event.preventDefault();
  navigate(anchor.getAttribute("href") ?? "/");
});
window.addEventListener("popstate", () => void route());
void route();
