// The reference of issue 11: Switchboard's main list read (`phoneNumbers` with each number's agent)
// served "the plain way" -- graphql-yoga, a hand-written SDL, hand-written resolvers, a DataLoader
// for agents and `pg` queries -- over the tables Switchboard's migrations create. It imports
// nothing from src/, so it stays what a team would write by hand. The benchmark
// (bench/list-numbers.ts) runs it as its own process and drives it like Switchboard.
//   DATABASE_URL=postgresql://... PORT=0 node --import tsx bench/reference-server.ts
// It prints one JSON line with its `url` once it listens, and stops on SIGTERM.
import { createHash } from "node:crypto";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import DataLoader from "dataloader";
import { GraphQLError } from "graphql";
import { DateTimeResolver } from "graphql-scalars";
import { createSchema, createYoga } from "graphql-yoga";
import pg from "pg";

// TIMESTAMP(3) columns hold UTC (Prisma writes them so); node-pg would read them as local time.
pg.types.setTypeParser(pg.types.builtins.TIMESTAMP, (value) => new Date(`${value.replace(" ", "T")}Z`));

const API_KEY_PATTERN = /^sb_(live|test)_[A-Za-z0-9]{20,100}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const API_KEY_CACHE_MS = 5_000;
const MAX_PAGE = 100;
const DEFAULT_PAGE = 20;

const typeDefs = /* GraphQL */ `
  scalar DateTime

  enum OrderDirection { ASC DESC }
  enum PhoneNumberOrderField { CREATED_AT UPDATED_AT E164 LABEL }

  input PhoneNumberOrder {
    field: PhoneNumberOrderField!
    direction: OrderDirection!
  }

  type Query {
    phoneNumbers(first: Int, after: String, orderBy: PhoneNumberOrder): PhoneNumberConnection
  }

  type PageInfo {
    hasNextPage: Boolean!
    hasPreviousPage: Boolean!
    startCursor: String
    endCursor: String
  }

  type PhoneNumberConnection {
    edges: [PhoneNumberEdge!]!
    pageInfo: PageInfo!
  }

  type PhoneNumberEdge {
    cursor: String!
    node: PhoneNumber!
  }

  type PhoneNumber {
    id: ID!
    e164: String!
    label: String
    createdAt: DateTime!
    agent: Agent
  }

  type Agent {
    id: ID!
    name: String!
  }
`;

interface Caller {
  organizationId: string;
  scopes: Set<string>;
}

interface NumberRow {
  id: string;
  e164: string;
  label: string;
  createdAt: Date;
  agentId: string | null;
}

interface AgentRow {
  id: string;
  name: string;
}

interface Context {
  caller: Caller;
  agents: DataLoader<string, AgentRow | null>;
}

// Same encodings as Switchboard: relay global ids and the Prisma plugin's `id` cursors.
const globalId = (type: string, id: string) => Buffer.from(`${type}:${id}`).toString("base64");
const cursorOf = (id: string) => Buffer.from(`GPC:S:${id}`).toString("base64");
function idFromCursor(cursor: string): string {
  const decoded = Buffer.from(cursor, "base64").toString();
  const id = decoded.startsWith("GPC:S:") ? decoded.slice(6) : "";
  if (!UUID.test(id)) throw new GraphQLError(`Invalid cursor: ${cursor}`, { extensions: { code: "BAD_USER_INPUT" } });
  return id;
}

const ORDER_COLUMNS: Record<string, string> = { CREATED_AT: `"createdAt"`, UPDATED_AT: `"updatedAt"`, E164: `"e164"`, LABEL: `"label"` };

function unauthenticated(message: string) {
  return new GraphQLError(message, { extensions: { code: "UNAUTHENTICATED", http: { status: 401 } } });
}

export function createReferenceServer(pool: pg.Pool) {
  // The same cost as Switchboard's authenticator: a SHA-256 and a few-seconds cache of the key row
  // (a miss reads the row and records its last use).
  const keyCache = new Map<string, { caller: Caller | undefined; expiresAtMs: number }>();
  async function authenticate(apiKey: string | null): Promise<Caller> {
    const secret = apiKey?.trim();
    if (!secret) throw unauthenticated("Authentication required: send an API key in X-API-Key.");
    if (!API_KEY_PATTERN.test(secret)) throw unauthenticated("Invalid API key.");
    const secretHash = createHash("sha256").update(secret).digest("hex");
    const now = Date.now();
    const cached = keyCache.get(secretHash);
    if (cached && cached.expiresAtMs > now) {
      if (!cached.caller) throw unauthenticated("Invalid API key.");
      return cached.caller;
    }
    const { rows } = await pool.query<{ id: string; organizationId: string | null; scopes: string[]; expiresAt: Date | null; revokedAt: Date | null }>(
      `SELECT id, "organizationId", scopes, "expiresAt", "revokedAt" FROM "ApiKey" WHERE "secretHash" = $1`,
      [secretHash],
    );
    const key = rows[0];
    let caller: Caller | undefined;
    if (key && !key.revokedAt && !(key.expiresAt && key.expiresAt.getTime() <= now) && key.organizationId) {
      await pool.query(`UPDATE "ApiKey" SET "lastUsedAt" = $2 WHERE id = $1`, [key.id, new Date(now)]);
      caller = { organizationId: key.organizationId, scopes: new Set(key.scopes) };
    }
    if (keyCache.size > 10_000) keyCache.clear();
    keyCache.set(secretHash, { caller, expiresAtMs: Math.min(now + API_KEY_CACHE_MS, key?.expiresAt?.getTime() ?? Infinity) });
    if (!caller) throw unauthenticated("Invalid API key.");
    return caller;
  }

  const requireScope = (caller: Caller, scope: string) => {
    if (!caller.scopes.has("*") && !caller.scopes.has(scope)) throw new GraphQLError(`Missing scope ${scope}`, { extensions: { code: "FORBIDDEN" } });
  };

  const resolvers = {
    DateTime: DateTimeResolver,
    Query: {
      async phoneNumbers(_: unknown, args: { first?: number | null; after?: string | null; orderBy?: { field: string; direction: "ASC" | "DESC" } | null }, { caller }: Context) {
        requireScope(caller, "numbers:read");
        const first = args.first ?? DEFAULT_PAGE;
        if (first < 0 || first > MAX_PAGE) throw new GraphQLError(`first must be between 0 and ${MAX_PAGE}`, { extensions: { code: "BAD_USER_INPUT" } });
        const column = ORDER_COLUMNS[args.orderBy?.field ?? "CREATED_AT"]!;
        const direction = (args.orderBy?.direction ?? "DESC") === "ASC" ? "ASC" : "DESC";
        const params: unknown[] = [caller.organizationId, first + 1];
        let after = "";
        if (args.after) {
          params.push(idFromCursor(args.after));
          // The id breaks ties, as in Switchboard, so a page never skips or repeats a row.
          after = `AND (${column}, id) ${direction === "ASC" ? ">" : "<"} (SELECT ${column}, id FROM "PhoneNumber" WHERE id = $3 AND "organizationId" = $1)`;
        }
        const { rows } = await pool.query<NumberRow>(
          `SELECT id, e164, label, "createdAt", "agentId" FROM "PhoneNumber"
           WHERE "organizationId" = $1 AND status <> 'RELEASED' ${after}
           ORDER BY ${column} ${direction}, id ${direction} LIMIT $2`,
          params,
        );
        const edges = rows.slice(0, first).map((row) => ({ cursor: cursorOf(row.id), node: row }));
        return {
          edges,
          pageInfo: {
            hasNextPage: rows.length > first,
            hasPreviousPage: false,
            startCursor: edges[0]?.cursor ?? null,
            endCursor: edges.at(-1)?.cursor ?? null,
          },
        };
      },
    },
    PhoneNumber: {
      id: (row: NumberRow) => globalId("PhoneNumber", row.id),
      label: (row: NumberRow) => row.label || null,
      agent: (row: NumberRow, _: unknown, context: Context) => (row.agentId ? context.agents.load(row.agentId) : null),
    },
    Agent: {
      id: (row: AgentRow) => globalId("Agent", row.id),
    },
  };

  const yoga = createYoga<object, Context>({
    schema: createSchema<Context>({ typeDefs, resolvers }),
    graphqlEndpoint: "/graphql",
    graphiql: false,
    logging: false,
    context: async ({ request }) => {
      const caller = await authenticate(request.headers.get("x-api-key"));
      return {
        caller,
        // One statement per request for every agent its page names.
        agents: new DataLoader<string, AgentRow | null>(async (ids) => {
          const { rows } = await pool.query<AgentRow>(`SELECT id, name FROM "Agent" WHERE id = ANY($1::uuid[]) AND "organizationId" = $2`, [
            ids,
            caller.organizationId,
          ]);
          const byId = new Map(rows.map((row) => [row.id, row]));
          return ids.map((id) => byId.get(id) ?? null);
        }),
      };
    },
  });
  return createServer(yoga);
}

async function main() {
  const url = process.env.DATABASE_URL;
  if (!url) throw new Error("DATABASE_URL is required");
  const parsed = new URL(url);
  const pool = new pg.Pool({
    host: parsed.hostname,
    port: Number(parsed.port || 5432),
    user: decodeURIComponent(parsed.username) || "postgres",
    password: parsed.password ? decodeURIComponent(parsed.password) : undefined,
    database: decodeURIComponent(parsed.pathname.slice(1)) || "postgres",
    // Switchboard's default pool size, so both servers meet the database alike.
    max: Number(process.env.DATABASE_POOL_SIZE ?? 10),
    application_name: process.env.PGAPPNAME ?? "switchboard-bench-reference",
  });
  const server = createReferenceServer(pool);
  await new Promise<void>((resolve) => server.listen(Number(process.env.PORT ?? 4001), process.env.HOST ?? "127.0.0.1", resolve));
  const { address, port } = server.address() as AddressInfo;
  console.log(JSON.stringify({ msg: "reference server is listening", url: `http://${address}:${port}/graphql` }));
  process.on("SIGTERM", () => {
    server.close();
    server.closeAllConnections();
    void pool.end().then(() => process.exit(0));
  });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((error) => {
    console.error(error);
    process.exit(1);
  });
}
