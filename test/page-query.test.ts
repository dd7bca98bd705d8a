import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { loadPhoneNumberPage, plannedShape, type PlannedQuery } from "../src/numbers/page-query.ts";
import { createOrganization, getEnvironment, sendRaw, statementsDuring } from "./helpers/harness.ts";
import { NUMBER_ORDERS, numberFilters, seedNumberMix } from "./helpers/number-mix.ts";

// The one-statement page (src/numbers/page-query.ts) against the generic path it replaces: Prisma's
// findMany with the same where, order, cursor, skip, take and includes. Same rows, same order, the
// same values (Dates, JSON, arrays, enums, the agent and its count), for every filter and order and
// from several cursor positions, and never another organization's number.

const AGENT_WITH_COUNT = { include: { _count: { select: { phoneNumbers: { where: { status: { not: "RELEASED" } } } } } } } as const;

const seed = () => seedNumberMix("page-query", 60);

describe("one-statement phone-number pages", () => {
  test("the shapes it answers, and the ones it leaves to the generic path", () => {
    assert.deepEqual(plannedShape({ include: { agent: true }, take: 101, skip: 0 }), { agent: "row" });
    assert.deepEqual(plannedShape({ take: 11 }), { agent: "none" });
    assert.deepEqual(plannedShape({ include: { agent: { select: { status: true } } }, take: 11 }), { agent: "row" }, "setupStatus alone");
    assert.deepEqual(plannedShape({ include: { agent: AGENT_WITH_COUNT }, take: 6, skip: 1, cursor: { id: "x" } }), { agent: "rowWithCount" });
    assert.equal(plannedShape({ include: { agent: true }, take: -11 }), undefined, "a `last` page");
    assert.equal(plannedShape({ include: { agent: true, messages: { take: 5 } }, take: 11 }), undefined, "a nested list");
    assert.equal(plannedShape({ select: { id: true }, take: 11 }), undefined);
    assert.equal(plannedShape({ include: { agent: { include: { phoneNumbers: true } } }, take: 11 }), undefined);
  });

  test("same rows, order, values and counts as Prisma's findMany for every filter, order and cursor", async () => {
    const { prisma } = (await getEnvironment()).switchboard.database;
    const numbers = (await getEnvironment()).switchboard.services.numbers;
    const { org, agents, prefix } = await seed();
    const caller = { organizationId: org.id } as Parameters<typeof numbers.where>[0];
    const filters = numberFilters(prefix, agents[1]!);
    const orders = NUMBER_ORDERS;
    let compared = 0;
    for (const filter of filters) {
      const where = numbers.where(caller, filter);
      for (const orderBy of orders) {
        const all = await prisma.phoneNumber.findMany({ where, orderBy: numbers.orderBy(orderBy), select: { id: true } });
        // From the start, from a cursor in the middle, from the last row, and past a vanished cursor.
        const cursors = [undefined, all[Math.floor(all.length / 2)]?.id, all.at(-1)?.id, "00000000-0000-4000-8000-000000000000"];
        for (const cursorId of [...new Set(cursors)]) {
          for (const agent of [undefined, true, AGENT_WITH_COUNT] as const) {
            const query: PlannedQuery = {
              ...(agent ? { include: { agent } } : {}),
              take: 7,
              skip: cursorId ? 1 : 0,
              ...(cursorId ? { cursor: { id: cursorId } } : {}),
            };
            const expected = await prisma.phoneNumber.findMany({ ...(query as object), where, orderBy: numbers.orderBy(orderBy) });
            const page = await loadPhoneNumberPage(prisma, org.id, { filter, orderBy }, query, { totalCount: true, verificationStatus: true, columns: "all" });
            const label = JSON.stringify({ filter, orderBy, cursorId, agent: Boolean(agent) });
            assert.deepEqual(page.rows, expected, label);
            assert.equal(page.totalCount, await prisma.phoneNumber.count({ where }), label);
            assert.deepEqual(page.verificationStatus, { tenDlc: "MISSING", tollFree: "MISSING" });
            compared++;
          }
        }
      }
    }
    console.log(`  ${compared} pages compared`);
    assert.ok(compared > 1000);
  });

  test("never another organization's numbers, even from a cursor of theirs", async () => {
    const { prisma } = (await getEnvironment()).switchboard.database;
    const { org } = await seed();
    const other = await createOrganization("page-query-intruder");
    const theirs = await prisma.phoneNumber.findFirstOrThrow({ where: { organizationId: org.id } });
    for (const cursor of [undefined, { id: theirs.id }]) {
      const page = await loadPhoneNumberPage(prisma, other.id, {}, { take: 50, skip: cursor ? 1 : 0, ...(cursor ? { cursor } : {}) }, { totalCount: true, verificationStatus: false, columns: "all" });
      assert.deepEqual(page.rows, []);
      assert.equal(page.totalCount, 0);
    }
  });

  test("through the API: each field of a number, alone and all together, answers the same on the one-statement page as on the generic path", async () => {
    const { prisma } = (await getEnvironment()).switchboard.database;
    const { org } = await seed();
    // Trunks with credentials, a campaign and prices, so every nested object has something to show.
    await prisma.phoneNumber.updateMany({
      where: { organizationId: org.id, source: "SIP_TRUNK" },
      data: { inboundTrunkAuthUsername: "in-user", inboundTrunkAuthPassword: "cipher", outboundTrunkAddresses: ["out.example.com"], outboundTrunkIpAuthentication: true, smsCampaignId: "C1", upfrontPriceCents: 150 },
    });
    const trunk = "addresses transport mediaEncryption authUsername hasCredentials allowedSourceIps";
    // Each field alone: a column a field reads but does not declare shows as a difference.
    const fields = [
      "__typename", "id", "e164", "label", "source", "carrier", "carrierResourceId", "country", "capabilities { voice sms mms }", "direction",
      "supportsInbound", "supportsOutbound", "agent { id name status phoneNumbers(first: 2) { totalCount } }", "dispatchMetadataTemplate",
      "forwardingConfirmedAt", `inboundTrunk { ${trunk} }`, `outboundTrunk { ${trunk} ipAuthentication }`, "smsCampaign { campaignId status updatedAt }",
      "billing { includedInPlan monthlyPriceCents upfrontPriceCents nextChargeAt lastChargeAt suspendedAt }", "status",
      "setupStatus { status inboundReady outboundReady agentReady smsReady forwardingRequired sipConnectionReady issues { code message field } }",
      "createdAt", "updatedAt", "releasedAt",
    ];
    // A nested list is a shape the one-statement page leaves to the generic path: the same query
    // with each number's messages is answered by Prisma, and must say the same about everything else.
    const page = (selection: string) => `query Page($after: String) { phoneNumbers(first: 25, after: $after, filter: { released: INCLUDE }, orderBy: { field: LABEL, direction: ASC }) {
      totalCount pageInfo { hasNextPage endCursor } edges { cursor node { ${selection} } } } }`;
    type Page = { data?: { phoneNumbers: { pageInfo: { endCursor: string | null; hasNextPage: boolean }; edges: Array<{ node: Record<string, unknown> }> } } };
    await sendRaw(org.secret, "{ __typename }"); // the key's lookup is cached before statements are counted
    for (const selection of [...fields, fields.join(" ")]) {
      let after: string | null = null;
      let pages = 0;
      do {
        let fast: Page = {};
        const statements = await statementsDuring(async () => {
          fast = (await sendRaw(org.secret, page(selection), { after })).body as Page;
        });
        const generic = (await sendRaw(org.secret, page(`${selection} messages(first: 1) { totalCount }`), { after })).body as Page;
        for (const edge of generic.data?.phoneNumbers.edges ?? []) delete edge.node.messages;
        assert.ok(fast.data?.phoneNumbers.edges.length, JSON.stringify(fast));
        assert.deepEqual(fast, generic, selection);
        // (The test server's background jobs may run a statement of their own meanwhile.)
        const reads = statements.filter((sql) => sql.includes("PhoneNumber") || sql.includes("Agent"));
        assert.equal(reads.length, 1, reads.join("\n"));
        after = fast.data!.phoneNumbers.pageInfo.hasNextPage ? fast.data!.phoneNumbers.pageInfo.endCursor : null;
        pages++;
      } while (after);
      assert.equal(pages, 3);
    }
  });

  test("a page reads only the columns its selection needs", async () => {
    const { org } = await seed();
    await sendRaw(org.secret, "{ __typename }");
    // (The test server's background jobs may run statements of their own meanwhile: claims use SKIP LOCKED.)
    const statements = (await statementsDuring(() => sendRaw(org.secret, `{ phoneNumbers(first: 3) { edges { node { e164 label } } } }`))).filter(
      (sql) => sql.includes('"PhoneNumber"') && !sql.includes("SKIP LOCKED"),
    );
    assert.equal(statements.length, 1, statements.join("\n"));
    assert.doesNotMatch(statements[0]!, /row_to_json\(page\)|p\.\*|Trunk/, "no trunk columns, no whole rows");
    assert.match(statements[0]!, /p\."e164"/);
  });
});
