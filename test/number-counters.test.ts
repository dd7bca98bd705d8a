import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { describe, test } from "node:test";
import { createLogger } from "../src/logger.ts";
import { filterSql, loadPhoneNumberPage, Params, selectsLiveNumbers } from "../src/numbers/page-query.ts";
import type { PhoneNumberFilter } from "../src/numbers/service.ts";
import { createApp, type App } from "../src/server.ts";
import { createOrganization, getEnvironment, sendRaw, statementsDuring, type TestOrganization } from "./helpers/harness.ts";
import { uniqueE164 } from "./helpers/numbers.ts";

// The counters of live numbers (every status but RELEASED) that triggers on PhoneNumber keep:
// OrganizationCounter.liveNumbers and Agent.liveNumberCount (migration 20261129090000_number_counters).
// An organization lives through the mutations a client makes (buying, importing, adding, routing,
// suspending, deleting an agent, releasing), bulk SQL and concurrent requests; after each step the
// counters equal a fresh count(*), and so do the totals the API answers, on the compiled read and on
// the executor's one-statement page alike.

const AGENT_WITH_COUNT = { include: { _count: { select: { phoneNumbers: { where: { status: { not: "RELEASED" } } } } } } } as const;
const PAGE = `{ phoneNumbers(first: 100) { totalCount edges { node { id agent { id phoneNumbers(first: 5) { totalCount } } } } } }`;

const send = async (secret: string, query: string, variables?: unknown) => {
  const { body } = await sendRaw(secret, query, variables);
  if (body.errors) throw new Error(JSON.stringify(body.errors));
  return body.data;
};
const rowId = (globalId: string) => Buffer.from(globalId, "base64").toString().split(":")[1]!;

/** The same server with compiled reads off: `phoneNumbers` goes through the executor and the one-statement page. */
let executorApp: App | undefined;
async function executorOnly(): Promise<App> {
  const env = await getEnvironment();
  const { database, services } = env.switchboard;
  return (executorApp ??= createApp({ config: { ...env.config, compiledReads: false }, prisma: database.prisma, sql: database.sql, services, logger: createLogger("silent") }));
}

async function ask(app: App, secret: string, query: string): Promise<any> {
  const response = await app.yoga.fetch("http://switchboard.test/graphql", {
    method: "POST",
    headers: { "content-type": "application/json", "x-api-key": secret },
    body: JSON.stringify({ query }),
  });
  const body = (await response.json()) as { data?: any; errors?: unknown };
  assert.equal(body.errors, undefined, JSON.stringify(body.errors));
  return body.data;
}

interface Counts {
  live: number;
  agents: Map<string, number>;
}

/** What a fresh count(*) says of the organization and each of its agents. */
async function freshCounts(organizationId: string): Promise<Counts> {
  const { prisma } = (await getEnvironment()).switchboard.database;
  const [org] = await prisma.$queryRaw<Array<{ live: number }>>`
    SELECT count(*)::int AS live FROM "PhoneNumber" WHERE "organizationId" = ${organizationId}::uuid AND "status" <> 'RELEASED'`;
  const agents = await prisma.$queryRaw<Array<{ id: string; live: number }>>`
    SELECT a."id", (SELECT count(*) FROM "PhoneNumber" x WHERE x."agentId" = a."id" AND x."status" <> 'RELEASED')::int AS live
    FROM "Agent" a WHERE a."organizationId" = ${organizationId}::uuid`;
  return { live: org!.live, agents: new Map(agents.map((a) => [a.id, a.live])) };
}

/** The counters equal a fresh count, and every total the API gives equals it too. */
async function assertExact(org: TestOrganization, step: string): Promise<Counts> {
  const env = await getEnvironment();
  const { prisma } = env.switchboard.database;
  const truth = await freshCounts(org.id);
  const counter = await prisma.organizationCounter.findUnique({ where: { organizationId: org.id } });
  assert.equal(counter?.liveNumbers ?? 0, truth.live, `${step}: the organization's counter`);
  const agents = await prisma.agent.findMany({ where: { organizationId: org.id }, select: { id: true, liveNumberCount: true } });
  for (const agent of agents) assert.equal(agent.liveNumberCount, truth.agents.get(agent.id), `${step}: agent ${agent.id}'s counter`);

  // Through the API: the compiled read (the test server) and the executor's one-statement page.
  for (const [path, app] of [["compiled", env.switchboard.app], ["executor", await executorOnly()]] as const) {
    const data = await ask(app, org.secret, PAGE);
    assert.equal(data.phoneNumbers.totalCount, truth.live, `${step} (${path}): totalCount`);
    for (const { node } of data.phoneNumbers.edges) {
      if (node.agent) assert.equal(node.agent.phoneNumbers.totalCount, truth.agents.get(rowId(node.agent.id)), `${step} (${path}): the agent's totalCount`);
    }
  }
  // The page loader itself, with every agent's count.
  const page = await loadPhoneNumberPage(prisma, org.id, {}, { include: { agent: AGENT_WITH_COUNT }, take: 100 }, { totalCount: true, verificationStatus: false, columns: "all" });
  assert.equal(page.totalCount, truth.live, `${step} (page loader): totalCount`);
  for (const row of page.rows) if (row.agent) assert.equal(row.agent._count?.phoneNumbers, truth.agents.get(row.agent.id), `${step} (page loader): the agent's count`);
  return truth;
}

async function createAgent(org: TestOrganization, name: string): Promise<string> {
  const data = await send(org.secret, `mutation($name: String!) { createAgent(input: { name: $name }) { ... on CreateAgentSuccess { agent { id } } } }`, { name });
  return data.createAgent.agent.id;
}

const PROVISION = `mutation($key: String!, $agent: ID) { provisionPhoneNumber(input: { areaCode: "206", idempotencyKey: $key, agentId: $agent }) {
  __typename ... on ProvisionPhoneNumberSuccess { phoneNumber { id status } } ... on Error { message } } }`;
const IMPORT = `mutation($e164: String!, $agent: ID) { importSipTrunkPhoneNumber(input: { e164: $e164, agentId: $agent, inboundTrunk: { allowedSourceIps: ["198.51.100.7"] } }) {
  __typename ... on ImportSipTrunkPhoneNumberSuccess { phoneNumber { id } } ... on Error { message } } }`;
const MANUAL = `mutation($e164: String!, $agent: ID) { createManualPhoneNumber(input: { e164: $e164, agentId: $agent }) {
  __typename ... on CreateManualPhoneNumberSuccess { phoneNumber { id } } ... on Error { message } } }`;
const ASSIGN = `mutation($number: ID!, $agent: ID!) { assignPhoneNumber(input: { phoneNumberId: $number, agentId: $agent }) { __typename ... on Error { message } } }`;
const UNASSIGN = `mutation($number: ID!) { unassignPhoneNumber(input: { phoneNumberId: $number }) { __typename ... on Error { message } } }`;
const RELEASE = `mutation($id: ID!) { releasePhoneNumber(input: { id: $id }) { __typename ... on ReleasePhoneNumberSuccess { phoneNumber { status } } ... on Error { message } } }`;
const REACTIVATE = `mutation($id: ID!) { reactivatePhoneNumber(input: { id: $id }) { __typename ... on Error { message } } }`;
const DELETE_AGENT = `mutation($id: ID!) { deleteAgent(input: { id: $id }) { __typename ... on Error { message } } }`;

/** A mutation that must succeed: its payload's __typename ends in Success. */
async function mutate(org: TestOrganization, query: string, variables: Record<string, unknown>): Promise<any> {
  const data = await send(org.secret, query, variables);
  const payload = Object.values(data as Record<string, { __typename: string }>)[0]!;
  assert.match(payload.__typename, /Success$/, JSON.stringify(payload));
  return payload;
}

describe("counters of live numbers", () => {
  test("the organization's counter answers exactly the filters that select its live numbers", () => {
    const selectsLive = (filter: PhoneNumberFilter | null | undefined) => selectsLiveNumbers(filterSql("00000000-0000-4000-8000-000000000001", filter, new Params()));
    const defaults: Array<PhoneNumberFilter | null | undefined> = [null, undefined, {}, { released: "EXCLUDE" }, { released: null, text: "  ", sources: [], statuses: [], agentId: null }];
    for (const filter of defaults) {
      assert.equal(selectsLive(filter), true, JSON.stringify(filter));
    }
    const agentId = Buffer.from("Agent:00000000-0000-4000-8000-000000000002").toString("base64");
    const others: PhoneNumberFilter[] = [{ released: "INCLUDE" }, { released: "ONLY" }, { text: "4" }, { sources: ["MANUAL"] }, { statuses: ["ACTIVE"] }, { assigned: false }, { agentId }, { createdAfter: new Date() }, { numberTypes: ["LOCAL"] }, { directions: ["BOTH"] }];
    for (const filter of others) assert.equal(selectsLive(filter), false, JSON.stringify(filter));
  });

  test("a number's whole life through the API keeps the organization's and the agents' counters exact", async () => {
    const env = await getEnvironment();
    const { prisma } = env.switchboard.database;
    const org = await createOrganization("counters-life");
    const bystander = await createOrganization("counters-bystander");
    await mutate(bystander, MANUAL, { e164: uniqueE164() });
    await assertExact(org, "no number yet");
    assert.equal(await prisma.organizationCounter.count({ where: { organizationId: org.id } }), 0, "no counter before the first number");

    const [ada, bea, cy] = [await createAgent(org, "Ada"), await createAgent(org, "Bea"), await createAgent(org, "Cy")];
    const tag = randomBytes(3).toString("hex");
    const bought = [];
    for (const key of ["a", "b"]) bought.push((await mutate(org, PROVISION, { key: `counters-${tag}-${key}`, agent: ada })).phoneNumber.id as string);
    await assertExact(org, "two numbers bought for Ada");
    const trunk = (await mutate(org, IMPORT, { e164: uniqueE164(), agent: bea })).phoneNumber.id as string;
    await assertExact(org, "a SIP trunk number imported for Bea");
    const manual = (await mutate(org, MANUAL, { e164: uniqueE164() })).phoneNumber.id as string;
    const manual2 = (await mutate(org, MANUAL, { e164: uniqueE164(), agent: cy })).phoneNumber.id as string;
    let counts = await assertExact(org, "two manual numbers, one for Cy");
    assert.equal(counts.live, 5);

    await mutate(org, ASSIGN, { number: manual, agent: cy });
    await assertExact(org, "assigned to Cy");
    await mutate(org, ASSIGN, { number: trunk, agent: ada });
    counts = await assertExact(org, "reassigned from Bea to Ada");
    assert.deepEqual([counts.agents.get(rowId(ada)), counts.agents.get(rowId(bea)), counts.agents.get(rowId(cy))], [3, 0, 2]);
    await mutate(org, UNASSIGN, { number: manual2 });
    await assertExact(org, "unassigned");

    // Billing suspends a number by writing its row; a suspended number still counts.
    await prisma.phoneNumber.update({ where: { id: rowId(bought[0]!) }, data: { status: "SUSPENDED", suspendedAt: new Date() } });
    await assertExact(org, "suspended");
    await mutate(org, REACTIVATE, { id: bought[0]! });
    await assertExact(org, "reactivated");

    await mutate(org, DELETE_AGENT, { id: ada });
    counts = await assertExact(org, "Ada deleted: her numbers stay, unassigned");
    assert.equal(counts.live, 5);

    const released = await mutate(org, RELEASE, { id: bought[1]! });
    assert.equal(released.phoneNumber.status, "RELEASED");
    await mutate(org, RELEASE, { id: manual });
    counts = await assertExact(org, "a bought and a manual number released");
    assert.equal(counts.live, 3);
    assert.equal(counts.agents.get(rowId(cy)), 0);

    // A RELEASED number is still listed with released: INCLUDE, and counted there (by count(*), not the counter).
    const statements = await statementsDuring(async () => {
      const all = await send(org.secret, `{ phoneNumbers(first: 10, filter: { released: INCLUDE }) { totalCount } }`);
      assert.equal(all.phoneNumbers.totalCount, 5);
      const live = await send(org.secret, `{ phoneNumbers(first: 10, filter: { released: EXCLUDE }) { totalCount } }`);
      assert.equal(live.phoneNumbers.totalCount, 3);
    });
    const pages = statements.filter((sql) => sql.includes('"_total"') || sql.includes('AS "totalCount"'));
    assert.equal(pages.length, 2, pages.join("\n"));
    assert.doesNotMatch(pages[0]!, /OrganizationCounter/, "INCLUDE counts its rows");
    assert.match(pages[1]!, /OrganizationCounter/, "EXCLUDE alone is the default: the counter");
    assert.doesNotMatch(pages[1]!, /count\(\*\)/);

    const other = await freshCounts(bystander.id);
    assert.equal((await prisma.organizationCounter.findUniqueOrThrow({ where: { organizationId: bystander.id } })).liveNumbers, other.live, "another organization's counter is its own");
    assert.equal(other.live, 1);
  });

  test("multi-row SQL (one INSERT of many rows, one UPDATE and one DELETE of many) keeps them exact", async () => {
    const { prisma } = (await getEnvironment()).switchboard.database;
    const org = await createOrganization("counters-bulk");
    const agents = await Promise.all(["A", "B", "C"].map((name) => prisma.agent.create({ data: { organizationId: org.id, name } })));
    const prefix = String(Math.floor(Math.random() * 9_000) + 1_000);
    const ids = agents.map((a) => a.id);
    // 300 numbers of every status, a third of them per agent and some unassigned, in one statement.
    await prisma.$executeRaw`
      INSERT INTO "PhoneNumber" ("id", "organizationId", "e164", "source", "country", "status", "agentId", "updatedAt")
      SELECT gen_random_uuid(), ${org.id}::uuid, '+1' || ${prefix} || lpad(i::text, 6, '0'), 'MANUAL', 'US',
             (ARRAY['ACTIVE', 'PENDING', 'RELEASED', 'FAILED', 'SUSPENDED', 'RELEASING'])[1 + i % 6]::"NumberStatus",
             CASE WHEN i % 4 = 3 THEN NULL ELSE (${ids}::uuid[])[1 + i % 3] END, now()
      FROM generate_series(1, 300) i`;
    let counts = await assertExact(org, "bulk insert");
    assert.equal(counts.live, 250);
    // One UPDATE that releases some, moves others between agents (both ways) and unassigns a few.
    await prisma.$executeRaw`
      UPDATE "PhoneNumber" SET
        "status" = CASE WHEN "e164" LIKE '%0' THEN 'RELEASED'::"NumberStatus" ELSE "status" END,
        "agentId" = CASE WHEN "e164" LIKE '%1' THEN ${ids[0]}::uuid WHEN "e164" LIKE '%2' THEN ${ids[1]}::uuid WHEN "e164" LIKE '%3' THEN NULL ELSE "agentId" END
      WHERE "organizationId" = ${org.id}::uuid`;
    await assertExact(org, "bulk update");
    await prisma.phoneNumber.deleteMany({ where: { organizationId: org.id, e164: { endsWith: "5" } } });
    counts = await assertExact(org, "bulk delete");
    assert.ok(counts.live > 0);
  });

  test("concurrent assignments and releases keep them exact, and concurrent statements on the same counters do not deadlock", async () => {
    const { prisma } = (await getEnvironment()).switchboard.database;
    const org = await createOrganization("counters-concurrent");
    const agents = [await createAgent(org, "One"), await createAgent(org, "Two"), await createAgent(org, "Three")];
    const numbers: string[] = [];
    for (let i = 0; i < 12; i++) numbers.push((await mutate(org, MANUAL, { e164: uniqueE164(), agent: agents[i % 3] })).phoneNumber.id);
    await assertExact(org, "twelve numbers");
    // Every number moves to another agent while a third of them are released, all at once.
    await Promise.all(
      numbers.map((number, i) =>
        i % 3 === 0 ? mutate(org, RELEASE, { id: number }) : mutate(org, ASSIGN, { number, agent: agents[(i + 1) % 3] }),
      ),
    );
    const counts = await assertExact(org, "concurrent assignments and releases");
    assert.equal(counts.live, 8);

    // Statements that each move their own numbers across every agent, in opposite directions, at
    // once: each takes its counter rows in id order, so none waits on another in a cycle.
    const live = numbers.filter((_, i) => i % 3 !== 0).map(rowId);
    const agentIds = agents.map(rowId);
    await Promise.all(
      live.flatMap((id, i) =>
        Array.from({ length: 3 }, (_, round) => prisma.$executeRaw`UPDATE "PhoneNumber" SET "agentId" = ${agentIds[(i + round) % 3]}::uuid WHERE "id" = ${id}::uuid`),
      ),
    );
    await Promise.all([0, 1, 2, 3].map((round) => prisma.$executeRaw`
      UPDATE "PhoneNumber" SET "agentId" = (${agentIds}::uuid[])[1 + (abs(hashtext("id"::text)) + ${round}::int) % 3]
      WHERE "id" = ANY(${live}::uuid[]) AND abs(hashtext("id"::text)) % 4 = ${round}::int`));
    await assertExact(org, "concurrent statements");
  });

  test("deleting an organization with agents and numbers of every status goes through, and leaves no counter behind", async () => {
    const { prisma } = (await getEnvironment()).switchboard.database;
    const org = await createOrganization("counters-doomed");
    const bystander = await createOrganization("counters-survivor");
    await mutate(bystander, MANUAL, { e164: uniqueE164() });
    const agent = await createAgent(org, "Doomed");
    await mutate(org, PROVISION, { key: `counters-doomed-${randomBytes(3).toString("hex")}`, agent });
    await mutate(org, IMPORT, { e164: uniqueE164(), agent });
    const manual = (await mutate(org, MANUAL, { e164: uniqueE164() })).phoneNumber.id;
    await mutate(org, RELEASE, { id: manual });
    await assertExact(org, "before the deletion");

    await prisma.organization.delete({ where: { id: org.id } });
    assert.equal(await prisma.organizationCounter.count({ where: { organizationId: org.id } }), 0);
    assert.equal(await prisma.phoneNumber.count({ where: { organizationId: org.id } }), 0);
    await assertExact(bystander, "another organization, after the deletion");
  });
});
