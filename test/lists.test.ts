import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { graphql } from "./generated/gql.ts";
import type {
  AgentFilter,
  AgentOrder,
  ListsAgentFieldsFragment,
  ListsNumberFieldsFragment,
  NumberDirection,
  PhoneNumberFilter,
  PhoneNumberOrder,
  PhoneNumberOrderField,
} from "./generated/graphql.ts";
import { createOrganization, type TestOrganization } from "./helpers/harness.ts";
import { uniqueE164 } from "./helpers/numbers.ts";

// The list queries `phoneNumbers` and `agents` as a client uses them (design.md, "GraphQL
// conventions"): cursor pagination both ways, filters, sort orders with the id as the last key,
// totalCount and the facet counts of the filtered set.

graphql(`
  fragment ListsNumberFields on PhoneNumber {
    id
    e164
    label
    source
    status
    direction
    createdAt
    updatedAt
    releasedAt
    agent {
      id
    }
    billing {
      monthlyPriceCents
    }
  }
`);

graphql(`
  fragment ListsAgentFields on Agent {
    id
    name
    status
    createdAt
    updatedAt
  }
`);

const CreateAgent = graphql(`
  mutation ListsCreateAgent($input: CreateAgentInput!) {
    createAgent(input: $input) {
      __typename
      ... on CreateAgentSuccess {
        agent {
          ...ListsAgentFields
        }
      }
      ... on Error {
        message
        code
      }
    }
  }
`);

const CreateManualNumber = graphql(`
  mutation ListsCreateManualNumber($input: CreateManualPhoneNumberInput!) {
    createManualPhoneNumber(input: $input) {
      __typename
      ... on CreateManualPhoneNumberSuccess {
        phoneNumber {
          ...ListsNumberFields
        }
      }
      ... on Error {
        message
        code
      }
    }
  }
`);

const ImportSipNumber = graphql(`
  mutation ListsImportSipNumber($input: ImportSipTrunkPhoneNumberInput!) {
    importSipTrunkPhoneNumber(input: $input) {
      __typename
      ... on ImportSipTrunkPhoneNumberSuccess {
        phoneNumber {
          ...ListsNumberFields
        }
      }
      ... on Error {
        message
        code
      }
    }
  }
`);

const UpdateNumber = graphql(`
  mutation ListsUpdateNumber($input: UpdatePhoneNumberInput!) {
    updatePhoneNumber(input: $input) {
      __typename
      ... on UpdatePhoneNumberSuccess {
        phoneNumber {
          ...ListsNumberFields
        }
      }
      ... on Error {
        message
        code
      }
    }
  }
`);

const AssignNumber = graphql(`
  mutation ListsAssignNumber($input: AssignPhoneNumberInput!) {
    assignPhoneNumber(input: $input) {
      __typename
      ... on AssignPhoneNumberSuccess {
        phoneNumber {
          ...ListsNumberFields
        }
      }
      ... on Error {
        message
        code
      }
    }
  }
`);

const ReleaseNumber = graphql(`
  mutation ListsReleaseNumber($input: ReleasePhoneNumberInput!) {
    releasePhoneNumber(input: $input) {
      __typename
      ... on ReleasePhoneNumberSuccess {
        phoneNumber {
          ...ListsNumberFields
        }
      }
      ... on Error {
        message
        code
      }
    }
  }
`);

const Numbers = graphql(`
  query ListsNumbers(
    $first: Int
    $after: String
    $last: Int
    $before: String
    $filter: PhoneNumberFilter
    $orderBy: PhoneNumberOrder
  ) {
    phoneNumbers(first: $first, after: $after, last: $last, before: $before, filter: $filter, orderBy: $orderBy) {
      totalCount
      pageInfo {
        hasNextPage
        hasPreviousPage
        startCursor
        endCursor
      }
      edges {
        cursor
        node {
          ...ListsNumberFields
        }
      }
    }
  }
`);

const NumberFacets = graphql(`
  query ListsNumberFacets($first: Int, $after: String, $filter: PhoneNumberFilter) {
    phoneNumbers(first: $first, after: $after, filter: $filter) {
      totalCount
      pageInfo {
        hasNextPage
        endCursor
      }
      edges {
        node {
          id
        }
      }
      facets {
        byStatus {
          status
          count
        }
        bySource {
          source
          count
        }
        assigned
        unassigned
      }
    }
  }
`);

const Agents = graphql(`
  query ListsAgents($first: Int, $after: String, $last: Int, $before: String, $filter: AgentFilter, $orderBy: AgentOrder) {
    agents(first: $first, after: $after, last: $last, before: $before, filter: $filter, orderBy: $orderBy) {
      totalCount
      pageInfo {
        hasNextPage
        hasPreviousPage
        startCursor
        endCursor
      }
      edges {
        cursor
        node {
          ...ListsAgentFields
        }
      }
    }
  }
`);

type NumberNode = ListsNumberFieldsFragment;
type AgentNode = ListsAgentFieldsFragment;

// ---- Helpers ---------------------------------------------------------------------------------

/** The payload narrowed to the expected union member; fails with the payload when it is another. */
function expectType<T extends { __typename: string }, N extends T["__typename"]>(payload: T, typename: N): Extract<T, { __typename: N }> {
  assert.equal(payload.__typename, typename, `expected ${typename}, got ${JSON.stringify(payload)}`);
  return payload as Extract<T, { __typename: N }>;
}

async function createAgent(org: TestOrganization, name: string, status: "ACTIVE" | "PAUSED" = "ACTIVE"): Promise<AgentNode> {
  const data = await org.client.data(CreateAgent, { input: { name, status } });
  return expectType(data.createAgent, "CreateAgentSuccess").agent;
}

interface NumberSpec {
  source?: "MANUAL" | "SIP_TRUNK";
  e164?: string;
  label?: string;
  direction?: NumberDirection;
  agentId?: string;
}

async function createNumber(org: TestOrganization, spec: NumberSpec = {}): Promise<NumberNode> {
  const input = { e164: spec.e164 ?? uniqueE164(), label: spec.label, direction: spec.direction, agentId: spec.agentId };
  if (spec.source === "SIP_TRUNK") {
    const data = await org.client.data(ImportSipNumber, { input });
    return expectType(data.importSipTrunkPhoneNumber, "ImportSipTrunkPhoneNumberSuccess").phoneNumber;
  }
  const data = await org.client.data(CreateManualNumber, { input });
  return expectType(data.createManualPhoneNumber, "CreateManualPhoneNumberSuccess").phoneNumber;
}

async function setPrice(org: TestOrganization, id: string, monthlyPriceCents: number): Promise<NumberNode> {
  const data = await org.client.data(UpdateNumber, { input: { id, billing: { monthlyPriceCents } } });
  return expectType(data.updatePhoneNumber, "UpdatePhoneNumberSuccess").phoneNumber;
}

async function assign(org: TestOrganization, phoneNumberId: string, agentId: string): Promise<NumberNode> {
  const data = await org.client.data(AssignNumber, { input: { phoneNumberId, agentId } });
  return expectType(data.assignPhoneNumber, "AssignPhoneNumberSuccess").phoneNumber;
}

async function release(org: TestOrganization, id: string): Promise<NumberNode> {
  const data = await org.client.data(ReleaseNumber, { input: { id } });
  const released = expectType(data.releasePhoneNumber, "ReleasePhoneNumberSuccess").phoneNumber;
  assert.equal(released.status, "RELEASED");
  return released;
}

/** A number starting with `prefix` whose digits contain none of `avoid` (so a search cannot hit it by chance). */
function e164Avoiding(prefix: string | undefined, ...avoid: string[]): string {
  for (;;) {
    const e164 = uniqueE164(prefix);
    if (!avoid.some((digits) => e164.slice(1).includes(digits))) return e164;
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface PageArgs {
  first?: number;
  after?: string;
  last?: number;
  before?: string;
}
interface Page<N> {
  totalCount: number;
  pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor?: string | null; endCursor?: string | null };
  edges: Array<{ cursor: string; node: N }>;
}

async function numbersPage(org: TestOrganization, args: PageArgs & { filter?: PhoneNumberFilter; orderBy?: PhoneNumberOrder }): Promise<Page<NumberNode>> {
  const data = await org.client.data(Numbers, args);
  assert.ok(data.phoneNumbers, "phoneNumbers is null");
  return data.phoneNumbers;
}

async function agentsPage(org: TestOrganization, args: PageArgs & { filter?: AgentFilter; orderBy?: AgentOrder }): Promise<Page<AgentNode>> {
  const data = await org.client.data(Agents, args);
  assert.ok(data.agents, "agents is null");
  return data.agents;
}

/** The whole filtered list in one page (the lists here are far below the 100-row page limit). */
async function allNumbers(org: TestOrganization, filter?: PhoneNumberFilter, orderBy?: PhoneNumberOrder): Promise<NumberNode[]> {
  const page = await numbersPage(org, { first: 100, filter, orderBy });
  assert.equal(page.pageInfo.hasNextPage, false);
  assert.equal(page.totalCount, page.edges.length, "totalCount of a complete page");
  return page.edges.map((edge) => edge.node);
}

/** Walks `first/after` pages from the start, checking every page's size, pageInfo and totalCount. */
async function walkForward<N>(fetch: (args: PageArgs) => Promise<Page<N>>, size: number, total: number): Promise<N[]> {
  const nodes: N[] = [];
  let after: string | undefined;
  for (let pages = 1; ; pages++) {
    assert.ok(pages <= total + 1, "forward pagination does not end");
    const page = await fetch({ first: size, after });
    const where = `forward page ${pages} (size ${size})`;
    assert.equal(page.totalCount, total, `${where}: totalCount`);
    assert.equal(page.edges.length, Math.min(size, total - nodes.length), `${where}: number of edges`);
    if (pages === 1) assert.equal(page.pageInfo.hasPreviousPage, false, `${where}: hasPreviousPage on the first page`);
    nodes.push(...page.edges.map((edge) => edge.node));
    assert.equal(page.pageInfo.hasNextPage, nodes.length < total, `${where}: hasNextPage`);
    if (page.edges.length > 0) {
      assert.equal(page.pageInfo.startCursor, page.edges[0]!.cursor, `${where}: startCursor`);
      assert.equal(page.pageInfo.endCursor, page.edges.at(-1)!.cursor, `${where}: endCursor`);
    }
    if (!page.pageInfo.hasNextPage) return nodes;
    after = page.pageInfo.endCursor ?? undefined;
    assert.ok(after, `${where}: endCursor`);
  }
}

/** Walks `last/before` pages from the end; returns the nodes in list order (first to last). */
async function walkBackward<N>(fetch: (args: PageArgs) => Promise<Page<N>>, size: number, total: number): Promise<N[]> {
  let nodes: N[] = [];
  let before: string | undefined;
  for (let pages = 1; ; pages++) {
    assert.ok(pages <= total + 1, "backward pagination does not end");
    const page = await fetch({ last: size, before });
    const where = `backward page ${pages} (size ${size})`;
    assert.equal(page.totalCount, total, `${where}: totalCount`);
    assert.equal(page.edges.length, Math.min(size, total - nodes.length), `${where}: number of edges`);
    if (pages === 1) assert.equal(page.pageInfo.hasNextPage, false, `${where}: hasNextPage on the last page`);
    nodes = [...page.edges.map((edge) => edge.node), ...nodes];
    assert.equal(page.pageInfo.hasPreviousPage, nodes.length < total, `${where}: hasPreviousPage`);
    if (page.edges.length > 0) {
      assert.equal(page.pageInfo.startCursor, page.edges[0]!.cursor, `${where}: startCursor`);
      assert.equal(page.pageInfo.endCursor, page.edges.at(-1)!.cursor, `${where}: endCursor`);
    }
    if (!page.pageInfo.hasPreviousPage) return nodes;
    before = page.pageInfo.startCursor ?? undefined;
    assert.ok(before, `${where}: startCursor`);
  }
}

/**
 * Pages through a list forwards and backwards in several page sizes: every walk must give exactly
 * `expected` (the complete list, fetched in one page), in the same order, without duplicates.
 */
async function assertPaginates<N extends { id: string }>(
  fetch: (args: PageArgs) => Promise<Page<N>>,
  expected: N[],
  sizes: { forward: number[]; backward: number[] },
  what: string,
): Promise<void> {
  const expectedIds = expected.map((node) => node.id);
  assert.equal(new Set(expectedIds).size, expectedIds.length, `${what}: duplicate rows in the complete list`);
  for (const size of sizes.forward) {
    const forward = await walkForward(fetch, size, expected.length);
    assert.deepEqual(forward.map((node) => node.id), expectedIds, `${what}: forward walk, pages of ${size}`);
  }
  for (const size of sizes.backward) {
    const backward = await walkBackward(fetch, size, expected.length);
    assert.deepEqual(backward.map((node) => node.id), expectedIds, `${what}: backward walk, pages of ${size}`);
  }
}

/** The database id inside a global id (design.md: base64 of "<Type>:<uuid>"), the documented last sort key. */
function rawId(globalId: string): string {
  const [typename, id] = Buffer.from(globalId, "base64").toString("utf8").split(":");
  assert.ok(typename && id, `not a global id: ${globalId}`);
  return id.toLowerCase();
}

const compare = (a: string | number, b: string | number) => (a < b ? -1 : a > b ? 1 : 0);

/** Asserts the list is strictly ordered by (key, id) in `direction`: sorted, ties broken by the id. */
function assertSorted<N extends { id: string }>(nodes: N[], key: (node: N) => string | number, direction: "ASC" | "DESC", what: string) {
  for (let i = 1; i < nodes.length; i++) {
    const [a, b] = [nodes[i - 1]!, nodes[i]!];
    const order = compare(key(a), key(b)) || compare(rawId(a.id), rawId(b.id));
    assert.ok(
      (direction === "ASC" ? order : -order) < 0,
      `${what}: rows ${i - 1} and ${i} out of order: ${JSON.stringify(key(a))} (${a.id}) then ${JSON.stringify(key(b))} (${b.id})`,
    );
  }
}

/** The sort key of a phone number as the API returns it (an empty label is returned as null). */
const numberKeys: Record<PhoneNumberOrderField, (n: NumberNode) => string | number> = {
  CREATED_AT: (n) => Date.parse(n.createdAt),
  UPDATED_AT: (n) => Date.parse(n.updatedAt),
  E164: (n) => n.e164,
  LABEL: (n) => n.label ?? "",
  MONTHLY_PRICE: (n) => {
    assert.ok(n.billing, "billing is readable with the all-scopes key");
    return n.billing.monthlyPriceCents;
  },
};

const sortedIds = (nodes: Array<{ id: string }>) => nodes.map((node) => node.id).sort();
const idsOf = (...nodes: Array<{ id: string }>) => sortedIds(nodes);

async function filteredIds(org: TestOrganization, filter: PhoneNumberFilter): Promise<string[]> {
  return sortedIds(await allNumbers(org, filter));
}

/** Facet counts in a stable order, without zero counts (a status or source nobody has may be omitted or 0). */
function normalizeFacets(facets: {
  byStatus: Array<{ status: string; count: number }>;
  bySource: Array<{ source: string; count: number }>;
  assigned: number;
  unassigned: number;
}) {
  const counts = <K extends string>(entries: Array<Record<K, string> & { count: number }>, key: K) =>
    Object.fromEntries(entries.filter((entry) => entry.count !== 0).map((entry) => [entry[key], entry.count]).sort(([a], [b]) => compare(String(a), String(b))));
  return {
    byStatus: counts(facets.byStatus, "status"),
    bySource: counts(facets.bySource, "source"),
    assigned: facets.assigned,
    unassigned: facets.unassigned,
  };
}

// ---- Tests -----------------------------------------------------------------------------------

describe("phoneNumbers list", () => {
  test("pages forward and backward through every sort order, ties broken by the id", async () => {
    const org = await createOrganization("lists-order");
    // Labels and prices with ties: three "alpha", two "bravo", two "delta", two without a label;
    // prices 0 (the default) x3, 500 x3, 1200 x2, 300 x1, 99 x1.
    const specs: Array<{ label?: string; price?: number; source?: "SIP_TRUNK" }> = [
      { label: "bravo", price: 500 },
      { label: "alpha" },
      { label: "delta", price: 1200, source: "SIP_TRUNK" },
      { label: "alpha", price: 500 },
      {},
      { label: "charlie", price: 300, source: "SIP_TRUNK" },
      { label: "alpha", price: 1200 },
      { label: "delta" },
      { price: 500, source: "SIP_TRUNK" },
      { label: "bravo", price: 99 },
    ];
    const created: NumberNode[] = [];
    for (const spec of specs) created.push(await createNumber(org, { label: spec.label, source: spec.source }));
    // A released number is never in the default list, so never in a page or the totalCount.
    const released = await release(org, (await createNumber(org, { label: "alpha" })).id);
    // Prices set in another order than creation, so UPDATED_AT differs from CREATED_AT.
    for (const i of [6, 0, 3, 9, 2, 5, 8]) await setPrice(org, created[i]!.id, specs[i]!.price!);

    const complete = await allNumbers(org);
    assert.equal(complete.length, specs.length);
    assert.ok(!complete.some((n) => n.id === released.id), "the released number is excluded by default");

    // The ties the test relies on are really there.
    const prices = complete.map((n) => numberKeys.MONTHLY_PRICE(n));
    assert.equal(prices.filter((p) => p === 500).length, 3);
    assert.equal(prices.filter((p) => p === 0).length, 3);
    assert.equal(complete.filter((n) => n.label === "alpha").length, 3);
    assert.equal(complete.filter((n) => n.label === null).length, 2);

    // Default order: CREATED_AT DESC.
    const createdDesc = await allNumbers(org, undefined, { field: "CREATED_AT", direction: "DESC" });
    assert.deepEqual(complete.map((n) => n.id), createdDesc.map((n) => n.id), "the default order is CREATED_AT DESC");

    for (const field of ["CREATED_AT", "UPDATED_AT", "E164", "LABEL", "MONTHLY_PRICE"] as const) {
      for (const direction of ["ASC", "DESC"] as const) {
        const what = `${field} ${direction}`;
        const orderBy = { field, direction };
        const list = await allNumbers(org, undefined, orderBy);
        assert.deepEqual(sortedIds(list), sortedIds(complete), `${what}: the same rows as the default order`);
        assertSorted(list, numberKeys[field], direction, what);
        const tieHeavy = field === "LABEL" || field === "MONTHLY_PRICE";
        await assertPaginates(
          (args) => numbersPage(org, { ...args, orderBy }),
          list,
          // Pages of 5 end exactly on the last row; pages of 1 cross every tie boundary.
          tieHeavy ? { forward: [1, 3, 5, 10], backward: [1, 4, 5, 10] } : { forward: [3], backward: [4] },
          what,
        );
      }
    }

    // Paging a filtered list: totalCount is the filtered total, with ties in the label.
    const filter: PhoneNumberFilter = { sources: ["MANUAL"] };
    const orderBy: PhoneNumberOrder = { field: "LABEL", direction: "DESC" };
    const manual = await allNumbers(org, filter, orderBy);
    assert.equal(manual.length, specs.filter((spec) => spec.source !== "SIP_TRUNK").length);
    assert.ok(manual.every((n) => n.source === "MANUAL"));
    assertSorted(manual, numberKeys.LABEL, "DESC", "MANUAL by LABEL DESC");
    await assertPaginates((args) => numbersPage(org, { ...args, filter, orderBy }), manual, { forward: [2], backward: [3] }, "MANUAL by LABEL DESC");
  });

  test("text matches the digits with or without + and the label, case-insensitively", async () => {
    const org = await createOrganization("lists-text");
    // Two numbers share area code and exchange (415 + a random exchange); a third shares the area
    // code only; the others avoid the searched digits entirely.
    const shared = uniqueE164("+1415").slice(0, 8); // "+1415XYZ"
    const exchange = shared.slice(2); // "415XYZ"
    const a = await createNumber(org, { e164: uniqueE164(shared), label: "Main line" });
    const b = await createNumber(org, { e164: uniqueE164(shared), source: "SIP_TRUNK" });
    const c = await createNumber(org, { e164: e164Avoiding("+1415", exchange) });
    const frontDesk = await createNumber(org, { e164: e164Avoiding("+1212", "415", "1415"), label: "Front Desk Main" });
    const frontDeskBackup = await createNumber(org, { e164: e164Avoiding("+1646", "415", "1415"), label: "FRONT DESK backup", source: "SIP_TRUNK" });
    const suite = await createNumber(org, { e164: e164Avoiding("+1312", "415", "1415"), label: "Suite 415" });
    const released = await createNumber(org, { e164: e164Avoiding("+1415", exchange), label: "old front desk" });
    await release(org, released.id);

    const all = [a, b, c, frontDesk, frontDeskBackup, suite];
    const area415 = idsOf(a, b, c);
    assert.deepEqual(await filteredIds(org, {}), sortedIds(all));

    // Digits: with and without "+", with the country code, and as a person types them.
    assert.deepEqual(await filteredIds(org, { text: exchange }), idsOf(a, b), `text ${exchange}`);
    assert.deepEqual(await filteredIds(org, { text: `+1${exchange}` }), idsOf(a, b), `text +1${exchange}`);
    assert.deepEqual(await filteredIds(org, { text: `(415) ${exchange.slice(3)}` }), idsOf(a, b), "text (415) XYZ");
    assert.deepEqual(await filteredIds(org, { text: "+1415" }), area415, "text +1415");
    assert.deepEqual(await filteredIds(org, { text: "1415" }), area415, "text 1415");
    assert.deepEqual(await filteredIds(org, { text: a.e164 }), idsOf(a), "the whole E.164");
    assert.deepEqual(await filteredIds(org, { text: a.e164.slice(1) }), idsOf(a), "the whole number without +");
    // "415" is in the digits of the 415 numbers and in the label "Suite 415".
    assert.deepEqual(await filteredIds(org, { text: "415" }), idsOf(a, b, c, suite), "text 415");

    // Labels, case-insensitive substrings.
    assert.deepEqual(await filteredIds(org, { text: "front desk" }), idsOf(frontDesk, frontDeskBackup), "text front desk");
    assert.deepEqual(await filteredIds(org, { text: "DESK" }), idsOf(frontDesk, frontDeskBackup), "text DESK");
    assert.deepEqual(await filteredIds(org, { text: "main" }), idsOf(a, frontDesk), "text main");
    assert.deepEqual(await filteredIds(org, { text: "Suite 4" }), idsOf(suite), "text Suite 4 (letters: labels only)");
    assert.deepEqual(await filteredIds(org, { text: "Backup" }), idsOf(frontDeskBackup), "text Backup");

    // No match: an empty list with a zero count.
    const none = await numbersPage(org, { first: 10, filter: { text: "no such label" } });
    assert.equal(none.totalCount, 0);
    assert.deepEqual(none.edges, []);
    assert.equal(none.pageInfo.hasNextPage, false);

    // totalCount follows the text filter, and text combines with the other conditions.
    const page = await numbersPage(org, { first: 1, filter: { text: "+1415" } });
    assert.equal(page.totalCount, 3);
    assert.equal(page.edges.length, 1);
    assert.deepEqual(await filteredIds(org, { text: "+1415", sources: ["SIP_TRUNK"] }), idsOf(b));
    assert.deepEqual(await filteredIds(org, { text: "desk", released: "INCLUDE" }), idsOf(frontDesk, frontDeskBackup, released));
    assert.deepEqual(await filteredIds(org, { text: "desk", released: "ONLY" }), idsOf(released));
  });

  test("text is a literal substring: %, _ and \\ are not wildcards", async () => {
    const org = await createOrganization("lists-like");
    const percent = await createNumber(org, { label: "50% promo" });
    const fiveHundred = await createNumber(org, { label: "500 promo" });
    const underscore = await createNumber(org, { label: "desk_a" });
    const deskB = await createNumber(org, { label: "deskba" });
    const backslash = await createNumber(org, { label: "back\\slash" });
    assert.equal(backslash.label, "back\\slash");
    assert.deepEqual(await filteredIds(org, { text: "50%" }), idsOf(percent));
    assert.deepEqual(await filteredIds(org, { text: "%" }), idsOf(percent));
    assert.deepEqual(await filteredIds(org, { text: "_" }), idsOf(underscore));
    assert.deepEqual(await filteredIds(org, { text: "k_a" }), idsOf(underscore));
    assert.deepEqual(await filteredIds(org, { text: "\\" }), idsOf(backslash));
    assert.deepEqual(await filteredIds(org, { text: "promo" }), idsOf(percent, fiveHundred));
    assert.deepEqual(await filteredIds(org, { text: "desk" }), idsOf(underscore, deskB));

    const tier = await createAgent(org, "Tier_1");
    const tier21 = await createAgent(org, "Tier21");
    const agentIds = async (text: string) => sortedIds((await agentsPage(org, { first: 10, filter: { text } })).edges.map((edge) => edge.node));
    assert.deepEqual(await agentIds("_1"), idsOf(tier));
    assert.deepEqual(await agentIds("%"), []);
    assert.deepEqual(await agentIds("tier"), idsOf(tier, tier21));
  });

  test("filters by source, status, direction, agent, assignment and released state; facets count the filtered set", async () => {
    const org = await createOrganization("lists-filters");
    const [first, second, idle] = [await createAgent(org, "First"), await createAgent(org, "Second"), await createAgent(org, "Idle")];
    const m1 = await createNumber(org, { direction: "INBOUND", agentId: first.id });
    const m2 = await createNumber(org, { direction: "OUTBOUND" });
    const m3 = await createNumber(org, { direction: "BOTH" });
    const s1 = await createNumber(org, { source: "SIP_TRUNK", direction: "BOTH" });
    const s2 = await createNumber(org, { source: "SIP_TRUNK", direction: "INBOUND" });
    const gone1 = await createNumber(org, { direction: "BOTH", agentId: first.id });
    const gone2 = await createNumber(org, { source: "SIP_TRUNK", direction: "OUTBOUND" });
    assert.equal((await assign(org, m3.id, second.id)).agent?.id, second.id);
    assert.equal((await assign(org, s1.id, first.id)).agent?.id, first.id);
    // Releasing a number also unassigns it.
    assert.equal((await release(org, gone1.id)).agent, null);
    const releasedGone2 = await release(org, gone2.id);
    assert.ok(releasedGone2.releasedAt);

    const live = [m1, m2, m3, s1, s2];
    const released = [gone1, gone2];

    // released: EXCLUDE is the default.
    assert.deepEqual(await filteredIds(org, {}), sortedIds(live));
    assert.deepEqual(await filteredIds(org, { released: "EXCLUDE" }), sortedIds(live));
    assert.deepEqual(await filteredIds(org, { released: "INCLUDE" }), sortedIds([...live, ...released]));
    const onlyReleased = await allNumbers(org, { released: "ONLY" });
    assert.deepEqual(sortedIds(onlyReleased), sortedIds(released));
    assert.ok(onlyReleased.every((n) => n.status === "RELEASED" && n.releasedAt !== null));

    // sources
    assert.deepEqual(await filteredIds(org, { sources: ["MANUAL"] }), idsOf(m1, m2, m3));
    assert.deepEqual(await filteredIds(org, { sources: ["SIP_TRUNK"] }), idsOf(s1, s2));
    assert.deepEqual(await filteredIds(org, { sources: ["MANUAL", "SIP_TRUNK"] }), sortedIds(live));
    assert.deepEqual(await filteredIds(org, { sources: ["MANAGED"] }), []);
    assert.deepEqual(await filteredIds(org, { sources: ["SIP_TRUNK"], released: "INCLUDE" }), idsOf(s1, s2, gone2));

    // statuses (these mutations make ACTIVE and RELEASED numbers)
    assert.deepEqual(await filteredIds(org, { statuses: ["ACTIVE"] }), sortedIds(live));
    assert.deepEqual(await filteredIds(org, { statuses: ["PENDING", "SUSPENDED", "FAILED"] }), []);
    assert.deepEqual(await filteredIds(org, { statuses: ["RELEASED"], released: "INCLUDE" }), sortedIds(released));
    assert.deepEqual(await filteredIds(org, { statuses: ["ACTIVE"], released: "ONLY" }), [], "all conditions apply");
    assert.deepEqual(await filteredIds(org, { statuses: ["ACTIVE", "RELEASED"], released: "INCLUDE" }), sortedIds([...live, ...released]));

    // directions
    assert.deepEqual(await filteredIds(org, { directions: ["INBOUND"] }), idsOf(m1, s2));
    assert.deepEqual(await filteredIds(org, { directions: ["OUTBOUND"] }), idsOf(m2));
    assert.deepEqual(await filteredIds(org, { directions: ["OUTBOUND", "BOTH"] }), idsOf(m2, m3, s1));
    assert.deepEqual(await filteredIds(org, { directions: ["OUTBOUND"], released: "INCLUDE" }), idsOf(m2, gone2));

    // agentId
    assert.deepEqual(await filteredIds(org, { agentId: first.id }), idsOf(m1, s1));
    assert.deepEqual(await filteredIds(org, { agentId: second.id }), idsOf(m3));
    assert.deepEqual(await filteredIds(org, { agentId: idle.id }), []);
    // gone1 was first's until it was released, which unassigned it.
    assert.deepEqual(await filteredIds(org, { agentId: first.id, released: "INCLUDE" }), idsOf(m1, s1));
    // Another organization's agent: an empty list, as if the id did not exist.
    const other = await createOrganization("lists-filters-other");
    const foreignAgent = await createAgent(other, "Foreign");
    await createNumber(other, { agentId: foreignAgent.id });
    assert.deepEqual(await filteredIds(org, { agentId: foreignAgent.id }), []);

    // assigned
    assert.deepEqual(await filteredIds(org, { assigned: true }), idsOf(m1, m3, s1));
    assert.deepEqual(await filteredIds(org, { assigned: false }), idsOf(m2, s2));
    assert.deepEqual(await filteredIds(org, { assigned: false, released: "INCLUDE" }), idsOf(m2, s2, gone1, gone2));

    // Several conditions at once all apply.
    assert.deepEqual(await filteredIds(org, { sources: ["MANUAL"], assigned: true }), idsOf(m1, m3));
    assert.deepEqual(await filteredIds(org, { sources: ["SIP_TRUNK"], directions: ["BOTH"], agentId: first.id }), idsOf(s1));
    assert.deepEqual(await filteredIds(org, { sources: ["SIP_TRUNK"], directions: ["INBOUND"], assigned: true }), []);

    // Facets count the whole filtered set, whatever the page: first: 1, and a later page.
    const facets = async (filter: PhoneNumberFilter | undefined, after?: string) => {
      const data = await org.client.data(NumberFacets, { first: 1, after, filter });
      assert.ok(data.phoneNumbers);
      assert.ok(data.phoneNumbers.edges.length <= 1);
      return { page: data.phoneNumbers, facets: normalizeFacets(data.phoneNumbers.facets) };
    };
    const unfiltered = await facets(undefined);
    assert.equal(unfiltered.page.totalCount, 5);
    assert.equal(unfiltered.page.edges.length, 1);
    assert.deepEqual(unfiltered.facets, { byStatus: { ACTIVE: 5 }, bySource: { MANUAL: 3, SIP_TRUNK: 2 }, assigned: 3, unassigned: 2 });
    assert.ok(unfiltered.page.pageInfo.endCursor);
    const secondPage = await facets(undefined, unfiltered.page.pageInfo.endCursor);
    assert.equal(secondPage.page.edges.length, 1);
    assert.notEqual(secondPage.page.edges[0]!.node.id, unfiltered.page.edges[0]!.node.id);
    assert.deepEqual(secondPage.facets, unfiltered.facets, "facets do not depend on the cursor");

    assert.deepEqual((await facets({ released: "INCLUDE" })).facets, {
      byStatus: { ACTIVE: 5, RELEASED: 2 },
      bySource: { MANUAL: 4, SIP_TRUNK: 3 },
      assigned: 3,
      unassigned: 4,
    });
    assert.deepEqual((await facets({ released: "ONLY" })).facets, {
      byStatus: { RELEASED: 2 },
      bySource: { MANUAL: 1, SIP_TRUNK: 1 },
      assigned: 0,
      unassigned: 2,
    });
    assert.deepEqual((await facets({ sources: ["SIP_TRUNK"] })).facets, { byStatus: { ACTIVE: 2 }, bySource: { SIP_TRUNK: 2 }, assigned: 1, unassigned: 1 });
    assert.deepEqual((await facets({ directions: ["INBOUND", "OUTBOUND"] })).facets, {
      byStatus: { ACTIVE: 3 },
      bySource: { MANUAL: 2, SIP_TRUNK: 1 },
      assigned: 1,
      unassigned: 2,
    });
    assert.deepEqual((await facets({ agentId: first.id })).facets, { byStatus: { ACTIVE: 2 }, bySource: { MANUAL: 1, SIP_TRUNK: 1 }, assigned: 2, unassigned: 0 });
    assert.deepEqual((await facets({ assigned: false })).facets, { byStatus: { ACTIVE: 2 }, bySource: { MANUAL: 1, SIP_TRUNK: 1 }, assigned: 0, unassigned: 2 });
    const empty = await facets({ sources: ["MANAGED"] });
    assert.equal(empty.page.totalCount, 0);
    assert.deepEqual(empty.facets, { byStatus: {}, bySource: {}, assigned: 0, unassigned: 0 });
  });

  test("createdAfter (inclusive) and createdBefore (exclusive) bound the creation time", async () => {
    const org = await createOrganization("lists-created");
    for (let i = 0; i < 5; i++) {
      await createNumber(org);
      // Distinct creation times, so that a bound falls between rows (not a timing assertion).
      await sleep(5);
    }
    const list = await allNumbers(org, undefined, { field: "CREATED_AT", direction: "ASC" });
    assert.equal(list.length, 5);
    const times = list.map((n) => Date.parse(n.createdAt));
    assert.equal(new Set(times).size, 5, "creation times are distinct");
    const ids = list.map((n) => n.id);
    const at = (i: number) => list[i]!.createdAt;

    const inOrder = async (filter: PhoneNumberFilter) => (await allNumbers(org, filter, { field: "CREATED_AT", direction: "ASC" })).map((n) => n.id);
    assert.deepEqual(await inOrder({ createdAfter: at(2) }), ids.slice(2), "createdAfter includes its own instant");
    assert.deepEqual(await inOrder({ createdBefore: at(2) }), ids.slice(0, 2), "createdBefore excludes its own instant");
    assert.deepEqual(await inOrder({ createdAfter: at(1), createdBefore: at(4) }), ids.slice(1, 4));
    assert.deepEqual(await inOrder({ createdAfter: at(3), createdBefore: at(3) }), []);
    assert.deepEqual(await inOrder({ createdAfter: new Date(times[0]! - 60_000).toISOString() }), ids);
    assert.deepEqual(await inOrder({ createdAfter: new Date(times[4]! + 60_000).toISOString() }), []);
    assert.deepEqual(await inOrder({ createdBefore: new Date(times[0]! - 60_000).toISOString() }), []);
    // The same instant written with another UTC offset.
    const offset = new Date(times[2]! + 2 * 3_600_000).toISOString().replace("Z", "+02:00");
    assert.deepEqual(await inOrder({ createdAfter: offset }), ids.slice(2), "an offset time is the same instant");

    // totalCount and pagination follow the date filter.
    const filter = { createdAfter: at(1) };
    const orderBy: PhoneNumberOrder = { field: "CREATED_AT", direction: "ASC" };
    await assertPaginates((args) => numbersPage(org, { ...args, filter, orderBy }), list.slice(1), { forward: [3], backward: [3] }, "createdAfter");
  });

  test("a malformed agentId in the filter is a BAD_USER_INPUT error, not a server error", async () => {
    const org = await createOrganization("lists-bad-agent");
    const number = await createNumber(org);
    for (const agentId of ["not-an-id", Buffer.from("Agent:42").toString("base64"), number.id]) {
      for (const document of ["list", "facets"] as const) {
        const result =
          document === "list"
            ? await org.client.request(Numbers, { first: 5, filter: { agentId } })
            : await org.client.request(NumberFacets, { first: 1, filter: { agentId } });
        const what = `${document} with agentId ${agentId}`;
        assert.equal(result.status, 200, what);
        assert.equal(result.data ?? null, null, what);
        assert.ok(result.errors?.length, what);
        for (const error of result.errors) {
          assert.equal(error.extensions?.code, "BAD_USER_INPUT", `${what}: ${JSON.stringify(error)}`);
          assert.deepEqual(error.path, ["phoneNumbers"], what);
        }
      }
    }
  });
});

describe("agents list", () => {
  test("filters by status and name, sorts by NAME, CREATED_AT and UPDATED_AT, and pages both ways", async () => {
    const org = await createOrganization("lists-agents");
    const specs: Array<[string, "ACTIVE" | "PAUSED"]> = [
      ["Alpha Support", "ACTIVE"],
      ["Echo", "ACTIVE"],
      ["Charlie Sales", "PAUSED"],
      ["Bravo SUPPORT", "PAUSED"],
      ["Echo", "PAUSED"],
      ["Delta", "ACTIVE"],
      ["Foxtrot support", "ACTIVE"],
      ["Echo", "ACTIVE"],
    ];
    const agents: AgentNode[] = [];
    for (const [name, status] of specs) agents.push(await createAgent(org, name, status));
    const named = (...names: string[]) => sortedIds(agents.filter((agent) => names.includes(agent.name)));
    const allAgents = async (filter?: AgentFilter, orderBy?: AgentOrder) => {
      const page = await agentsPage(org, { first: 100, filter, orderBy });
      assert.equal(page.totalCount, page.edges.length);
      assert.equal(page.pageInfo.hasNextPage, false);
      return page.edges.map((edge) => edge.node);
    };
    const ids = async (filter: AgentFilter) => sortedIds(await allAgents(filter));

    // Filters.
    assert.deepEqual(await ids({}), sortedIds(agents));
    assert.deepEqual(await ids({ statuses: ["PAUSED"] }), sortedIds(agents.filter((a) => a.status === "PAUSED")));
    assert.equal(agents.filter((a) => a.status === "PAUSED").length, 3);
    assert.deepEqual(await ids({ statuses: ["ACTIVE", "PAUSED"] }), sortedIds(agents));
    assert.deepEqual(await ids({ text: "support" }), named("Alpha Support", "Bravo SUPPORT", "Foxtrot support"));
    assert.deepEqual(await ids({ text: "SUPPORT" }), named("Alpha Support", "Bravo SUPPORT", "Foxtrot support"));
    assert.deepEqual(await ids({ text: "port" }), named("Alpha Support", "Bravo SUPPORT", "Foxtrot support"));
    assert.deepEqual(await ids({ text: "echo" }), named("Echo"));
    assert.deepEqual(await ids({ text: "support", statuses: ["ACTIVE"] }), named("Alpha Support", "Foxtrot support"));
    assert.deepEqual(await ids({ text: "nobody" }), []);
    const filteredPage = await agentsPage(org, { first: 1, filter: { text: "support" } });
    assert.equal(filteredPage.totalCount, 3, "totalCount is the filtered total");
    assert.equal(filteredPage.edges.length, 1);

    // Default order: newest first.
    const complete = await allAgents();
    assert.equal(complete.length, specs.length);
    const createdDesc = await allAgents(undefined, { field: "CREATED_AT", direction: "DESC" });
    assert.deepEqual(complete.map((a) => a.id), createdDesc.map((a) => a.id), "the default order is CREATED_AT DESC");

    const keys = {
      NAME: (a: AgentNode) => a.name,
      CREATED_AT: (a: AgentNode) => Date.parse(a.createdAt),
      UPDATED_AT: (a: AgentNode) => Date.parse(a.updatedAt),
    };
    for (const field of ["NAME", "CREATED_AT", "UPDATED_AT"] as const) {
      for (const direction of ["ASC", "DESC"] as const) {
        const what = `agents ${field} ${direction}`;
        const orderBy = { field, direction };
        const list = await allAgents(undefined, orderBy);
        assert.deepEqual(sortedIds(list), sortedIds(agents), what);
        assertSorted(list, keys[field], direction, what);
        await assertPaginates(
          (args) => agentsPage(org, { ...args, orderBy }),
          list,
          field === "NAME" ? { forward: [1, 3, 4], backward: [1, 3, 4] } : { forward: [3], backward: [3] },
          what,
        );
      }
    }
    // Three agents named "Echo" tie on NAME; the id orders them the same way on every page.
    const byName = await allAgents(undefined, { field: "NAME", direction: "ASC" });
    assert.deepEqual(byName.map((a) => a.name), ["Alpha Support", "Bravo SUPPORT", "Charlie Sales", "Delta", "Echo", "Echo", "Echo", "Foxtrot support"]);

    // A filtered list pages with the filtered totalCount.
    const paused = await allAgents({ statuses: ["PAUSED"] }, { field: "NAME", direction: "DESC" });
    assert.deepEqual(paused.map((a) => a.name), ["Echo", "Charlie Sales", "Bravo SUPPORT"]);
    await assertPaginates(
      (args) => agentsPage(org, { ...args, filter: { statuses: ["PAUSED"] }, orderBy: { field: "NAME", direction: "DESC" } }),
      paused,
      { forward: [2], backward: [2] },
      "PAUSED agents by NAME DESC",
    );
  });
});
