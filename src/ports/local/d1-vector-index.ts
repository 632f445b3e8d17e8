import type { VectorIndex, VectorMatch, VectorRecord } from "../vector-index";

/**
 * The local VectorIndex: vectors in D1 (`code_vectors`, int8 values with one float32 scale, about
 * 520 bytes each), searched exactly in memory. A namespace is loaded once per isolate and kept
 * until its `revision` changes, so a query costs one tiny read plus a scan. The query vector is
 * sparse for short texts, so only its non-zero dimensions are multiplied.
 *
 * Sized for development and custom systems: a full ICD-10-CM (≈46k vectors) is ≈24 MB in memory.
 * Namespaces above MAX_CACHED_VECTORS are scanned from D1 page by page on each query instead.
 */

const MAX_CACHED_VECTORS = 150_000;
/** Max namespaces kept in memory per isolate (least recently used is dropped). */
const MAX_CACHED_NAMESPACES = 6;
/** Keeps each JSON parameter well under D1's 1 MB value limit. */
const UPSERT_CHUNK = 400;
const DELETE_CHUNK = 1000;
const SCAN_PAGE = 5000;

interface Loaded {
  revision: number;
  dims: number;
  ids: string[];
  scales: Float32Array;
  values: Int8Array;
}

const cache = new Map<string, Loaded>();

function toHex(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += (b < 16 ? "0" : "") + b.toString(16);
  return s;
}

/** 4 bytes little-endian float32 scale, then one int8 per dimension. */
function encode(values: Float32Array): Uint8Array {
  let max = 0;
  for (const x of values) max = Math.max(max, Math.abs(x));
  const scale = max / 127 || 1;
  const out = new Uint8Array(4 + values.length);
  new DataView(out.buffer).setFloat32(0, scale, true);
  for (let i = 0; i < values.length; i++) out[4 + i] = Math.round(values[i]! / scale) & 0xff;
  return out;
}

const NIBBLE = new Uint8Array(128);
for (let i = 0; i < 10; i++) NIBBLE[48 + i] = i;
for (let i = 0; i < 6; i++) NIBBLE[65 + i] = NIBBLE[97 + i] = 10 + i;
const scratch = new DataView(new ArrayBuffer(4));

/** Decodes one `hex(vector)` into row `row` of the scale and value arrays. */
function decodeHexInto(hex: string, row: number, dims: number, scales: Float32Array, values: Int8Array) {
  for (let i = 0; i < 4; i++) {
    scratch.setUint8(i, (NIBBLE[hex.charCodeAt(2 * i)]! << 4) | NIBBLE[hex.charCodeAt(2 * i + 1)]!);
  }
  scales[row] = scratch.getFloat32(0, true);
  const base = row * dims;
  for (let i = 0; i < dims; i++) {
    const b = (NIBBLE[hex.charCodeAt(8 + 2 * i)]! << 4) | NIBBLE[hex.charCodeAt(9 + 2 * i)]!;
    values[base + i] = b > 127 ? b - 256 : b;
  }
}

/** Top-k by a running, sorted shortlist (k ≤ 100, so insertion beats a heap). */
function topK(k: number) {
  const scores: number[] = [];
  const rows: number[] = [];
  return {
    offer(score: number, row: number) {
      if (scores.length === k && score <= scores[k - 1]!) return;
      let i = scores.length;
      while (i > 0 && scores[i - 1]! < score) i--;
      scores.splice(i, 0, score);
      rows.splice(i, 0, row);
      if (scores.length > k) {
        scores.pop();
        rows.pop();
      }
    },
    result: () => rows.map((r, i) => ({ row: r, score: scores[i]! })),
  };
}

function nonZero(v: Float32Array): { idx: Int32Array; val: Float32Array } {
  const idx: number[] = [];
  for (let i = 0; i < v.length; i++) if (v[i] !== 0) idx.push(i);
  return { idx: Int32Array.from(idx), val: Float32Array.from(idx.map((i) => v[i]!)) };
}

function score(q: { idx: Int32Array; val: Float32Array }, values: Int8Array, base: number, scale: number): number {
  let s = 0;
  for (let k = 0; k < q.idx.length; k++) s += q.val[k]! * values[base + q.idx[k]!]!;
  return s * scale;
}

export function d1VectorIndex(db: D1Database): VectorIndex {
  async function revisionOf(namespace: string): Promise<{ revision: number; dims: number } | null> {
    return db
      .prepare("SELECT revision, dimensions AS dims FROM code_vector_namespaces WHERE namespace = ?")
      .bind(namespace)
      .first<{ revision: number; dims: number }>();
  }

  function bump(namespace: string, dims: number): D1PreparedStatement {
    return db
      .prepare(
        `INSERT INTO code_vector_namespaces (namespace, revision, dimensions) VALUES (?1, 1, ?2)
         ON CONFLICT (namespace) DO UPDATE SET revision = revision + 1, dimensions = ?2`,
      )
      .bind(namespace, dims);
  }

  async function load(namespace: string, revision: number, dims: number): Promise<Loaded | null> {
    const hit = cache.get(namespace);
    if (hit && hit.revision === revision && hit.dims === dims) {
      cache.delete(namespace);
      cache.set(namespace, hit);
      return hit;
    }
    const count = await db
      .prepare("SELECT count(*) AS n FROM code_vectors WHERE namespace = ?")
      .bind(namespace)
      .first<number>("n");
    if ((count ?? 0) > MAX_CACHED_VECTORS) return null;
    const { results } = await db
      .prepare("SELECT item_id AS id, hex(vector) AS v FROM code_vectors WHERE namespace = ?")
      .bind(namespace)
      .all<{ id: string; v: string }>();
    const loaded: Loaded = {
      revision,
      dims,
      ids: new Array<string>(results.length),
      scales: new Float32Array(results.length),
      values: new Int8Array(results.length * dims),
    };
    results.forEach((r, row) => {
      loaded.ids[row] = r.id;
      decodeHexInto(r.v, row, dims, loaded.scales, loaded.values);
    });
    cache.set(namespace, loaded);
    while (cache.size > MAX_CACHED_NAMESPACES) cache.delete(cache.keys().next().value!);
    return loaded;
  }

  return {
    kind: "d1",
    maxBatch: 5000,
    async upsert(namespace: string, records: VectorRecord[]) {
      if (records.length === 0) return;
      const dims = records[0]!.values.length;
      const stmts: D1PreparedStatement[] = [];
      for (let i = 0; i < records.length; i += UPSERT_CHUNK) {
        const rows = records.slice(i, i + UPSERT_CHUNK).map((r) => {
          if (r.values.length !== dims)
            throw new Error(`vector ${r.id} has ${r.values.length} dimensions, expected ${dims}`);
          return [r.id, toHex(encode(r.values))];
        });
        stmts.push(
          db
            .prepare(
              `INSERT OR REPLACE INTO code_vectors (namespace, item_id, vector)
               SELECT ?1, value ->> '$[0]', unhex(value ->> '$[1]') FROM json_each(?2)`,
            )
            .bind(namespace, JSON.stringify(rows)),
        );
      }
      stmts.push(bump(namespace, dims));
      await db.batch(stmts);
    },
    async query(namespace: string, vector: Float32Array, k: number): Promise<VectorMatch[]> {
      const meta = await revisionOf(namespace);
      if (!meta || meta.dims !== vector.length) return [];
      const q = nonZero(vector);
      const best = topK(Math.max(1, k));
      const loaded = await load(namespace, meta.revision, meta.dims);
      if (loaded) {
        for (let row = 0; row < loaded.ids.length; row++) {
          best.offer(score(q, loaded.values, row * meta.dims, loaded.scales[row]!), row);
        }
        return best.result().map((m) => ({ id: loaded.ids[m.row]!, score: m.score }));
      }
      // Too large to keep in memory: scan page by page (slow, but exact and bounded in memory).
      const ids: string[] = [];
      let after = "";
      for (;;) {
        const { results } = await db
          .prepare(
            `SELECT item_id AS id, hex(vector) AS v FROM code_vectors
             WHERE namespace = ?1 AND item_id > ?2 ORDER BY item_id LIMIT ?3`,
          )
          .bind(namespace, after, SCAN_PAGE)
          .all<{ id: string; v: string }>();
        if (results.length === 0) break;
        const scales = new Float32Array(1);
        const values = new Int8Array(meta.dims);
        for (const r of results) {
          decodeHexInto(r.v, 0, meta.dims, scales, values);
          ids.push(r.id);
          best.offer(score(q, values, 0, scales[0]!), ids.length - 1);
        }
        after = results[results.length - 1]!.id;
      }
      return best.result().map((m) => ({ id: ids[m.row]!, score: m.score }));
    },
    async deleteByIds(namespace: string, ids: string[]) {
      if (ids.length === 0) return;
      const stmts: D1PreparedStatement[] = [];
      for (let i = 0; i < ids.length; i += DELETE_CHUNK) {
        stmts.push(
          db
            .prepare("DELETE FROM code_vectors WHERE namespace = ?1 AND item_id IN (SELECT value FROM json_each(?2))")
            .bind(namespace, JSON.stringify(ids.slice(i, i + DELETE_CHUNK))),
        );
      }
      const meta = await revisionOf(namespace);
      if (meta) stmts.push(bump(namespace, meta.dims));
      await db.batch(stmts);
    },
  };
}
