import { isFieldLabel, type SectionKind, sectionKindOf } from "../lexicon/sections";
import { type Token, tokenize } from "./tokenize";
import { Utf8Index } from "./utf8";

/** A heading line ("HPI:", "Family History:") or a field/sub-heading label ("Mother:", "NEURO:"). */
export interface Heading {
  label: string;
  kind: SectionKind | undefined;
  start: number;
  end: number;
  /** Token range of the label and its colon (excluded from concept matching when the label is a known section). */
  tokenStart: number;
  tokenEnd: number;
}

export interface Section {
  index: number;
  kind: SectionKind;
  label: string | null;
  start: number;
  end: number;
  tokenStart: number;
  tokenEnd: number;
}

export interface Sentence {
  index: number;
  start: number;
  end: number;
  tokenStart: number;
  tokenEnd: number;
  section: number;
  paragraph: number;
}

export interface Paragraph {
  index: number;
  start: number;
  end: number;
  tokenStart: number;
  tokenEnd: number;
}

/** The analysed input every extractor shares: tokens with byte offsets, sections, paragraphs, sentences. */
export interface TextDocument {
  text: string;
  utf8: Utf8Index;
  tokens: Token[];
  headings: Heading[];
  sections: Section[];
  paragraphs: Paragraph[];
  sentences: Sentence[];
  /** tokens that belong to a known section heading (not clinical content). */
  headingToken: Uint8Array;
}

const HEADING_RE = /[ \t]*(?:[-*•]\s*)?([A-Za-z][A-Za-z0-9 /&'()-]{0,48}?)[ \t]*:(?![/\d])/y;
const CONTINUATION = /^(?:[,(/&-]|and|or|of|with|the|a|an|to|in|for|by)$/i;
const NO_BREAK_ABBREVIATIONS = new Set([
  "dr",
  "mr",
  "mrs",
  "ms",
  "prof",
  "st",
  "vs",
  "etc",
  "approx",
  "fig",
  "figs",
  "al",
  "inc",
  "jr",
  "sr",
  "dept",
  "ca",
  "cf",
  "resp",
  "temp",
  "wt",
  "ht",
  "pt",
  "pts",
  "hx",
  "tab",
  "tabs",
  "cap",
  "caps",
  "min",
  "max",
  "mg",
  "mcg",
  "yo",
  "yrs",
  "mos",
  "wks",
  "sig",
  "disp",
  "ref",
  "refs",
  "viz",
]);

export function analyzeText(text: string): TextDocument {
  const utf8 = new Utf8Index(text);
  const tokens = tokenize(text, utf8);
  const headings = findHeadings(text, tokens);
  const headingToken = new Uint8Array(tokens.length);
  for (const h of headings) {
    if (h.kind !== undefined) for (let t = h.tokenStart; t < h.tokenEnd; t++) headingToken[t] = 1;
  }
  const sections = buildSections(text, tokens, headings);
  const paragraphs = buildParagraphs(text, tokens);
  const sentences = buildSentences(tokens, headings, sections, paragraphs);
  return { text, utf8, tokens, headings, sections, paragraphs, sentences, headingToken };
}

function findHeadings(text: string, tokens: Token[]): Heading[] {
  const headings: Heading[] = [];
  let tokenCursor = 0;
  let lineStart = 0;
  while (lineStart <= text.length) {
    HEADING_RE.lastIndex = lineStart;
    const m = HEADING_RE.exec(text);
    if (m) {
      const label = m[1]!.trim();
      const kind = sectionKindOf(label);
      const words = label.split(/\s+/).length;
      const generic =
        kind === undefined &&
        words <= 4 &&
        (label === label.toUpperCase() || /^[A-Z][a-z]+(?: [A-Z][a-z]+)*$/.test(label));
      if (kind !== undefined || generic) {
        const start = m.index + m[0].indexOf(m[1]!);
        const end = m.index + m[0].length;
        while (tokenCursor < tokens.length && tokens[tokenCursor]!.start < start) tokenCursor++;
        let tokenEnd = tokenCursor;
        while (tokenEnd < tokens.length && tokens[tokenEnd]!.end <= end) tokenEnd++;
        headings.push({ label, kind, start, end, tokenStart: tokenCursor, tokenEnd });
      }
    }
    const nl = text.indexOf("\n", lineStart);
    if (nl < 0) break;
    lineStart = nl + 1;
  }
  return headings;
}

function buildSections(text: string, tokens: Token[], headings: Heading[]): Section[] {
  const sections: Section[] = [];
  const open = (kind: SectionKind, label: string | null, start: number, tokenStart: number) => {
    const prev = sections[sections.length - 1];
    if (prev) {
      prev.end = start;
      prev.tokenEnd = tokenStart;
    }
    sections.push({
      index: sections.length,
      kind,
      label,
      start,
      end: text.length,
      tokenStart,
      tokenEnd: tokens.length,
    });
  };
  open("other", null, 0, 0);
  for (const h of headings) {
    // Field labels ("Name:", "DOB:") and unknown sub-headings ("NEURO:", "Mother:") stay inside the
    // current section, so "Family History:\nMother: breast cancer" keeps its family-history context.
    if (h.kind === undefined || isFieldLabel(h.kind)) continue;
    open(h.kind, h.label, h.start, h.tokenStart);
  }
  // Drop an empty leading section when the note starts with a heading.
  if (sections.length > 1 && sections[0]!.tokenEnd === 0) {
    sections.shift();
    sections.forEach((s, i) => {
      s.index = i;
    });
  }
  return sections;
}

function buildParagraphs(text: string, tokens: Token[]): Paragraph[] {
  const paragraphs: Paragraph[] = [];
  const blank = /\n[ \t]*\r?\n/g;
  const cuts: number[] = [];
  for (let m = blank.exec(text); m !== null; m = blank.exec(text)) cuts.push(m.index + m[0].length);
  cuts.push(text.length);
  let t = 0;
  for (const cut of cuts) {
    const tokenStart = t;
    while (t < tokens.length && tokens[t]!.start < cut) t++;
    if (t > tokenStart) {
      paragraphs.push({
        index: paragraphs.length,
        start: tokens[tokenStart]!.start,
        end: tokens[t - 1]!.end,
        tokenStart,
        tokenEnd: t,
      });
    }
  }
  return paragraphs;
}

function isBullet(tok: Token | undefined): boolean {
  return tok !== undefined && (tok.text === "-" || tok.text === "*" || tok.text === "•");
}

function startsUpper(tok: Token | undefined): boolean {
  if (!tok) return true;
  const c = tok.text.charAt(0);
  return c !== c.toLowerCase() || tok.kind === "number";
}

function buildSentences(
  tokens: Token[],
  headings: Heading[],
  sections: Section[],
  paragraphs: Paragraph[],
): Sentence[] {
  const n = tokens.length;
  // breakBefore[t] = a sentence starts at token t.
  const breakBefore = new Uint8Array(n + 1);
  breakBefore[0] = 1;
  for (const h of headings) {
    breakBefore[h.tokenStart] = 1;
    breakBefore[h.tokenEnd] = 1;
  }
  for (const s of sections) breakBefore[s.tokenStart] = 1;
  for (const p of paragraphs) breakBefore[p.tokenStart] = 1;
  for (let t = 0; t < n; t++) {
    const tok = tokens[t]!;
    const next = tokens[t + 1];
    if (tok.text === "." || tok.text === "!" || tok.text === "?" || tok.text === ";") {
      if (!next) continue;
      if (tok.text === "." && !isSentenceFinalPeriod(tokens, t)) continue;
      if (tok.text === "?" && next.joined) continue; // "?pneumonia": an uncertainty mark, not an end
      if (tok.text === ";" || next.newlineBefore || startsUpper(next) || isBullet(next) || next.kind === "punct") {
        breakBefore[t + 1] = 1;
      }
    } else if (next?.newlineBefore) {
      // Notes often end lines without a period ("BP 140/90\nHR 88"); a wrapped abstract line continues
      // in lower case ("patients with\nseizures") or after a dangling connector ("and\nDown syndrome").
      if ((startsUpper(next) || isBullet(next)) && !CONTINUATION.test(tok.text)) breakBefore[t + 1] = 1;
    }
  }
  const sentences: Sentence[] = [];
  let sectionIdx = 0;
  let paragraphIdx = 0;
  let start = 0;
  for (let t = 1; t <= n; t++) {
    if (t === n || breakBefore[t]) {
      if (t > start) {
        while (sectionIdx + 1 < sections.length && sections[sectionIdx + 1]!.tokenStart <= start) sectionIdx++;
        while (paragraphIdx + 1 < paragraphs.length && paragraphs[paragraphIdx + 1]!.tokenStart <= start)
          paragraphIdx++;
        sentences.push({
          index: sentences.length,
          start: tokens[start]!.start,
          end: tokens[t - 1]!.end,
          tokenStart: start,
          tokenEnd: t,
          section: sectionIdx,
          paragraph: paragraphIdx,
        });
      }
      start = t;
    }
  }
  return sentences;
}

function isSentenceFinalPeriod(tokens: Token[], t: number): boolean {
  const prev = tokens[t - 1];
  const next = tokens[t + 1];
  if (!prev || !next) return true;
  if (next.newlineBefore) return true;
  if (prev.kind === "word") {
    // "Dr. Smith", "vs. placebo", "approx. 3 cm".
    if (NO_BREAK_ABBREVIATIONS.has(prev.lower)) return false;
    // "e.g.", "p.o.", "b.i.d.": single letters between periods.
    if (prev.text.length === 1 && (prev.text === prev.lower || tokens[t - 2]?.text === ".")) return false;
    // "J. Smith": an initial before a capitalised name.
    if (prev.text.length === 1 && next.kind === "word" && /^[A-Z][a-z]/.test(next.text)) return false;
  }
  return next.kind !== "word" || startsUpper(next);
}
