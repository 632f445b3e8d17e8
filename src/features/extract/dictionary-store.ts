import { logError } from "../../platform/logging";
import { type CompiledDictionary, deserializeDictionary, serializeDictionary } from "../nlp/engine";
import { codeSetArtifactPrefix } from "../terminology/purge-code-set";

/**
 * Compiled dictionaries persisted in R2, one object per code set (generation). A set's codes never
 * change once it is active, so its id is a complete cache key: a re-upload or re-import creates a new
 * set and therefore a new object. `DICTIONARY_BUILD` covers the other input, the engine's own
 * compile rules (term variants, synonym lexicon, word lists): bump it when `compileDictionary` would
 * produce different data for the same codes, and isolates stop reading the old objects.
 */
export const DICTIONARY_BUILD = "b3";

/** Kept beside the set's other derived objects, so purging the set deletes it too. */
export function dictionaryKey(setId: number): string {
  return `${codeSetArtifactPrefix(setId)}nlp-dictionary-${DICTIONARY_BUILD}.json.gz`;
}

/** The stored dictionary of a set, or null when there is none (or it is unreadable: it is then rebuilt). */
export async function readStoredDictionary(blobs: R2Bucket, setId: number): Promise<CompiledDictionary | null> {
  const object = await blobs.get(dictionaryKey(setId));
  if (!object) return null;
  try {
    const json = await new Response(object.body.pipeThrough(new DecompressionStream("gzip"))).text();
    return deserializeDictionary(json);
  } catch (e) {
    logError(`extract:dictionary:${setId}`, e);
    return null;
  }
}

/**
 * Stores a compiled dictionary (gzip: HPO's ~3.6 MB of JSON becomes ~0.9 MB). A failed write only
 * costs the next cold isolate a recompile, so it is logged, not raised.
 */
export async function writeStoredDictionary(blobs: R2Bucket, setId: number, dict: CompiledDictionary): Promise<void> {
  try {
    const gz = await new Response(
      new Blob([serializeDictionary(dict)]).stream().pipeThrough(new CompressionStream("gzip")),
    ).arrayBuffer();
    await blobs.put(dictionaryKey(setId), gz, {
      httpMetadata: { contentType: "application/gzip" },
      customMetadata: {
        system: dict.system ?? "",
        version: dict.version ?? "",
        codes: String(dict.codeCount),
        terms: String(dict.termCount),
      },
    });
  } catch (e) {
    logError(`extract:dictionary:${setId}`, e);
  }
}
