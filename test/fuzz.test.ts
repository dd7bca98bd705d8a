import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, describe, test } from "node:test";
import { SignJWT } from "jose";
import { createApiKey } from "../src/apikeys/service.ts";
import { createPrismaClient, type PrismaClient } from "../src/db/client.ts";
import { readEmbeddedLock } from "../src/db/embedded.ts";
import {
  closeFuzzConnections,
  describeCase,
  globalId,
  loadSchema,
  NODE_TYPES,
  OperationGenerator,
  Rng,
  sendCase,
  type FuzzCase,
  type FuzzResponse,
  type FuzzWorld,
} from "./helpers/fuzz.ts";
import { createScratchDatabase, testTarget } from "./helpers/harness.ts";
import { ROOT, startServerProcess, type ServerProcess } from "./helpers/processes.ts";
import { SANDBOX_WEBHOOK_SECRET, TELNYX_PUBLIC_KEY } from "./helpers/webhooks.ts";

// Issue 9: a few thousand operations generated from the live schema (wrong types, huge and odd
// strings, extreme numbers, malformed and other organizations' ids, malformed JSON, wrong content
// types) against a real server process. Whatever a client sends, the server answers without a 5xx
// or a masked "Unexpected error.", logs nothing at level error, stays up, and the database holds
// only what accepted operations wrote.
//
//   FUZZ_SEED=7 FUZZ_COUNT=500 npm test -- fuzz     another seed, fewer operations
//   FUZZ_SEED=7 FUZZ_ONLY=12,345 npm test -- fuzz   replays operations 12 and 345 of seed 7
//   npm run fuzz                                    the larger run (20,000 operations)

const SEED = Number(process.env.FUZZ_SEED ?? 20_260_901);
const COUNT = Number(process.env.FUZZ_COUNT ?? 2_000);
const SECONDS = Number(process.env.FUZZ_SECONDS ?? 60);
const CONCURRENCY = Number(process.env.FUZZ_CONCURRENCY ?? 4);
const ONLY = process.env.FUZZ_ONLY?.split(",").map((index) => Number(index.trim()));

const JWT_SECRET = "fuzz-jwt-secret-that-is-at-least-32-characters";
const JWT_ISSUER = "https://issuer.fuzz";
const JWT_AUDIENCE = "switchboard-fuzz";
const MASKED = "Unexpected error.";
/** Messages that only an internal failure would produce: the client must never see them. */
const LEAK = /prisma|invalid `|\.ts:\d+|ECONN|duplicate key|violates|syntax error at|invalid input syntax|unique constraint|stack depth|out of range for type|\bpg\b|TypeError|RangeError|ReferenceError|Cannot read prop/i;

interface Finding {
  kind: "5xx" | "masked error" | "leaked internal error" | "no answer";
  index: number;
  label: string;
  detail: string;
  request: string;
}

interface Accepted {
  /** Database ids (uuids) that accepted mutations returned, by type. */
  ids: Record<string, Set<string>>;
  /** Values of an object's fields as accepted mutations returned them: id -> field -> JSON values. */
  values: Map<string, Map<string, Set<string>>>;
  helpTexts: Set<string>;
}

const COMPARED_FIELDS = ["name", "status", "label", "direction", "e164", "scopes"];
const ORGANIZATION_TABLES = ["ApiKey", "Agent", "PhoneNumber", "Event", "NumberOrder", "Verification", "Notification", "Message", "OptOut"];

describe("fuzz: operations generated from the schema", () => {
  let dataDir: string | undefined;
  let server: ServerProcess | undefined;
  let prisma: PrismaClient | undefined;
  after(async () => {
    closeFuzzConnections();
    await prisma?.$disconnect();
    await server?.stop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  test(
    `${ONLY ? `operations ${ONLY.join(", ")}` : `${COUNT} operations`} of seed ${SEED}: no 5xx, nothing masked or logged as an error, the server stays up, the database holds only accepted writes`,
    { timeout: (SECONDS + 240) * 1000 },
    async () => {
      dataDir = await mkdtemp(path.join(tmpdir(), "switchboard-fuzz-"));
      const env: Record<string, string> = {
        DATA_DIR: dataDir,
        DATABASE_URL: testTarget() === "postgres" ? await createScratchDatabase("switchboard_fuzz") : "",
        ENCRYPTION_KEY: randomBytes(32).toString("hex"),
        SEED_DEMO: "false",
        LOG_LEVEL: "info",
        JWT_SECRET,
        JWT_ISSUER,
        JWT_AUDIENCE,
        TELNYX_PUBLIC_KEY,
        SANDBOX_WEBHOOK_SECRET,
        CARRIER_TIMEOUT_MS: "2000",
        ORDER_POLL_SECONDS: "1",
        // The billing job advances every due number's nextChargeAt, the other organization's too: a
        // legitimate background write the "only accepted writes" check would report. It runs at
        // start (nothing is due yet) and not again during the run.
        BILLING_POLL_SECONDS: "3600",
        // Budgets far above the run's traffic: the operations must reach the resolvers, not stop at
        // 429 (the per-operation cost and size limits stay as configured by default).
        RATE_LIMIT_KEY_POINTS: "1000000000",
        RATE_LIMIT_ORG_POINTS: "1000000000",
        RATE_LIMIT_CARRIER_UNITS: "1000000000",
        RATE_LIMIT_AUTH_FAILURES: "1000000",
      };
      server = await startServerProcess(env);
      const url = server.url;
      const databaseUrl = env.DATABASE_URL || (await readEmbeddedLock(dataDir))?.url;
      assert.ok(databaseUrl, "the embedded server publishes its database URL");
      prisma = createPrismaClient(databaseUrl, 1);

      // Two organizations: the fuzzed one, and another whose ids the fuzzer uses and whose rows
      // must come through unchanged.
      const own = await prisma.organization.create({ data: { name: `fuzz-${SEED}` } });
      const other = await prisma.organization.create({ data: { name: `fuzz-other-${SEED}` } });
      const key = async (organizationId: string, scopes: string[], mode: "LIVE" | "TEST" = "LIVE") =>
        createApiKey(prisma!, organizationId, { name: `fuzz ${scopes.join(" ")} ${mode}`, scopes, mode });
      const main = await key(own.id, ["*"]);
      const readOnly = await key(own.id, ["numbers:read", "agents:read"]);
      const testKey = await key(own.id, ["*"], "TEST");
      const otherKey = await key(other.id, ["*"]);
      const setupKeyIds = new Set([main.apiKey.id, readOnly.apiKey.id, testKey.apiKey.id]);

      const world: FuzzWorld = {
        own: Object.fromEntries(NODE_TYPES.map((t) => [t, []])),
        other: Object.fromEntries(NODE_TYPES.map((t) => [t, []])),
        otherOrganizationId: other.id,
        ownE164: [],
        otherE164: [],
        otherCursors: [],
        credentials: {
          main: main.secret,
          readOnly: readOnly.secret,
          test: testKey.secret,
          jwt: await jwt({ org: own.id, scope: "*", sub: "fuzz" }),
          badJwts: await badJwts(own.id),
        },
      };
      const accepted: Accepted = { ids: Object.fromEntries(NODE_TYPES.map((t) => [t, new Set<string>()])), values: new Map(), helpTexts: new Set() };

      await setUpOrganization(url, otherKey.secret, new Rng(SEED ^ 0x5eed), (data) => {
        for (const [typename, id, object] of nodesIn(data)) {
          if (!world.other[typename]!.includes(id)) world.other[typename]!.push(id);
          if (typeof object.e164 === "string") world.otherE164.push(object.e164);
        }
      });
      for (const list of ["agents", "phoneNumbers", "apiKeys"]) {
        const page = await graphqlPost(url, otherKey.secret, `{ ${list}(first: 2) { edges { cursor } } }`);
        for (const edge of (page.data as Record<string, { edges: Array<{ cursor: string }> }>)[list]!.edges) world.otherCursors.push(edge.cursor);
      }
      world.other.Organization = [globalId("Organization", other.id)];
      await setUpOrganization(url, main.secret, new Rng(SEED ^ 0x0a11), (data) => collect(data, world, accepted));
      // Only a key the fuzzer may revoke goes into the pool: revoking its own would end the run.
      world.own.ApiKey = world.own.ApiKey!.filter((id) => !setupKeyIds.has(decodeGlobalId(id)));

      const otherBefore = await snapshot(prisma, other.id);
      const { schema, source } = await loadSchema(url, main.secret, () => readFileSync(path.join(ROOT, "schema.graphql"), "utf8"));
      const generator = new OperationGenerator(schema, world, SEED);

      // The run.
      const findings: Finding[] = [];
      const windows: Array<{ index: number; label: string; from: number; to: number }> = [];
      const statuses = new Map<number, number>();
      const outcomes = new Map<string, number>();
      const logFrom = server.stdout().length;
      const stderrFrom = server.stderr().length;
      const indexes = ONLY ?? Array.from({ length: COUNT }, (_, i) => i);
      const started = Date.now();
      const deadline = started + SECONDS * 1000;
      let next = 0;
      let ran = 0;
      const blind: number[] = [];
      const worker = async () => {
        while (next < indexes.length && Date.now() < deadline) {
          const index = indexes[next++]!;
          const fuzzCase = generator.generate(index);
          const from = server!.stdout().length;
          const response = await sendCase(url, fuzzCase);
          windows.push({ index, label: fuzzCase.label, from, to: server!.stdout().length });
          ran++;
          statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
          findings.push(...inspect(fuzzCase, response));
          for (const outcome of outcomesOf(fuzzCase, response)) outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
          if (fuzzCase.mutationFields.length && response.json && typeof response.json === "object" && !Array.isArray(response.json)) {
            const { data, errors } = response.json as { data?: unknown; errors?: unknown[] };
            collect(data, world, accepted);
            // An error in one non-null root field nulls `data` for all: what the others wrote is unseen.
            if (data == null && errors?.length && fuzzCase.mutationFields.length > 1) blind.push(index);
          }
        }
      };
      await Promise.all(Array.from({ length: CONCURRENCY }, worker));
      const elapsedMs = Date.now() - started;

      // The server is alive and answers.
      const alive = server.child.exitCode === null && server.child.signalCode === null;
      const health = alive ? await fetch(`${url}/health`).then((r) => r.status, (error: Error) => error.message) : "exited";
      const viewer = alive ? await graphqlPost(url, main.secret, "{ viewer { scopes } }").catch((error: Error) => ({ errors: [{ message: error.message }] })) : undefined;

      // What the database holds.
      const dataProblems = await checkOwnOrganization(prisma, own.id, accepted, setupKeyIds);
      const otherAfter = await snapshot(prisma, other.id);
      for (const table of Object.keys(otherBefore)) {
        if (JSON.stringify(otherBefore[table]) !== JSON.stringify(otherAfter[table])) {
          dataProblems.push(`the other organization's ${table} rows changed:\n      before ${JSON.stringify(otherBefore[table]).slice(0, 400)}\n      after  ${JSON.stringify(otherAfter[table]).slice(0, 400)}`);
        }
      }

      // What the server logged meanwhile.
      const logged: Array<{ line: string; offset: number }> = [];
      let offset = logFrom;
      for (const line of server.stdout().slice(logFrom).split("\n")) {
        try {
          const entry = JSON.parse(line) as { level?: number };
          if ((entry.level ?? 0) >= 50) logged.push({ line, offset });
        } catch {
          // Not a log line (a partial one at the end): nothing to judge.
        }
        offset += line.length + 1;
      }
      const stderrLines = server
        .stderr()
        .slice(stderrFrom)
        .split("\n")
        .filter((line) => /error|unhandled|exception|fatal/i.test(line));

      const report = {
        seed: SEED,
        target: testTarget(),
        schemaSource: source,
        ran,
        planned: indexes.length,
        elapsedMs,
        statuses: Object.fromEntries([...statuses].sort(([a], [b]) => a - b)),
        outcomes: Object.fromEntries([...outcomes].sort(([, a], [, b]) => b - a)),
        accepted: Object.fromEntries(Object.entries(accepted.ids).map(([t, ids]) => [t, ids.size])),
        findings,
        errorLogLines: logged.map(({ line, offset }) => ({
          line: line.slice(0, 100_000),
          duringOperations: windows.filter((w) => w.from <= offset && offset < w.to).map((w) => `#${w.index} ${w.label}`),
        })),
        stderrLines,
        dataProblems,
        health,
        alive,
      };
      const reportFile = path.join(tmpdir(), `switchboard-fuzz-${testTarget()}-${SEED}.json`);
      await writeFile(reportFile, JSON.stringify(report, null, 2));
      console.log(
        `fuzz (${testTarget()}, seed ${SEED}, schema from ${source}): ${ran}/${indexes.length} operations in ${(elapsedMs / 1000).toFixed(1)} s ` +
          `(concurrency ${CONCURRENCY}); HTTP ${JSON.stringify(report.statuses)}; accepted writes ${JSON.stringify(report.accepted)}; ` +
          `operations with an error lacking extensions.code: ${[...outcomes].filter(([o]) => o.includes("uncoded error")).reduce((sum, [, n]) => sum + n, 0)}; report in ${reportFile}`,
      );

      const problems: string[] = [];
      if (!alive) problems.push(`the server exited (code ${server.child.exitCode}, signal ${server.child.signalCode}):\n${server.stderr().slice(-2000)}`);
      else if (health !== 200) problems.push(`/health answered ${health} after the run`);
      else if (!(viewer as { data?: unknown })?.data) problems.push(`a plain query failed after the run: ${JSON.stringify(viewer)}`);
      problems.push(...summarize(findings));
      if (logged.length) {
        const byGist = new Map<string, typeof report.errorLogLines>();
        for (const entry of report.errorLogLines) byGist.set(gistOf(entry.line), [...(byGist.get(gistOf(entry.line)) ?? []), entry]);
        problems.push(
          `${logged.length} log line(s) at level error during the run:\n` +
            [...byGist]
              .map(([gist, entries]) => `    ${entries.length}× ${gist}\n      e.g. while: ${entries[0]!.duringOperations.slice(0, 4).join(" | ") || "(between operations)"}`)
              .join("\n"),
        );
      }
      if (stderrLines.length) problems.push(`the server wrote errors to stderr:\n    ${stderrLines.slice(0, 8).join("\n    ")}`);
      problems.push(...dataProblems.slice(0, 20).map((problem) => `database: ${problem}`));
      if (dataProblems.length && blind.length) {
        problems.push(`database: (mutations with several fields answered data: null after an error, so what their other fields wrote was never seen: operations ${blind.slice(0, 12).join(", ")})`);
      }
      if (dataProblems.length > 20) problems.push(`database: … and ${dataProblems.length - 20} more`);
      if (ran < Math.min(indexes.length, 200)) problems.push(`only ${ran} of ${indexes.length} operations ran in ${SECONDS} s`);
      assert.equal(
        problems.length,
        0,
        `The fuzzer found ${problems.length} problem(s) (seed ${SEED}; replay one with FUZZ_SEED=${SEED} FUZZ_ONLY=<index> npm test -- fuzz; every finding in ${reportFile}):\n\n${problems.join("\n\n")}`,
      );
    },
  );
});

// ---------------------------------------------------------------------------------------------

async function jwt(claims: Record<string, unknown>, options: { secret?: string; issuer?: string; expires?: string | number } = {}): Promise<string> {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: "HS256" })
    .setIssuer(options.issuer ?? JWT_ISSUER)
    .setAudience(JWT_AUDIENCE)
    .setIssuedAt()
    .setExpirationTime(options.expires ?? "2h")
    .sign(new TextEncoder().encode(options.secret ?? JWT_SECRET));
}

/** Tokens that must be refused with 401: none may name the other organization with a good signature. */
async function badJwts(ownOrganizationId: string): Promise<string[]> {
  const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
  return [
    await jwt({ org: ownOrganizationId, scope: "*" }, { secret: "a-different-secret-of-at-least-32-chars" }),
    await jwt({ org: ownOrganizationId, scope: "*" }, { issuer: "https://evil.example" }),
    await jwt({ org: ownOrganizationId, scope: "*" }, { expires: 946_684_800 }),
    await jwt({ org: "------------------------------------", scope: "*" }),
    await jwt({ org: "00000000-0000-0000-0000-000000000000", scope: "*" }),
    await jwt({ org: 12, scope: "*" }),
    await jwt({ org: `${ownOrganizationId}\u0000`, scope: "*" }),
    await jwt({ scope: "*" }),
    await jwt({ org: ownOrganizationId, scope: { all: true } }),
    `${b64url({ alg: "none", typ: "JWT" })}.${b64url({ org: ownOrganizationId, scope: "*", iss: JWT_ISSUER, aud: JWT_AUDIENCE })}.`,
    `${b64url({ alg: "HS256" })}.${b64url("not an object")}.${"A".repeat(43)}`,
    `${"e".repeat(10_000)}.${"e".repeat(10)}.${"e".repeat(10)}`,
  ];
}

async function graphqlPost(url: string, apiKey: string, query: string, variables?: unknown): Promise<{ data?: unknown; errors?: unknown[] }> {
  const response = await fetch(`${url}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-api-key": apiKey },
    body: JSON.stringify({ query, variables }),
  });
  return (await response.json()) as { data?: unknown; errors?: unknown[] };
}

const NUMBER = "phoneNumber { __typename id e164 label direction status }";
const SETUP: Array<[string, (rng: Rng, ids: Record<string, string>) => unknown]> = [
  ["mutation($input: CreateAgentInput!) { createAgent(input: $input) { __typename ... on CreateAgentSuccess { agent { __typename id name status } } } }", () => ({ input: { name: "Ava" } })],
  ["mutation($input: CreateAgentInput!) { createAgent(input: $input) { __typename ... on CreateAgentSuccess { agent { __typename id name status } } } }", () => ({ input: { name: "Bo", status: "PAUSED" } })],
  [`mutation($input: CreateManualPhoneNumberInput!) { createManualPhoneNumber(input: $input) { __typename ... on CreateManualPhoneNumberSuccess { ${NUMBER} } } }`, (rng, ids) => ({ input: { e164: `+1415555${rng.digits(4)}`, label: "Front desk", agentId: ids.Agent } })],
  [`mutation($input: CreateManualPhoneNumberInput!) { createManualPhoneNumber(input: $input) { __typename ... on CreateManualPhoneNumberSuccess { ${NUMBER} } } }`, (rng) => ({ input: { e164: `+1415666${rng.digits(4)}`, capabilities: { voice: true, sms: true } } })],
  [`mutation($input: ImportSipTrunkPhoneNumberInput!) { importSipTrunkPhoneNumber(input: $input) { __typename ... on ImportSipTrunkPhoneNumberSuccess { ${NUMBER} } } }`, (rng) => ({ input: { e164: `+1212555${rng.digits(4)}`, direction: "INBOUND", inboundTrunk: { allowedSourceIps: ["203.0.113.0/24"], authUsername: "trunk", authPassword: "correct-horse-battery" } } })],
  ["mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { __typename ... on CreateApiKeySuccess { apiKey { __typename id name scopes } } } }", () => ({ input: { name: "dashboard", scopes: ["numbers:read"] } })],
  ["mutation($input: SaveVerificationDraftInput!) { saveVerificationDraft(input: $input) { __typename ... on SaveVerificationDraftSuccess { verification { __typename id status } } } }", () => ({ input: { businessProfile: { legalName: "Fuzz Inc", country: "US" } } })],
];

/** A few agents, numbers, a key and a verification draft, created through the API as a client would. */
async function setUpOrganization(url: string, apiKey: string, rng: Rng, onData: (data: unknown) => void): Promise<void> {
  const ids: Record<string, string> = {};
  for (const [query, variables] of SETUP) {
    const result = await graphqlPost(url, apiKey, query, variables(rng, ids));
    const payload = Object.values((result.data ?? {}) as Record<string, { __typename: string }>)[0];
    assert.ok(payload?.__typename.endsWith("Success"), `setup failed: ${query}\n${JSON.stringify(result)}`);
    for (const [typename, id] of nodesIn(result.data)) ids[typename] ??= id;
    onData(result.data);
  }
}

/** Every object with a `__typename` and an `id` in a response, with its fields. */
function nodesIn(data: unknown): Array<[string, string, Record<string, unknown>]> {
  const out: Array<[string, string, Record<string, unknown>]> = [];
  const walk = (value: unknown) => {
    if (Array.isArray(value)) value.forEach(walk);
    else if (value && typeof value === "object") {
      const object = value as Record<string, unknown>;
      if (typeof object.__typename === "string" && typeof object.id === "string" && (NODE_TYPES as readonly string[]).includes(object.__typename)) {
        out.push([object.__typename, object.id, object]);
      }
      Object.values(object).forEach(walk);
    }
  };
  walk(data);
  return out;
}

function decodeGlobalId(id: string): string {
  return Buffer.from(id, "base64").toString("utf8").split(":").slice(1).join(":");
}

/** Records what the accepted (…Success) root fields of a mutation returned, and adds new ids to the pools. */
function collect(data: unknown, world: FuzzWorld, accepted: Accepted): void {
  if (!data || typeof data !== "object") return;
  for (const payload of Object.values(data as Record<string, unknown>)) {
    const typename = (payload as { __typename?: unknown } | null)?.__typename;
    if (typeof typename !== "string" || !typename.endsWith("Success")) continue;
    if (typename === "SetSmsHelpTextSuccess") {
      // Fields of a payload member are aliased per member (SetSmsHelpTextSuccess_helpText).
      for (const [key, value] of Object.entries(payload as Record<string, unknown>)) if (/(^|_)helpText$/.test(key)) accepted.helpTexts.add(JSON.stringify(value));
    }
    for (const [nodeType, id, object] of nodesIn(payload)) {
      const uuid = decodeGlobalId(id);
      accepted.ids[nodeType]!.add(uuid);
      if (!world.own[nodeType]!.includes(id)) world.own[nodeType]!.push(id);
      if (nodeType === "PhoneNumber" && typeof object.e164 === "string" && !world.ownE164.includes(object.e164)) world.ownE164.push(object.e164);
      const values = accepted.values.get(uuid) ?? new Map<string, Set<string>>();
      accepted.values.set(uuid, values);
      for (const field of COMPARED_FIELDS) {
        if (!(field in object)) continue;
        const value = field === "label" ? (object.label ?? "") : object[field];
        (values.get(field) ?? values.set(field, new Set()).get(field)!).add(JSON.stringify(value));
      }
    }
  }
}

/** Problems a response shows: a 5xx, a masked error, an internal message, or no answer at all. */
function inspect(fuzzCase: FuzzCase, response: FuzzResponse): Finding[] {
  const finding = (kind: Finding["kind"], detail: string): Finding => ({ kind, index: fuzzCase.index, label: fuzzCase.label, detail, request: describeCase(fuzzCase) });
  if (response.networkError) {
    // Node's HTTP parser answers a request head over 16 KiB with 431 and closes at once; a client
    // still writing sees the reset. That is the server protecting itself, not failing.
    const headBytes = fuzzCase.path.length + JSON.stringify(fuzzCase.headers).length;
    if (headBytes > 16_000 && /ECONNRESET|EPIPE/.test(response.networkError)) return [];
    return [finding("no answer", response.networkError)];
  }
  const out: Finding[] = [];
  if (response.status >= 500) out.push(finding("5xx", `HTTP ${response.status}: ${response.text.slice(0, 300)}`));
  const bodies = Array.isArray(response.json) ? response.json : [response.json];
  for (const body of bodies) {
    const errors = (body as { errors?: Array<{ message?: unknown; path?: unknown; extensions?: unknown }> } | undefined)?.errors;
    if (!Array.isArray(errors)) continue;
    for (const error of errors) {
      const message = String(error?.message ?? "");
      if (message === MASKED) out.push(finding("masked error", `at ${JSON.stringify(error.path ?? null)}`));
      else if (LEAK.test(message)) out.push(finding("leaked internal error", `${message.slice(0, 300)} at ${JSON.stringify(error.path ?? null)}`));
    }
  }
  if (!out.some((f) => f.kind === "masked error") && response.text.includes(`"${MASKED}"`)) out.push(finding("masked error", "in the response body"));
  return out;
}

/** What each root field of a GraphQL response came back as, for the run's summary. */
function outcomesOf(fuzzCase: FuzzCase, response: FuzzResponse): string[] {
  const body = response.json as { data?: Record<string, unknown> | null; errors?: Array<{ message?: string; extensions?: { code?: string } }> } | undefined;
  if (!body || typeof body !== "object" || Array.isArray(body)) return [`${fuzzCase.label.split(" [")[0]}: HTTP ${response.status}`];
  const codes = (body.errors ?? []).map((e) =>
    e?.extensions?.code && e.extensions.code !== "GRAPHQL_VALIDATION_FAILED" ? e.extensions.code : `${e?.extensions?.code ?? "uncoded error"} "${String(e?.message).slice(0, 60)}"`,
  );
  const typenames = Object.values(body.data ?? {}).map((v) => (v as { __typename?: string } | null)?.__typename ?? (v === null ? "null" : "data"));
  return [`${fuzzCase.label.split(" [")[0]}: ${[...new Set([...typenames, ...codes])].join("+") || `HTTP ${response.status}`}`];
}

/** The root field a finding is about ("f1" is the second field of the label), or the raw case. */
function subjectOf(finding: Finding): string {
  const [head] = finding.label.split(" [");
  const [kind, fields] = head!.split(" ");
  if (kind !== "query" && kind !== "mutation" && kind !== "subscription") return head!;
  const names = fields!.split("+");
  const alias = /^at \["(f(\d+))"/.exec(finding.detail);
  const field = alias ? names[Number(alias[2])] : (/^at \["([^"]+)"/.exec(finding.detail)?.[1] ?? (names.length === 1 ? names[0] : fields));
  return `${kind} ${field}`;
}

/** One entry per kind of finding and root field, with the first example in full. */
function summarize(findings: Finding[]): string[] {
  const groups = new Map<string, Finding[]>();
  for (const finding of findings) {
    const key = `${finding.kind}: ${subjectOf(finding)}`;
    groups.set(key, [...(groups.get(key) ?? []), finding]);
  }
  return [...groups].map(
    ([key, group]) =>
      `${key} — ${group.length}× (operations ${group
        .slice(0, 12)
        .map((f) => f.index)
        .join(", ")}${group.length > 12 ? ", …" : ""})\n    e.g. #${group[0]!.index} ${group[0]!.label}: ${group[0]!.detail}\n    ${group[0]!.request}`,
  );
}

/** The gist of an error log line: its message's last line, without the values that differ. */
function gistOf(line: string): string {
  try {
    const entry = JSON.parse(line) as { msg?: string; err?: { type?: string; message?: string } };
    const message = (entry.err?.message ?? entry.msg ?? "").trim().split("\n").pop() ?? "";
    return `${entry.err?.type ?? "log"}: ${message.replace(/"[^"]*"/g, '"…"').replace(/\b\d+\b/g, "N").slice(0, 200)}`;
  } catch {
    return line.slice(0, 200);
  }
}

/** The other organization's rows, table by table (last-use times of keys excluded: they change on use). */
async function snapshot(prisma: PrismaClient, organizationId: string): Promise<Record<string, unknown[]>> {
  const out: Record<string, unknown[]> = {};
  out.Organization = await prisma.$queryRawUnsafe(`SELECT to_jsonb(t) AS row FROM "Organization" t WHERE id = $1::uuid`, organizationId);
  for (const table of ORGANIZATION_TABLES) {
    out[table] = await prisma.$queryRawUnsafe(`SELECT to_jsonb(t) - 'lastUsedAt' AS row FROM "${table}" t WHERE "organizationId" = $1::uuid ORDER BY id`, organizationId);
  }
  return out;
}

/** Every row of the fuzzed organization was written by an accepted operation, with a value it returned. */
async function checkOwnOrganization(prisma: PrismaClient, organizationId: string, accepted: Accepted, setupKeyIds: Set<string>): Promise<string[]> {
  const problems: string[] = [];
  const check = (table: string, row: Record<string, unknown>, known: boolean) => {
    const id = String(row.id);
    if (!known) {
      problems.push(`${table} ${id} exists, but no accepted mutation returned it: ${JSON.stringify(row).slice(0, 300)}`);
      return;
    }
    const values = accepted.values.get(id);
    if (!values) return;
    for (const field of COMPARED_FIELDS) {
      const seen = values.get(field);
      if (!seen || !(field in row)) continue;
      if (!seen.has(JSON.stringify(row[field]))) {
        problems.push(`${table} ${id}.${field} is ${JSON.stringify(row[field]).slice(0, 200)}, a value no accepted mutation returned (${[...seen].join(", ").slice(0, 200)})`);
      }
    }
  };
  const rows = async (table: string, columns: string) =>
    (await prisma.$queryRawUnsafe(`SELECT ${columns} FROM "${table}" WHERE "organizationId" = $1::uuid`, organizationId)) as Array<Record<string, unknown>>;
  for (const row of await rows("Agent", "id::text, name, status::text")) check("Agent", row, accepted.ids.Agent!.has(String(row.id)));
  for (const row of await rows("PhoneNumber", "id::text, label, direction::text, e164")) check("PhoneNumber", row, accepted.ids.PhoneNumber!.has(String(row.id)));
  for (const row of await rows("ApiKey", "id::text, name, scopes")) {
    if (!setupKeyIds.has(String(row.id))) check("ApiKey", row, accepted.ids.ApiKey!.has(String(row.id)));
  }
  for (const row of await rows("Verification", "id::text, status::text")) check("Verification", { id: row.id }, accepted.ids.Verification!.has(String(row.id)));
  for (const row of await rows("Message", "id::text, body")) check("Message", { id: row.id }, accepted.ids.Message!.has(String(row.id)));
  for (const row of await rows("OptOut", "id::text, sender")) problems.push(`OptOut ${row.id} exists, but no operation of the API creates opt-outs`);
  const [organization] = (await prisma.$queryRawUnsafe(`SELECT "smsHelpText" FROM "Organization" WHERE id = $1::uuid`, organizationId)) as Array<{ smsHelpText: string | null }>;
  if (organization?.smsHelpText != null && !accepted.helpTexts.has(JSON.stringify(organization.smsHelpText))) {
    problems.push(`Organization.smsHelpText is ${JSON.stringify(organization.smsHelpText).slice(0, 200)}, which no accepted setSmsHelpText returned`);
  }
  return problems;
}
