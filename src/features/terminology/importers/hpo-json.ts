import { jsonArrayObjects } from "./json-stream";
import { type CodeRecord, cleanSynonyms, ImportFormatError, type TextChunks } from "./types";

/** `http://purl.obolibrary.org/obo/HP_0000118` → `HP:0000118`; other ontologies' ids → null. */
export function hpoId(iri: unknown): string | null {
  if (typeof iri !== "string") return null;
  const m = /(?:^|\/)HP[_:](\d{7})$/.exec(iri);
  return m ? `HP:${m[1]}` : null;
}

const ALT_ID = /hasAlternativeId$/;

interface Node {
  id: string;
  name: string;
  definition: string | null;
  synonyms: string[];
  altIds: string[];
  obsolete: boolean;
}

const str = (v: unknown): string | null => (typeof v === "string" ? v : null);

function readNode(raw: Record<string, unknown>): Node | null {
  const id = hpoId(raw.id);
  const name = str(raw.lbl);
  if (!id || !name || (raw.type !== undefined && raw.type !== "CLASS")) return null;
  const meta = (raw.meta ?? {}) as Record<string, unknown>;
  const def = (meta.definition ?? {}) as Record<string, unknown>;
  const synonyms = Array.isArray(meta.synonyms)
    ? meta.synonyms.map((s) => str((s as Record<string, unknown>)?.val)).filter((s): s is string => !!s)
    : [];
  const props = Array.isArray(meta.basicPropertyValues)
    ? (meta.basicPropertyValues as Array<Record<string, unknown>>)
    : [];
  const altIds = props
    .filter((p) => typeof p?.pred === "string" && ALT_ID.test(p.pred))
    .map((p) => str(p.val))
    .filter((v): v is string => !!v);
  return { id, name, definition: str(def.val), synonyms, altIds, obsolete: meta.deprecated === true };
}

/**
 * HPO `hp.json` (obographs): `graphs[].nodes[]` carry id, label, definition, synonyms, alternate
 * ids and `deprecated`; `graphs[].edges[]` with `pred: "is_a"` give the parents. Nodes are kept
 * compactly until the edges (which follow them) have been read; HPO has about 20k terms.
 */
export async function* importHpoJson(chunks: TextChunks): AsyncGenerator<CodeRecord> {
  const nodes: Node[] = [];
  const parents = new Map<string, string[]>();
  // Nodes and edges are siblings in each graph: one pass streams both arrays.
  const seen = { nodes: 0, edges: 0 };
  for await (const item of jsonArrayObjects(chunks, [
    ["graphs", "*", "nodes"],
    ["graphs", "*", "edges"],
  ])) {
    if (item.path === 0) {
      seen.nodes++;
      const n = readNode(item.value);
      if (n) nodes.push(n);
      continue;
    }
    seen.edges++;
    const e = item.value;
    const child = hpoId(e.sub);
    const parent = hpoId(e.obj);
    if (!child || !parent || (e.pred !== "is_a" && !String(e.pred).endsWith("subClassOf"))) continue;
    const list = parents.get(child);
    if (!list) parents.set(child, [parent]);
    else if (!list.includes(parent)) list.push(parent);
  }
  if (seen.nodes === 0) throw new ImportFormatError("no graphs[].nodes[]: not an obographs JSON file");
  for (const n of nodes) {
    yield {
      code: n.id,
      description: n.name,
      definition: n.definition,
      synonyms: cleanSynonyms(n.name, n.synonyms),
      parents: parents.get(n.id) ?? [],
      active: !n.obsolete,
    };
    for (const alt of n.altIds) yield { code: alt, description: n.name, synonyms: [], parents: [n.id], active: false };
  }
}
