import type { CompiledDictionary } from "./dictionary";

/**
 * In-memory LRU of compiled dictionaries, keyed by system/version/revision. A Worker isolate keeps it
 * across requests, so a dictionary is compiled (or loaded from D1/R2) once per isolate and version.
 * Concurrent requests for the same key share one build.
 */
export class DictionaryCache {
  private readonly entries = new Map<string, Promise<CompiledDictionary>>();

  constructor(private readonly capacity = 8) {}

  static key(system: string, version: string, revision?: string | number): string {
    return `${system.toUpperCase()}@${version}${revision === undefined ? "" : `#${revision}`}`;
  }

  async get(key: string, build: () => CompiledDictionary | Promise<CompiledDictionary>): Promise<CompiledDictionary> {
    const hit = this.entries.get(key);
    if (hit) {
      this.entries.delete(key);
      this.entries.set(key, hit);
      return hit;
    }
    const pending = Promise.resolve().then(build);
    this.entries.set(key, pending);
    pending.catch(() => {
      if (this.entries.get(key) === pending) this.entries.delete(key);
    });
    while (this.entries.size > this.capacity) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) break;
      this.entries.delete(oldest);
    }
    return pending;
  }

  invalidate(key: string): void {
    this.entries.delete(key);
  }

  get size(): number {
    return this.entries.size;
  }
}
