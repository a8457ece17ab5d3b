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

/** A file's size as French readers write it: "2,3 Mo", "850 ko", "12 octets". */
const DECIMAL = new Intl.NumberFormat("fr-FR", { maximumFractionDigits: 1 });

export function fileSize(bytes: number): string {
  if (bytes < 1000) return bytes <= 1 ? `${bytes} octet` : `${bytes} octets`;
  const units = ["ko", "Mo", "Go"];
  let value = bytes / 1000;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit += 1;
  }
  return `${DECIMAL.format(value >= 100 ? Math.round(value) : value)} ${units[unit]}`;
}

/** The short name of a file's type: "PDF", "CSV", "tableur ODS"… */
const TYPES: Record<string, string> = {
  "application/pdf": "PDF",
  "text/csv": "CSV",
  "text/plain": "texte",
  "image/png": "PNG",
  "image/jpeg": "JPEG",
  "image/webp": "WebP",
  "image/avif": "AVIF",
  "application/zip": "ZIP",
  "application/epub+zip": "EPUB",
  "application/vnd.oasis.opendocument.text": "ODT",
  "application/vnd.oasis.opendocument.spreadsheet": "ODS",
  "application/vnd.oasis.opendocument.presentation": "ODP",
  "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "DOCX",
  "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "XLSX",
  "application/vnd.openxmlformats-officedocument.presentationml.presentation": "PPTX",
};

export function fileType(mediaType: string): string {
  return TYPES[mediaType] ?? mediaType;
}
