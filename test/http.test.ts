import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { auditServer } from "graphql-http";
import { createOrganization, getEnvironment } from "./helpers/harness.ts";

// The server over a real HTTP port: protocol conformance, health, GraphiQL and operation limits.
describe("HTTP transport", () => {
  test("passes the GraphQL-over-HTTP audits (graphql-http) with a valid key", async () => {
    const org = await createOrganization("audit");
    const url = `${await (await getEnvironment()).url()}/graphql`;
    const fetchWithKey: typeof fetch = (input, init) => {
      const headers = new Headers(init?.headers);
      headers.set("x-api-key", org.secret);
      return fetch(input, { ...init, headers });
    };
    const results = await auditServer({ url, fetchFn: fetchWithKey });
    const failures = results.flatMap((result) => (result.status === "error" ? [`${result.id} ${result.name}: ${result.reason}`] : []));
    assert.deepEqual(failures, [], failures.join("\n"));
    // The README records that every SHOULD audit passes too: a warning here means the README is wrong.
    const warnings = results.flatMap((result) => (result.status === "warn" ? [`${result.id} ${result.name}: ${result.reason}`] : []));
    assert.deepEqual(warnings, [], warnings.join("\n"));
    assert.equal(results.length, 61);
  });

  test("without credentials the response is HTTP 401 UNAUTHENTICATED and reveals nothing else", async () => {
    const url = await (await getEnvironment()).url();
    const response = await fetch(`${url}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ query: "{ phoneNumbers { totalCount } }" }),
    });
    assert.equal(response.status, 401);
    const body = (await response.json()) as { data?: unknown; errors: Array<{ extensions: { code: string } }> };
    assert.equal(body.errors[0]?.extensions.code, "UNAUTHENTICATED");
    assert.equal(body.data, undefined);
  });

  test("/health answers without credentials", async () => {
    const response = await fetch(`${await (await getEnvironment()).url()}/health`);
    assert.equal(response.status, 200);
    assert.deepEqual(await response.json(), { status: "ok" });
  });

  test("GraphiQL is served from the server itself, with no CDN scripts", async () => {
    const response = await fetch(`${await (await getEnvironment()).url()}/graphql`, { headers: { accept: "text/html" } });
    assert.equal(response.status, 200);
    const html = await response.text();
    assert.match(html, /graphiql/i);
    assert.doesNotMatch(html, /<script[^>]+src="https?:\/\//i, "no script is loaded from another host");
  });

  test("queries nested deeper than MAX_QUERY_DEPTH are refused before they run", async () => {
    const org = await createOrganization("depth");
    const response = await fetch(`${await (await getEnvironment()).url()}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-api-key": org.secret },
      body: JSON.stringify({
        query: `{ agents { edges { node { phoneNumbers { edges { node { agent { phoneNumbers { edges { node { agent { phoneNumbers { edges { node { e164 } } } } } } } } } } } } } } }`,
      }),
    });
    const body = (await response.json()) as { data?: unknown; errors: Array<{ message: string; extensions: Record<string, unknown> }> };
    assert.deepEqual(body.errors[0]?.extensions, { code: "DEPTH_LIMIT_EXCEEDED", depth: 15, limit: 12 });
    assert.equal(body.data, undefined);
  });

  test("a malformed id in node() is a BAD_USER_INPUT error, not an internal one", async () => {
    const org = await createOrganization("bad-node-id");
    const response = await fetch(`${await (await getEnvironment()).url()}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-api-key": org.secret },
      body: JSON.stringify({ query: '{ node(id: "garbage") { id } }' }),
    });
    const body = (await response.json()) as { errors: Array<{ message: string; extensions?: { code?: string } }> };
    assert.equal(body.errors[0]?.extensions?.code, "BAD_USER_INPUT");
    assert.match(body.errors[0]?.message ?? "", /not a valid id/);
  });
});
