import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { encodeGlobalID } from "@pothos/plugin-relay";
import { SignJWT } from "jose";
import { generateApiKeySecret } from "../src/auth/api-key-secret.ts";
import { graphql } from "./generated/gql.ts";
import { Client, createOperator, createOrganization, getEnvironment, type GraphQLResponse } from "./helpers/harness.ts";
import { runCli } from "./helpers/processes.ts";
import { as, completeInput, Decide, decide, submitComplete } from "./helpers/verification.ts";

// Issue 10, "Reviewers are not applicants": verification:review belongs to platform operator keys
// (created by the CLI, belonging to no organization). Organizations cannot hold it, not even through
// `*`; operators review every organization's submissions and read nothing else.

const Submissions = graphql(`
  query OperatorSubmissions($filter: VerificationSubmissionFilter, $first: Int, $after: String) {
    verificationSubmissions(filter: $filter, first: $first, after: $after) {
      totalCount
      pageInfo {
        hasNextPage
        endCursor
      }
      edges {
        node {
          id
          status
          submittedAt
          organization {
            id
            name
          }
          businessProfile {
            legalName
          }
        }
      }
    }
  }
`);

const OperatorViewer = graphql(`
  query OperatorViewer {
    viewer {
      operator
      scopes
    }
  }
`);

const OperatorViewerOrganization = graphql(`
  query OperatorViewerOrganization {
    viewer {
      organization {
        id
      }
    }
  }
`);

const CustomerData = graphql(`
  query OperatorCustomerData {
    phoneNumbers(first: 5) {
      totalCount
    }
    agents(first: 5) {
      totalCount
    }
  }
`);

const CustomerNode = graphql(`
  query OperatorCustomerNode($id: ID!) {
    node(id: $id) {
      id
    }
  }
`);

const CreateAgent = graphql(`
  mutation OperatorsCreateAgent($input: CreateAgentInput!) {
    createAgent(input: $input) {
      __typename
      ... on CreateAgentSuccess {
        agent {
          id
        }
      }
    }
  }
`);

const CreateKey = graphql(`
  mutation OperatorsCreateKey($input: CreateApiKeyInput!) {
    createApiKey(input: $input) {
      __typename
      ... on ValidationError {
        fieldErrors {
          path
          code
          message
        }
      }
    }
  }
`);

const codes = (result: GraphQLResponse<unknown>) => result.errors?.map((error) => error.extensions?.code);

/** Every submission the operator lists with this filter, page by page, keeping only the given organizations'. */
async function listAll(operator: Client, statuses: Array<"SUBMITTED" | "APPROVED" | "REJECTED"> | undefined, organizationIds: string[]) {
  const rows: Array<{ id: string; status: string; organization: string; legalName: string | null; submittedAt: string | null }> = [];
  let after: string | null | undefined;
  for (let page = 0; page < 50; page++) {
    const { verificationSubmissions: connection } = await operator.data(Submissions, { filter: statuses ? { statuses } : undefined, first: 2, after });
    assert.ok(connection);
    for (const { node } of connection.edges) {
      if (organizationIds.includes(node.organization.id)) {
        rows.push({ id: node.id, status: node.status, organization: node.organization.id, legalName: node.businessProfile.legalName ?? null, submittedAt: node.submittedAt ?? null });
      }
    }
    if (!connection.pageInfo.hasNextPage) return rows;
    after = connection.pageInfo.endCursor;
  }
  throw new Error("more pages than expected");
}

describe("platform operators review verifications; organizations cannot", () => {
  test("an organization's * key gets FORBIDDEN on decideVerification and verificationSubmissions, and cannot create a key with verification:review", async () => {
    const org = await createOrganization("op-applicant");
    const id = await submitComplete(org);

    const decided = await org.client.request(Decide, { input: { id, decision: "APPROVE" } });
    assert.deepEqual(codes(decided), ["FORBIDDEN"], "the * key no longer holds verification:review");
    const listed = await org.client.request(Submissions, { first: 1 });
    assert.deepEqual(codes(listed), ["FORBIDDEN"]);
    assert.equal(listed.data ?? null, null, "a refused root connection nulls the response");

    const created = as((await org.client.data(CreateKey, { input: { name: "self-approval", scopes: ["numbers:read", "verification:review"] } })).createApiKey, "ValidationError") as {
      fieldErrors: Array<{ path: string[]; code: string; message: string }>;
    };
    assert.deepEqual(
      created.fieldErrors.map((e) => [e.path.join("."), e.code]),
      [["input.scopes.1", "NOT_PERMITTED"]],
    );
    assert.match(created.fieldErrors[0]!.message, /operator/);

    // Nothing moved, and no key with the scope exists in the organization.
    const prisma = (await getEnvironment()).switchboard.database.prisma;
    assert.equal((await prisma.verification.findFirstOrThrow({ where: { organizationId: org.id, current: true } })).status, "SUBMITTED");
    assert.equal(await prisma.apiKey.count({ where: { organizationId: org.id, scopes: { has: "verification:review" } } }), 0);
  });

  test("a key row or a JWT of an organization that says verification:review grants nothing of it", async () => {
    const org = await createOrganization("op-legacy");
    const id = await submitComplete(org);
    // A key written before this release, as the migration would find it (the migration strips the scope).
    const env = await getEnvironment();
    const prisma = env.switchboard.database.prisma;
    const legacy = await org.clientWithScopes(["verification:read"]);
    const legacyKey = await prisma.apiKey.findFirstOrThrow({ where: { organizationId: org.id, scopes: { equals: ["verification:read"] } } });
    await prisma.apiKey.update({ where: { id: legacyKey.id }, data: { scopes: ["verification:read", "verification:review"] } });
    assert.deepEqual(codes(await legacy.request(Decide, { input: { id, decision: "APPROVE" } })), ["FORBIDDEN"]);

    const { config } = env;
    const jwt = await new SignJWT({ org: org.id, scope: "verification:read verification:review" })
      .setProtectedHeader({ alg: "HS256", typ: "JWT" })
      .setIssuedAt()
      .setIssuer(config.jwt.issuer!)
      .setAudience(config.jwt.audience!)
      .setSubject("self-approver")
      .setExpirationTime("5m")
      .sign(new TextEncoder().encode(config.jwt.secret!));
    const bearer = new Client(env, { authorization: `Bearer ${jwt}` });
    assert.deepEqual((await bearer.data(OperatorViewer)).viewer, { operator: false, scopes: ["verification:read"] });
    assert.deepEqual(codes(await bearer.request(Decide, { input: { id, decision: "APPROVE" } })), ["FORBIDDEN"]);
  });

  test("an operator key lists the submissions of every organization, filtered by status, newest first, and decides one", async () => {
    const operator = await createOperator("op-console");
    const first = await createOrganization("op-first");
    const second = await createOrganization("op-second");
    const drafting = await createOrganization("op-drafting");
    const profile = completeInput().businessProfile!;
    const rejectedId = await submitComplete(first, { businessProfile: { ...profile, legalName: "First, Inc." } });
    as(await decide(rejectedId, "REJECT", "The EIN does not match"), "DecideVerificationSuccess");
    const resubmittedId = await submitComplete(first, { businessProfile: { legalName: "First Robotics, Inc." }, attestationAccepted: true });
    const secondId = await submitComplete(second, { businessProfile: { ...profile, legalName: "Second, LLC" } });
    // A draft is the organization's own work in progress: not in the review queue.
    await drafting.client.data(
      graphql(`
        mutation OperatorsDraft($input: SaveVerificationDraftInput!) {
          saveVerificationDraft(input: $input) {
            __typename
          }
        }
      `),
      { input: { businessProfile: { legalName: "Drafting Co." } } },
    );
    const ours = [first.id, second.id, drafting.id];

    const submitted = await listAll(operator.client, ["SUBMITTED"], ours);
    assert.deepEqual(
      submitted.map((s) => [s.id, s.organization, s.legalName]),
      [
        [secondId, second.id, "Second, LLC"],
        [resubmittedId, first.id, "First Robotics, Inc."],
      ],
      "both organizations' waiting submissions, newest first",
    );
    const all = await listAll(operator.client, undefined, ours);
    assert.deepEqual(
      all.map((s) => [s.id, s.status]),
      [
        [secondId, "SUBMITTED"],
        [resubmittedId, "SUBMITTED"],
        [rejectedId, "REJECTED"],
      ],
      "every status but drafts by default",
    );
    assert.deepEqual((await listAll(operator.client, ["REJECTED"], ours)).map((s) => s.id), [rejectedId]);

    // totalCount applies the same filter.
    const counted = await operator.client.data(Submissions, { filter: { statuses: ["SUBMITTED", "SUBMITTED"] }, first: 1 });
    const queueSize = await (await getEnvironment()).switchboard.database.prisma.verification.count({ where: { status: "SUBMITTED" } });
    assert.equal(counted.verificationSubmissions?.totalCount, queueSize);
    assert.equal(counted.verificationSubmissions?.edges.length, 1);

    // node(id) reads what operators review (a submission), never a draft.
    assert.equal((await operator.client.data(CustomerNode, { id: secondId })).node?.id, secondId);
    const draftId = (await (await getEnvironment()).switchboard.database.prisma.verification.findFirstOrThrow({ where: { organizationId: drafting.id } })).id;
    assert.equal((await operator.client.data(CustomerNode, { id: encodeGlobalID("Verification", draftId) })).node, null);

    const approved = as((await operator.client.data(Decide, { input: { id: secondId, decision: "APPROVE" } })).decideVerification, "DecideVerificationSuccess");
    assert.equal((approved.verification as { status: string }).status, "APPROVED");
    assert.deepEqual((await listAll(operator.client, ["SUBMITTED"], ours)).map((s) => s.id), [resubmittedId]);
    assert.deepEqual((await listAll(operator.client, ["APPROVED"], ours)).map((s) => s.id), [secondId]);

    const prisma = (await getEnvironment()).switchboard.database.prisma;
    const row = await prisma.verification.findFirstOrThrow({ where: { organizationId: second.id } });
    assert.equal(row.decidedBy, `operator:${operator.id}`, "the decision names the operator key");
  });

  test("an operator key reads no organization's numbers, agents or objects: FORBIDDEN, and node(id) is null", async () => {
    const org = await createOrganization("op-tenant");
    const agent = as((await org.client.data(CreateAgent, { input: { name: "Ava" } })).createAgent, "CreateAgentSuccess").agent;
    const operator = await createOperator("op-nosy");

    const viewer = await operator.client.data(OperatorViewer);
    assert.deepEqual(viewer.viewer, { operator: true, scopes: ["verification:review"] });
    assert.deepEqual(codes(await operator.client.request(OperatorViewerOrganization)), ["FORBIDDEN"], "an operator belongs to no organization");

    const data = await operator.client.request(CustomerData);
    // Root connections are non-null: the first refused one nulls the whole response (and ends it).
    assert.deepEqual(codes(data), ["FORBIDDEN"]);
    assert.equal(data.errors?.[0]?.message, "Missing scope numbers:read for Query.phoneNumbers");
    assert.equal(data.data ?? null, null);
    const node = await operator.client.request(CustomerNode, { id: agent.id });
    assert.equal(node.data?.node ?? null, null, JSON.stringify(node));
    assert.equal(((await org.client.data(OperatorViewer)).viewer as { operator: boolean }).operator, false);
  });

  test("the CLI creates an operator key (secret printed once), lists it with --operators, and refuses review scopes to organizations", async () => {
    const env = await getEnvironment();
    const cliEnv = { DATA_DIR: env.config.dataDir, DATABASE_URL: env.config.databaseUrl ?? "", LOG_LEVEL: "silent" };
    const name = `reviewer-${process.pid}-${Date.now()}`;

    const created = await runCli(["apikey", "create", "--operator", "--name", name], cliEnv);
    assert.equal(created.code, 0, created.stderr);
    const secret = created.stdout.trim();
    assert.match(secret, /^sb_live_[A-Za-z0-9]+$/, "stdout is the secret alone");
    assert.match(created.stderr, /operator key .* shown only once/);
    assert.ok(!created.stderr.includes(secret), "the secret is printed once, on stdout");

    const listed = await runCli(["apikey", "list", "--operators"], cliEnv);
    assert.equal(listed.code, 0, listed.stderr);
    const line = listed.stdout.split("\n").find((l) => l.endsWith(name));
    assert.ok(line, listed.stdout);
    assert.match(line, /OPERATOR {2}active {2}verification:review/);
    assert.ok(line.includes(secret.slice(0, 12)), "the prefix identifies it");
    assert.ok(!listed.stdout.includes(secret), "never the secret again");

    const operator = new Client(env, { "x-api-key": secret });
    assert.ok((await operator.data(Submissions, { first: 1 })).verificationSubmissions, "the CLI's key reviews");

    const org = await createOrganization("op-cli");
    const refused = await runCli(["apikey", "create", "--org", org.name, "--scopes", "numbers:read,verification:review"], cliEnv);
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /verification:review belongs to operator keys/);
    const mixed = await runCli(["apikey", "create", "--operator", "--org", org.name, "--name", "x"], cliEnv);
    assert.equal(mixed.code, 2);
    assert.match(mixed.stderr, /belongs to no organization/);
    const prisma = env.switchboard.database.prisma;
    assert.equal(await prisma.apiKey.count({ where: { organizationId: org.id } }), 1, "only the test's own * key");
  });

  test("a key row that is both an operator key and an organization's, or neither, authenticates nobody", async () => {
    const org = await createOrganization("op-db");
    const env = await getEnvironment();
    const prisma = env.switchboard.database.prisma;
    for (const [operator, organizationId] of [[true, org.id], [false, null]] as const) {
      const { secret, prefix, secretHash } = generateApiKeySecret("LIVE");
      await prisma.apiKey.create({ data: { name: "hand-edited", mode: "LIVE", scopes: ["verification:review", "*"], operator, organizationId, prefix, secretHash } });
      const result = await new Client(env, { "x-api-key": secret }).request(OperatorViewer);
      assert.deepEqual(codes(result), ["UNAUTHENTICATED"], `operator=${operator} organization=${organizationId}`);
    }
  });
});
