import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { getOperationAST, parse } from "graphql";
import { operationCost } from "../src/limits/cost.ts";
import { schema } from "../src/schema/index.ts";
import { createOrganization, getEnvironment, sendRaw, statementsDuring } from "./helpers/harness.ts";

/** The cost of a document's only operation, as the server computes it before running it. */
function costOf(query: string, variables?: Record<string, unknown>) {
  const document = parse(query);
  return operationCost(schema, document, getOperationAST(document)!, variables);
}

const rawRequest = (secret: string, query: string, variables?: unknown) => sendRaw(secret, query, variables);

const NESTED = "{ phoneNumbers(first: 100) { edges { node { agent { phoneNumbers(first: 100) { edges { node { id } } } } } } } }";
export const DASHBOARD =
  "{ phoneNumbers(first: 50) { totalCount facets { assigned unassigned } edges { node { id e164 label agent { name phoneNumbers(first: 5) { totalCount } } setupStatus { status issues { code } } } } } }";

describe("operation limits", () => {
  describe("cost, computed from the operation's shape before it runs", () => {
    test("connections multiply by their page size: first: 100 inside first: 100 costs about 10,000", () => {
      // 1 + 100 x (node 1 + agent 1 + inner connection 1 + 100 x node 1)
      assert.equal(costOf(NESTED).cost, 1 + 100 * (1 + 1 + 1 + 100));
      assert.equal(costOf("{ phoneNumbers { edges { node { id } } } }").cost, 1 + 20, "without first, the default page of 20");
      assert.equal(costOf("{ phoneNumbers(last: 7) { edges { node { id } } } }").cost, 1 + 7);
      assert.equal(costOf("{ phoneNumbers(first: 100000) { edges { node { id } } } }").cost, 1 + 100, "a page never holds more than 100");
    });

    test("variables count like literals", () => {
      assert.equal(costOf("query($n: Int) { agents(first: $n) { edges { node { id } } } }", { n: 40 }).cost, 1 + 40);
    });

    test("nodes(ids) costs its length; carrier calls cost far more than columns", () => {
      const ids = ["UGhvbmVOdW1iZXI6MDAwMDAwMDAtMDAwMC0wMDAwLTAwMDAtMDAwMDAwMDAwMDAw", "UGhvbmVOdW1iZXI6MDAwMDAwMDAtMDAwMC0wMDAwLTAwMDAtMDAwMDAwMDAwMDAx"];
      assert.equal(costOf("query($ids: [ID!]!) { nodes(ids: $ids) { id } }", { ids }).cost, 2);
      assert.equal(costOf("query($ids: [ID!]!) { nodes(ids: $ids) { id } }", { ids: Array(100).fill(ids[0]) }).cost, 100);
      // More than 100 ids are refused while the cost is computed: before execution, drawing no budget.
      assert.throws(() => costOf("query($ids: [ID!]!) { nodes(ids: $ids) { id } }", { ids: Array(101).fill(ids[0]) }), /at most 100 ids \(got 101\)/);
      assert.equal(costOf("{ availablePhoneNumbers(limit: 5) { e164 } }").cost, 100);
      assert.equal(costOf("{ carrierReconciliation { __typename } }").cost, 500 + 1, "__typename, like any field of an object, costs 1");
      assert.equal(costOf("{ viewer { scopes } }").cost, 1, "a column costs nothing, an object 1");
    });

    test("carrier-spending mutations count their units for the carrier budget", () => {
      const provision = costOf('mutation { provisionPhoneNumbers(input: { quantity: 3, areaCode: "415", idempotencyKey: "k" }) { __typename } }');
      assert.equal(provision.carrierUnits, 3);
      assert.equal(provision.cost, 300 + 1);
      const send = costOf('mutation { a: sendMessage(input: { phoneNumberId: "x", to: "+14155550100", body: "hi", idempotencyKey: "1" }) { __typename } b: sendMessage(input: { phoneNumberId: "x", to: "+14155550100", body: "hi", idempotencyKey: "2" }) { __typename } }');
      assert.equal(send.carrierUnits, 2);
      assert.equal(costOf('mutation { createAgent(input: { name: "a" }) { __typename } }').carrierUnits, 0);
    });

    test("fragments spread many times are measured in linear time, and count every time", () => {
      // 2^20 fields through 20 levels of fragments spread twice: measured at once, not expanded.
      const levels = 20;
      const fragments = Array.from({ length: levels }, (_, i) => `fragment F${i} on Query { ...F${i + 1} ...F${i + 1} }`).join("\n");
      const started = performance.now();
      const measured = costOf(`{ ...F0 }\n${fragments}\nfragment F${levels} on Query { viewer { scopes } }`);
      assert.ok(performance.now() - started < 1_000);
      assert.equal(measured.breadth, 2 ** levels * 2);
    });

    test("the dashboard query of the README costs what the README says", () => {
      // 1 + 50 x (totalCount 2 + facets 1 + node 1 + agent 1 + its phoneNumbers (1 + 5 x totalCount 2) + setupStatus 1 + issues 1):
      // a connection's own fields are counted once per item of its page, an overestimate on the safe side.
      assert.equal(costOf(DASHBOARD).cost, 901);
    });
  });

  describe("through the API", () => {
    test("an operation over the cost limit is refused with its cost and the limit, and runs no SQL", async () => {
      const org = await createOrganization("cost");
      await rawRequest(org.secret, "{ viewer { scopes } }"); // the key is looked up once, then cached
      let response!: Awaited<ReturnType<typeof rawRequest>>;
      const statements = await statementsDuring(async () => (response = await rawRequest(org.secret, NESTED)));
      assert.deepEqual(response.body.errors?.[0]?.extensions, { code: "COST_LIMIT_EXCEEDED", cost: 10_301, limit: 10_000 });
      assert.equal(response.body.data, undefined);
      assert.deepEqual(statements, [], "refused before any resolver ran");
    });

    test("every admitted response tells its cost and the key's remaining budget", async () => {
      const org = await createOrganization("budget-headers");
      const first = await rawRequest(org.secret, DASHBOARD);
      assert.equal(first.status, 200);
      assert.equal(first.headers.get("operation-cost"), "901");
      const limit = Number(first.headers.get("ratelimit-limit"));
      assert.equal(Number(first.headers.get("ratelimit-remaining")), limit - 901);
      assert.equal(first.headers.get("ratelimit-policy"), `${limit};w=60`);
      const second = await rawRequest(org.secret, "{ viewer { scopes } }");
      assert.equal(Number(second.headers.get("ratelimit-remaining")), limit - 901 - 10, "the smallest request still draws 10");
    });

    test("nodes takes at most 100 ids", async () => {
      const org = await createOrganization("nodes-limit");
      await rawRequest(org.secret, "{ viewer { scopes } }");
      const id = "UGhvbmVOdW1iZXI6MDAwMDAwMDAtMDAwMC0wMDAwLTAwMDAtMDAwMDAwMDAwMDAw";
      const ok = await rawRequest(org.secret, "query($ids: [ID!]!) { nodes(ids: $ids) { id } }", { ids: Array(100).fill(id) });
      assert.equal(ok.body.data?.nodes.length, 100);
      let refused!: Awaited<ReturnType<typeof rawRequest>>;
      const statements = await statementsDuring(async () => (refused = await rawRequest(org.secret, "query($ids: [ID!]!) { nodes(ids: $ids) { id } }", { ids: Array(101).fill(id) })));
      assert.equal(refused.body.errors?.[0]?.extensions?.code, "BAD_USER_INPUT");
      assert.match(refused.body.errors?.[0]?.message ?? "", /at most 100 ids \(got 101\)/);
      assert.deepEqual(statements, []);
    });

    test("a query past its deadline gets TIMEOUT, and the statements it still had to run never run", async () => {
      const env = await getEnvironment();
      const org = await createOrganization("deadline");
      const sandbox = env.switchboard.services.carriers.sandbox;
      const limits = env.config.limits;
      const timeoutMs = limits.timeoutMs;
      // The carrier answers after 280 ms (within its own 300 ms deadline); the query's deadline is 50 ms.
      // availablePhoneNumbers then reads which of the offered numbers are in use: that read must not happen.
      limits.timeoutMs = 50;
      sandbox.faults.latencyMs = 280;
      try {
        let response!: Awaited<ReturnType<typeof rawRequest>>;
        const started = performance.now();
        let answeredAfter = 0;
        const statements = await statementsDuring(async () => {
          response = await rawRequest(org.secret, '{ availablePhoneNumbers(areaCode: "415", limit: 3) { e164 } }');
          answeredAfter = performance.now() - started;
          await new Promise((resolve) => setTimeout(resolve, 500)); // the carrier answers meanwhile
        });
        assert.equal(response.body.errors?.[0]?.extensions?.code, "TIMEOUT");
        assert.ok(answeredAfter < 280, `answered at the deadline, before the carrier (${answeredAfter.toFixed(0)} ms)`);
        assert.deepEqual(statements.filter((sql) => /PhoneNumber/.test(sql)), [], "no statement ran after the deadline");
      } finally {
        limits.timeoutMs = timeoutMs;
        sandbox.faults.latencyMs = 0;
      }
      // Without the deadline the same query runs that read.
      const statements = await statementsDuring(() => rawRequest(org.secret, '{ availablePhoneNumbers(areaCode: "415", limit: 3) { e164 } }'));
      assert.ok(statements.some((sql) => /PhoneNumber/.test(sql)));
    });
  });
});
