import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { createOrganization, getEnvironment, sendRaw, statementsDuring } from "./helpers/harness.ts";
import { uniqueE164 } from "./helpers/numbers.ts";

const send = async (headers: Record<string, string>, query: string, variables?: unknown) => (await sendRaw(headers, query, variables)).body;

// Mutation payloads are non-null: a FORBIDDEN field found during execution would null the whole
// response after the other fields already wrote. Every root field is authorized before any runs.
describe("mutations are authorized whole, before anything runs", () => {
  test("one forbidden root field refuses the operation; nothing is written", async () => {
    const org = await createOrganization("preflight");
    const client = await org.clientWithScopes(["numbers:write", "numbers:read"]);
    const headers = client.headers;
    await send(headers, "{ viewer { scopes } }");
    const e164 = uniqueE164();
    let result!: Awaited<ReturnType<typeof send>>;
    const statements = await statementsDuring(async () => {
      result = await send(headers, 'mutation($e: String!) { createManualPhoneNumber(input: { e164: $e }) { __typename } createAgent(input: { name: "A" }) { __typename } }', { e: e164 });
    });
    assert.deepEqual(result.errors?.map((e) => [e.extensions?.code, e.message]), [["FORBIDDEN", "Missing scope agents:write for Mutation.createAgent"]]);
    assert.equal(result.data ?? null, null);
    // Only the audit log records the refused call (test/audit.test.ts).
    assert.deepEqual(statements.filter((sql) => /INSERT|UPDATE/.test(sql) && !/"AuditEvent"/.test(sql)), [], "nothing written");
    const prisma = (await getEnvironment()).switchboard.database.prisma;
    assert.equal(await prisma.phoneNumber.count({ where: { organizationId: org.id } }), 0);
  });

  test("the all-scopes key cannot decide verifications, so a mutation with decideVerification writes nothing", async () => {
    const org = await createOrganization("preflight-star");
    const result = await send(
      { "x-api-key": org.secret },
      'mutation($e: String!) { createManualPhoneNumber(input: { e164: $e }) { __typename } ... on Mutation { decideVerification(input: { id: "x", decision: APPROVE }) { __typename } } }',
      { e: uniqueE164() },
    );
    assert.equal(result.errors?.[0]?.extensions?.code, "FORBIDDEN");
    const prisma = (await getEnvironment()).switchboard.database.prisma;
    assert.equal(await prisma.phoneNumber.count({ where: { organizationId: org.id } }), 0);
  });

  test("allowed mutations run as before", async () => {
    const org = await createOrganization("preflight-ok");
    const result = await send({ "x-api-key": org.secret }, 'mutation($e: String!) { createManualPhoneNumber(input: { e164: $e }) { __typename } createAgent(input: { name: "A" }) { __typename } }', { e: uniqueE164() });
    assert.deepEqual(result.data, { createManualPhoneNumber: { __typename: "CreateManualPhoneNumberSuccess" }, createAgent: { __typename: "CreateAgentSuccess" } });
  });
});
