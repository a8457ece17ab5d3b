// A partner's client, generated from the committed OpenAPI document
// (openapi-typescript types, openapi-fetch calls): it must type-check under
// --strict and work against a live server. Usage:
//   PARUTION_URL=http://127.0.0.1:8080 PARUTION_TOKEN=prt_… node dist/client.js
import createClient from "openapi-fetch";
import type { components, paths } from "./schema.js";

type Problem = components["schemas"]["Problem"];

const baseUrl = process.env.PARUTION_URL ?? "http://127.0.0.1:8080";
const token = process.env.PARUTION_TOKEN;
if (!token) throw new Error("PARUTION_TOKEN must hold an API token");

const api = createClient<paths>({ baseUrl });
const editor = { Authorization: `Bearer ${token}` };

function check(condition: boolean, what: string): asserts condition {
  if (!condition) throw new Error(`failed: ${what}`);
  console.log(`ok: ${what}`);
}

function problemCode(error: Problem | undefined): string | undefined {
  return error?.code;
}

// List, with facets for filter chips.
const list = await api.GET("/api/v1/publications", {
  params: { query: { per_page: 2, facets: "category,year,language" } },
});
check(list.data !== undefined, "the list answers");
const page = list.data;
check(page.data.length === 2 && page.pagination.total >= 3, "a page of 2 among all publications");
check((page.facets?.category?.length ?? 0) > 0, "facets come with the page");

// Follow the cursor to the next page.
const cursor = page.pagination.next_cursor;
check(typeof cursor === "string", "a next cursor");
// Every other parameter stays as it was; only the position changes.
const next = await api.GET("/api/v1/publications", {
  params: { query: { per_page: 2, facets: "category,year,language", cursor } },
});
check(next.data !== undefined && next.data.data.length >= 1, "the cursor gives the next page");
const seen = new Set(page.data.map((item) => item.id));
check(next.data.data.every((item) => !seen.has(item.id)), "no item repeats across pages");

// Search, accent-insensitive, with facets.
const search = await api.GET("/api/v1/publications", {
  params: { query: { q: "developpeurs", facets: "category" } },
});
const found = search.data?.data[0];
check(found !== undefined && found.title.startsWith("Concertation"), "a search finds the seed article");

// Read one, with its ETag.
const read = await api.GET("/api/v1/publications/{ref}", {
  params: { path: { ref: found.slug } },
  headers: editor,
});
check(read.data !== undefined, "the publication reads");
const etag = read.response.headers.get("ETag");
check(etag !== null, "the answer has an ETag");

// A JSON Merge Patch of `summary` alone, with If-Match.
const patched = await api.PATCH("/api/v1/publications/{ref}", {
  params: { path: { ref: found.slug }, header: { "If-Match": etag } },
  headers: { ...editor, "Content-Type": "application/merge-patch+json" },
  body: { summary: "Un résumé revu par un client généré." },
});
check(patched.data?.summary === "Un résumé revu par un client généré.", "PATCH changes only the summary");
check(patched.data.title === read.data.title, "the title stays");

// The same If-Match again is stale: a typed problem.
const stale = await api.PATCH("/api/v1/publications/{ref}", {
  params: { path: { ref: found.slug }, header: { "If-Match": etag } },
  headers: { ...editor, "Content-Type": "application/merge-patch+json" },
  body: { summary: "Perdu" },
});
check(stale.response.status === 412, "a stale If-Match is a 412");
check(problemCode(stale.error) === "PRECONDITION_FAILED", "the 412 is a typed problem");

// The history: the patch is the newest revision; the one before it reads
// whole, and its diff gives back the former summary; restoring it is a new
// version, recorded as a restore.
const revisions = await api.GET("/api/v1/publications/{ref}/revisions", {
  params: { path: { ref: found.slug } },
  headers: editor,
});
const newest = revisions.data?.data[0];
check(newest !== undefined && newest.changed.includes("summary"), "the patch is the newest revision");
const before = newest.number - 1;
const diff = await api.GET("/api/v1/publications/{ref}/revisions/{number}/diff", {
  params: { path: { ref: found.slug, number: before } },
  headers: editor,
});
check((diff.data as Record<string, unknown>)?.summary === read.data.summary, "the diff gives back the former summary");
const restored = await api.POST("/api/v1/publications/{ref}/revisions/{number}/restore", {
  params: { path: { ref: found.slug, number: before } },
  headers: editor,
});
check(restored.data?.publication.summary === read.data.summary && restored.data.restored_from === before, "a restore");

// A token of a narrower scope is a typed 403.
const tokens = await api.GET("/api/v1/tokens", { headers: editor });
check(tokens.response.status === 403 && problemCode(tokens.error) === "INSUFFICIENT_SCOPE", "a 403 names the scope");

// An unknown slug: a typed 404 problem.
const missing = await api.GET("/api/v1/publications/{ref}", { params: { path: { ref: "inconnue" } } });
check(missing.response.status === 404 && problemCode(missing.error) === "NOT_FOUND", "a 404 is a typed problem");

// A file, uploaded as a browser form would send it, then downloaded.
const pdf = new TextEncoder().encode("%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n");
const form = new FormData();
form.append("file", new Blob([pdf], { type: "application/pdf" }), "rapport-client.pdf");
form.append("title", "Rapport envoyé par un client généré");
const uploaded = await api.POST("/api/v1/publications/{ref}/attachments", {
  params: { path: { ref: "concertation-fournisseurs-ia-ayants-droit" } },
  headers: editor,
  body: form as never,
  bodySerializer: (body) => body as unknown as FormData,
});
check(uploaded.response.status === 201 && uploaded.data !== undefined, "a form upload is a 201");
check(uploaded.data.media_type === "application/pdf" && uploaded.data.filename === "rapport-client.pdf", "typed by its bytes, named by the form");
const file = await fetch(new URL(uploaded.data.url, baseUrl));
check(file.status === 200 && (await file.arrayBuffer()).byteLength === pdf.length, "the file downloads whole");
const refused = await api.POST("/api/v1/publications/{ref}/attachments", {
  params: { path: { ref: "concertation-fournisseurs-ia-ayants-droit" } },
  headers: { ...editor, "Content-Type": "image/png" },
  body: pdf as never,
  bodySerializer: (body) => body as unknown as Uint8Array,
});
check(refused.response.status === 415 && problemCode(refused.error) === "UNSUPPORTED_MEDIA_TYPE", "a PDF sent as PNG is a typed 415");

// The category tree, for navigation.
const tree = await api.GET("/api/v1/categories", { params: { query: { tree: true } } });
check((tree.data?.data[0]?.children?.length ?? 0) > 0, "the tree nests categories");
console.log("the generated client works");
