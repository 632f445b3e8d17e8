import { eq } from "drizzle-orm";
import type { VerbCtx } from "../../context";
import { organizations } from "../../db/schema";
import { errors } from "../../platform/errors";

export async function requireOrganization(ctx: VerbCtx, orgId: string): Promise<{ id: string; name: string }> {
  const org = await ctx.services.orm.query.organizations.findFirst({ where: eq(organizations.id, orgId) });
  if (!org) throw errors.notFound(`Organization '${orgId}' not found`, { code: "organization_not_found" });
  return { id: org.id, name: org.name };
}
