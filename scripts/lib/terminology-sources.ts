/** Release files → code records: picks the importer for a system and file, streams files from disk. */
import { createReadStream, statSync } from "node:fs";
import { extname } from "node:path";
import { importCptFile, importDelimited } from "../../src/features/terminology/importers/delimited";
import { importHpoJson } from "../../src/features/terminology/importers/hpo-json";
import { importHpoObo } from "../../src/features/terminology/importers/hpo-obo";
import { importIcd10Order } from "../../src/features/terminology/importers/icd10-order";
import { importIcd10cmCsv } from "../../src/features/terminology/importers/icd10cm-csv";
import {
  type IndexSynonyms,
  readIcd10cmIndexCsv,
  readIcd10cmIndexXml,
} from "../../src/features/terminology/importers/icd10cm-index";
import { importIcd10cmTabularXml } from "../../src/features/terminology/importers/icd10cm-tabular-xml";
import { importLoincCsv } from "../../src/features/terminology/importers/loinc-csv";
import { importRxnormConso, readRxnormParents } from "../../src/features/terminology/importers/rxnorm-rrf";
import {
  importSnomedDescriptions,
  readSnomedParents,
  readSnomedPreferred,
} from "../../src/features/terminology/importers/snomed-rf2";
import type { CodeRecord } from "../../src/features/terminology/importers/types";

export const FORMATS = [
  "icd10-order",
  "icd10cm-xml",
  "icd10cm-csv",
  "loinc",
  "rxnorm",
  "snomed",
  "hpo-obo",
  "hpo-json",
  "cpt",
  "csv",
] as const;
export type Format = (typeof FORMATS)[number];

export interface SourceOptions {
  system: string;
  file: string;
  format?: string;
  /** ICD-10-CM alphabetic index (CSV or CDC XML), read as synonyms. */
  index?: string;
  /** RXNREL.RRF (RxNorm) or sct2_Relationship_Snapshot (SNOMED CT): the hierarchy. */
  rel?: string;
  /** SNOMED CT language refset snapshot: names concepts by their preferred term. */
  lang?: string;
  codeCol?: string;
  descCol?: string;
  defnCol?: string;
}

/** Progress of the main file: bytes read so far out of its size. */
export interface FileProgress {
  bytesRead: number;
  size: number;
}

/** A text file as chunks (1 MB reads), counting bytes for the progress bar. */
export async function* readText(path: string, progress?: FileProgress): AsyncGenerator<string> {
  const stream = createReadStream(path, { highWaterMark: 1024 * 1024 });
  const decoder = new TextDecoder("utf-8");
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    if (progress) progress.bytesRead += chunk.length;
    yield decoder.decode(chunk, { stream: true });
  }
  const tail = decoder.decode();
  if (tail) yield tail;
}

/** The importer format for a system and file when `--format` is not given. */
export function detectFormat(system: string, file: string): Format {
  const ext = extname(file).toLowerCase();
  switch (system) {
    case "ICD-10-CM":
      return ext === ".xml" ? "icd10cm-xml" : ext === ".csv" ? "icd10cm-csv" : "icd10-order";
    case "ICD-10-PCS":
      return "icd10-order";
    case "LOINC":
      return "loinc";
    case "RXNORM":
      return "rxnorm";
    case "HPO":
      return ext === ".json" ? "hpo-json" : "hpo-obo";
    case "CPT":
      return "cpt";
    default:
      if (system.startsWith("SNOMED")) return "snomed";
      return "csv";
  }
}

async function readIndex(path: string): Promise<IndexSynonyms> {
  return extname(path).toLowerCase() === ".xml"
    ? readIcd10cmIndexXml(readText(path))
    : readIcd10cmIndexCsv(readText(path));
}

/** Code records of the release, streamed; auxiliary files (index, relationships, refset) are read first. */
export async function openSource(
  o: SourceOptions,
): Promise<{ format: Format; records: AsyncIterable<CodeRecord>; progress: FileProgress }> {
  const format = (o.format ?? detectFormat(o.system, o.file)) as Format;
  if (!FORMATS.includes(format)) throw new Error(`unknown --format '${format}' (one of ${FORMATS.join(", ")})`);
  const progress: FileProgress = { bytesRead: 0, size: statSync(o.file).size };
  const main = readText(o.file, progress);
  let records: AsyncIterable<CodeRecord>;
  switch (format) {
    case "icd10-order":
      records = importIcd10Order(main, { dotted: o.system === "ICD-10-CM" });
      break;
    case "icd10cm-xml":
      records = importIcd10cmTabularXml(main);
      break;
    case "icd10cm-csv":
      records = importIcd10cmCsv(main, o.index ? await readIndex(o.index) : undefined);
      break;
    case "loinc":
      records = importLoincCsv(main);
      break;
    case "rxnorm":
      records = importRxnormConso(main, o.rel ? await readRxnormParents(readText(o.rel)) : undefined);
      break;
    case "snomed":
      records = importSnomedDescriptions(main, {
        parents: o.rel ? await readSnomedParents(readText(o.rel)) : undefined,
        preferred: o.lang ? await readSnomedPreferred(readText(o.lang)) : undefined,
      });
      break;
    case "hpo-obo":
      records = importHpoObo(main);
      break;
    case "hpo-json":
      records = importHpoJson(main);
      break;
    case "cpt":
      records = importCptFile(main, { delimiter: extname(o.file).toLowerCase() === ".csv" ? "," : "\t" });
      break;
    case "csv":
      if (!o.codeCol || !o.descCol) throw new Error("--format csv needs --code-col and --desc-col");
      records = importDelimited(main, { codeCol: o.codeCol, descCol: o.descCol, defnCol: o.defnCol });
      break;
  }
  return { format, records, progress };
}
