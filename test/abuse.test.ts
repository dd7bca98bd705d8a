import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { once } from "node:events";
import { rm } from "node:fs/promises";
import { after, before, describe, test } from "node:test";
import { parse } from "graphql";
import WebSocket from "ws";
import { createApiKey } from "../src/apikeys/service.ts";
import { createPrismaClient } from "../src/db/client.ts";
import { readEmbeddedLock } from "../src/db/embedded.ts";
import { createDataDir, createScratchDatabase, testTarget } from "./helpers/harness.ts";
import { uniqueE164 } from "./helpers/numbers.ts";
import { startServerProcess, type ServerProcess } from "./helpers/processes.ts";
import { subscribe, wsClient } from "./helpers/subscriptions.ts";

// Issue 9, "Bounded requests", from the outside: one real server process with small budgets, and
// an attacker holding valid keys who sends what a hostile or careless client would, over real
// HTTP, WebSocket and Server-Sent Events. Every hostile request must be refused with its documented
// code before it runs, within a second, never with a 5xx; meanwhile /health keeps answering, and at
// the end the server is still alive and logged no error. Failed authentications block the test's
// own address (all traffic comes from 127.0.0.1), so that case runs last.

const MB = 1024 * 1024;
/** A refusal must arrive within this; it is measured per request. */
const REFUSAL_MS = 1_000;

const LIMITS = {
  keyPoints: 20_000,
  organizationPoints: 30_000,
  carrierUnits: 5,
  authFailures: 10,
  subscriptionsPerKey: 3,
  responseBytes: 16 * 1024,
  wsInFlight: 5,
  maxCost: 10_000,
  windowSeconds: 60,
};

/** How many numbers the attacker's organization has, all routed to its one agent. */
const NUMBERS = 100;

interface Sent {
  status: number;
  ms: number;
  headers: Headers;
  text: string;
  body: { data?: any; errors?: Array<{ message: string; extensions?: Record<string, any> }> };
}

describe("abuse: hostile requests against a running server are refused before they run (issue 9)", { timeout: 240_000 }, () => {
  let server: ServerProcess;
  let dataDir: string;
  let url: string;
  const keys = {} as Record<"attacker" | "sockets" | "subscriber" | "keyBudget" | "orgBudgetA" | "orgBudgetB" | "carrier" | "carrierBatch", string>;
  const numberIds: string[] = [];
  /** Every HTTP status this suite received from /graphql, to find any 5xx. */
  const statuses: Array<{ label: string; status: number }> = [];
  /** The background /health loop. */
  const health = { polls: 0, failures: [] as string[], slowestMs: 0, timer: undefined as NodeJS.Timeout | undefined, pending: new Set<Promise<void>>() };
  const cleanups: Array<() => Promise<unknown> | unknown> = [];

  const startHealthLoop = () => {
    health.timer = setInterval(() => {
      const started = performance.now();
      const poll = fetch(`${url}/health`, { signal: AbortSignal.timeout(5_000) })
        .then(async (response) => {
          await response.text();
          health.polls++;
          health.slowestMs = Math.max(health.slowestMs, performance.now() - started);
          if (response.status !== 200) health.failures.push(`GET /health answered ${response.status}`);
        })
        .catch((error: Error) => void health.failures.push(`GET /health failed: ${error.message}`));
      health.pending.add(poll);
      void poll.finally(() => health.pending.delete(poll));
    }, 100);
  };

  async function send(label: string, init: { key?: string; body: BodyInit; accept?: string; headers?: Record<string, string> }): Promise<Sent> {
    const started = performance.now();
    const response = await fetch(`${url}/graphql`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        accept: init.accept ?? "application/graphql-response+json",
        ...(init.key ? { "x-api-key": init.key } : {}),
        ...init.headers,
      },
      body: init.body,
      ...(init.body instanceof ReadableStream ? { duplex: "half" } : {}),
    } as RequestInit);
    const text = await response.text();
    const ms = performance.now() - started;
    statuses.push({ label, status: response.status });
    let body: Sent["body"] = {};
    try {
      body = JSON.parse(text);
    } catch {
      // SSE and non-JSON answers are read from `text`.
    }
    return { status: response.status, ms, headers: response.headers, text, body };
  }

  const sendOperation = (label: string, key: string, query: string, variables?: unknown, accept?: string) =>
    send(label, { key, body: JSON.stringify({ query, variables }), accept });

  /** The request was refused, fast, with `code`, and nothing ran. */
  function assertRefused(label: string, sent: Sent, code: string, httpStatuses: number[] = [200, 400]): NonNullable<Sent["body"]["errors"]>[number] {
    const summary = `${label}: HTTP ${sent.status} in ${Math.round(sent.ms)} ms: ${sent.text.slice(0, 500)}`;
    assert.ok(sent.status < 500, summary);
    assert.ok(httpStatuses.includes(sent.status), `expected HTTP ${httpStatuses.join(" or ")}; ${summary}`);
    assert.equal(sent.body.errors?.[0]?.extensions?.code, code, summary);
    assert.equal(sent.body.data ?? null, null, `nothing ran; ${summary}`);
    assert.ok(sent.ms < REFUSAL_MS, `refused within ${REFUSAL_MS} ms; ${summary}`);
    return sent.body.errors![0]!;
  }

  function assertAdmitted(label: string, sent: Sent) {
    const summary = `${label}: HTTP ${sent.status}: ${sent.text.slice(0, 500)}`;
    assert.equal(sent.status, 200, summary);
    assert.equal(sent.body.errors, undefined, summary);
    assert.ok(sent.body.data, summary);
    for (const header of ["ratelimit-limit", "ratelimit-remaining", "ratelimit-reset", "ratelimit-policy", "operation-cost"]) {
      assert.ok(sent.headers.get(header), `${label}: an admitted response has ${header}`);
    }
  }

  before(async () => {
    dataDir = await createDataDir("switchboard-abuse");
    const databaseUrl = testTarget() === "postgres" ? await createScratchDatabase("switchboard_abuse") : "";
    server = await startServerProcess({
      DATA_DIR: dataDir,
      DATABASE_URL: databaseUrl,
      ENCRYPTION_KEY: randomBytes(32).toString("hex"),
      SEED_DEMO: "false",
      GRAPHIQL: "false",
      LOG_LEVEL: "info",
      RATE_LIMIT_WINDOW_SECONDS: String(LIMITS.windowSeconds),
      RATE_LIMIT_KEY_POINTS: String(LIMITS.keyPoints),
      RATE_LIMIT_ORG_POINTS: String(LIMITS.organizationPoints),
      RATE_LIMIT_CARRIER_UNITS: String(LIMITS.carrierUnits),
      RATE_LIMIT_AUTH_FAILURES: String(LIMITS.authFailures),
      RATE_LIMIT_MIN_COST: "10",
      MAX_SUBSCRIPTIONS_PER_KEY: String(LIMITS.subscriptionsPerKey),
      MAX_RESPONSE_BYTES: String(LIMITS.responseBytes),
      WS_MAX_IN_FLIGHT: String(LIMITS.wsInFlight),
      // The documented defaults, stated so that this suite does not follow a change of them silently.
      MAX_OPERATION_COST: String(LIMITS.maxCost),
      MAX_TOKENS: "5000",
      MAX_NESTING: "64",
      MAX_ALIASES: "30",
      MAX_DIRECTIVES: "50",
      MAX_QUERY_DEPTH: "12",
      MAX_QUERY_BREADTH: "500",
      MAX_BODY_BYTES: String(MB),
      WS_MAX_PAYLOAD_BYTES: String(MB),
    });
    url = server.url;
    startHealthLoop();

    // Organizations and keys straight in the database the server uses (as the apikey CLI does).
    const lock = databaseUrl ? undefined : await readEmbeddedLock(dataDir);
    const prisma = createPrismaClient(databaseUrl || lock!.url, 1);
    try {
      const organization = async (name: string) => (await prisma.organization.create({ data: { name: `abuse-${name}-${randomBytes(3).toString("hex")}` } })).id;
      const key = async (organizationId: string, name: string) => (await createApiKey(prisma, organizationId, { name, scopes: ["*"], mode: "LIVE" })).secret;
      const attackerOrg = await organization("attacker");
      keys.attacker = await key(attackerOrg, "attacker");
      keys.sockets = await key(attackerOrg, "sockets");
      keys.subscriber = await key(attackerOrg, "subscriber");
      keys.keyBudget = await key(await organization("key-budget"), "key budget");
      const orgBudget = await organization("org-budget");
      keys.orgBudgetA = await key(orgBudget, "org budget A");
      keys.orgBudgetB = await key(orgBudget, "org budget B");
      keys.carrier = await key(await organization("carrier"), "carrier");
      keys.carrierBatch = await key(await organization("carrier-batch"), "carrier batch");
    } finally {
      await prisma.$disconnect();
    }

    // The attacker's organization: one agent and 100 numbers routed to it, created over HTTP.
    const agent = await sendOperation("seed agent", keys.attacker, 'mutation { createAgent(input: { name: "Ava" }) { ... on CreateAgentSuccess { agent { id } } } }');
    const agentId = agent.body.data?.createAgent?.agent?.id;
    assert.ok(agentId, agent.text);
    const perRequest = 25;
    for (let start = 0; start < NUMBERS; start += perRequest) {
      const fields = Array.from(
        { length: perRequest },
        (_, i) =>
          `n${i}: createManualPhoneNumber(input: { e164: "${uniqueE164()}", agentId: "${agentId}", label: "abuse ${start + i}" }) { ... on CreateManualPhoneNumberSuccess { phoneNumber { id } } }`,
      );
      const created = await sendOperation("seed numbers", keys.attacker, `mutation { ${fields.join("\n")} }`);
      assert.equal(created.status, 200, created.text);
      for (const value of Object.values(created.body.data ?? {}) as Array<{ phoneNumber?: { id: string } }>) {
        assert.ok(value.phoneNumber?.id, created.text.slice(0, 500));
        numberIds.push(value.phoneNumber.id);
      }
    }
    assert.equal(numberIds.length, NUMBERS);
  });

  after(async () => {
    if (health.timer) clearInterval(health.timer);
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    await server?.stop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  describe("operation shape and cost", () => {
    test("phoneNumbers(first: 100) → agent → phoneNumbers(first: 100) three levels deep: COST_LIMIT_EXCEEDED with its cost", async () => {
      const query =
        "{ phoneNumbers(first: 100) { edges { node { agent { phoneNumbers(first: 100) { edges { node { agent { phoneNumbers(first: 100) { edges { node { e164 } } } } } } } } } } } }";
      const refused = assertRefused("3-level nesting", await sendOperation("3-level nesting", keys.attacker, query), "COST_LIMIT_EXCEEDED");
      assert.ok((refused.extensions!.cost as number) > LIMITS.maxCost, JSON.stringify(refused));
      assert.equal(refused.extensions!.limit, LIMITS.maxCost);
      // With plain application/json the refusal is a 200, never a 5xx.
      assertRefused("3-level nesting (application/json)", await sendOperation("3-level nesting", keys.attacker, query, undefined, "application/json"), "COST_LIMIT_EXCEEDED", [200]);
    });

    test("nodes with 10,000 ids as variables: BAD_USER_INPUT (at most 100), nothing loaded", async () => {
      const ids = Array.from({ length: 10_000 }, (_, i) => numberIds[i % numberIds.length]);
      const sent = await sendOperation("nodes 10,000 ids", keys.attacker, "query($ids: [ID!]!) { nodes(ids: $ids) { id ... on PhoneNumber { e164 } } }", { ids });
      assert.match(assertRefused("nodes 10,000 ids", sent, "BAD_USER_INPUT").message, /at most 100 ids/);
    });

    test("nodes with 100,000 ids as variables: BAD_USER_INPUT before execution (short ids), REQUEST_TOO_LARGE (real ids, 6 MB)", async () => {
      // "UDox" is a well-formed global id ("P:1" in base64), short enough for 100,000 of them to fit in 1 MB.
      const short = await sendOperation("nodes 100,000 short ids", keys.attacker, "query($ids: [ID!]!) { nodes(ids: $ids) { id } }", { ids: Array(100_000).fill("UDox") });
      const refused = assertRefused("nodes 100,000 short ids", short, "BAD_USER_INPUT");
      // Short ids are not uuids, and 100,000 are too many: either refusal comes before execution.
      assert.match(refused.message, /at most 100 ids \(got 100000\)|is not a valid id/);
      const real = await sendOperation("nodes 100,000 real ids", keys.attacker, "query($ids: [ID!]!) { nodes(ids: $ids) { id } }", {
        ids: Array.from({ length: 100_000 }, (_, i) => numberIds[i % numberIds.length]),
      });
      assertRefused("nodes 100,000 real ids", real, "REQUEST_TOO_LARGE", [413]);
    });

    test("nodes with 10,000 and 100,000 ids as a literal: TOKEN_LIMIT_EXCEEDED", async () => {
      const literal = (ids: string[]) => `{ nodes(ids: [${ids.map((id) => JSON.stringify(id)).join(", ")}]) { id } }`;
      const ten = literal(Array.from({ length: 10_000 }, (_, i) => numberIds[i % numberIds.length]!));
      assertRefused("nodes literal 10,000 ids", await sendOperation("nodes literal 10,000", keys.attacker, ten), "TOKEN_LIMIT_EXCEEDED");
      const hundred = literal(Array(100_000).fill("UDox"));
      assertRefused("nodes literal 100,000 ids", await sendOperation("nodes literal 100,000", keys.attacker, hundred), "TOKEN_LIMIT_EXCEEDED");
    });

    test("1,000 aliases of a 100-number page with counts, facets and setup statuses: TOKEN_LIMIT_EXCEEDED", async () => {
      const query = `{ ${Array.from({ length: 1_000 }, (_, i) => `a${i}: phoneNumbers(first: 100) { totalCount facets { assigned } edges { node { setupStatus { status } } } }`).join(" ")} }`;
      assertRefused("1,000 phoneNumbers aliases", await sendOperation("1,000 phoneNumbers aliases", keys.attacker, query), "TOKEN_LIMIT_EXCEEDED");
    });

    test("1,000 aliases of carrierReconciliation: TOKEN_LIMIT_EXCEEDED, the carrier is not called", async () => {
      const query = `{ ${Array.from({ length: 1_000 }, (_, i) => `a${i}: carrierReconciliation { consistent }`).join(" ")} }`;
      assertRefused("1,000 carrierReconciliation aliases", await sendOperation("1,000 carrierReconciliation aliases", keys.attacker, query), "TOKEN_LIMIT_EXCEEDED");
    });

    test("5,000 aliases of availablePhoneNumbers: TOKEN_LIMIT_EXCEEDED", async () => {
      const query = `{ ${Array.from({ length: 5_000 }, (_, i) => `a${i}: availablePhoneNumbers(limit: 50) { e164 }`).join(" ")} }`;
      assertRefused("5,000 availablePhoneNumbers aliases", await sendOperation("5,000 availablePhoneNumbers aliases", keys.attacker, query), "TOKEN_LIMIT_EXCEEDED");
    });

    test("31 aliases: ALIAS_LIMIT_EXCEEDED (30 run)", async () => {
      const aliases = (n: number) => `{ ${Array.from({ length: n }, (_, i) => `a${i}: viewer { scopes }`).join(" ")} }`;
      assertRefused("31 aliases", await sendOperation("31 aliases", keys.attacker, aliases(31)), "ALIAS_LIMIT_EXCEEDED");
      assertAdmitted("30 aliases", await sendOperation("30 aliases", keys.attacker, aliases(30)));
    });

    test("25 aliases of carrierReconciliation (under the alias limit, cost 12,500): COST_LIMIT_EXCEEDED", async () => {
      const query = `{ ${Array.from({ length: 25 }, (_, i) => `a${i}: carrierReconciliation { consistent }`).join(" ")} }`;
      const refused = assertRefused("25 carrierReconciliation", await sendOperation("25 carrierReconciliation", keys.attacker, query), "COST_LIMIT_EXCEEDED");
      assert.equal(refused.extensions!.cost, 25 * 500);
      assert.equal(refused.extensions!.limit, LIMITS.maxCost);
    });

    test("a fragment cycle: GRAPHQL_VALIDATION_FAILED", async () => {
      const query = "query { viewer { ...A } } fragment A on Viewer { scopes ...B } fragment B on Viewer { testMode ...A }";
      assertRefused("fragment cycle", await sendOperation("fragment cycle", keys.attacker, query), "GRAPHQL_VALIDATION_FAILED");
    });

    test("fragments that each spread the next twice, 28 deep (2^28 fields once expanded): BREADTH_LIMIT_EXCEEDED", async () => {
      let fragments = "";
      for (let i = 0; i < 28; i++) fragments += `fragment F${i} on Query { ...F${i + 1} ...F${i + 1} viewer { scopes } }\n`;
      fragments += "fragment F28 on Query { viewer { scopes } }\n";
      assertRefused("fragment fan-out", await sendOperation("fragment fan-out", keys.attacker, `query { ...F0 }\n${fragments}`), "BREADTH_LIMIT_EXCEEDED");
    });

    test("1,000 levels of selection nesting: NESTING_LIMIT_EXCEEDED", async () => {
      const query = `{${" viewer {".repeat(999)} scopes${" }".repeat(1_000)}`;
      assertRefused("1,000 levels", await sendOperation("1,000 levels", keys.attacker, query), "NESTING_LIMIT_EXCEEDED");
    });

    test("a list literal nested 5,000 deep: NESTING_LIMIT_EXCEEDED", async () => {
      const query = `{ nodes(ids: ${"[".repeat(5_000)}"x"${"]".repeat(5_000)}) { id } }`;
      assertRefused("5,000-deep list", await sendOperation("5,000-deep list", keys.attacker, query), "NESTING_LIMIT_EXCEEDED");
    });

    test("51 directives: DIRECTIVE_LIMIT_EXCEEDED (50 run)", async () => {
      const directives = (n: number) => `{ viewer { ${Array.from({ length: n }, () => "scopes @skip(if: false)").join(" ")} } }`;
      assertRefused("51 directives", await sendOperation("51 directives", keys.attacker, directives(51)), "DIRECTIVE_LIMIT_EXCEEDED");
      assertAdmitted("50 directives", await sendOperation("50 directives", keys.attacker, directives(50)));
    });

    test("a response over MAX_RESPONSE_BYTES is replaced by RESPONSE_TOO_LARGE", async () => {
      const query = "{ phoneNumbers(first: 100) { edges { cursor node { id e164 label country status source createdAt updatedAt } } } }";
      const sent = await sendOperation("response too large", keys.attacker, query);
      const refused = assertRefused("response too large", sent, "RESPONSE_TOO_LARGE", [200]);
      assert.ok((refused.extensions!.bytes as number) > LIMITS.responseBytes, JSON.stringify(refused));
      assert.ok(sent.text.length < LIMITS.responseBytes, "the replacement is small");
    });
  });

  describe("transport", () => {
    test("a 10 MB body gets 413 REQUEST_TOO_LARGE, with Content-Length and chunked", async () => {
      const huge = JSON.stringify({ query: "{ viewer { scopes } }", variables: { pad: "x".repeat(10 * MB) } });
      assertRefused("10 MB body", await send("10 MB body", { key: keys.attacker, body: huge }), "REQUEST_TOO_LARGE", [413]);
      const bytes = Buffer.from(huge);
      let offset = 0;
      const chunked = new ReadableStream<Uint8Array>({
        pull(controller) {
          if (offset >= bytes.length) return controller.close();
          controller.enqueue(bytes.subarray(offset, (offset += 256 * 1024)));
        },
      });
      assertRefused("10 MB chunked body", await send("10 MB chunked body", { key: keys.attacker, body: chunked }), "REQUEST_TOO_LARGE", [413]);
    });

    test("a 20 MB WebSocket frame closes that socket with 1009; the server still serves", async () => {
      const socket = new WebSocket(`${url.replace(/^http/, "ws")}/graphql`, "graphql-transport-ws");
      socket.on("error", () => {}); // the server may cut the socket while the frame is still being written
      cleanups.push(() => socket.terminate());
      await once(socket, "open");
      socket.send(JSON.stringify({ type: "connection_init", payload: { apiKey: keys.sockets } }));
      const [ack] = (await once(socket, "message")) as [Buffer];
      assert.equal(JSON.parse(ack.toString()).type, "connection_ack");
      const started = performance.now();
      const closed = new Promise<{ code: number; ms: number }>((resolve) => socket.once("close", (code) => resolve({ code, ms: performance.now() - started })));
      socket.send(JSON.stringify({ id: "huge", type: "subscribe", payload: { query: "{ viewer { scopes } }", variables: { pad: "x".repeat(20 * MB) } } }));
      const { code, ms } = await closed;
      assert.equal(code, 1009, "message too big");
      assert.ok(ms < REFUSAL_MS, `closed in ${Math.round(ms)} ms`);

      const client = wsClient(url, { apiKey: keys.sockets });
      cleanups.push(() => client.dispose());
      const next = await client.iterate({ query: "{ viewer { scopes } }" }).next();
      assert.deepEqual((next.value as { data?: unknown }).data, { viewer: { scopes: ["*"] } });
      assertAdmitted("after the 20 MB frame", await sendOperation("after the 20 MB frame", keys.sockets, "{ viewer { scopes } }"));
    });

    test(`30 queries at once on one socket: those beyond ${LIMITS.wsInFlight} in flight are refused RATE_LIMITED, the rest answered`, async (t) => {
      const client = wsClient(url, { apiKey: keys.sockets });
      cleanups.push(() => client.dispose());
      await new Promise<void>((resolve, reject) => {
        client.on("connected", () => resolve());
        client.on("closed", (event) => reject(new Error(`closed: ${(event as { code?: number }).code}`)));
      });
      const query = "{ phoneNumbers(first: 100) { edges { node { e164 agent { name } setupStatus { status } } } } }";
      const outcomes = await Promise.all(
        Array.from(
          { length: 30 },
          () =>
            new Promise<{ ms: number; data?: any; errors?: Array<{ message: string; extensions?: Record<string, unknown> }> }>((resolve) => {
              const started = performance.now();
              let result: { data?: unknown; errors?: unknown } = {};
              client.subscribe(
                { query },
                {
                  next: (value) => (result = value as typeof result),
                  error: (errors) =>
                    resolve({ ms: performance.now() - started, errors: Array.isArray(errors) ? errors : [{ message: String((errors as Error)?.message ?? errors) }] }),
                  complete: () => resolve({ ms: performance.now() - started, ...(result as object) }),
                },
              );
            }),
        ),
      );
      const refused = outcomes.filter((outcome) => outcome.errors?.[0]?.extensions?.code === "RATE_LIMITED");
      const answered = outcomes.filter((outcome) => !outcome.errors && outcome.data?.phoneNumbers?.edges?.length === NUMBERS);
      const summary = JSON.stringify(outcomes.map((o) => ({ ms: Math.round(o.ms), code: o.errors?.[0]?.extensions?.code ?? o.errors?.[0]?.message, rows: o.data?.phoneNumbers?.edges?.length })));
      assert.equal(refused.length + answered.length, 30, `every query is answered or refused RATE_LIMITED: ${summary}`);
      assert.ok(refused.length > 0, `some are refused: ${summary}`);
      assert.ok(answered.length >= LIMITS.wsInFlight, `at least ${LIMITS.wsInFlight} are answered: ${summary}`);
      for (const outcome of refused) assert.ok(outcome.ms < REFUSAL_MS, `refused within ${REFUSAL_MS} ms: ${summary}`);
      t.diagnostic(`${answered.length} answered, ${refused.length} refused RATE_LIMITED`);
      // The socket is still usable afterwards.
      const next = await client.iterate({ query: "{ viewer { scopes } }" }).next();
      assert.deepEqual((next.value as { data?: unknown }).data, { viewer: { scopes: ["*"] } });
    });

    test(`subscriptions beyond ${LIMITS.subscriptionsPerKey} per key, WebSocket and SSE together, are refused RATE_LIMITED`, async () => {
      const document = parse("subscription { phoneNumberSetupStatusChanged { phoneNumber { e164 } current { status } } }");
      const query = "subscription { phoneNumberSetupStatusChanged { phoneNumber { e164 } current { status } } }";
      const first = wsClient(url, { apiKey: keys.subscriber });
      cleanups.push(() => first.dispose());
      const ws1 = await subscribe(first, document);
      const ws2 = await subscribe(first, document);
      cleanups.push(() => ws1.close(), () => ws2.close());

      const openSse = async (label: string) => {
        const controller = new AbortController();
        cleanups.push(() => controller.abort());
        const started = performance.now();
        const response = await fetch(`${url}/graphql`, {
          method: "POST",
          headers: { "content-type": "application/json", accept: "text/event-stream", "x-api-key": keys.subscriber },
          body: JSON.stringify({ query }),
          signal: controller.signal,
        });
        statuses.push({ label, status: response.status });
        return { response, controller, started };
      };
      // The third, over SSE: accepted (yoga subscribes before it sends the headers).
      const sse3 = await openSse("third subscription (SSE)");
      assert.equal(sse3.response.status, 200);
      assert.match(sse3.response.headers.get("content-type") ?? "", /text\/event-stream/);

      // A fourth over SSE: 429 with a RATE_LIMITED event.
      const sse4 = await openSse("fourth subscription (SSE)");
      const text = await sse4.response.text();
      const ms = performance.now() - sse4.started;
      assert.equal(sse4.response.status, 429, text);
      assert.match(text, /"code":"RATE_LIMITED"/);
      assert.ok(ms < REFUSAL_MS, `refused within ${REFUSAL_MS} ms (${Math.round(ms)} ms)`);

      // A fourth over another WebSocket: refused too.
      const second = wsClient(url, { apiKey: keys.subscriber });
      cleanups.push(() => second.dispose());
      const started = performance.now();
      const ws4 = await subscribe(second, document);
      const refusal = await ws4.next();
      assert.equal(refusal.errors?.[0]?.extensions?.code, "RATE_LIMITED", JSON.stringify(refusal));
      assert.ok(performance.now() - started < REFUSAL_MS, "refused within a second");

      // Closing the SSE stream frees its place.
      sse3.controller.abort();
      let accepted: Awaited<ReturnType<typeof subscribe>> | undefined;
      for (let attempt = 0; attempt < 50 && !accepted; attempt++) {
        const candidate = await subscribe(second, document);
        const created = sendOperation("event for the freed place", keys.subscriber, `mutation { createManualPhoneNumber(input: { e164: "${uniqueE164()}" }) { __typename } }`);
        const event = await candidate.next(5_000);
        await created;
        if (!event.errors) accepted = candidate;
        else await new Promise((resolve) => setTimeout(resolve, 100));
      }
      assert.ok(accepted, "a subscription is accepted once the SSE stream closed");
      await accepted.close();
    });
  });

  describe("rate limits", () => {
    // Costs about 5,000 and runs cheaply on an empty organization.
    const EXPENSIVE = "{ phoneNumbers(first: 50) { edges { node { agent { phoneNumbers(first: 50) { totalCount } } } } } }";

    test("a key's budget: RateLimit headers while admitted, then 429 + Retry-After, RATE_LIMITED budget KEY", async () => {
      let remaining = LIMITS.keyPoints;
      let admitted = 0;
      for (;;) {
        const sent = await sendOperation("key budget", keys.keyBudget, EXPENSIVE);
        if (sent.status === 429) {
          const refused = assertRefused("key budget spent", sent, "RATE_LIMITED", [429]);
          assert.equal(refused.extensions!.budget, "KEY");
          const retryAfter = Number(sent.headers.get("retry-after"));
          assert.ok(retryAfter >= 1 && retryAfter <= LIMITS.windowSeconds, `Retry-After: ${sent.headers.get("retry-after")}`);
          break;
        }
        assertAdmitted("key budget", sent);
        const cost = Number(sent.headers.get("operation-cost"));
        assert.ok(cost > 1_000 && cost <= LIMITS.maxCost, `operation-cost ${cost}`);
        remaining -= cost;
        admitted++;
        assert.equal(sent.headers.get("ratelimit-limit"), String(LIMITS.keyPoints));
        assert.equal(sent.headers.get("ratelimit-remaining"), String(remaining));
        assert.equal(sent.headers.get("ratelimit-policy"), `${LIMITS.keyPoints};w=${LIMITS.windowSeconds}`);
        const reset = Number(sent.headers.get("ratelimit-reset"));
        assert.ok(reset >= 1 && reset <= LIMITS.windowSeconds, `ratelimit-reset ${reset}`);
        assert.ok(admitted <= 10, "the budget ends");
      }
      assert.ok(admitted >= 2, `admitted ${admitted} before the refusal`);
    });

    test("a refused operation draws nothing: a cheap one still fits in what the key has left", async () => {
      // After the refusal above, the key has left what it had before it (several thousand points):
      // an operation of the minimum cost (10) fits.
      const sent = await sendOperation("cheap after refusal", keys.keyBudget, "{ viewer { scopes } }");
      assert.equal(sent.status, 200, `the refused operation was drawn from the key's budget anyway: ${sent.status} ${sent.text}`);
      assertAdmitted("cheap after refusal", sent);
    });

    test("an organization's budget is shared by its keys: 429 RATE_LIMITED budget ORGANIZATION while the key still has points", async () => {
      let organizationUsed = 0;
      let keyBUsed = 0;
      // Key A spends most of its own budget.
      for (let i = 0; i < 3; i++) {
        const sent = await sendOperation("org budget A", keys.orgBudgetA, EXPENSIVE);
        assertAdmitted("org budget A", sent);
        organizationUsed += Number(sent.headers.get("operation-cost"));
      }
      // Key B then runs until the organization's budget is spent, before its own is.
      for (;;) {
        const sent = await sendOperation("org budget B", keys.orgBudgetB, EXPENSIVE);
        if (sent.status === 429) {
          const refused = assertRefused("org budget spent", sent, "RATE_LIMITED", [429]);
          assert.equal(refused.extensions!.budget, "ORGANIZATION");
          assert.ok(Number(sent.headers.get("retry-after")) >= 1, "Retry-After");
          const cost = Number(sent.headers.get("operation-cost") ?? 5_000) || 5_000;
          assert.ok(organizationUsed + cost > LIMITS.organizationPoints, `refused at ${organizationUsed} of ${LIMITS.organizationPoints}`);
          assert.ok(keyBUsed + cost <= LIMITS.keyPoints, "key B alone still had the points");
          break;
        }
        assertAdmitted("org budget B", sent);
        const cost = Number(sent.headers.get("operation-cost"));
        organizationUsed += cost;
        keyBUsed += cost;
        assert.ok(organizationUsed <= LIMITS.organizationPoints, `admitted beyond the organization's budget (${organizationUsed})`);
      }
    });

    test(`carrier budget: the ${LIMITS.carrierUnits + 1}th number bought in the window is 429 RATE_LIMITED budget CARRIER`, async () => {
      const provision = (i: number) =>
        sendOperation(
          `provision ${i}`,
          keys.carrier,
          `mutation { provisionPhoneNumber(input: { areaCode: "305", idempotencyKey: "abuse-${i}" }) { __typename ... on ProvisionPhoneNumberSuccess { phoneNumber { e164 } } } }`,
        );
      for (let i = 1; i <= LIMITS.carrierUnits; i++) {
        const sent = await provision(i);
        assertAdmitted(`provision ${i}`, sent);
        assert.equal(sent.body.data.provisionPhoneNumber.__typename, "ProvisionPhoneNumberSuccess", sent.text);
      }
      const sent = await provision(LIMITS.carrierUnits + 1);
      const refused = assertRefused(`provision ${LIMITS.carrierUnits + 1}`, sent, "RATE_LIMITED", [429]);
      assert.equal(refused.extensions!.budget, "CARRIER");
      assert.ok(Number(sent.headers.get("retry-after")) >= 1, "Retry-After");
      // A batch is refused as a whole, before the carrier is called.
      const batch = await sendOperation(
        "provision batch",
        keys.carrier,
        'mutation { provisionPhoneNumbers(input: { areaCode: "305", quantity: 3, idempotencyKey: "abuse-batch" }) { __typename } }',
      );
      assert.equal(assertRefused("provision batch", batch, "RATE_LIMITED", [429]).extensions!.budget, "CARRIER");
    });

    test("a refused carrier batch spends nothing: the numbers left in the carrier budget can still be bought", async () => {
      const provision = (label: string, quantity: number) =>
        sendOperation(
          label,
          keys.carrierBatch,
          quantity === 1
            ? `mutation { provisionPhoneNumber(input: { areaCode: "305", idempotencyKey: "${label}" }) { __typename } }`
            : `mutation { provisionPhoneNumbers(input: { areaCode: "305", quantity: ${quantity}, idempotencyKey: "${label}" }) { __typename } }`,
        );
      for (let i = 1; i <= LIMITS.carrierUnits - 2; i++) assertAdmitted(`buy ${i}`, await provision(`buy-${i}`, 1));
      // Three more than the two left: refused as a whole.
      assert.equal(assertRefused("batch of 3", await provision("batch-of-3", 3), "RATE_LIMITED", [429]).extensions!.budget, "CARRIER");
      // The two left are still there.
      const sent = await provision("one-of-the-two-left", 1);
      assert.equal(sent.status, 200, `the refused batch was drawn from the carrier budget anyway: ${sent.status} ${sent.text}`);
      assertAdmitted("one of the two left", sent);
    });
  });

  // Last: from here on the test's own address is blocked until the window ends.
  describe("failed authentications", () => {
    test(`200 requests with bad keys from one address: the first ${LIMITS.authFailures} are 401, the rest 429 AUTHENTICATION, valid keys included`, async () => {
      const codes: string[] = [];
      for (let i = 0; i < 200; i++) {
        const sent = await sendOperation("bad key", `sb_live_${randomBytes(30).toString("base64url").slice(0, 40)}`, "{ viewer { scopes } }");
        assert.ok(sent.ms < REFUSAL_MS, `bad key ${i}: ${Math.round(sent.ms)} ms`);
        if (i < LIMITS.authFailures) {
          assert.equal(sent.status, 401, `bad key ${i}: ${sent.status} ${sent.text}`);
          assert.equal(sent.body.errors?.[0]?.extensions?.code, "UNAUTHENTICATED");
        } else {
          assert.equal(sent.status, 429, `bad key ${i}: ${sent.status} ${sent.text}`);
          assert.equal(sent.body.errors?.[0]?.extensions?.code, "RATE_LIMITED");
          assert.equal(sent.body.errors?.[0]?.extensions?.budget, "AUTHENTICATION");
          assert.ok(Number(sent.headers.get("retry-after")) >= 1, "Retry-After");
        }
        codes.push(String(sent.status));
      }
      // The address is blocked for every request, a valid key included, over HTTP and WebSocket.
      const valid = await sendOperation("valid key while blocked", keys.attacker, "{ viewer { scopes } }");
      assert.equal(assertRefused("valid key while blocked", valid, "RATE_LIMITED", [429]).extensions!.budget, "AUTHENTICATION");
      let closeCode: number | undefined;
      const client = wsClient(url, { apiKey: keys.attacker }, (code) => (closeCode ??= code));
      cleanups.push(() => client.dispose());
      await assert.rejects(client.iterate({ query: "{ viewer { scopes } }" }).next());
      assert.equal(closeCode, 4403);
    });
  });

  test("throughout: /health answered 200 every 100 ms, no 5xx, the server is alive and logged no error", async (t) => {
    clearInterval(health.timer);
    health.timer = undefined;
    await Promise.all([...health.pending]);
    t.diagnostic(`${health.polls} health polls, slowest ${Math.round(health.slowestMs)} ms; ${statuses.length} GraphQL requests`);
    assert.deepEqual(health.failures, []);
    assert.ok(health.polls >= 20, `the health loop ran (${health.polls} polls)`);
    const serverErrors = statuses.filter(({ status }) => status >= 500);
    assert.deepEqual(serverErrors, [], "no HTTP 5xx");
    assert.equal(server.child.exitCode, null, "the server process is still running");
    assert.equal(server.child.signalCode, null);
    const errorLines = server
      .stdout()
      .split("\n")
      .filter((line) => {
        try {
          return (JSON.parse(line) as { level?: number }).level! >= 50;
        } catch {
          return false;
        }
      });
    assert.deepEqual(errorLines, [], "no log line at level error (50) or above");
  });
});
