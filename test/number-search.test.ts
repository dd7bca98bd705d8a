import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, afterEach, describe, test } from "node:test";
import { createApiKey } from "../src/apikeys/service.ts";
import { CarrierFailure } from "../src/carriers/adapter.ts";
import { TelnyxCarrier } from "../src/carriers/telnyx.ts";
import { keypadDigits, numberTypeOf, TOLL_FREE_AREA_CODES } from "../src/domain/number-type.ts";
import { graphql } from "./generated/gql.ts";
import type { NumberSearchQueryVariables as SearchVariables } from "./generated/graphql.ts";
import { startFakeTelnyx, type FakeTelnyx } from "./helpers/fake-telnyx.ts";
import { createOrganization, getEnvironment, startVariant, type VariantServer } from "./helpers/harness.ts";
import { uniqueE164 } from "./helpers/numbers.ts";
import { post } from "./helpers/processes.ts";

// Richer number search and toll-free numbers, as a customer uses them: search by type, place,
// vanity letters and nearness; buy a toll-free number like a local one; see each number's type.

const Search = graphql(`
  query NumberSearch(
    $country: String
    $areaCode: String
    $numberType: PhoneNumberType
    $contains: String
    $locality: String
    $region: String
    $postalCode: String
    $nearNumber: String
    $limit: Int
  ) {
    availablePhoneNumbers(
      country: $country
      areaCode: $areaCode
      numberType: $numberType
      contains: $contains
      locality: $locality
      region: $region
      postalCode: $postalCode
      nearNumber: $nearNumber
      limit: $limit
    ) {
      e164
      numberType
      locality
      region
      country
      monthlyCostCents
    }
  }
`);

const Buy = graphql(`
  mutation BuyNumber($input: ProvisionPhoneNumberInput!) {
    provisionPhoneNumber(input: $input) {
      __typename
      ... on ProvisionPhoneNumberSuccess {
        areaCodeFallback
        phoneNumber {
          id
          e164
          status
          source
          numberType
        }
      }
      ... on ValidationError {
        fieldErrors {
          path
          code
          message
        }
      }
      ... on CarrierError {
        reason
        message
      }
    }
  }
`);

const AddManual = graphql(`
  mutation AddManualNumber($input: CreateManualPhoneNumberInput!) {
    createManualPhoneNumber(input: $input) {
      __typename
      ... on CreateManualPhoneNumberSuccess {
        phoneNumber {
          id
          numberType
        }
      }
    }
  }
`);

const ListByType = graphql(`
  query NumbersByType($types: [PhoneNumberType!]) {
    phoneNumbers(first: 50, filter: { numberTypes: $types }) {
      totalCount
      edges {
        node {
          e164
          numberType
        }
      }
    }
  }
`);

type FieldErrorList = Array<{ path: string[]; code: string; message: string }>;

async function sandbox() {
  return (await getEnvironment()).switchboard.services.carriers.sandbox;
}

/** The field errors of a refused search (a query: BAD_USER_INPUT with extensions.fieldErrors). */
async function refusedSearch(org: Awaited<ReturnType<typeof createOrganization>>, variables: SearchVariables): Promise<FieldErrorList> {
  const result = await org.client.request(Search, variables);
  const error = result.errors?.[0] as { extensions?: { code?: string; fieldErrors?: FieldErrorList } } | undefined;
  assert.equal(error?.extensions?.code, "BAD_USER_INPUT", JSON.stringify(result));
  return error!.extensions!.fieldErrors!;
}

function bought<T extends { __typename: string }>(payload: T) {
  assert.equal(payload.__typename, "ProvisionPhoneNumberSuccess", JSON.stringify(payload));
  return payload as Extract<T, { __typename: "ProvisionPhoneNumberSuccess" }>;
}

describe("number search and toll-free numbers (sandbox)", () => {
  afterEach(async () => (await sandbox()).faults.refuse.clear());

  test("area code 800 and numberType TOLL_FREE list toll-free numbers that say so; local searches say LOCAL", async () => {
    const org = await createOrganization("tollfree-search");
    const byCode = (await org.client.data(Search, { areaCode: "800", limit: 5 })).availablePhoneNumbers;
    assert.equal(byCode.length, 5);
    for (const n of byCode) {
      assert.match(n.e164, /^\+1800[2-9]\d{6}$/);
      assert.deepEqual([n.numberType, n.country, n.locality, n.region], ["TOLL_FREE", "US", null, null]);
    }
    for (const code of TOLL_FREE_AREA_CODES) {
      const found = (await org.client.data(Search, { areaCode: code, limit: 1 })).availablePhoneNumbers;
      assert.equal(found[0]?.numberType, "TOLL_FREE", `area code ${code}`);
    }
    const byType = (await org.client.data(Search, { numberType: "TOLL_FREE", limit: 50 })).availablePhoneNumbers;
    assert.equal(byType.length, 50);
    assert.ok(byType.every((n) => n.numberType === "TOLL_FREE" && TOLL_FREE_AREA_CODES.some((c) => n.e164.startsWith(`+1${c}`))));
    assert.ok(byType.every((n) => n.monthlyCostCents === 200), "toll-free numbers cost 200 cents a month in the sandbox");

    const local = (await org.client.data(Search, { areaCode: "415", limit: 3 })).availablePhoneNumbers;
    assert.ok(local.every((n) => n.numberType === "LOCAL" && n.locality === "San Francisco" && n.region === "CA"));
    const localByType = (await org.client.data(Search, { numberType: "LOCAL", limit: 50 })).availablePhoneNumbers;
    assert.ok(localByType.every((n) => n.numberType === "LOCAL"));
    assert.deepEqual((await org.client.data(Search, { numberType: "MOBILE" })).availablePhoneNumbers, [], "the sandbox sells no mobile numbers");
    // Same query, same answer.
    assert.deepEqual((await org.client.data(Search, { areaCode: "800", limit: 5 })).availablePhoneNumbers, byCode);
  });

  test("a toll-free number is bought like a local one: ACTIVE with numberType TOLL_FREE, and the list filters by type", async () => {
    const org = await createOrganization("tollfree-buy");
    const [offer] = (await org.client.data(Search, { areaCode: "877", limit: 1 })).availablePhoneNumbers;
    const specific = bought((await org.client.data(Buy, { input: { e164: offer!.e164, idempotencyKey: `tf-${offer!.e164}` } })).provisionPhoneNumber);
    assert.deepEqual([specific.phoneNumber.e164, specific.phoneNumber.status, specific.phoneNumber.source, specific.phoneNumber.numberType], [offer!.e164, "ACTIVE", "MANAGED", "TOLL_FREE"]);

    const byCode = bought((await org.client.data(Buy, { input: { areaCode: "866" } })).provisionPhoneNumber);
    assert.match(byCode.phoneNumber.e164, /^\+1866/);
    assert.deepEqual([byCode.phoneNumber.status, byCode.phoneNumber.numberType, byCode.areaCodeFallback], ["ACTIVE", "TOLL_FREE", false]);

    const byType = bought((await org.client.data(Buy, { input: { numberType: "TOLL_FREE" } })).provisionPhoneNumber);
    assert.equal(byType.phoneNumber.numberType, "TOLL_FREE");

    // 855 has nothing left: the fallback buys another toll-free number, never a local one.
    const carrier = await sandbox();
    for (const n of (await org.client.data(Search, { areaCode: "855", limit: 50 })).availablePhoneNumbers) carrier.faults.refuse.add(n.e164);
    const fallback = bought((await org.client.data(Buy, { input: { areaCode: "855" } })).provisionPhoneNumber);
    assert.equal(fallback.areaCodeFallback, true);
    assert.equal(fallback.phoneNumber.numberType, "TOLL_FREE");
    assert.ok(TOLL_FREE_AREA_CODES.some((c) => fallback.phoneNumber.e164.startsWith(`+1${c}`)) && !fallback.phoneNumber.e164.startsWith("+1855"));
    const strict = (await org.client.data(Buy, { input: { areaCode: "855", allowAreaCodeFallback: false } })).provisionPhoneNumber;
    assert.equal(strict.__typename, "CarrierError");

    const local = bought((await org.client.data(Buy, { input: { areaCode: "512" } })).provisionPhoneNumber);
    assert.equal(local.phoneNumber.numberType, "LOCAL");

    // Imported numbers get their type from the number itself.
    const manualTollFree = await org.client.data(AddManual, { input: { e164: uniqueE164("+1833") } });
    const manualLocal = await org.client.data(AddManual, { input: { e164: uniqueE164("+1415") } });
    const typeOf = (r: typeof manualLocal) => (r.createManualPhoneNumber.__typename === "CreateManualPhoneNumberSuccess" ? r.createManualPhoneNumber.phoneNumber.numberType : r.createManualPhoneNumber.__typename);
    assert.deepEqual([typeOf(manualTollFree), typeOf(manualLocal)], ["TOLL_FREE", "LOCAL"]);

    const tollFree = (await org.client.data(ListByType, { types: ["TOLL_FREE"] })).phoneNumbers;
    assert.equal(tollFree.totalCount, 5);
    assert.ok(tollFree.edges.every((e) => e.node.numberType === "TOLL_FREE"));
    const localList = (await org.client.data(ListByType, { types: ["LOCAL"] })).phoneNumbers;
    assert.deepEqual(localList.edges.map((e) => e.node.numberType), ["LOCAL", "LOCAL"]);
    assert.equal((await org.client.data(ListByType, { types: ["MOBILE"] })).phoneNumbers.totalCount, 0);
    assert.equal((await org.client.data(ListByType, { types: null })).phoneNumbers.totalCount, 7);

    const { prisma } = (await getEnvironment()).switchboard.database;
    const rows = await prisma.phoneNumber.groupBy({ by: ["numberType"], where: { organizationId: org.id }, _count: true });
    assert.deepEqual(Object.fromEntries(rows.map((r) => [r.numberType, r._count])), { TOLL_FREE: 5, LOCAL: 2 });
  });

  test("locality, region and postal code return matching numbers only", async () => {
    const org = await createOrganization("place-search");
    const search = async (variables: SearchVariables) => (await org.client.data(Search, { limit: 50, ...variables })).availablePhoneNumbers;

    const sf = await search({ locality: "san francisco" });
    assert.ok(sf.length > 0 && sf.every((n) => n.e164.startsWith("+1415") && n.locality === "San Francisco" && n.region === "CA"));

    const texas = await search({ region: "tx" });
    assert.ok(texas.length > 0 && texas.every((n) => n.region === "TX"));
    assert.deepEqual([...new Set(texas.map((n) => n.e164.slice(2, 5)))].sort(), ["512", "713"], "the first 50 Texas numbers span Austin and Houston");

    const austin = await search({ postalCode: "78701" });
    assert.ok(austin.length > 0 && austin.every((n) => n.e164.startsWith("+1512") && n.locality === "Austin"));
    assert.deepEqual(await search({ postalCode: "78701-1234" }), austin, "a ZIP+4 searches its ZIP");

    // New York's 212 and 917 are sold out; the 646 overlay has numbers.
    const newYork = await search({ locality: "New York", region: "NY" });
    assert.ok(newYork.length > 0 && newYork.every((n) => n.e164.startsWith("+1646")));

    const toronto = await search({ country: "CA", postalCode: "m5v3l9" });
    assert.ok(toronto.length > 0 && toronto.every((n) => n.e164.startsWith("+1416") && n.locality === "Toronto" && n.region === "ON" && n.country === "CA"));
    const ontario = await search({ country: "CA", region: "ON" });
    assert.ok(ontario.some((n) => n.e164.startsWith("+1416")) && ontario.every((n) => n.region === "ON" && /^\+1(416|613)/.test(n.e164)));

    // Filters that are each valid but match nothing together: an empty list, not an error.
    assert.deepEqual(await search({ locality: "Austin", region: "CA" }), []);
    assert.deepEqual(await search({ postalCode: "99999" }), []);
  });

  test("vanity search: letters are read on the keypad", async () => {
    const org = await createOrganization("vanity");
    assert.equal(keypadDigits("FLOWERS"), "3569377");
    const flowers = (await org.client.data(Search, { contains: "FLOWERS", limit: 50 })).availablePhoneNumbers;
    assert.ok(flowers.length > 1 && flowers.every((n) => n.e164.includes("3569377")), JSON.stringify(flowers));
    assert.deepEqual((await org.client.data(Search, { contains: "flowers", limit: 50 })).availablePhoneNumbers, flowers, "letters are case-insensitive");
    assert.deepEqual((await org.client.data(Search, { contains: "3569377", limit: 50 })).availablePhoneNumbers, flowers, "the same as the digits");

    const tollFree = (await org.client.data(Search, { areaCode: "800", contains: "FLOWERS" })).availablePhoneNumbers;
    assert.deepEqual(tollFree.map((n) => [n.e164, n.numberType]), [["+18003569377", "TOLL_FREE"]]);
    // Mixed letters and digits: "35-MOW" is not accepted, "356WERS" is.
    assert.deepEqual((await org.client.data(Search, { areaCode: "800", contains: "356WERS" })).availablePhoneNumbers, tollFree);

    const vanity = bought((await org.client.data(Buy, { input: { areaCode: "888", contains: "FLOWERS", idempotencyKey: `vanity-${org.id}` } })).provisionPhoneNumber);
    assert.deepEqual([vanity.phoneNumber.e164, vanity.phoneNumber.numberType, vanity.phoneNumber.status], ["+18883569377", "TOLL_FREE", "ACTIVE"]);
  });

  test("nearNumber lists numbers in the same area code, nearest exchange first", async () => {
    const org = await createOrganization("near");
    const near = "+13125550123";
    const found = (await org.client.data(Search, { nearNumber: near, limit: 10 })).availablePhoneNumbers;
    assert.equal(found.length, 10);
    assert.ok(found.every((n) => n.e164.startsWith("+1312") && n.locality === "Chicago" && n.region === "IL"));
    const distance = (e164: string) => Math.abs(Number(e164.slice(5, 8)) - 555) * 10_000 + Math.abs(Number(e164.slice(8)) - 123);
    const distances = found.map((n) => distance(n.e164));
    assert.deepEqual(distances, [...distances].sort((a, b) => a - b), "ordered by closeness");
    assert.deepEqual((await org.client.data(Search, { nearNumber: "+1 (312) 555-0123", limit: 10 })).availablePhoneNumbers, found, "written any common way");
    assert.deepEqual((await org.client.data(Search, { nearNumber: near, areaCode: "312", limit: 10 })).availablePhoneNumbers, found);
    const canadian = (await org.client.data(Search, { country: "CA", nearNumber: "+16045550100", limit: 3 })).availablePhoneNumbers;
    assert.ok(canadian.length === 3 && canadian.every((n) => n.e164.startsWith("+1604") && n.region === "BC"));
  });

  test("bad or conflicting search input is refused with the path of every problem, and nothing reaches the carrier", async () => {
    const org = await createOrganization("search-refused");
    const carrier = await sandbox();
    const before = carrier.calls.searchAvailable ?? 0;
    const cases: Array<[SearchVariables, Array<[string, string]>]> = [
      [{ areaCode: "8OO" }, [["areaCode", "INVALID_FORMAT"]]],
      [{ region: "ZZ" }, [["region", "INVALID_VALUE"]]],
      [{ region: "Texas" }, [["region", "INVALID_FORMAT"]]],
      [{ country: "CA", region: "TX" }, [["region", "INVALID_VALUE"]]],
      [{ areaCode: "800", numberType: "LOCAL" }, [["numberType", "INVALID_VALUE"]]],
      [{ areaCode: "415", numberType: "TOLL_FREE" }, [["numberType", "INVALID_VALUE"]]],
      [{ numberType: "TOLL_FREE", locality: "Austin", postalCode: "78701" }, [["locality", "INVALID_VALUE"], ["postalCode", "INVALID_VALUE"]]],
      [{ areaCode: "888", region: "NY" }, [["region", "INVALID_VALUE"]]],
      [{ postalCode: "M5V 3L9" }, [["postalCode", "INVALID_VALUE"]]],
      [{ country: "CA", postalCode: "94103" }, [["postalCode", "INVALID_VALUE"]]],
      [{ country: "GB", postalCode: "SW1A 1AA" }, [["postalCode", "INVALID_VALUE"]]],
      [{ contains: "FLOW#RS" }, [["contains", "INVALID_CHARACTERS"]]],
      [{ contains: "1-800-FLOWERS" }, [["contains", "INVALID_CHARACTERS"]]],
      [{ contains: "ABCDEFGHIJK" }, [["contains", "INVALID_FORMAT"]]],
      [{ nearNumber: "+18005550100" }, [["nearNumber", "INVALID_VALUE"]]],
      [{ nearNumber: "+16045550100" }, [["nearNumber", "INVALID_VALUE"]]],
      [{ nearNumber: "+14155550100", areaCode: "312" }, [["nearNumber", "INVALID_VALUE"]]],
      [{ nearNumber: "not a number" }, [["nearNumber", "INVALID_E164"]]],
      [{ areaCode: "8a0", region: "ZZ", contains: "a b", limit: 0 }, [["areaCode", "INVALID_FORMAT"], ["contains", "INVALID_CHARACTERS"], ["limit", "OUT_OF_RANGE"], ["region", "INVALID_VALUE"]]],
    ];
    for (const [variables, expected] of cases) {
      const problems = await refusedSearch(org, variables);
      assert.deepEqual(problems.map((p) => [p.path.join("."), p.code]).sort(), expected, JSON.stringify({ variables, problems }));
      assert.ok(problems.every((p) => p.message.length > 0));
    }
    const [conflict] = await refusedSearch(org, { areaCode: "800", numberType: "LOCAL" });
    assert.match(conflict!.message, /toll-free/);
    const [foreign] = await refusedSearch(org, { postalCode: "M5V 3L9" });
    assert.match(foreign!.message, /CA postal code/);

    const buy = (await org.client.data(Buy, { input: { areaCode: "800", numberType: "LOCAL", contains: "A#" } })).provisionPhoneNumber;
    assert.equal(buy.__typename, "ValidationError");
    assert.deepEqual(
      (buy as { fieldErrors: FieldErrorList }).fieldErrors.map((f) => [f.path.join("."), f.code]).sort(),
      [["input.contains", "INVALID_CHARACTERS"], ["input.numberType", "INVALID_VALUE"]],
    );
    const mismatch = (await org.client.data(Buy, { input: { e164: "+18005550100", numberType: "LOCAL" } })).provisionPhoneNumber;
    assert.deepEqual((mismatch as { fieldErrors: FieldErrorList }).fieldErrors.map((f) => [f.path.join("."), f.code]), [["input.numberType", "INVALID_VALUE"]]);
    assert.equal(carrier.calls.searchAvailable ?? 0, before, "no carrier call for refused input");
  });

  test("the migration's backfill marks existing US/Canadian toll-free rows TOLL_FREE; the rest stay LOCAL", async () => {
    const org = await createOrganization("backfill");
    const { prisma } = (await getEnvironment()).switchboard.database;
    const rows = { tollFree: [uniqueE164("+1800"), uniqueE164("+1888"), uniqueE164("+1833")], local: [uniqueE164("+1415"), uniqueE164("+1818"), "+447911123456"] };
    await prisma.phoneNumber.createMany({
      data: [...rows.tollFree, ...rows.local].map((e164) => ({ organizationId: org.id, e164, country: e164.startsWith("+44") ? "GB" : "US", source: "MANUAL", status: "RELEASED", numberType: "LOCAL" })),
    });
    const sql = readFileSync("prisma/migrations/20261129070000_number_types/migration.sql", "utf8");
    const backfill = /^UPDATE "PhoneNumber" SET "numberType".*$/m.exec(sql)?.[0];
    assert.ok(backfill, "the migration has its backfill statement");
    // Run on this organization's rows only: the test database is shared.
    await prisma.$executeRawUnsafe(`${backfill.replace(/;$/, "")} AND "organizationId" = $1::uuid`, org.id);
    const types = Object.fromEntries((await prisma.phoneNumber.findMany({ where: { organizationId: org.id } })).map((n) => [n.e164, n.numberType]));
    assert.deepEqual(Object.fromEntries([...rows.tollFree, ...rows.local].map((e164) => [e164, types[e164]])), {
      ...Object.fromEntries(rows.tollFree.map((e164) => [e164, "TOLL_FREE"])),
      ...Object.fromEntries(rows.local.map((e164) => [e164, "LOCAL"])),
    });
  });

  test("a number's type comes from its numbering plan", () => {
    assert.equal(numberTypeOf("+18005550100"), "TOLL_FREE");
    assert.equal(numberTypeOf("+18445550100"), "TOLL_FREE");
    assert.equal(numberTypeOf("+14155550100"), "LOCAL");
    assert.equal(numberTypeOf("+16045550100"), "LOCAL");
    assert.equal(numberTypeOf("+447911123456"), "MOBILE");
    assert.equal(numberTypeOf("+442071234567"), "LOCAL");
    assert.equal(numberTypeOf("+448001234567"), "TOLL_FREE");
  });
});

describe("number search through Telnyx (local Telnyx-shaped server)", () => {
  const fakes: FakeTelnyx[] = [];
  let server: VariantServer | undefined;
  after(async () => {
    await server?.close();
    await Promise.all(fakes.map((fake) => fake.close()));
  });

  async function telnyx() {
    const fake = await startFakeTelnyx();
    fakes.push(fake);
    return { fake, carrier: new TelnyxCarrier({ apiKey: fake.apiKey, baseUrl: fake.url, timeoutMs: 5_000 }) };
  }

  const lastSearch = (fake: FakeTelnyx) => new Map(fake.requestsTo("GET", "/v2/available_phone_numbers").at(-1)!.query);

  test("the adapter maps type, place and vanity filters to Telnyx's documented filters and reads each result's type", async () => {
    const { fake, carrier } = await telnyx();
    const tollFree = await carrier.searchAvailable({ country: "US", numberType: "TOLL_FREE", areaCode: "888", contains: "3569377", limit: 5 });
    assert.deepEqual(Object.fromEntries(lastSearch(fake)), {
      "filter[country_code]": "US",
      "filter[limit]": "5",
      "filter[phone_number_type]": "toll_free",
      "filter[national_destination_code]": "888",
      "filter[phone_number][contains]": "3569377",
    });
    assert.deepEqual(
      tollFree.map((n) => [n.e164, n.numberType, n.locality, n.region, n.country, n.monthlyCostCents]),
      [["+18883569377", "TOLL_FREE", null, null, "US", 200]],
    );

    const illinois = await carrier.searchAvailable({ country: "US", numberType: "LOCAL", region: "IL", locality: "Chicago", limit: 10 });
    const sent = lastSearch(fake);
    assert.deepEqual(
      [sent.get("filter[phone_number_type]"), sent.get("filter[administrative_area]"), sent.get("filter[locality]"), sent.has("filter[national_destination_code]")],
      ["local", "IL", "Chicago", false],
    );
    assert.deepEqual(illinois.map((n) => [n.e164, n.numberType, n.locality, n.region]), [["+13125550104", "LOCAL", "Chicago", "IL"]]);

    // Without a type filter, Telnyx's results do not say their type: it is read from the number.
    const untyped = await carrier.searchAvailable({ country: "US", areaCode: "800", limit: 5 });
    assert.equal(lastSearch(fake).has("filter[phone_number_type]"), false);
    assert.deepEqual(untyped.map((n) => n.numberType), ["TOLL_FREE"]);
    const toronto = await carrier.searchAvailable({ country: "CA", region: "ON", limit: 5 });
    assert.deepEqual(toronto.map((n) => [n.e164, n.country, n.region, n.numberType]), [["+14163580109", "CA", "ON", "LOCAL"]]);

    // Telnyx has no postal-code filter: refused without a request.
    const requests = fake.state.requests.length;
    const refused = await carrier.searchAvailable({ country: "US", postalCode: "94103", limit: 5 }).then(
      () => assert.fail("expected a refusal"),
      (error: unknown) => error,
    );
    assert.ok(refused instanceof CarrierFailure && refused.kind === "REJECTED", String(refused));
    assert.equal(fake.state.requests.length, requests);
  });

  test("through the API with CARRIER=telnyx: toll-free search and purchase, nearNumber as the area code, postal code refused", { timeout: 120_000 }, async () => {
    const { fake } = await telnyx();
    server = await startVariant(
      { CARRIER: "telnyx", TELNYX_API_KEY: fake.apiKey, TELNYX_BASE_URL: fake.url, ORDER_POLL_SECONDS: "0.2", CARRIER_TIMEOUT_MS: "15000" },
      { database: "own" },
    );
    const prisma = server.switchboard.database.prisma;
    const organization = await prisma.organization.create({ data: { name: "telnyx-search" } });
    const live = (await createApiKey(prisma, organization.id, { name: "live", scopes: ["*"], mode: "LIVE" })).secret;

    const search = await post(server.url, live, '{ availablePhoneNumbers(areaCode: "888", contains: "FLOWERS", limit: 3) { e164 numberType locality region } }');
    assert.equal(search.body.errors, undefined, JSON.stringify(search.body.errors));
    assert.deepEqual(search.body.data.availablePhoneNumbers, [{ e164: "+18883569377", numberType: "TOLL_FREE", locality: null, region: null }]);
    assert.deepEqual(
      ["filter[country_code]", "filter[phone_number_type]", "filter[national_destination_code]", "filter[phone_number][contains]"].map((k) => lastSearch(fake).get(k)),
      ["US", "toll_free", "888", "3569377"],
      "vanity letters reach Telnyx as keypad digits",
    );

    const near = await post(server.url, live, '{ availablePhoneNumbers(nearNumber: "+14155550100", locality: "San Francisco") { e164 locality } }');
    assert.equal(near.body.errors, undefined, JSON.stringify(near.body.errors));
    assert.deepEqual([lastSearch(fake).get("filter[national_destination_code]"), lastSearch(fake).get("filter[locality]")], ["415", "San Francisco"]);
    assert.deepEqual(near.body.data.availablePhoneNumbers.map((n: { e164: string }) => n.e164), ["+14157340101", "+14157340102"]);

    const requests = fake.state.requests.length;
    const postal = await post(server.url, live, '{ availablePhoneNumbers(postalCode: "94103") { e164 } }');
    const error = postal.body.errors?.[0] as { extensions?: { code?: string; fieldErrors?: FieldErrorList } };
    assert.equal(error?.extensions?.code, "BAD_USER_INPUT");
    assert.deepEqual(error.extensions!.fieldErrors!.map((f) => [f.path.join("."), f.code]), [["postalCode", "NOT_PERMITTED"]]);
    assert.equal(fake.state.requests.length, requests, "refused before reaching Telnyx");

    const buy = await post(
      server.url,
      live,
      'mutation { provisionPhoneNumber(input: { e164: "+18883569377", idempotencyKey: "tf-1" }) { __typename ... on ProvisionPhoneNumberSuccess { phoneNumber { id status numberType } } ... on CarrierError { message } } }',
    );
    const number = buy.body.data?.provisionPhoneNumber?.phoneNumber;
    assert.ok(number, JSON.stringify(buy.body));
    assert.deepEqual([number.status, number.numberType], ["ACTIVE", "TOLL_FREE"]);
    const order = fake.requestsTo("POST", "/v2/number_orders")[0]!.body as { phone_numbers: Array<{ phone_number: string }> };
    assert.deepEqual(order.phone_numbers, [{ phone_number: "+18883569377" }]);
    const lookup = fake.requestsTo("GET", "/v2/available_phone_numbers").at(-1)!;
    assert.equal(new Map(lookup.query).get("filter[phone_number_type]"), "toll_free", "the purchase looked the number up among toll-free numbers");
    assert.equal([...fake.state.numbers.values()].find((n) => n.phone_number === "+18883569377")?.phone_number_type, "toll_free");
  });
});
