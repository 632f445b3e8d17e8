import { DurableObject } from "cloudflare:workers";

/**
 * One chat session: serialises turns so only one is in flight (a second concurrent turn gets 409 from
 * the agents feature). The lock expires so a crashed turn cannot wedge the session forever.
 */
export class ChatSession extends DurableObject<Env> {
  beginTurn(turnId: string, ttlMs = 120_000, now = Date.now()): { ok: boolean; activeTurnId: string | null } {
    const active = this.ctx.storage.kv.get<{ turnId: string; expiresAt: number }>("turn");
    if (active && active.expiresAt > now && active.turnId !== turnId) return { ok: false, activeTurnId: active.turnId };
    this.ctx.storage.kv.put("turn", { turnId, expiresAt: now + ttlMs });
    return { ok: true, activeTurnId: turnId };
  }

  endTurn(turnId: string): boolean {
    const active = this.ctx.storage.kv.get<{ turnId: string; expiresAt: number }>("turn");
    if (!active || active.turnId !== turnId) return false;
    this.ctx.storage.kv.delete("turn");
    return true;
  }
}
