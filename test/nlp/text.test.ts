import { describe, expect, it } from "vitest";
import { analyzeText, sliceUtf8, Utf8Index } from "../../src/features/nlp/engine";
import { tokenize } from "../../src/features/nlp/text/tokenize";
import { utf8Slice } from "./fixtures";

describe("UTF-8 byte offsets", () => {
  const text = "Café patient, T 38.5 °C, 5 µg dose 💊 then rash 👩🏽‍⚕️ ok";

  it("maps every token to byte offsets that decode to the token", () => {
    const tokens = tokenize(text);
    expect(tokens.length).toBeGreaterThan(10);
    for (const t of tokens) expect(utf8Slice(text, t.begin, t.endByte)).toBe(t.text);
    const cafe = tokens.find((t) => t.text === "Café")!;
    expect([cafe.begin, cafe.endByte]).toEqual([0, 5]); // é is two bytes
    const degree = tokens.find((t) => t.text === "°")!;
    expect(degree.endByte - degree.begin).toBe(2);
    const micro = tokens.find((t) => t.text === "µg")!;
    expect(micro.endByte - micro.begin).toBe(3);
    const pill = tokens.find((t) => t.text === "💊")!;
    expect(pill.endByte - pill.begin).toBe(4);
    const rash = tokens.find((t) => t.text === "rash")!;
    expect(rash.begin).toBe(new TextEncoder().encode(text.slice(0, text.indexOf("rash"))).length);
  });

  it("converts both ways and slices like a client", () => {
    const idx = new Utf8Index(text);
    expect(idx.isAscii).toBe(false);
    expect(idx.byteLength).toBe(new TextEncoder().encode(text).length);
    const at = text.indexOf("rash");
    expect(idx.charIndex(idx.byteOffset(at))).toBe(at);
    expect(sliceUtf8(text, idx.byteOffset(at), idx.byteOffset(at + 4))).toBe("rash");
    const ascii = new Utf8Index("plain text");
    expect(ascii.isAscii).toBe(true);
    expect(ascii.byteOffset(5)).toBe(5);
  });

  it("keeps clinical shorthand as single tokens", () => {
    const words = tokenize("h/o T2DM, s/p CABG, SpO2 97%, HbA1c 7.2, Crohn's").map((t) => t.text);
    expect(words).toEqual([
      "h/o",
      "T2DM",
      ",",
      "s/p",
      "CABG",
      ",",
      "SpO2",
      "97",
      "%",
      ",",
      "HbA1c",
      "7.2",
      ",",
      "Crohn's",
    ]);
  });
});

describe("sections, paragraphs and sentences", () => {
  const note = [
    "HPI: 54 yo F with cough. Dr. Smith saw her on 3/4.",
    "PMH: HTN, DM.",
    "Family History: mother had breast cancer.",
    "Medications:",
    "- metformin 500 mg BID",
    "- lisinopril 10 mg daily",
    "",
    "Assessment/Plan: Bronchitis, e.g. viral. Temp 37.5 today.",
  ].join("\n");
  const doc = analyzeText(note);

  it("finds section headings and their kinds", () => {
    expect(doc.sections.map((s) => s.kind)).toEqual([
      "hpi",
      "past_history",
      "family_history",
      "medications",
      "assessment_plan",
    ]);
    expect(doc.sections[4]!.label).toBe("Assessment/Plan");
  });

  it("splits sentences without breaking on abbreviations, decimals or 'e.g.'", () => {
    const sentences = doc.sentences.map((s) => note.slice(s.start, s.end));
    expect(sentences).toContain("54 yo F with cough.");
    expect(sentences).toContain("Dr. Smith saw her on 3/4.");
    expect(sentences).toContain("Bronchitis, e.g. viral.");
    expect(sentences).toContain("Temp 37.5 today.");
    expect(sentences).toContain("- metformin 500 mg BID");
    expect(sentences).toContain("- lisinopril 10 mg daily");
  });

  it("splits paragraphs at blank lines", () => {
    expect(doc.paragraphs).toHaveLength(2);
    expect(note.slice(doc.paragraphs[1]!.start, doc.paragraphs[1]!.end)).toMatch(/^Assessment\/Plan:/);
  });

  it("continues a sentence over a wrapped line but not over a new capitalised line", () => {
    const d = analyzeText("Patients with\nseizures were treated.\nNo relapse occurred");
    expect(d.sentences.map((s) => d.text.slice(s.start, s.end))).toEqual([
      "Patients with\nseizures were treated.",
      "No relapse occurred",
    ]);
  });
});
