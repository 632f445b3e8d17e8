import { lines } from "./lines";
import { type CodeRecord, cleanSynonyms, ImportFormatError, type TextChunks } from "./types";

/** Term types that name a concept only as an alternative (synonym, tall-man, prescribable, entry term). */
const ALTERNATIVE_TTY = new Set(["SY", "TMSY", "PSN", "ET"]);

/**
 * Relationship attributes read as "child RELA parent". RXNREL gives "the relationship which the
 * second concept (RXCUI2) has to the first (RXCUI1)" (RxNorm Technical Documentation, RXNREL), so a
 * row `A|…|has_ingredient|B` says B has ingredient A: A is B's parent.
 */
const PARENT_RELA = new Set(["isa", "has_ingredient", "tradename_of", "consists_of"]);

export interface RxnormOptions {
  /** Keep only these sources (default `RXNORM`: other SABs need their own licences). */
  sources?: string[];
}

/** RXNREL.RRF → parents by RXCUI (concept-level rows of the chosen sources only). */
export async function readRxnormParents(
  chunks: TextChunks,
  options: RxnormOptions = {},
): Promise<Map<string, string[]>> {
  const sources = new Set(options.sources ?? ["RXNORM"]);
  const parents = new Map<string, string[]>();
  let lineNo = 0;
  for await (const line of lines(chunks)) {
    lineNo++;
    if (!line) continue;
    const f = line.split("|");
    if (f.length < 16) throw new ImportFormatError(`RXNREL rows have 16 fields, found ${f.length}`, lineNo);
    const [parent, , stype1, , child, , stype2, rela, , , sab] = f;
    if (stype1 !== "CUI" || stype2 !== "CUI" || !sources.has(sab!) || !PARENT_RELA.has(rela!)) continue;
    if (!parent || !child || parent === child) continue;
    const list = parents.get(child);
    if (!list) parents.set(child, [parent]);
    else if (!list.includes(parent)) list.push(parent);
  }
  return parents;
}

/**
 * RxNorm `RXNCONSO.RRF` (pipe-delimited, 18 fields: RXCUI|LAT|TS|LUI|STT|SUI|ISPREF|RXAUI|SAUI|
 * SCUI|SDUI|SAB|TTY|CODE|STR|SRL|SUPPRESS|CVF|). Atoms are grouped by RXCUI (the release lists a
 * concept's atoms together); the concept's own term type names it, SY/TMSY/PSN atoms are synonyms.
 * A concept whose naming atom is suppressed (SUPPRESS O, Y or E) is kept inactive.
 */
export async function* importRxnormConso(
  chunks: TextChunks,
  parents?: Map<string, string[]>,
  options: RxnormOptions = {},
): AsyncGenerator<CodeRecord> {
  const sources = new Set(options.sources ?? ["RXNORM"]);
  const done = new Set<string>();
  let current: string | null = null;
  let atoms: Array<{ tty: string; str: string; suppress: string }> = [];
  let lineNo = 0;

  const flush = (): CodeRecord | null => {
    if (current === null || atoms.length === 0) return null;
    const main = atoms.find((a) => !ALTERNATIVE_TTY.has(a.tty)) ?? atoms[0]!;
    done.add(current);
    return {
      code: current,
      description: main.str,
      synonyms: cleanSynonyms(
        main.str,
        atoms.filter((a) => a !== main).map((a) => a.str),
      ),
      parents: parents?.get(current) ?? [],
      active: main.suppress === "N" || main.suppress === "",
    };
  };

  for await (const line of lines(chunks)) {
    lineNo++;
    if (!line) continue;
    const f = line.split("|");
    if (f.length < 18) throw new ImportFormatError(`RXNCONSO rows have 18 fields, found ${f.length}`, lineNo);
    const rxcui = f[0]!;
    if (!/^\d+$/.test(rxcui)) throw new ImportFormatError(`invalid RXCUI '${rxcui}'`, lineNo);
    if (f[1] !== "ENG" || !sources.has(f[11]!)) continue;
    if (rxcui !== current) {
      const rec = flush();
      if (rec) yield rec;
      if (done.has(rxcui)) {
        throw new ImportFormatError(
          `RXCUI ${rxcui} appears again after other concepts: the file must be grouped by RXCUI`,
          lineNo,
        );
      }
      current = rxcui;
      atoms = [];
    }
    const str = f[14]!.trim();
    if (str) atoms.push({ tty: f[12]!, str, suppress: f[16]! });
  }
  const rec = flush();
  if (rec) yield rec;
}
