import { PrismaPg } from "@prisma/adapter-pg";
import { PrismaClient } from "../generated/prisma/client.ts";
import { assertWithinDeadline } from "../limits/deadline.ts";
import { connectionOptionsFromUrl } from "./connection-options.ts";

export type { PrismaClient };

type Factory = PrismaPg;
type Adapter = Awaited<ReturnType<Factory["connect"]>>;

/** Statements refuse to start once their request's deadline has passed (see src/limits/deadline.ts). */
function guardStatements<T extends object>(target: T): T {
  return new Proxy(target, {
    get(object, property, receiver) {
      const value = Reflect.get(object, property, receiver);
      if (property === "queryRaw" || property === "executeRaw") {
        return (...args: unknown[]) => {
          assertWithinDeadline();
          return (value as (...a: unknown[]) => unknown).apply(object, args);
        };
      }
      if (property === "startTransaction") {
        return async (...args: unknown[]) => guardStatements(await (value as (...a: unknown[]) => Promise<object>).apply(object, args));
      }
      return typeof value === "function" ? value.bind(object) : value;
    },
  });
}

/**
 * The one Prisma client of a process, created at start. `onQuery` sees every SQL statement (tests
 * count them to catch N+1 queries).
 */
export function createPrismaClient(url: string, poolSize: number, onQuery?: (sql: string) => void): PrismaClient {
  const factory = new PrismaPg({ ...connectionOptionsFromUrl(url), max: poolSize });
  const adapter = new Proxy(factory, {
    get(object, property, receiver) {
      if (property === "connect") return async () => guardStatements<Adapter>(await object.connect());
      const value = Reflect.get(object, property, receiver);
      return typeof value === "function" ? value.bind(object) : value;
    },
  });
  const prisma = new PrismaClient({ adapter, log: onQuery ? [{ emit: "event", level: "query" }] : [] });
  if (onQuery) prisma.$on("query" as never, (event: { query: string }) => onQuery(event.query));
  return prisma;
}
