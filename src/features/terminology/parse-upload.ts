import { errors } from "../../platform/errors";
import { importDelimited } from "./importers/delimited";
import { fromString } from "./importers/lines";
import { type CodeRecord, ImportFormatError } from "./importers/types";

export interface UploadInput {
  name: string;
  version: string;
  format: "csv" | "json";
  file?: string;
  code_col?: string;
  desc_col?: string;
  defn_col?: string;
  codes?: unknown[];
  replace?: boolean;
  revision?: number;
}

const invalid = (message: string) => errors.invalid(message, { code: "invalid_upload" });

/** base64 (standard or URL-safe, padding optional) → UTF-8 text; 400 when either step fails. */
export function decodeBase64Text(b64: string, what: string): string {
  const clean = b64.replace(/\s+/g, "").replace(/-/g, "+").replace(/_/g, "/");
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(clean)) throw invalid(`${what} is not valid base64`);
  let bytes: Uint8Array;
  try {
    const bin = atob(clean.padEnd(Math.ceil(clean.length / 4) * 4, "="));
    bytes = Uint8Array.from(bin, (c) => c.charCodeAt(0));
  } catch {
    throw invalid(`${what} is not valid base64`);
  }
  try {
    return new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    throw invalid(`${what} is not UTF-8 text`);
  }
}

async function parseCsv(input: UploadInput): Promise<CodeRecord[]> {
  if (!input.file) throw invalid("format 'csv' requires 'file' (the CSV, base64-encoded)");
  if (!input.code_col) throw invalid("format 'csv' requires 'code_col'");
  if (!input.desc_col) throw invalid("format 'csv' requires 'desc_col'");
  const text = decodeBase64Text(input.file, "file");
  const out: CodeRecord[] = [];
  try {
    for await (const r of importDelimited(fromString(text), {
      codeCol: input.code_col,
      descCol: input.desc_col,
      defnCol: input.defn_col,
    })) {
      out.push(r);
    }
  } catch (e) {
    if (e instanceof ImportFormatError) throw invalid(`Invalid CSV: ${e.message}`);
    throw e;
  }
  return out;
}

/** `codes` items (or the decoded `file`): `{code, description, definition?}`, validated one by one. */
function parseCodeArray(items: unknown[], source: string): CodeRecord[] {
  const out: CodeRecord[] = [];
  const seen = new Map<string, number>();
  items.forEach((item, i) => {
    const where = `${source}[${i}] (row ${i + 1})`;
    if (typeof item !== "object" || item === null || Array.isArray(item))
      throw invalid(`${where} must be an object with code and description`);
    const o = item as Record<string, unknown>;
    const rawCode = o.code;
    if (typeof rawCode !== "string" && typeof rawCode !== "number")
      throw invalid(`${where}: 'code' is missing or not a string`);
    const code = String(rawCode).trim();
    if (!code) throw invalid(`${where}: 'code' is empty`);
    if (code.length > 200) throw invalid(`${where}: 'code' is longer than 200 characters`);
    if (typeof o.description !== "string") throw invalid(`${where}: 'description' is missing or not a string`);
    const description = o.description.trim();
    if (!description) throw invalid(`${where}: code '${code}' has an empty description`);
    if (o.definition !== undefined && o.definition !== null && typeof o.definition !== "string") {
      throw invalid(`${where}: 'definition' must be a string or null`);
    }
    const first = seen.get(code);
    if (first !== undefined) throw invalid(`${where}: duplicate code '${code}' (first at row ${first + 1})`);
    seen.set(code, i);
    out.push({ code, description, definition: typeof o.definition === "string" ? o.definition : null, active: true });
  });
  return out;
}

function parseJson(input: UploadInput): CodeRecord[] {
  // Seed 004: "If both 'codes' and 'file' are provided, 'codes' takes precedence."
  if (input.codes !== undefined) return parseCodeArray(input.codes, "codes");
  if (!input.file) throw invalid("format 'json' requires 'codes' (an array) or 'file' (a base64-encoded JSON array)");
  const text = decodeBase64Text(input.file, "file");
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw invalid(`file is not valid JSON: ${(e as Error).message}`);
  }
  // An exported system (`{name, version, format, codes}`) is accepted as a file too.
  if (doc && typeof doc === "object" && !Array.isArray(doc) && Array.isArray((doc as { codes?: unknown }).codes)) {
    return parseCodeArray((doc as { codes: unknown[] }).codes, "file.codes");
  }
  if (!Array.isArray(doc)) throw invalid("file must contain a JSON array of {code, description, definition?}");
  return parseCodeArray(doc, "file");
}

/** The upload's codes, or a 400 that names the offending row. */
export async function parseUpload(input: UploadInput): Promise<CodeRecord[]> {
  const codes = input.format === "csv" ? await parseCsv(input) : parseJson(input);
  if (codes.length === 0) throw invalid("the upload contains no codes");
  return codes;
}
