import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { createLogger } from "../src/logger.ts";
import { createApp, type App } from "../src/server.ts";
import { createSchema, createYoga } from "graphql-yoga";
import { isoFromTimestamp, useCompiledReads } from "../src/schema/compiled-reads.ts";
import { createOrganization, getEnvironment, statementsDuring, type TestOrganization } from "./helpers/harness.ts";
import { NUMBER_ORDERS, numberFilters, seedNumberMix } from "./helpers/number-mix.ts";

// Compiled reads (src/schema/compiled-reads.ts, src/numbers/compiled-read.ts) against the executor.
// The same server is built twice over the same database: as it runs (COMPILED_READS on, the
// default) and with compiled reads off, so every operation goes through graphql-js, the resolvers
// and Prisma. Each operation of the corpus is sent to both, and the two responses must be equal;
// the statements run show which path answered.

let executorApp: App | undefined;
async function executorOnly(): Promise<App> {
  if (executorApp) return executorApp;
  const env = await getEnvironment();
  const { database, services } = env.switchboard;
  executorApp = createApp({ config: { ...env.config, compiledReads: false }, prisma: database.prisma, sql: database.sql, services, logger: createLogger("silent") });
  return executorApp;
}

interface Answer {
  status: number;
  body: { data?: any; errors?: Array<{ message: string; extensions?: Record<string, unknown> }> };
  compiled: boolean;
}

async function ask(app: App, secret: string, query: string, variables?: Record<string, unknown>): Promise<Answer> {
  let response!: Response;
  const statements = await statementsDuring(async () => {
    response = await app.yoga.fetch("http://switchboard.test/graphql", {
      method: "POST",
      headers: { "content-type": "application/json", "x-api-key": secret },
      body: JSON.stringify({ query, variables }),
    });
  });
  // The compiled statement is the only one that selects `_total`.
  return { status: response.status, body: (await response.json()) as Answer["body"], compiled: statements.some((sql) => sql.includes('"_total"')) };
}

/** Both servers' answers to one operation; they must agree. */
async function both(secret: string, query: string, variables?: Record<string, unknown>): Promise<{ compiled: Answer; executor: Answer }> {
  const env = await getEnvironment();
  const compiled = await ask(env.switchboard.app, secret, query, variables);
  const executor = await ask(await executorOnly(), secret, query, variables);
  assert.equal(executor.compiled, false);
  assert.equal(compiled.status, executor.status, query);
  assert.deepEqual(compiled.body, executor.body, `${query}\n${JSON.stringify(variables)}`);
  return { compiled, executor };
}

const seed = () => seedNumberMix("compiled-reads", 45);

const EVERY_FIELD = `__typename id e164 label status source direction country numberType carrier carrierResourceId supportsInbound supportsOutbound
  createdAt updatedAt releasedAt forwardingConfirmedAt dispatchMetadataTemplate
  setupStatus { __typename status inboundReady outboundReady agentReady smsReady forwardingRequired sipConnectionReady issues { __typename code message field } }
  agent { __typename id name status createdAt updatedAt phoneNumbers(first: 3) { __typename totalCount } }`;

describe("compiled reads", () => {
  test("the timestamp text PostgreSQL sends is written as the DateTime scalar writes a Date", () => {
    assert.equal(isoFromTimestamp("2026-01-01 00:00:00"), "2026-01-01T00:00:00.000Z");
    assert.equal(isoFromTimestamp("2026-01-01 00:00:00.1"), "2026-01-01T00:00:00.100Z");
    assert.equal(isoFromTimestamp("2026-01-01 00:00:00.12"), "2026-01-01T00:00:00.120Z");
    assert.equal(isoFromTimestamp("2026-12-31 23:59:59.999"), "2026-12-31T23:59:59.999Z");
    assert.equal(isoFromTimestamp("0001-01-01 00:00:00"), new Date("0001-01-01T00:00:00Z").toISOString());
  });

  test("a compiler that throws leaves the document to the executor, with a warning, not a failed request", async () => {
    const warnings: string[] = [];
    const yoga = createYoga({
      schema: createSchema({ typeDefs: "type Query { phoneNumbers: Int }", resolvers: { Query: { phoneNumbers: () => 7 } } }),
      plugins: [
        useCompiledReads({
          enabled: true,
          compilers: {
            phoneNumbers: () => {
              throw new Error("a broken invariant");
            },
          },
          logger: { warn: (_object: unknown, message?: string) => void warnings.push(message ?? "") },
        }),
      ],
      logging: false,
    });
    for (let i = 0; i < 2; i++) {
      const response = await yoga.fetch("http://switchboard.test/graphql", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ query: "{ phoneNumbers }" }) });
      assert.deepEqual(await response.json(), { data: { phoneNumbers: 7 } });
    }
    // Compiled (and failed) once per document; the second request did not try again.
    assert.deepEqual(warnings, ["compiling a read failed; the executor answers it"]);
  });

  test("every filter, order, page size and cursor: the same response as the executor's, from one statement", async () => {
    const { org, agents, prefix } = await seed();
    const filters = numberFilters(prefix, agents[1]!);
    const orders = NUMBER_ORDERS;
    const query = `query Page($first: Int, $after: String, $filter: PhoneNumberFilter, $orderBy: PhoneNumberOrder) {
      __typename
      phoneNumbers(first: $first, after: $after, filter: $filter, orderBy: $orderBy) {
        __typename totalCount
        pageInfo { __typename hasNextPage hasPreviousPage startCursor endCursor }
        edges { __typename cursor node { id e164 label createdAt agent { id name } } }
      }
    }`;
    let compared = 0;
    for (const filter of filters) {
      // A key per filter: each comparison is charged twice to its key's rate budget.
      const secret = await createApiKeyFor(org, ["*"]);
      for (const orderBy of orders) {
        // Every page of the list, 10 at a time, following endCursor.
        let after: string | null = null;
        do {
          const { compiled } = await both(secret, query, { first: 10, after, filter, orderBy });
          assert.ok(compiled.compiled, `answered by the compiled statement: ${JSON.stringify({ filter, orderBy, after, status: compiled.status, errors: compiled.body.errors })}`);
          const pageInfo: { hasNextPage: boolean; endCursor: string | null } = compiled.body.data.phoneNumbers.pageInfo;
          after = pageInfo.hasNextPage ? pageInfo.endCursor : null;
          compared++;
        } while (after);
      }
    }
    // Page sizes: none (20), zero, one, the maximum (over it is an error: the executor's, below).
    for (const first of [undefined, 0, 1, 100]) {
      const { compiled } = await both(org.secret, query, { first, filter: { released: "INCLUDE" } });
      assert.ok(compiled.compiled);
      compared++;
    }
    // From a cursor whose row is gone, and from another organization's row.
    const stranger = await createOrganization("compiled-reads-stranger");
    const cursorOf = (id: string) => Buffer.from(`GPC:S:${id}`).toString("base64");
    const theirs = await (await getEnvironment()).switchboard.database.prisma.phoneNumber.findFirstOrThrow({ where: { organizationId: org.id } });
    for (const [secret, after] of [[org.secret, cursorOf("00000000-0000-4000-8000-000000000000")], [stranger.secret, cursorOf(theirs.id)]] as const) {
      const { compiled } = await both(secret, query, { first: 5, after });
      assert.ok(compiled.compiled);
    }
    console.log(`  ${compared} pages compared`);
    assert.ok(compared > 250);
  });

  test("every field it compiles, through aliases and fragments, with the setup status of every kind of number", async () => {
    const { org } = await seed();
    const queries = [
      `{ phoneNumbers(first: 100, filter: { released: INCLUDE }) { edges { node { ${EVERY_FIELD} } } } }`,
      `query { list: phoneNumbers(first: 30, orderBy: { field: LABEL, direction: DESC }) { count: totalCount edges { c: cursor n: node { ...Number ... on Node { id } ... on PhoneNumber { e: e164 agent { ...AgentFields } } } } info: pageInfo { more: hasNextPage } } }
       fragment Number on PhoneNumber { id label setupStatus { status issues { code } } setup: setupStatus { inboundReady } }
       fragment AgentFields on Agent { name n2: name phoneNumbers { totalCount } }`,
      `{ phoneNumbers(first: 10) { edges { node { id } } } phoneNumbers(first: 10) { edges { node { e164 } } } }`,
      `{ phoneNumbers { totalCount } }`,
      `{ phoneNumbers(first: 2) { pageInfo { startCursor endCursor hasPreviousPage } } }`,
    ];
    for (const query of queries) {
      const { compiled } = await both(org.secret, query);
      assert.ok(compiled.compiled, query);
      assert.equal(compiled.body.errors, undefined);
    }
  });

  test("what it does not answer exactly as the executor would goes to the executor, with the same answer", async () => {
    const { org } = await seed();
    const numbersOnly = await createApiKeyFor(org, ["numbers:read"]);
    const cases: Array<[secret: string, query: string, variables?: Record<string, unknown>]> = [
      [org.secret, `{ phoneNumbers(first: 3) { edges { node { id capabilities { voice } } } } }`],
      [org.secret, `{ phoneNumbers(first: 3) { facets { assigned } } }`],
      [org.secret, `{ phoneNumbers(first: 3) { edges { node { id @include(if: true) } } } }`],
      [org.secret, `{ phoneNumbers(last: 3) { edges { node { id } } } }`],
      [org.secret, `{ phoneNumbers(first: -1) { edges { node { id } } } }`],
      [org.secret, `{ phoneNumbers(first: 250) { edges { node { id } } } }`],
      [org.secret, `{ phoneNumbers(first: 3) { edges { node { id agent { phoneNumbers(first: 101) { totalCount } } } } } }`],
      [org.secret, `{ phoneNumbers(first: 3, after: "not a cursor") { edges { node { id } } } }`],
      [org.secret, `{ phoneNumbers(first: 3, filter: { agentId: "nope" }) { edges { node { id } } } }`],
      [org.secret, `query ($t: String) { phoneNumbers(first: 3, filter: { text: $t }) { edges { node { id } } } }`, { t: "a\u0000b" }],
      [org.secret, `query ($t: String) { phoneNumbers(first: 3, filter: { text: $t }) { edges { node { id } } } }`, { t: "x".repeat(1_001) }],
      [org.secret, `query ($n: Int) { phoneNumbers(first: $n) { edges { node { id } } } }`, { n: "three" }],
      [org.secret, `{ phoneNumbers(first: 3) { edges { node { id agent { phoneNumbers(first: 1) { edges { node { id } } } } } } } }`],
      [org.secret, `{ phoneNumbers(first: 3) { edges { node { id } } } viewer { scopes } }`],
      // Without agents:read the agent is FORBIDDEN (null with an error): the executor says so.
      [numbersOnly, `{ phoneNumbers(first: 3) { edges { node { id agent { name } } } } }`],
      [numbersOnly, `{ phoneNumbers(first: 3) { edges { node { billing { monthlyPriceCents } } } } }`],
    ];
    for (const [secret, query, variables] of cases) {
      const { compiled } = await both(secret, query, variables);
      assert.equal(compiled.compiled, false, query);
    }
    // With the scopes it needs, the same key is compiled.
    const { compiled } = await both(numbersOnly, `{ phoneNumbers(first: 3) { edges { node { id label } } } }`);
    assert.ok(compiled.compiled);
  });

  test("one statement whatever the page size, and limits apply first", async () => {
    const { org } = await seed();
    const env = await getEnvironment();
    await ask(env.switchboard.app, org.secret, "{ __typename }"); // the key's lookup is cached
    for (const first of [1, 10, 45]) {
      const statements = await statementsDuring(() => ask(env.switchboard.app, org.secret, `{ phoneNumbers(first: ${first}) { totalCount edges { node { id setupStatus { status } agent { name phoneNumbers { totalCount } } } } } }`));
      const reads = statements.filter((sql) => sql.includes("PhoneNumber") || sql.includes("Agent"));
      assert.equal(reads.length, 1, reads.join("\n"));
    }
    // An operation over the cost limit is refused before anything runs, compiled or not.
    const response = await env.switchboard.app.yoga.fetch("http://switchboard.test/graphql", {
      method: "POST",
      headers: { "content-type": "application/json", "x-api-key": org.secret },
      body: JSON.stringify({ query: `{ ${Array.from({ length: 40 }, (_, i) => `p${i}: phoneNumbers(first: 100) { edges { node { id agent { phoneNumbers { totalCount } } } } }`).join(" ")} }` }),
    });
    const body = (await response.json()) as Answer["body"];
    assert.equal(body.data, undefined);
    assert.ok(body.errors?.some((e) => String(e.extensions?.code).includes("COST") || String(e.extensions?.code).includes("LIMIT")), JSON.stringify(body.errors));
  });
});

async function createApiKeyFor(org: TestOrganization, scopes: string[]): Promise<string> {
  const client = await org.clientWithScopes(scopes);
  return client.headers["x-api-key"]!;
}
