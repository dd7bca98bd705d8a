import assert from "node:assert/strict";
import { randomInt } from "node:crypto";
import { describe, test } from "node:test";
import type { ResultOf } from "@graphql-typed-document-node/core";
import { SignJWT } from "jose";
import { graphql } from "./generated/gql.ts";
import { clientWithHeaders, createOrganization, getEnvironment, statementsDuring } from "./helpers/harness.ts";

const NumbersWithAgents = graphql(`
  query NumbersWithAgents($first: Int!) {
    phoneNumbers(first: $first) {
      totalCount
      edges {
        node {
          e164
          agent {
            name
            phoneNumbers(first: 5) {
              totalCount
            }
          }
          setupStatus {
            status
          }
        }
      }
    }
  }
`);

/** Inserts `count` numbers spread over `agents` agents straight into the database (fast setup). */
async function seed(organizationId: string, count: number, agents: number): Promise<void> {
  const { prisma } = (await getEnvironment()).switchboard.database;
  const agentRows = await Promise.all(
    Array.from({ length: agents }, (_, i) => prisma.agent.create({ data: { organizationId, name: `Agent ${i}` } })),
  );
  const base = randomInt(2_000_000, 9_000_000);
  await prisma.phoneNumber.createMany({
    data: Array.from({ length: count }, (_, i) => ({
      organizationId,
      e164: `+1303${base + i}`,
      country: "US",
      source: "MANUAL" as const,
      status: "ACTIVE" as const,
      agentId: agentRows[i % agents]!.id,
    })),
  });
}

describe("SQL statements per request", () => {
  for (const n of [10, 100]) {
    test(`phoneNumbers(first: ${n}) with each number's agent, the agent's numbers and setup status runs one statement (at most 2 allowed: issue 11)`, async () => {
      const org = await createOrganization("sql");
      await seed(org.id, n, Math.max(2, n / 5));
      await org.client.data(NumbersWithAgents, { first: 1 }); // warms the API-key cache (lookup + last-used write)

      let result: ResultOf<typeof NumbersWithAgents> | undefined;
      const statements = await statementsDuring(async () => {
        result = await org.client.data(NumbersWithAgents, { first: n });
      });
      const page = result?.phoneNumbers;
      assert.equal(page?.edges.length, n);
      assert.equal(page?.totalCount, n);
      for (const edge of page?.edges ?? []) assert.equal(edge.node.agent?.phoneNumbers?.totalCount, 5);
      console.log(`  phoneNumbers(first: ${n}): ${statements.length} SQL statements`);
      assert.ok(
        statements.length <= 2,
        `expected at most 2 SQL statements, got ${statements.length}:\n${statements.join("\n")}`,
      );
      // No statement counts or groups outside the page: every count is bounded by the organization or the page's agents.
      for (const sql of statements) assert.doesNotMatch(sql, /GROUP BY/i, sql);
    });
  }
});

describe("SQL statements of authentication", () => {
  test("a JWT's organization is looked up once, then cached like API keys", async () => {
    const env = await getEnvironment();
    const org = await createOrganization("jwt-cache");
    const token = await new SignJWT({ org: org.id, scope: "numbers:read" })
      .setProtectedHeader({ alg: "HS256" })
      .setIssuer(env.config.jwt.issuer!)
      .setAudience(env.config.jwt.audience!)
      .setSubject("dashboard")
      .setExpirationTime("5m")
      .sign(new TextEncoder().encode(env.config.jwt.secret!));
    const client = await clientWithHeaders({ authorization: `Bearer ${token}` });
    const first = await statementsDuring(() => client.data(NumbersWithAgents, { first: 1 }));
    const second = await statementsDuring(() => client.data(NumbersWithAgents, { first: 1 }));
    const lookups = (statements: string[]) => statements.filter((sql) => sql.includes('"Organization"')).length;
    assert.equal(lookups(first), 1);
    assert.equal(lookups(second), 0, "the second request does not look the organization up again");
  });
});
