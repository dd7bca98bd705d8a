import { PrismaPg } from "@prisma/adapter-pg";
import { PrismaClient } from "../generated/prisma/client.ts";
import { connectionOptionsFromUrl } from "./connection-options.ts";

export type { PrismaClient };

/**
 * The one Prisma client of a process, created at start. `onQuery` sees every SQL statement (tests
 * count them to catch N+1 queries).
 */
export function createPrismaClient(url: string, poolSize: number, onQuery?: (sql: string) => void): PrismaClient {
  const adapter = new PrismaPg({ ...connectionOptionsFromUrl(url), max: poolSize });
  const prisma = new PrismaClient({ adapter, log: onQuery ? [{ emit: "event", level: "query" }] : [] });
  if (onQuery) prisma.$on("query" as never, (event: { query: string }) => onQuery(event.query));
  return prisma;
}
