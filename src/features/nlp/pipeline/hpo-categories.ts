import type { CompiledDictionary } from "../concepts/dictionary";

/** "Phenotypic abnormality": its direct children are the top-level branches used as HPO categories. */
const PHENOTYPIC_ABNORMALITY = "HP:0000118";

/**
 * Top-level phenotype branches an HPO code belongs to, from the dictionary's is-a parents. Empty when
 * the system was loaded without a hierarchy.
 */
export function hpoCategories(dict: CompiledDictionary, code: string): Array<{ uri: string; label: string }> {
  const out: Array<{ uri: string; label: string }> = [];
  const seen = new Set<string>();
  const consider = (c: string) => {
    if (seen.has(c)) return;
    if (dict.parentsOf(c).includes(PHENOTYPIC_ABNORMALITY)) {
      seen.add(c);
      out.push({ uri: c, label: dict.display(c) ?? c });
    }
  };
  consider(code);
  for (const a of dict.ancestorsOf(code)) consider(a);
  return out;
}
