import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { createOrganization, getEnvironment, sendRaw, statementsDuring } from "./helpers/harness.ts";
import { uniqueE164 } from "./helpers/numbers.ts";

// Malformed input the fuzz test found reaching the database (a masked "Unexpected error." and an
// error log line): each is now the client's coded mistake, refused before any SQL runs.

const send = sendRaw;

const base64 = (text: string) => Buffer.from(text).toString("base64");

describe("malformed input is the client's coded mistake", () => {
  test("forged cursors, top-level and nested, are BAD_USER_INPUT with the argument's path, and run no SQL", async () => {
    const org = await createOrganization("cursors");
    await send(org.secret, "{ viewer { scopes } }");
    const forged = [base64("GPC:S:"), base64("GPC:N:1"), base64("GPC:I:1"), base64("GPC:S:\0"), base64("GPC:S:not-a-uuid"), "%%%", ""];
    for (const cursor of forged) {
      for (const query of [
        "query($c: String) { apiKeys(after: $c) { totalCount } }",
        "query($c: String) { phoneNumbers(before: $c, last: 5) { totalCount } }",
        "query($c: String) { agents(first: 1) { edges { node { phoneNumbers(after: $c) { totalCount } } } } }",
        "query($c: String) { messages(after: $c) { totalCount } }",
      ]) {
        let sent!: Awaited<ReturnType<typeof send>>;
        const statements = await statementsDuring(async () => (sent = await send(org.secret, query, { c: cursor })));
        const error = sent.body.errors?.[0];
        assert.equal(error?.extensions?.code, "BAD_USER_INPUT", `${query} with ${JSON.stringify(cursor)}: ${JSON.stringify(sent.body)}`);
        assert.equal(error?.extensions?.fieldErrors?.[0]?.code, "INVALID_FORMAT");
        assert.deepEqual(statements, [], `${query}: no SQL`);
      }
    }
    const both = await send(org.secret, `{ phoneNumbers(after: "${base64("GPC:S:00000000-0000-0000-0000-000000000000")}", before: "${base64("GPC:S:00000000-0000-0000-0000-000000000001")}") { totalCount } }`);
    assert.deepEqual(both.body.errors?.[0]?.extensions?.fieldErrors, [{ path: ["before"], code: "INVALID_VALUE", message: "Give after or before, not both" }]);
  });

  test("a real cursor still pages", async () => {
    const org = await createOrganization("cursor-ok");
    for (let i = 0; i < 3; i++) {
      await send(org.secret, "mutation($e: String!) { createManualPhoneNumber(input: { e164: $e }) { __typename } }", { e: uniqueE164() });
    }
    const first = await send(org.secret, "{ phoneNumbers(first: 2) { pageInfo { endCursor } edges { node { id } } } }");
    const next = await send(org.secret, "query($c: String) { phoneNumbers(first: 2, after: $c) { edges { node { id } } } }", { c: first.body.data.phoneNumbers.pageInfo.endCursor });
    assert.equal(next.body.errors, undefined);
    assert.equal(next.body.data.phoneNumbers.edges.length, 1);
  });

  test("node with a non-uuid id, or an id of a type that is not a Node, is BAD_USER_INPUT", async () => {
    const org = await createOrganization("node-ids");
    const uuid = "00000000-0000-4000-8000-000000000000";
    for (const id of [base64("ApiKey:not-a-uuid"), base64("PhoneNumber:"), base64("Agent:1"), base64(`NumberOrder:${uuid}`), base64(`WebhookReceipt:${uuid}`), base64(`Nope:${uuid}`)]) {
      const sent = await send(org.secret, "query($id: ID!) { node(id: $id) { id } }", { id });
      assert.equal(sent.body.errors?.[0]?.extensions?.code, "BAD_USER_INPUT", JSON.stringify(sent.body));
      assert.match(sent.body.errors?.[0]?.message ?? "", /is not a valid id/);
    }
  });

  test("dates PostgreSQL cannot store are refused as input, in literals and in variables", async () => {
    const org = await createOrganization("dates");
    const literal = await send(org.secret, '{ messages(filter: { createdBefore: "0000-01-01T00:00:00Z" }) { totalCount } }');
    assert.equal(literal.body.errors?.[0]?.extensions?.code, "BAD_USER_INPUT");
    assert.match(literal.body.errors?.[0]?.message ?? "", /between the years 1 and 9999/);
    const variable = await send(org.secret, "query($d: DateTime) { phoneNumbers(filter: { createdAfter: $d }) { totalCount } }", { d: "0000-06-01T00:00:00Z" });
    assert.equal(variable.body.errors?.[0]?.extensions?.code, "BAD_USER_INPUT");
    const fine = await send(org.secret, "query($d: DateTime) { phoneNumbers(filter: { createdAfter: $d }) { totalCount } }", { d: "9999-12-31T00:00:00Z" });
    assert.equal(fine.body.data?.phoneNumbers.totalCount, 0);
  });

  test("every argument error of a list is coded, with the argument's path: page sizes, cursors, ids", async () => {
    const org = await createOrganization("list-arguments");
    const cursor = base64("GPC:S:00000000-0000-4000-8000-000000000000");
    const lists = ["phoneNumbers", "agents", "messages", "apiKeys", "optOuts", "charges", "events", "auditEvents", "webhookEndpoints"];
    const cases: Array<[args: string, fieldErrors: Array<{ path: string[]; code: string }>, maximum?: number]> = [
      ["first: -1", [{ path: ["first"], code: "OUT_OF_RANGE" }], 100],
      ["last: -5", [{ path: ["last"], code: "OUT_OF_RANGE" }], 100],
      // Not a silent cap: asking for more than a page holds is the client's mistake.
      ["first: 10000", [{ path: ["first"], code: "OUT_OF_RANGE" }], 100],
      ["first: 101", [{ path: ["first"], code: "OUT_OF_RANGE" }], 100],
      [`last: 101, before: "${cursor}"`, [{ path: ["last"], code: "OUT_OF_RANGE" }], 100],
      ["first: 1, last: 1", [{ path: ["last"], code: "INVALID_VALUE" }]],
      ['after: "abc"', [{ path: ["after"], code: "INVALID_FORMAT" }]],
      ['before: "abc"', [{ path: ["before"], code: "INVALID_FORMAT" }]],
      [`after: "${cursor}", before: "${cursor}"`, [{ path: ["before"], code: "INVALID_VALUE" }]],
    ];
    for (const list of lists) {
      for (const [args, fieldErrors, maximum] of cases) {
        const query = `{ ${list}(${args}) { totalCount } }`;
        const sent = await send(org.secret, query);
        const error = sent.body.errors?.[0];
        assert.equal(sent.status, 200, query);
        assert.equal(error?.extensions?.code, "BAD_USER_INPUT", `${query}: ${JSON.stringify(sent.body)}`);
        assert.deepEqual(error?.extensions?.fieldErrors?.map(({ path, code }: { path: string[]; code: string }) => ({ path, code })), fieldErrors, query);
        assert.equal(error?.extensions?.maximum, maximum, query);
        assert.deepEqual(error?.path, [list], query);
      }
    }
    // The same on a list inside an object, and the largest page is still served.
    const nested = await send(org.secret, "{ agents(first: 1) { edges { node { phoneNumbers(first: 500) { totalCount } } } } }");
    assert.equal(nested.body.errors?.[0]?.extensions?.code, "BAD_USER_INPUT", JSON.stringify(nested.body));
    assert.equal(nested.body.errors?.[0]?.extensions?.maximum, 100);
    const largest = await send(org.secret, "{ phoneNumbers(first: 100) { totalCount } }");
    assert.deepEqual(largest.body, { data: { phoneNumbers: { totalCount: 0 } } });
    // Ids of another type or malformed ids.
    for (const query of ['{ optOuts(phoneNumberId: "xx") { totalCount } }', '{ node(id: "xx") { id } }', '{ nodes(ids: ["xx"]) { id } }']) {
      const sent = await send(org.secret, query);
      assert.equal(sent.body.errors?.[0]?.extensions?.code, "BAD_USER_INPUT", `${query}: ${JSON.stringify(sent.body)}`);
    }
  });

  test("GET with variables or extensions that are not JSON is a 400, not a 500", async () => {
    const org = await createOrganization("get-json");
    const url = `${await (await getEnvironment()).url()}/graphql`;
    for (const param of ["extensions=x", "variables=%7Bnope", "extensions=%5B1"]) {
      const response = await fetch(`${url}?${param}&query=%7B__typename%7D`, { headers: { "x-api-key": org.secret } });
      assert.equal(response.status, 400, param);
      const body = (await response.json()) as { errors: Array<{ extensions: { code: string } }> };
      assert.equal(body.errors[0]?.extensions.code, "BAD_REQUEST");
    }
  });

  test("JSON inputs nested deeper than 32 levels are a field error, even 8,000 levels deep", async () => {
    const org = await createOrganization("deep-json");
    // As JSON text: JavaScript's own JSON.stringify overflows its stack on 8,000 levels.
    const nest = (levels: number) => {
      const open = Array.from({ length: levels }, (_, i) => (i % 2 ? "[" : '{"a":')).join("");
      const close = Array.from({ length: levels }, (_, i) => (i % 2 ? "]" : "}")).reverse().join("");
      return `${open}"leaf"${close}`;
    };
    const create = "mutation($e: String!, $t: JSON) { createManualPhoneNumber(input: { e164: $e, dispatchMetadataTemplate: $t }) { __typename ... on ValidationError { fieldErrors { path code message } } } }";
    for (const levels of [33, 8_000]) {
      const sent = await send(org.secret, create, undefined, `{"e":${JSON.stringify(uniqueE164())},"t":{"deep":${nest(levels)}}}`);
      assert.equal(sent.body.errors, undefined, JSON.stringify(sent.body).slice(0, 500));
      const payload = sent.body.data.createManualPhoneNumber;
      assert.equal(payload.__typename, "ValidationError");
      assert.equal(payload.fieldErrors[0].code, "INVALID_VALUE");
      assert.deepEqual(payload.fieldErrors[0].path.slice(0, 3), ["input", "dispatchMetadataTemplate", "deep"]);
      assert.match(payload.fieldErrors[0].message, /Nested more than 32 levels/);
    }
    const fine = await send(org.secret, create, undefined, `{"e":${JSON.stringify(uniqueE164())},"t":${nest(31)}}`);
    assert.equal(fine.body.data.createManualPhoneNumber.__typename, "CreateManualPhoneNumberSuccess");
  });

  test("assigning to an agent deleted at the same moment is a NOT_FOUND field error, never a masked error", async () => {
    const org = await createOrganization("assign-race");
    const number = (await send(org.secret, "mutation($e: String!) { createManualPhoneNumber(input: { e164: $e }) { ... on CreateManualPhoneNumberSuccess { phoneNumber { id } } } }", { e: uniqueE164() })).body
      .data.createManualPhoneNumber.phoneNumber.id;
    const outcomes = new Set<string>();
    for (let i = 0; i < 15; i++) {
      const agent = (await send(org.secret, 'mutation { createAgent(input: { name: "Racer" }) { ... on CreateAgentSuccess { agent { id } } } }')).body.data.createAgent.agent.id;
      const [assigned, deleted] = await Promise.all([
        send(
          org.secret,
          "mutation($n: ID!, $a: ID!) { assignPhoneNumber(input: { phoneNumberId: $n, agentId: $a }) { __typename ... on ValidationError { fieldErrors { path code } } } }",
          { n: number, a: agent },
        ),
        send(org.secret, "mutation($a: ID!) { deleteAgent(input: { id: $a }) { __typename } }", { a: agent }),
      ]);
      assert.equal(assigned.body.errors, undefined, JSON.stringify(assigned.body));
      assert.equal(deleted.body.errors, undefined, JSON.stringify(deleted.body));
      const payload = assigned.body.data.assignPhoneNumber;
      // The same answer as assigning an agent that never existed (test/numbers.test.ts).
      outcomes.add(payload.__typename === "ValidationError" ? `ValidationError ${JSON.stringify(payload.fieldErrors)}` : payload.__typename);
    }
    const refused = `ValidationError ${JSON.stringify([{ path: ["input", "agentId"], code: "NOT_FOUND" }])}`;
    assert.ok([...outcomes].every((outcome) => outcome === "AssignPhoneNumberSuccess" || outcome === refused), [...outcomes].join());
  });
});

describe("unexpected failures", () => {
  test("an internal error is masked for the client and logged in full for the operator", async () => {
    const env = await getEnvironment();
    const org = await createOrganization("masked");
    const agents = env.switchboard.services.agents;
    const create = agents.create;
    // Not an expected error and not bad input: a bug. Its text must not reach the client.
    agents.create = async () => {
      throw new TypeError("internal detail: connection string postgres://user:hunter2@db");
    };
    const logged = env.errorLogs.length;
    let sent!: Awaited<ReturnType<typeof send>>;
    try {
      sent = await send(org.secret, 'mutation { createAgent(input: { name: "A" }) { __typename } }');
    } finally {
      agents.create = create;
    }
    assert.deepEqual(
      sent.body.errors?.map((error) => [error.message, error.extensions?.code]),
      [["Unexpected error.", "INTERNAL_SERVER_ERROR"]],
    );
    assert.doesNotMatch(JSON.stringify(sent.body), /hunter2|internal detail/);
    const lines = env.errorLogs.slice(logged).join("\n");
    assert.match(lines, /internal detail/, "the operator's log has the real error");
  });
});
