import { z } from "zod";
import type { Caller } from "../auth/caller.ts";
import type { PrismaClient } from "../db/client.ts";
import type { SetupStatusChanges } from "../events/setup-status-changes.ts";
import { likeLiteral } from "../db/like-literal.ts";
import { NotFoundError, ValidationError } from "../domain/errors.ts";
import { decodeId } from "../domain/global-id.ts";
import { nameField, parseInput } from "../domain/validation.ts";
import type { Agent, Prisma } from "../generated/prisma/client.ts";

export type AgentStatus = "ACTIVE" | "PAUSED";

export interface AgentFilter {
  statuses?: AgentStatus[] | null;
  text?: string | null;
}
export interface AgentOrder {
  field: "CREATED_AT" | "UPDATED_AT" | "NAME";
  direction: "ASC" | "DESC";
}

const CreateAgent = z.object({ name: nameField, status: z.enum(["ACTIVE", "PAUSED"]).default("ACTIVE") });
const UpdateAgent = z.object({ name: nameField.optional(), status: z.enum(["ACTIVE", "PAUSED"]).optional() });

/** Agents: the voice/SMS agents that phone numbers route to. */
export class AgentService {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly setupStatus: SetupStatusChanges,
  ) {}

  where(caller: Caller, filter?: AgentFilter | null): Prisma.AgentWhereInput {
    const where: Prisma.AgentWhereInput = { organizationId: caller.organizationId };
    // Deduplicated: a list repeating one status 80,000 times must not become 80,000 bind parameters.
    if (filter?.statuses?.length) where.status = { in: [...new Set(filter.statuses)] };
    if (filter?.text?.trim()) where.name = { contains: likeLiteral(filter.text.trim()), mode: "insensitive" };
    return where;
  }

  orderBy(order?: AgentOrder | null): Prisma.AgentOrderByWithRelationInput[] {
    const direction = order?.direction === "ASC" ? "asc" : "desc";
    const column = { CREATED_AT: "createdAt", UPDATED_AT: "updatedAt", NAME: "name" }[order?.field ?? "CREATED_AT"];
    return [{ [column]: direction }, { id: direction }];
  }

  async create(caller: Caller, input: { name: string; status?: AgentStatus | null }): Promise<Agent> {
    const data = parseInput(CreateAgent, { name: input.name, status: input.status ?? undefined });
    return this.prisma.agent.create({ data: { ...data, organizationId: caller.organizationId } });
  }

  async update(caller: Caller, input: { id: string; name?: string | null; status?: AgentStatus | null }): Promise<Agent> {
    // A malformed id and invalid fields are reported together.
    const decoded = decodeId(input.id, "Agent", ["input", "id"]);
    const data = parseInput(UpdateAgent, { name: input.name ?? undefined, status: input.status ?? undefined }, "error" in decoded ? [decoded.error] : []);
    const id = (decoded as { id: string }).id;
    const result = await this.prisma.agent.updateMany({ where: { id, organizationId: caller.organizationId }, data });
    if (result.count === 0) throw new NotFoundError("Agent", input.id);
    if (data.status) {
      // Pausing or resuming changes the inbound readiness of every number routed to the agent.
      const numbers = await this.prisma.phoneNumber.findMany({ where: { agentId: id }, select: { id: true } });
      await this.setupStatus.refresh(numbers.map((n) => n.id));
    }
    return this.prisma.agent.findUniqueOrThrow({ where: { id } });
  }

  /** Deletes an agent; its numbers stay and become unassigned (their setup status then reports NO_AGENT). */
  async delete(caller: Caller, input: { id: string }): Promise<{ agentId: string; unassignedNumberIds: string[] }> {
    const id = this.#decode(input.id);
    const deleted = await this.prisma.$transaction(async (tx) => {
      const agent = await tx.agent.findFirst({ where: { id, organizationId: caller.organizationId }, select: { id: true } });
      if (!agent) throw new NotFoundError("Agent", input.id);
      const numbers = await tx.phoneNumber.findMany({ where: { agentId: id }, select: { id: true } });
      await tx.phoneNumber.updateMany({ where: { agentId: id }, data: { agentId: null } });
      await tx.agent.delete({ where: { id } });
      return { agentId: id, unassignedNumberIds: numbers.map((n) => n.id) };
    });
    await this.setupStatus.refresh(deleted.unassignedNumberIds);
    return deleted;
  }

  #decode(globalId: string): string {
    const decoded = decodeId(globalId, "Agent", ["input", "id"]);
    if ("error" in decoded) throw new ValidationError([decoded.error]);
    return decoded.id;
  }
}
