import { codeKey, dottedIcd10cm } from "../text";
import { type CodeRecord, cleanSynonyms, ImportFormatError, type TextChunks } from "./types";
import { xmlEvents } from "./xml-events";

interface Frame {
  element: "chapter" | "section" | "diag";
  name: string;
  desc: string;
  inclusions: string[];
  /** 7th-character extensions defined here (apply to every code below). */
  sevenChr: Array<{ char: string; text: string }> | null;
  hasChildDiag: boolean;
  emitted: boolean;
  parent: string | undefined;
}

/**
 * The 7th-character rule of ICD-10-CM (Official Guidelines I.B.3 and I.C.19.a): the extension goes in
 * the 7th position, so shorter codes are padded with the placeholder `X` first.
 */
function extendCode(base: string, char: string): string {
  return dottedIcd10cm(codeKey(base).padEnd(6, "X") + char);
}

/**
 * CDC ICD-10-CM tabular XML (`icd10cm_tabular_2025.xml`, schema icd-10-cm-tabular-2025.xsd),
 * streamed. Each `diag` becomes a code with its inclusion terms as synonyms and its parent diag as
 * parent; leaf codes under a `sevenChrDef` are expanded with their 7th characters, as in the
 * order file (`S00.00XA` "…, initial encounter").
 */
export async function* importIcd10cmTabularXml(chunks: TextChunks): AsyncGenerator<CodeRecord> {
  const path: string[] = [];
  const frames: Frame[] = [];
  let inclusion: string | null = null;
  let extension: { char: string; text: string } | null = null;
  let sawRoot = false;

  const emit = (f: Frame): CodeRecord => {
    f.emitted = true;
    const name = f.name.trim();
    const description = f.desc.replace(/\s+/g, " ").trim();
    if (!name || !description) throw new ImportFormatError(`a diag without name or description (after ${name || "?"})`);
    return {
      code: dottedIcd10cm(name),
      description,
      synonyms: cleanSynonyms(description, f.inclusions),
      parents: f.parent ? [f.parent] : [],
      active: true,
    };
  };
  const nearestDiag = (): Frame | undefined => {
    for (let k = frames.length - 1; k >= 0; k--) if (frames[k]!.element === "diag") return frames[k];
    return undefined;
  };
  const effectiveSevenChr = () => {
    for (let k = frames.length - 1; k >= 0; k--) if (frames[k]!.sevenChr) return frames[k]!.sevenChr;
    return null;
  };

  for await (const ev of xmlEvents(chunks)) {
    if (ev.kind === "open") {
      if (path.length === 0) {
        if (ev.name !== "ICD10CM.tabular")
          throw new ImportFormatError(`expected <ICD10CM.tabular>, found <${ev.name}>`);
        sawRoot = true;
      }
      const parentEl = path[path.length - 1];
      path.push(ev.name);
      if (ev.name === "chapter" || ev.name === "section" || ev.name === "diag") {
        const up = nearestDiag();
        if (ev.name === "diag" && up) {
          up.hasChildDiag = true;
          if (!up.emitted) yield emit(up);
        }
        frames.push({
          element: ev.name,
          name: "",
          desc: "",
          inclusions: [],
          sevenChr: null,
          hasChildDiag: false,
          emitted: false,
          parent: up ? dottedIcd10cm(up.name.trim()) : undefined,
        });
      } else if (ev.name === "note" && parentEl === "inclusionTerm") {
        inclusion = "";
      } else if (ev.name === "extension" && parentEl === "sevenChrDef") {
        extension = { char: (ev.attrs.char ?? "").trim(), text: "" };
      }
      continue;
    }
    if (ev.kind === "text") {
      const el = path[path.length - 1];
      const parentEl = path[path.length - 2];
      const frame = frames[frames.length - 1];
      if (inclusion !== null) inclusion += ev.text;
      else if (extension) extension.text += ev.text;
      else if (frame && parentEl === frame.element) {
        if (el === "name") frame.name += ev.text;
        else if (el === "desc") frame.desc += ev.text;
      }
      continue;
    }
    // close
    const el = path.pop();
    if (el !== ev.name) throw new ImportFormatError(`</${ev.name}> closes <${el ?? "nothing"}>`);
    if (el === "note" && inclusion !== null) {
      const f = frames[frames.length - 1];
      if (f && path[path.length - 2] === f.element) f.inclusions.push(inclusion);
      inclusion = null;
    } else if (el === "extension" && extension) {
      const f = frames[frames.length - 1];
      if (f && extension.char) {
        f.sevenChr ??= [];
        f.sevenChr.push({ char: extension.char, text: extension.text.replace(/\s+/g, " ").trim() });
      }
      extension = null;
    } else if (el === "chapter" || el === "section" || el === "diag") {
      const seven = effectiveSevenChr();
      const f = frames.pop()!;
      if (el !== "diag") continue;
      if (!f.emitted) yield emit(f);
      if (!f.hasChildDiag && seven && codeKey(f.name).length < 7) {
        const base = dottedIcd10cm(f.name.trim());
        const description = f.desc.replace(/\s+/g, " ").trim();
        for (const x of seven) {
          yield {
            code: extendCode(base, x.char),
            description: `${description}, ${x.text}`,
            synonyms: [],
            parents: [base],
            active: true,
          };
        }
      }
    }
  }
  if (!sawRoot) throw new ImportFormatError("no <ICD10CM.tabular> element: not a CDC tabular XML file");
  if (path.length > 0) throw new ImportFormatError(`the file ends inside <${path[path.length - 1]}>`);
}
