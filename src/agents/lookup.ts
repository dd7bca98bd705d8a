import type { PrismaClient } from "../db/client.ts";
import type { FieldError } from "../domain/errors.ts";
import type { Agent, Prisma } from "../generated/prisma/client.ts";

type Db = PrismaClient | Prisma.TransactionClient;

/** "This organization's agent": the one lookup of an agent by id, scoped to the caller's organization. */
export function organizationAgent(db: Db, organizationId: string, id: string): Promise<Agent | null> {
  return db.agent.findFirst({ where: { id, organizationId } });
}

/**
 * The one answer for an input that names an agent the organization does not have (unknown, another
 * organization's, or deleted meanwhile): a NOT_FOUND field error at that input's path, reported in
 * the ValidationError with the input's other problems. Another organization's agent is not revealed.
 */
export const unknownAgent = (path: string[] = ["input", "agentId"]): FieldError => ({ path, code: "NOT_FOUND", message: "No such agent in this organization" });

/** The problems of an input's agent reference: none when it is absent or the organization's own agent. */
export async function agentReferenceProblems(db: Db, organizationId: string, id: string | null | undefined, path: string[] = ["input", "agentId"]): Promise<FieldError[]> {
  if (id == null) return [];
  return (await organizationAgent(db, organizationId, id)) ? [] : [unknownAgent(path)];
}
