import { encodeGlobalID } from "@pothos/plugin-relay";
import type { Agent } from "../../src/generated/prisma/client.ts";
import type { PhoneNumberFilter, PhoneNumberOrder } from "../../src/numbers/service.ts";
import { createOrganization, getEnvironment, type TestOrganization } from "./harness.ts";

/**
 * An organization with `count` numbers of every kind (statuses, sources, directions, labels with
 * LIKE wildcards, quotes and non-ASCII, prices, timestamps with every width of milliseconds, trunks,
 * JSON templates, campaign states), three agents (one PAUSED), and a second organization with 10
 * numbers of its own: the data the list paths are compared on (test/page-query.test.ts,
 * test/compiled-reads.test.ts). `prefix` is the numbers' shared digits after +1.
 */
export async function seedNumberMix(name: string, count: number): Promise<{ org: TestOrganization; agents: Agent[]; prefix: string }> {
  const { prisma } = (await getEnvironment()).switchboard.database;
  const org = await createOrganization(name);
  const other = await createOrganization(`${name}-other`);
  const agents = await Promise.all(["Ada", "Bea", "Cy"].map((agent, i) => prisma.agent.create({ data: { organizationId: org.id, name: agent, status: i === 2 ? "PAUSED" : "ACTIVE" } })));
  const base = Date.UTC(2026, 0, 1);
  const statuses = ["ACTIVE", "ACTIVE", "PENDING", "RELEASED", "FAILED", "SUSPENDED", "RELEASING"] as const;
  const sources = ["MANUAL", "SIP_TRUNK", "MANAGED"] as const;
  const directions = ["BOTH", "INBOUND", "OUTBOUND"] as const;
  const prefix = String(Math.floor(Math.random() * 9_000) + 1_000);
  const address = await prisma.emergencyAddress.create({
    data: { organizationId: org.id, callerName: "Mix Co", street: "1 Main St", city: "Springfield", region: "IL", postalCode: "62701", country: "US" },
  });
  const emergencyStatuses = ["PENDING", "ACTIVE", "FAILED", "STORED"] as const;
  const fallbackStatuses = ["PENDING", "ACTIVE", "FAILED", "STORED"] as const;
  for (const [organizationId, n] of [[org.id, count], [other.id, 10]] as const) {
    await prisma.phoneNumber.createMany({
      data: Array.from({ length: n }, (_, i) => ({
        organizationId,
        e164: `+1${prefix}${String(100_000 + ((i * 37) % 97) * 10 + (organizationId === org.id ? 0 : 1))}`,
        label: i % 4 === 0 ? "" : `Line ${i % 5}${i % 3 === 0 ? ' 50%_off "quoted" \\ ✓' : ""}`,
        country: i % 8 === 0 ? "GB" : "US",
        numberType: i % 5 === 2 ? "TOLL_FREE" : i % 13 === 6 ? "MOBILE" : "LOCAL",
        source: sources[i % 3]!,
        status: statuses[i % statuses.length]!,
        // Not i % 3 like the source, so every source is seen in every direction.
        direction: directions[Math.floor(i / 3) % 3]!,
        agentId: organizationId === org.id && i % 4 !== 3 ? agents[i % 3]!.id : null,
        carrier: i % 3 === 2 ? "sandbox" : null,
        smsCapable: i % 2 === 0,
        monthlyPriceCents: (i % 6) * 100,
        // Milliseconds of every width: .000, .100, .120, .123.
        createdAt: new Date(base + (i % 20) * 3_600_000 + [0, 100, 120, 123][i % 4]!),
        updatedAt: new Date(base + i * 60_000),
        forwardingConfirmedAt: i % 5 === 1 ? new Date(base + i) : null,
        releasedAt: i % 7 === 3 ? new Date(base + i * 1_000) : null,
        suspendedAt: i % 11 === 5 ? new Date(base + i * 1_000) : null,
        dispatchMetadataTemplate: i % 5 === 0 ? { tier: i, nested: { ok: true, list: [1, "two"] } } : undefined,
        inboundTrunkAddresses: i % 3 === 1 ? ["sip.example.com", "10.0.0.1:5060"] : [],
        inboundTrunkAuthUsername: i % 6 === 1 ? "in-user" : null,
        inboundTrunkAuthPassword: i % 6 === 1 ? "cipher" : null,
        outboundTrunkAddresses: i % 9 === 4 ? ["out.example.com"] : [],
        // Every trunk input setup status reads, set and unset (an empty password counts as none).
        inboundTrunkAllowedSourceIps: i % 10 === 4 ? ["203.0.113.10"] : [],
        outboundTrunkAllowedSourceIps: i % 11 === 2 ? ["203.0.113.11"] : [],
        outboundTrunkAuthUsername: i % 4 === 1 ? "out-user" : null,
        outboundTrunkAuthPassword: i % 8 === 1 ? "cipher" : i % 8 === 5 ? "" : null,
        outboundTrunkIpAuthentication: i % 5 === 1,
        voiceCapable: i % 9 !== 8,
        // Fallbacks (a phone number, a SIP URI, an empty one) in every status, with and without a reason.
        fallbackForwardTo: i % 6 === 2 ? "+14155550199" : i % 6 === 4 ? "" : null,
        fallbackSipUri: i % 10 === 3 ? "sip:desk@example.com" : null,
        fallbackStatus: i % 6 === 2 || i % 10 === 3 ? fallbackStatuses[i % 4] : null,
        fallbackStatusReason: i % 12 === 2 ? "refused" : null,
        // Emergency registrations in every status, with and without an address.
        emergencyAddressId: organizationId === org.id && i % 3 !== 0 ? address.id : null,
        emergencyStatus: i % 3 !== 0 || i % 5 === 0 ? emergencyStatuses[i % 4] : null,
        emergencyFailureReason: i % 4 === 2 ? "address not found" : null,
        smsCampaignStatus: i % 7 === 0 ? "ASSIGNED" : null,
        nextChargeAt: i % 2 ? new Date(base + i * 86_400_000) : null,
      })),
    });
  }
  return { org, agents, prefix };
}

/**
 * The filters the list paths are compared on, for a seedNumberMix organization: every condition,
 * LIKE wildcards, digits in a formatted number, blank text, repeated enum values, an agent, a date
 * range (Dates: sent as GraphQL variables they become ISO strings).
 */
export function numberFilters(prefix: string, agent: Agent): Array<PhoneNumberFilter | null> {
  return [
    null,
    { released: "INCLUDE" },
    { released: "ONLY" },
    { text: "line 3" },
    { text: "50%_" },
    { text: `(${prefix.slice(0, 3)}) ${prefix.slice(3)}1` },
    { text: "   " },
    { sources: ["SIP_TRUNK", "MANAGED", "SIP_TRUNK"] },
    { statuses: ["PENDING", "FAILED"], released: "INCLUDE" },
    { directions: ["INBOUND"] },
    { numberTypes: ["TOLL_FREE", "MOBILE", "TOLL_FREE"] },
    { agentId: encodeGlobalID("Agent", agent.id) },
    { assigned: false },
    { assigned: true, directions: ["BOTH", "OUTBOUND"] },
    { createdAfter: new Date(Date.UTC(2026, 0, 1, 5)), createdBefore: new Date(Date.UTC(2026, 0, 1, 12)) },
  ];
}

/** The default order and every field in both directions. */
export const NUMBER_ORDERS: Array<PhoneNumberOrder | null> = [
  null,
  ...(["CREATED_AT", "UPDATED_AT", "E164", "LABEL", "MONTHLY_PRICE"] as const).flatMap((field) => (["ASC", "DESC"] as const).map((direction) => ({ field, direction }))),
];
