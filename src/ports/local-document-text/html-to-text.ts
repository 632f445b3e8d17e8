/** Named character references common in clinical and office HTML (the full HTML list has 2,231). */
const ENTITIES: Record<string, string> = {
  amp: "&",
  lt: "<",
  gt: ">",
  quot: '"',
  apos: "'",
  nbsp: " ",
  ensp: " ",
  emsp: " ",
  thinsp: " ",
  shy: "",
  copy: "©",
  reg: "®",
  trade: "™",
  deg: "°",
  micro: "µ",
  plusmn: "±",
  times: "×",
  divide: "÷",
  le: "≤",
  ge: "≥",
  ne: "≠",
  asymp: "≈",
  minus: "−",
  middot: "·",
  bull: "•",
  hellip: "…",
  ndash: "–",
  mdash: "—",
  lsquo: "‘",
  rsquo: "’",
  sbquo: "‚",
  ldquo: "“",
  rdquo: "”",
  bdquo: "„",
  laquo: "«",
  raquo: "»",
  frac12: "½",
  frac14: "¼",
  frac34: "¾",
  sup2: "²",
  sup3: "³",
  para: "¶",
  sect: "§",
  euro: "€",
  pound: "£",
  yen: "¥",
  cent: "¢",
  larr: "←",
  rarr: "→",
  uarr: "↑",
  darr: "↓",
  alpha: "α",
  beta: "β",
  gamma: "γ",
  delta: "δ",
  mu: "μ",
  szlig: "ß",
};

const ACCENT_ENTITY = /^([A-Za-z])(acute|grave|circ|uml|tilde|ring|cedil)$/;
const COMBINING: Record<string, string> = {
  acute: "\u0301",
  grave: "\u0300",
  circ: "\u0302",
  uml: "\u0308",
  tilde: "\u0303",
  ring: "\u030a",
  cedil: "\u0327",
};

export function decodeEntities(text: string): string {
  return text.replace(/&(#[0-9]+|#[xX][0-9a-fA-F]+|[A-Za-z][A-Za-z0-9]*);?/g, (whole, ref: string) => {
    if (ref.startsWith("#")) {
      const code =
        ref[1] === "x" || ref[1] === "X" ? Number.parseInt(ref.slice(2), 16) : Number.parseInt(ref.slice(1), 10);
      return code > 0 && code <= 0x10ffff && !(code >= 0xd800 && code <= 0xdfff)
        ? String.fromCodePoint(code)
        : "\ufffd";
    }
    const named = ENTITIES[ref];
    if (named !== undefined) return named;
    const accented = ACCENT_ENTITY.exec(ref);
    if (accented) return `${accented[1]}${COMBINING[accented[2]!]}`.normalize("NFC");
    if (ref === "AElig" || ref === "aelig") return ref === "AElig" ? "Æ" : "æ";
    if (ref === "oslash" || ref === "Oslash") return ref === "Oslash" ? "Ø" : "ø";
    return whole;
  });
}

const stripTags = (html: string) => html.replace(/<\/?[A-Za-z][^>]*>/g, "");

const BLOCK =
  /<\/?(?:address|article|aside|blockquote|center|dd|details|dialog|div|dl|dt|fieldset|figcaption|figure|footer|form|header|hr|main|nav|section|summary|caption|thead|tbody|tfoot)\b[^>]*>/gi;

/**
 * Readable text of an HTML document: scripts, styles and the head go, block elements become line
 * breaks (paragraphs, headings, lists and tables a blank line), list items start with "- ", table
 * cells are tab-separated, `<pre>` keeps its own line breaks, and character references are decoded.
 */
export function htmlToText(html: string): string {
  const preserved: string[] = [];
  const withoutNoise = html
    .replace(/<!--[\s\S]*?-->/g, "")
    .replace(/<(script|style|head|template|noscript|svg|object)\b[\s\S]*?<\/\1\s*>/gi, "")
    .replace(/<(?:!doctype|\?xml)[^>]*>/gi, "")
    .replace(/<pre\b[^>]*>([\s\S]*?)<\/pre\s*>/gi, (_, body: string) => {
      preserved.push(decodeEntities(stripTags(body.replace(/<br\s*\/?>/gi, "\n"))));
      return `<p>\ue000${preserved.length - 1}\ue000</p>`;
    });
  const text = withoutNoise
    // Source line breaks are ordinary spaces in HTML rendering.
    .replace(/[ \t\r\n\f]+/g, " ")
    .replace(/<br\s*\/?>/gi, "\n")
    .replace(/<\/?(?:p|h[1-6]|ul|ol|table)\b[^>]*>/gi, "\n\n")
    .replace(/<li\b[^>]*>/gi, "\n- ")
    .replace(/<\/li\s*>/gi, "")
    .replace(/<tr\b[^>]*>/gi, "\n")
    .replace(/<\/t[dh]\s*>/gi, "\t")
    .replace(BLOCK, "\n");
  return decodeEntities(stripTags(text))
    .split("\n")
    .map((line) =>
      line
        .replace(/[ \u00a0]+/g, " ")
        .replace(/[ \t]*\t[ \t]*/g, "\t")
        .trim(),
    )
    .join("\n")
    .replace(/\n{3,}/g, "\n\n")
    .replace(/\ue000(\d+)\ue000/g, (_, i: string) => preserved[Number(i)] ?? "")
    .trim();
}
