import { z } from "zod";
import type { Caller } from "../auth/caller.ts";
import type { PrismaClient } from "../db/client.ts";
import type { SetupStatusChanges } from "../events/setup-status-changes.ts";
import { likeLiteral } from "../db/like-literal.ts";
import { mapPrismaError } from "../db/errors.ts";
import { NotFoundError } from "../domain/errors.ts";
import { globalId, nameField, parseInput } from "../domain/validation.ts";
import { AgentStatus, type Agent, type Prisma } from "../generated/prisma/client.ts";
import { organizationAgent } from "./lookup.ts";

export interface AgentFilter {
  statuses?: AgentStatus[] | null;
  text?: string | null;
}
export interface AgentOrder {
  field: "CREATED_AT" | "UPDATED_AT" | "NAME";
  direction: "ASC" | "DESC";
}

export const CreateAgentInput = z.object({ name: nameField, status: z.enum(AgentStatus).nullish().transform((status) => status ?? "ACTIVE") });
export const UpdateAgentInput = z.object({ id: globalId("Agent"), name: nameField.nullish(), status: z.enum(AgentStatus).nullish() });
export const DeleteAgentInput = z.object({ id: globalId("Agent") });

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

  async create(caller: Caller, input: z.input<typeof CreateAgentInput>): Promise<Agent> {
    const data = parseInput(CreateAgentInput, input);
    return this.prisma.agent.create({ data: { ...data, organizationId: caller.organizationId } });
  }

  async update(caller: Caller, input: z.input<typeof UpdateAgentInput>): Promise<Agent> {
    // A malformed id and invalid fields are reported together.
    const { id, name, status } = parseInput(UpdateAgentInput, input);
    const gone = () => new NotFoundError("Agent", input.id);
    const result = await this.prisma.agent.updateMany({
      where: { id, organizationId: caller.organizationId },
      data: { ...(name != null ? { name } : {}), ...(status ? { status } : {}) },
    });
    if (result.count === 0) throw gone();
    if (status) {
      // Pausing or resuming changes the inbound readiness of every number routed to the agent.
      const numbers = await this.prisma.phoneNumber.findMany({ where: { agentId: id }, select: { id: true } });
      await this.setupStatus.refresh(numbers.map((n) => n.id));
    }
    // Deleted by a concurrent request since the update: as if a moment later.
    return this.prisma.agent.findUniqueOrThrow({ where: { id } }).catch((error: unknown) => {
      throw mapPrismaError(error, { recordMissing: gone });
    });
  }

  /** Deletes an agent; its numbers stay and become unassigned (their setup status then reports NO_AGENT). */
  async delete(caller: Caller, input: z.input<typeof DeleteAgentInput>): Promise<{ agentId: string; unassignedNumberIds: string[] }> {
    const { id } = parseInput(DeleteAgentInput, input);
    const gone = () => new NotFoundError("Agent", input.id);
    const deleted = await this.prisma
      .$transaction(async (tx) => {
        if (!(await organizationAgent(tx, caller.organizationId, id))) throw gone();
        const numbers = await tx.phoneNumber.findMany({ where: { agentId: id }, select: { id: true } });
        await tx.phoneNumber.updateMany({ where: { agentId: id }, data: { agentId: null } });
        await tx.agent.delete({ where: { id } });
        return { agentId: id, unassignedNumberIds: numbers.map((n) => n.id) };
      })
      // A concurrent delete of the same agent won: this one finds nothing left to delete.
      .catch((error: unknown) => {
        throw mapPrismaError(error, { recordMissing: gone });
      });
    await this.setupStatus.refresh(deleted.unassignedNumberIds);
    return deleted;
  }
}
