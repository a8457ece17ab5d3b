// The only knowledge of the API: a client generated from the committed
// OpenAPI document (`npm run generate`).
import createClient from "openapi-fetch";
import type { components, paths } from "./schema";

export type Publication = components["schemas"]["Publication"];
export type PublicationSummary = components["schemas"]["PublicationSummary"];
export type CategoryDetail = components["schemas"]["CategoryDetail"];
export type CategoryNode = components["schemas"]["CategoryNode"];
export type Facets = components["schemas"]["Facets"];
export type Problem = components["schemas"]["Problem"];
export type Release = components["schemas"]["Release"];
export type Attachment = components["schemas"]["Attachment"];

export const apiUrl: string = import.meta.env.VITE_API_URL ?? "http://127.0.0.1:8080";

export const api = createClient<paths>({ baseUrl: apiUrl });

/** A file's URL: the API gives them relative to its origin. */
export function fileUrl(path: string): string {
  return new URL(path, apiUrl).toString();
}

/** The API could not be reached at all (down, or refused by the network). */
export class Unreachable extends Error {}

/** Runs a call, turning a network failure into `Unreachable`. */
export async function reach<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw new Unreachable(error instanceof Error ? error.message : String(error));
  }
}
