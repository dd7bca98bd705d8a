import assert from "node:assert/strict";
import { createHash, randomBytes, randomUUID } from "node:crypto";
import { describe, mock, test } from "node:test";
import { SignJWT } from "jose";
import { createApiKey } from "../src/apikeys/service.ts";
import { graphql } from "./generated/gql.ts";
import { clientWithHeaders, createOrganization, getEnvironment, type Client, type GraphQLResponse } from "./helpers/harness.ts";

const Viewer = graphql(`
  query AuthTestViewer {
    viewer {
      organization {
        id
        name
      }
      scopes
      testMode
    }
  }
`);

const CreateApiKey = graphql(`
  mutation AuthTestCreateApiKey($input: CreateApiKeyInput!) {
    createApiKey(input: $input) {
      __typename
      ... on CreateApiKeySuccess {
        secret
        apiKey {
          id
          name
          prefix
          mode
          scopes
          createdAt
          lastUsedAt
          expiresAt
          revokedAt
        }
      }
      ... on ValidationError {
        code
        message
        fieldErrors {
          path
          code
          message
        }
      }
    }
  }
`);

const RevokeApiKey = graphql(`
  mutation AuthTestRevokeApiKey($input: RevokeApiKeyInput!) {
    revokeApiKey(input: $input) {
      __typename
      ... on RevokeApiKeySuccess {
        apiKey {
          id
          revokedAt
        }
      }
      ... on NotFoundError {
        code
        message
      }
      ... on ValidationError {
        code
        fieldErrors {
          path
          code
        }
      }
    }
  }
`);

const ApiKeys = graphql(`
  query AuthTestApiKeys($first: Int!, $after: String) {
    apiKeys(first: $first, after: $after) {
      totalCount
      pageInfo {
        hasNextPage
        endCursor
      }
      edges {
        cursor
        node {
          id
          name
          prefix
          mode
          scopes
          createdAt
          lastUsedAt
          expiresAt
          revokedAt
        }
      }
    }
  }
`);

const CreateAgent = graphql(`
  mutation AuthTestCreateAgent($input: CreateAgentInput!) {
    createAgent(input: $input) {
      __typename
      ... on CreateAgentSuccess {
        agent {
          id
          name
        }
      }
    }
  }
`);

const Agents = graphql(`
  query AuthTestAgents {
    agents {
      totalCount
    }
  }
`);

const PhoneNumbers = graphql(`
  query AuthTestPhoneNumbers {
    phoneNumbers {
      totalCount
    }
  }
`);

/** The database id inside a global id ("<Type>:<uuid>", base64). */
function rawId(globalId: string): string {
  const [, id] = Buffer.from(globalId, "base64").toString("utf8").split(":");
  assert.ok(id, `not a global id: ${globalId}`);
  return id;
}

async function prisma() {
  return (await getEnvironment()).switchboard.database.prisma;
}

function assertUnauthenticated(response: GraphQLResponse<unknown>, what: string): void {
  assert.equal(response.status, 401, `${what}: HTTP status`);
  assert.equal(response.errors?.[0]?.extensions?.code, "UNAUTHENTICATED", `${what}: error code`);
  assert.equal(response.data ?? null, null, `${what}: no data`);
}

function assertForbidden(response: GraphQLResponse<unknown>, what: string): void {
  assert.equal(response.status, 200, `${what}: HTTP status`);
  assert.ok(response.errors?.length, `${what}: has errors`);
  assert.ok(
    response.errors.some((error) => error.extensions?.code === "FORBIDDEN"),
    `${what}: FORBIDDEN error, got ${JSON.stringify(response.errors)}`,
  );
}

/** A client whose key is created through the API (createApiKey) by `creator`. */
async function createKey(
  creator: Client,
  input: { name?: string; scopes: string[]; mode?: "LIVE" | "TEST"; expiresAt?: string },
): Promise<{ id: string; secret: string; prefix: string }> {
  const { createApiKey: result } = await creator.data(CreateApiKey, { input: { ...input, name: input.name ?? "test key" } });
  assert.equal(result.__typename, "CreateApiKeySuccess", JSON.stringify(result));
  if (result.__typename !== "CreateApiKeySuccess") throw new Error("unreachable");
  return { id: result.apiKey.id, secret: result.secret, prefix: result.apiKey.prefix };
}

interface JwtOptions {
  claims?: Record<string, unknown>;
  secret?: string;
  issuer?: string;
  audience?: string;
  /** Seconds since the epoch. */
  expiresAt?: number;
  alg?: "HS256" | "HS512";
}

async function signJwt(options: JwtOptions = {}): Promise<string> {
  const { config } = await getEnvironment();
  const now = Math.floor(Date.now() / 1000);
  const expiresAt = options.expiresAt ?? now + 300;
  return new SignJWT(options.claims ?? {})
    .setProtectedHeader({ alg: options.alg ?? "HS256", typ: "JWT" })
    .setIssuedAt(Math.min(now, expiresAt - 60))
    .setIssuer(options.issuer ?? config.jwt.issuer!)
    .setAudience(options.audience ?? config.jwt.audience!)
    .setExpirationTime(expiresAt)
    .sign(new TextEncoder().encode(options.secret ?? config.jwt.secret!));
}

const bearer = (token: string) => clientWithHeaders({ authorization: `Bearer ${token}` });

describe("authentication", () => {
  test("a request without credentials is refused with HTTP 401 UNAUTHENTICATED, in-process and over HTTP", async () => {
    const client = await clientWithHeaders({});
    assertUnauthenticated(await client.request(Viewer), "in-process");
    assertUnauthenticated(await client.overHttp().request(Viewer), "over HTTP");
  });

  test("unknown and malformed API keys are refused with 401", async () => {
    const unknown = `sb_live_${randomBytes(30).toString("hex").slice(0, 40)}`;
    const cases: Array<[string, Record<string, string>]> = [
      ["unknown key in X-API-Key", { "x-api-key": unknown }],
      ["unknown key as bearer", { authorization: `Bearer ${unknown}` }],
      ["unknown test-mode key", { "x-api-key": unknown.replace("sb_live_", "sb_test_") }],
      ["malformed key", { "x-api-key": "not-a-key" }],
      ["wrong prefix", { "x-api-key": unknown.replace("sb_live_", "sk_live_") }],
      ["too short", { "x-api-key": "sb_live_abc" }],
      ["malformed bearer token", { authorization: "Bearer not-a-key" }],
      ["Basic authorization", { authorization: `Basic ${Buffer.from("user:pass").toString("base64")}` }],
      ["empty bearer", { authorization: "Bearer " }],
    ];
    for (const [what, headers] of cases) {
      const client = await clientWithHeaders(headers);
      assertUnauthenticated(await client.request(Viewer), what);
    }
    const overHttp = (await clientWithHeaders({ "x-api-key": unknown })).overHttp();
    assertUnauthenticated(await overHttp.request(Viewer), "unknown key over HTTP");
  });

  test("an API key works in X-API-Key and as Authorization: Bearer, over both transports", async () => {
    const org = await createOrganization("auth-headers");
    const variants: Array<Record<string, string>> = [{ "x-api-key": org.secret }, { authorization: `Bearer ${org.secret}` }, { authorization: `bearer   ${org.secret}` }];
    for (const headers of variants) {
      const client = await clientWithHeaders(headers);
      for (const transport of [client, client.overHttp()]) {
        const response = await transport.request(Viewer);
        assert.equal(response.status, 200, JSON.stringify(headers));
        assert.equal(response.errors, undefined);
        assert.equal(response.data?.viewer.organization.id, org.id);
        assert.equal(response.data?.viewer.organization.name, org.name);
        assert.deepEqual(response.data?.viewer.scopes, ["*"]);
        assert.equal(response.data?.viewer.testMode, false);
      }
    }
  });

  test("a revoked key stops working at once, in-process and over HTTP", async () => {
    const org = await createOrganization("auth-revoke");
    const key = await createKey(org.client, { name: "to revoke", scopes: ["agents:read"] });
    const client = await clientWithHeaders({ "x-api-key": key.secret });
    // Used first, so the key's lookup is cached: revocation must still take effect at once.
    assert.equal((await client.data(Viewer)).viewer.organization.id, org.id);
    assert.equal((await client.overHttp().data(Viewer)).viewer.organization.id, org.id);

    const { revokeApiKey } = await org.client.data(RevokeApiKey, { input: { id: key.id } });
    assert.equal(revokeApiKey.__typename, "RevokeApiKeySuccess");
    if (revokeApiKey.__typename !== "RevokeApiKeySuccess") return;
    assert.equal(revokeApiKey.apiKey.id, key.id);
    assert.ok(revokeApiKey.apiKey.revokedAt);

    assertUnauthenticated(await client.request(Viewer), "revoked key in-process");
    assertUnauthenticated(await client.overHttp().request(Viewer), "revoked key over HTTP");
    assertUnauthenticated(await (await bearer(key.secret)).request(Viewer), "revoked key as bearer");

    const row = await (await prisma()).apiKey.findUniqueOrThrow({ where: { id: rawId(key.id) } });
    assert.equal(row.revokedAt?.toISOString(), revokeApiKey.apiKey.revokedAt);

    // Revoking again changes nothing.
    const again = (await org.client.data(RevokeApiKey, { input: { id: key.id } })).revokeApiKey;
    assert.equal(again.__typename, "RevokeApiKeySuccess");
    if (again.__typename === "RevokeApiKeySuccess") assert.equal(again.apiKey.revokedAt, revokeApiKey.apiKey.revokedAt);
    assertUnauthenticated(await client.request(Viewer), "still revoked");
    // The organization's own key is unaffected.
    assert.equal((await org.client.data(Viewer)).viewer.organization.id, org.id);
  });

  test("revokeApiKey refuses malformed and unknown ids with typed errors", async () => {
    const org = await createOrganization("auth-revoke-errors");
    const malformed = (await org.client.data(RevokeApiKey, { input: { id: "nope" } })).revokeApiKey;
    assert.equal(malformed.__typename, "ValidationError");
    if (malformed.__typename === "ValidationError") {
      assert.deepEqual(malformed.fieldErrors, [{ path: ["input", "id"], code: "INVALID_ID" }]);
    }
    const agentId = Buffer.from(`Agent:${randomUUID()}`).toString("base64");
    const wrongType = (await org.client.data(RevokeApiKey, { input: { id: agentId } })).revokeApiKey;
    assert.equal(wrongType.__typename, "ValidationError");
    const unknown = (await org.client.data(RevokeApiKey, { input: { id: Buffer.from(`ApiKey:${randomUUID()}`).toString("base64") } }))
      .revokeApiKey;
    assert.equal(unknown.__typename, "NotFoundError");
    if (unknown.__typename === "NotFoundError") assert.equal(unknown.code, "NOT_FOUND");
  });

  test("an expired key is refused with 401", async () => {
    const org = await createOrganization("auth-expired");
    const inAnHour = new Date(Date.now() + 3_600_000).toISOString();
    const live = await createKey(org.client, { name: "expires later", scopes: ["agents:read"], expiresAt: inAnHour });
    const { apiKeys } = await org.client.data(ApiKeys, { first: 100 });
    assert.equal(apiKeys?.edges.find((edge) => edge.node.id === live.id)?.node.expiresAt, inAnHour);
    // A key expiring later works now.
    const liveClient = await clientWithHeaders({ "x-api-key": live.secret });
    assert.equal((await liveClient.data(Viewer)).viewer.organization.id, org.id);

    // Not used before it expires (a use would be cached for a few seconds).
    const expired = await createKey(org.client, { name: "expired", scopes: ["agents:read"], expiresAt: inAnHour });
    await (await prisma()).apiKey.update({ where: { id: rawId(expired.id) }, data: { expiresAt: new Date(Date.now() - 60_000) } });
    const client = await clientWithHeaders({ "x-api-key": expired.secret });
    assertUnauthenticated(await client.request(Viewer), "expired key in-process");
    assertUnauthenticated(await client.overHttp().request(Viewer), "expired key over HTTP");
    assertUnauthenticated(await (await bearer(expired.secret)).request(Viewer), "expired key as bearer");
  });

  test("a key that was used before it expired stops working when it expires, despite the lookup cache", async () => {
    const org = await createOrganization("auth-expiry-cache");
    const env = await getEnvironment();
    assert.ok(env.config.apiKeyCacheSeconds >= 5, "this test relies on the default cache of a few seconds");
    const t0 = Date.now();
    const expiresAt = new Date(t0 + 4_000);
    const { secret } = await createApiKey(env.switchboard.database.prisma, org.id, { name: "short-lived", scopes: ["agents:read"], mode: "LIVE", expiresAt });
    const client = await clientWithHeaders({ "x-api-key": secret });
    // Used (and cached) before it expires...
    assert.equal((await client.data(Viewer)).viewer.organization.id, org.id);
    // ...then the clock passes its expiry but not the end of the cache entry (used at >= t0, kept 5 s).
    mock.timers.enable({ apis: ["Date"], now: expiresAt.getTime() + 1 });
    try {
      assertUnauthenticated(await client.request(Viewer), "expired after its cached use");
    } finally {
      mock.timers.reset();
    }
  });

  test("createApiKey rejects an expiry in the past", async () => {
    const org = await createOrganization("auth-expiry-past");
    const { createApiKey: result } = await org.client.data(CreateApiKey, {
      input: { name: "past", scopes: ["agents:read"], expiresAt: new Date(Date.now() - 60_000).toISOString() },
    });
    assert.equal(result.__typename, "ValidationError");
    if (result.__typename === "ValidationError") {
      assert.deepEqual(result.fieldErrors.map((e) => [e.path, e.code]), [[["input", "expiresAt"], "OUT_OF_RANGE"]]);
    }
    assert.equal(await (await prisma()).apiKey.count({ where: { organizationId: org.id } }), 1);
  });
});

describe("JWT bearer tokens", () => {
  test("a valid HS256 token resolves to its organization and scopes, and the scopes apply", async () => {
    const org = await createOrganization("auth-jwt");
    const token = await signJwt({ claims: { org: org.id, scope: "agents:read numbers:read", sub: "user-42" } });
    const client = await bearer(token);
    for (const transport of [client, client.overHttp()]) {
      const response = await transport.request(Viewer);
      assert.equal(response.status, 200);
      assert.equal(response.errors, undefined);
      assert.equal(response.data?.viewer.organization.id, org.id);
      assert.deepEqual(response.data?.viewer.scopes, ["agents:read", "numbers:read"]);
      assert.equal(response.data?.viewer.testMode, false);
    }
    assert.equal((await client.data(Agents)).agents?.totalCount, 0);
    assert.equal((await client.data(PhoneNumbers)).phoneNumbers?.totalCount, 0);

    // agents:write is not among the token's scopes.
    const create = await client.request(CreateAgent, { input: { name: "not allowed" } });
    assertForbidden(create, "createAgent with a read-only token");
    assert.equal(await (await prisma()).agent.count({ where: { organizationId: org.id } }), 0);

    // A token with agents:write may create one, in its own organization.
    const writer = await bearer(await signJwt({ claims: { org: org.id, scope: "agents:write agents:read", sub: "user-43" } }));
    const created = (await writer.data(CreateAgent, { input: { name: "via JWT" } })).createAgent;
    assert.equal(created.__typename, "CreateAgentSuccess");
    if (created.__typename === "CreateAgentSuccess") {
      const row = await (await prisma()).agent.findUniqueOrThrow({ where: { id: rawId(created.agent.id) } });
      assert.equal(row.organizationId, org.id);
    }
  });

  test("a token without a scope claim holds no scopes", async () => {
    const org = await createOrganization("auth-jwt-noscope");
    const client = await bearer(await signJwt({ claims: { org: org.id, sub: "nobody" } }));
    assert.deepEqual((await client.data(Viewer)).viewer.scopes, []);
    assertForbidden(await client.request(Agents), "agents without scopes");
  });

  test("bad tokens are refused with 401: wrong signature, audience, issuer, algorithm, expired, unknown or missing org", async () => {
    const org = await createOrganization("auth-jwt-bad");
    const claims = { org: org.id, scope: "*", sub: "attacker" };
    const now = Math.floor(Date.now() / 1000);
    const header = Buffer.from(JSON.stringify({ alg: "none", typ: "JWT" })).toString("base64url");
    const { config } = await getEnvironment();
    const payload = Buffer.from(
      JSON.stringify({ ...claims, iss: config.jwt.issuer, aud: config.jwt.audience, exp: now + 300 }),
    ).toString("base64url");
    const cases: Array<[string, string]> = [
      ["wrong signature", await signJwt({ claims, secret: "a-completely-different-secret-of-32-chars!" })],
      ["tampered payload", (await signJwt({ claims })).replace(/\.[^.]+\./, `.${payload}.`)],
      ["wrong audience", await signJwt({ claims, audience: "someone-else" })],
      ["wrong issuer", await signJwt({ claims, issuer: "https://evil.test" })],
      ["HS512 instead of HS256", await signJwt({ claims, alg: "HS512" })],
      ["unsigned (alg none)", `${header}.${payload}.`],
      ["expired", await signJwt({ claims, expiresAt: now - 3600 })],
      ["organization that does not exist", await signJwt({ claims: { ...claims, org: randomUUID() } })],
      ["malformed org claim", await signJwt({ claims: { ...claims, org: "not-a-uuid" } })],
      ["no org claim", await signJwt({ claims: { scope: "*", sub: "attacker" } })],
    ];
    for (const [what, token] of cases) {
      const client = await bearer(token);
      assertUnauthenticated(await client.request(Viewer), what);
    }
    assertUnauthenticated(await (await bearer(cases[0]![1])).overHttp().request(Viewer), "wrong signature over HTTP");
    // The control: the same claims, correctly signed, are accepted.
    assert.equal((await (await bearer(await signJwt({ claims }))).data(Viewer)).viewer.organization.id, org.id);
  });
});

describe("scopes", () => {
  test("a missing scope is a FORBIDDEN GraphQL error with HTTP 200, and nothing changes", async () => {
    const org = await createOrganization("auth-scopes");
    const reader = await org.clientWithScopes(["agents:read"]);

    for (const transport of [reader, reader.overHttp()]) {
      const create = await transport.request(CreateAgent, { input: { name: "forbidden" } });
      assertForbidden(create, "createAgent with agents:read");
      assert.deepEqual(create.errors?.[0]?.path, ["createAgent"]);
      // The error names the scope to add, in words and as data.
      assert.equal(create.errors?.[0]?.message, "Missing scope agents:write for Mutation.createAgent");
      assert.deepEqual(create.errors?.[0]?.extensions?.requiredScopes, ["agents:write"]);
    }
    assert.equal(await (await prisma()).agent.count({ where: { organizationId: org.id } }), 0);

    const numbers = await reader.request(PhoneNumbers);
    assertForbidden(numbers, "phoneNumbers with agents:read");
    assert.equal(numbers.data?.phoneNumbers ?? null, null);
    assert.equal(numbers.errors?.[0]?.message, "Missing scope numbers:read for Query.phoneNumbers");
    assert.deepEqual(numbers.errors?.[0]?.extensions?.requiredScopes, ["numbers:read"]);

    const keys = await reader.request(ApiKeys, { first: 100 });
    assertForbidden(keys, "apiKeys without keys:admin");
    assert.equal(keys.data?.apiKeys ?? null, null);

    const createKeyResponse = await reader.request(CreateApiKey, { input: { name: "escalate", scopes: ["agents:read"] } });
    assertForbidden(createKeyResponse, "createApiKey without keys:admin");
    assert.equal(await (await prisma()).apiKey.count({ where: { organizationId: org.id } }), 2);

    // What the key does hold works.
    const agents = await reader.request(Agents);
    assert.equal(agents.status, 200);
    assert.equal(agents.errors, undefined);
    assert.equal(agents.data?.agents?.totalCount, 0);
  });
});

describe("API keys", () => {
  test("createApiKey returns the secret once; the listing shows only its prefix and the database only its hash", async () => {
    const org = await createOrganization("auth-keys");
    const { createApiKey: result } = await org.client.data(CreateApiKey, {
      input: { name: "  CI deploys  ", scopes: ["numbers:read", "agents:write"] },
    });
    assert.equal(result.__typename, "CreateApiKeySuccess");
    if (result.__typename !== "CreateApiKeySuccess") return;
    const { secret, apiKey } = result;
    assert.match(secret, /^sb_live_[A-Za-z0-9]{40}$/);
    assert.equal(apiKey.prefix, secret.slice(0, 12));
    assert.equal(apiKey.name, "CI deploys");
    assert.equal(apiKey.mode, "LIVE");
    assert.deepEqual(apiKey.scopes, ["numbers:read", "agents:write"]);
    assert.equal(apiKey.lastUsedAt, null);
    assert.equal(apiKey.expiresAt, null);
    assert.equal(apiKey.revokedAt, null);

    // The listing never carries the secret.
    const listing = await org.client.request(ApiKeys, { first: 100 });
    assert.equal(listing.errors, undefined);
    const listed = listing.data?.apiKeys?.edges.find((edge) => edge.node.id === apiKey.id)?.node;
    assert.ok(listed);
    assert.equal(listed.prefix, apiKey.prefix);
    assert.ok(!JSON.stringify(listing.data).includes(secret), "listing contains the secret");
    assert.ok(!JSON.stringify(listing.data).includes(secret.slice(12)), "listing contains the secret's random part");

    // The database holds the SHA-256 of the secret, and no column holds the secret.
    const db = await prisma();
    const row = await db.apiKey.findUniqueOrThrow({ where: { id: rawId(apiKey.id) } });
    assert.notEqual(row.secretHash, secret);
    assert.equal(row.secretHash, createHash("sha256").update(secret).digest("hex"));
    assert.equal(row.organizationId, org.id);
    const [raw] = await db.$queryRaw<Array<{ json: string }>>`SELECT row_to_json(k)::text AS json FROM "ApiKey" k WHERE k.id = ${row.id}::uuid`;
    assert.ok(raw);
    assert.ok(raw.json.includes(row.secretHash), "sanity: the raw row is the key's");
    assert.ok(!raw.json.includes(secret), "a column holds the secret");
    assert.ok(!raw.json.includes(secret.slice(12)), "a column holds the secret's random part");

    // The new key works and holds exactly its scopes.
    const client = await clientWithHeaders({ "x-api-key": secret });
    assert.deepEqual((await client.data(Viewer)).viewer.scopes, ["agents:write", "numbers:read"]);
    assert.equal((await client.data(PhoneNumbers)).phoneNumbers?.totalCount, 0);
    assertForbidden(await client.request(Agents), "agents without agents:read");
  });

  test("a TEST key is an sb_test_ key in test mode", async () => {
    const org = await createOrganization("auth-test-key");
    const { createApiKey: result } = await org.client.data(CreateApiKey, { input: { name: "sandbox", scopes: ["*"], mode: "TEST" } });
    assert.equal(result.__typename, "CreateApiKeySuccess");
    if (result.__typename !== "CreateApiKeySuccess") return;
    assert.match(result.secret, /^sb_test_[A-Za-z0-9]{40}$/);
    assert.equal(result.apiKey.mode, "TEST");
    const viewer = (await (await clientWithHeaders({ "x-api-key": result.secret })).data(Viewer)).viewer;
    assert.equal(viewer.testMode, true);
    assert.equal(viewer.organization.id, org.id);
  });

  test("a key cannot grant scopes its creator lacks, and unknown scopes are refused, all reported at once", async () => {
    const org = await createOrganization("auth-escalation");
    const admin = await org.clientWithScopes(["keys:admin", "agents:read"]);
    const db = await prisma();
    const before = await db.apiKey.count({ where: { organizationId: org.id } });

    const escalation = (await admin.data(CreateApiKey, { input: { name: "more", scopes: ["agents:read", "numbers:write", "*", "keys:admin"] } }))
      .createApiKey;
    assert.equal(escalation.__typename, "ValidationError");
    if (escalation.__typename === "ValidationError") {
      assert.equal(escalation.code, "VALIDATION_FAILED");
      assert.deepEqual(
        escalation.fieldErrors.map((e) => [e.path, e.code]),
        [
          [["input", "scopes", "1"], "NOT_PERMITTED"],
          [["input", "scopes", "2"], "NOT_PERMITTED"],
        ],
      );
    }

    const unknown = (await admin.data(CreateApiKey, { input: { name: "typo", scopes: ["agents:read", "agents:delete", "numbers:write"] } }))
      .createApiKey;
    assert.equal(unknown.__typename, "ValidationError");
    if (unknown.__typename === "ValidationError") {
      const problems = unknown.fieldErrors.map((e) => [e.path, e.code]);
      assert.equal(problems.length, 2, JSON.stringify(problems));
      assert.deepEqual(
        problems.sort((a, b) => String(a[0]).localeCompare(String(b[0]))),
        [
          [["input", "scopes", "1"], "INVALID_VALUE"],
          [["input", "scopes", "2"], "NOT_PERMITTED"],
        ],
      );
    }

    const invalid = (await org.client.data(CreateApiKey, { input: { name: "", scopes: [] } })).createApiKey;
    assert.equal(invalid.__typename, "ValidationError");
    if (invalid.__typename === "ValidationError") {
      const problems = new Map(invalid.fieldErrors.map((e) => [e.path.join("."), e.code]));
      assert.equal(problems.get("input.name"), "REQUIRED");
      assert.equal(problems.get("input.scopes"), "TOO_SHORT");
    }

    assert.equal(await db.apiKey.count({ where: { organizationId: org.id } }), before, "no key was created");

    // What the creator holds, it may grant; an all-scopes key may grant "*".
    const ok = (await admin.data(CreateApiKey, { input: { name: "subset", scopes: ["agents:read"] } })).createApiKey;
    assert.equal(ok.__typename, "CreateApiKeySuccess");
    const star = (await org.client.data(CreateApiKey, { input: { name: "all", scopes: ["*"] } })).createApiKey;
    assert.equal(star.__typename, "CreateApiKeySuccess");
  });

  test("lastUsedAt is recorded when a key is used", async () => {
    const org = await createOrganization("auth-last-used");
    const key = await createKey(org.client, { name: "used", scopes: ["agents:read"] });
    const db = await prisma();
    assert.equal((await db.apiKey.findUniqueOrThrow({ where: { id: rawId(key.id) } })).lastUsedAt, null);

    const client = await clientWithHeaders({ "x-api-key": key.secret });
    await client.data(Viewer);
    const row = await db.apiKey.findUniqueOrThrow({ where: { id: rawId(key.id) } });
    assert.ok(row.lastUsedAt, "lastUsedAt is set after use");
    assert.ok(row.lastUsedAt >= row.createdAt);

    const listed = (await org.client.data(ApiKeys, { first: 100 })).apiKeys?.edges.find((edge) => edge.node.id === key.id)?.node;
    assert.equal(listed?.lastUsedAt, row.lastUsedAt.toISOString());
  });

  test("the apiKeys connection lists the organization's keys, newest first, with totalCount and pages", async () => {
    const org = await createOrganization("auth-list");
    const created = [];
    for (const name of ["first", "second", "third"]) created.push(await createKey(org.client, { name, scopes: ["agents:read"] }));
    await org.client.data(RevokeApiKey, { input: { id: created[0]!.id } });
    const total = await (await prisma()).apiKey.count({ where: { organizationId: org.id } });
    assert.equal(total, 4); // the organization's own key and three more

    const all = (await org.client.data(ApiKeys, { first: 100 })).apiKeys;
    assert.ok(all);
    assert.equal(all.totalCount, 4);
    assert.equal(all.edges.length, 4);
    // Newest first (the id breaks ties), revoked keys included.
    const rows = await (await prisma()).apiKey.findMany({ where: { organizationId: org.id } });
    const newestFirst = rows
      .sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime() || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0))
      .map((row) => row.id);
    assert.deepEqual(
      all.edges.map((edge) => rawId(edge.node.id)),
      newestFirst,
    );
    assert.deepEqual(new Set(all.edges.map((edge) => edge.node.name)), new Set(["first", "second", "third", "test *"]));
    const revoked = all.edges.filter((edge) => edge.node.revokedAt !== null).map((edge) => edge.node.id);
    assert.deepEqual(revoked, [created[0]!.id]);
    assert.ok(all.edges.every((edge) => /^sb_live_[A-Za-z0-9]{4}$/.test(edge.node.prefix)));

    const page1 = (await org.client.data(ApiKeys, { first: 3 })).apiKeys;
    assert.equal(page1?.totalCount, 4);
    assert.equal(page1?.edges.length, 3);
    assert.equal(page1?.pageInfo.hasNextPage, true);
    const page2 = (await org.client.data(ApiKeys, { first: 3, after: page1?.pageInfo.endCursor })).apiKeys;
    assert.equal(page2?.totalCount, 4);
    assert.equal(page2?.edges.length, 1);
    assert.equal(page2?.pageInfo.hasNextPage, false);
    assert.deepEqual(
      [...(page1?.edges ?? []), ...(page2?.edges ?? [])].map((edge) => edge.node.id),
      all.edges.map((edge) => edge.node.id),
    );
  });
});
