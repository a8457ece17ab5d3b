/** A date as the ministry's pages show it: 05/12/2025, in Paris time. */
const DAY = new Intl.DateTimeFormat("fr-FR", {
  timeZone: "Europe/Paris",
  day: "2-digit",
  month: "2-digit",
  year: "numeric",
});

export function day(iso: string): string {
  return DAY.format(new Date(iso));
}

/** A release's date and time as a reader in France reads it, in Paris
 * time whatever the browser's zone: "vendredi 5 décembre 2026 à 10:00". */
const MOMENT = new Intl.DateTimeFormat("fr-FR", {
  timeZone: "Europe/Paris",
  weekday: "long",
  day: "numeric",
  month: "long",
  year: "numeric",
  hour: "2-digit",
  minute: "2-digit",
});

export function moment(iso: string): string {
  return MOMENT.format(new Date(iso));
}

/** An element with attributes and children, text escaped. */
export function h(
  tag: string,
  attributes: Record<string, string | undefined> = {},
  ...children: (Node | string | null | undefined)[]
): HTMLElement {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value !== undefined) element.setAttribute(name, value);
  }
  for (const child of children) {
    if (child !== null && child !== undefined) element.append(child);
  }
  return element;
}
