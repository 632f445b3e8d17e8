import { codeKey } from "../text";

/**
 * Parents of hierarchical codes (ICD-10-CM/PCS) from their prefixes: the parent of `E11.65` is the
 * longest shorter code already seen (`E11.6`). Releases list a category before its subcodes, so
 * one pass suffices; only the keys are kept (about 100k short strings for ICD-10-CM).
 */
export class PrefixParents {
  private readonly codeByKey = new Map<string, string>();

  /** Records `code` and returns its parent code, if any. */
  parentOf(code: string): string | undefined {
    const key = codeKey(code);
    let parent: string | undefined;
    for (let len = key.length - 1; len >= 1 && parent === undefined; len--) {
      parent = this.codeByKey.get(key.slice(0, len));
    }
    this.codeByKey.set(key, code);
    return parent;
  }
}
