import { PrismaPg } from "@prisma/adapter-pg";
import { createHash } from "node:crypto";
import pg from "pg";
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
  return prismaOverPool(new PrismaPg({ ...connectionOptionsFromUrl(url), max: poolSize }), onQuery);
}

/**
 * A read of the hot paths that bypasses Prisma (src/numbers/compiled-read.ts): one statement
 * through the pool Prisma uses, prepared once per connection under a name derived from its text,
 * rows as objects with every timestamp left as PostgreSQL's text (the caller formats it) and other
 * values parsed as pg parses them. Refused once the request's deadline has passed, and seen by
 * `onQuery` like every Prisma statement.
 */
export type SqlReader = (<Row = Record<string, unknown>>(text: string, values: unknown[]) => Promise<Row[]>) & {
  /**
   * The same read, each row an array of its values in the statement's column order. No object per
   * row: pg builds row objects key by key, and past a dozen or so columns V8 keeps them as slow
   * dictionaries, so a wide page read field by field costs far more as objects than as arrays.
   */
  arrays(text: string, values: unknown[]): Promise<unknown[][]>;
};

const MAX_NAMED_STATEMENTS = 500;
const TIMESTAMP_OIDS = new Set([1114, 1184]);
const keepTimestampsAsText = {
  getTypeParser: ((oid: number, format?: "text" | "binary") => (TIMESTAMP_OIDS.has(oid) ? (value: string) => value : pg.types.getTypeParser(oid, format))) as typeof pg.types.getTypeParser,
};

/** Prisma and a SqlReader on one pool (the embedded PGlite is one connection: they must share it). */
export function createDatabaseClients(url: string, poolSize: number, onQuery?: (sql: string) => void): { prisma: PrismaClient; sql: SqlReader; pool: pg.Pool } {
  const pool = new pg.Pool({ ...connectionOptionsFromUrl(url), max: poolSize });
  // An idle client's error (the server restarted) is pg's to drop from the pool, not a crash.
  pool.on("error", () => {});
  const prisma = prismaOverPool(new PrismaPg(pool, { disposeExternalPool: true }), onQuery);
  const names = new Map<string, string>();
  const read = async (text: string, values: unknown[], rowMode?: "array") => {
    assertWithinDeadline();
    onQuery?.(text);
    let name = names.get(text);
    // Named, so each connection plans a statement once; the texts are few (one per filter shape).
    if (!name && names.size < MAX_NAMED_STATEMENTS) names.set(text, (name = `sb_${createHash("sha1").update(text).digest("hex").slice(0, 16)}`));
    const result = await pool.query({ name, text, values, types: keepTimestampsAsText, ...(rowMode ? { rowMode } : {}) });
    return result.rows;
  };
  const sql: SqlReader = Object.assign(<Row>(text: string, values: unknown[]) => read(text, values) as Promise<Row[]>, {
    arrays: (text: string, values: unknown[]) => read(text, values, "array") as Promise<unknown[][]>,
  });
  return { prisma, sql, pool };
}

function prismaOverPool(factory: PrismaPg, onQuery?: (sql: string) => void): PrismaClient {
  const adapter = new Proxy(factory, {
    get(object, property, receiver) {
      if (property === "connect") return async () => guardStatements<Adapter>(await object.connect());
      const value = Reflect.get(object, property, receiver);
      return typeof value === "function" ? value.bind(object) : value;
    },
  });
  const prisma = new PrismaClient({
    adapter,
    log: onQuery ? [{ emit: "event", level: "query" }] : [],
    // Interactive transactions wait for a connection up to 10 s (Prisma's default is 2 s): on the
    // embedded database there is one connection, and the jobs' short transactions (billing, events)
    // queue behind requests' when the machine is busy. Requests stay bounded by their own deadline.
    transactionOptions: { maxWait: 10_000 },
  });
  if (onQuery) prisma.$on("query" as never, (event: { query: string }) => onQuery(event.query));
  return prisma;
}
