import type { PrismaClient } from "./db/client.ts";
import { createApiKey } from "./apikeys/service.ts";

/**
 * On the first start of an empty embedded database: a demo organization and an all-scopes key,
 * so a newcomer can call the API at once. Returns the secret to print, or nothing if the database
 * already had an organization.
 */
export async function seedDemoOrganization(prisma: PrismaClient): Promise<{ organizationName: string; secret: string } | undefined> {
  if ((await prisma.organization.count()) > 0) return undefined;
  const organization = await prisma.organization.create({ data: { name: "Demo" } });
  const { secret } = await createApiKey(prisma, organization.id, { name: "demo (created on first start)", scopes: ["*"], mode: "LIVE" });
  return { organizationName: organization.name, secret };
}
