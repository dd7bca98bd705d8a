import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { getNamedType, isInputObjectType, isListType, isNonNullType, isObjectType, isUnionType, type GraphQLInputType } from "graphql";
import { schema } from "../src/schema/index.ts";
import { graphql } from "./generated/gql.ts";
import { createOrganization, getEnvironment, type TestOrganization } from "./helpers/harness.ts";
import { uniqueE164 } from "./helpers/numbers.ts";

// Issue 9, input hygiene: NUL bytes and lone UTF-16 surrogates never reach PostgreSQL, and every
// string input has a documented, enforced maximum. Mutations report problems in their
// ValidationError; queries and subscriptions as BAD_USER_INPUT errors with the same fieldErrors.

graphql(`
  fragment InputHygieneErrors on Error {
    __typename
    code
    message
    ... on ValidationError {
      fieldErrors {
        path
        code
        message
      }
    }
  }
`);

const CreateAgent = graphql(`
  mutation InputHygieneCreateAgent($input: CreateAgentInput!) {
    createAgent(input: $input) {
      __typename
      ... on CreateAgentSuccess {
        agent {
          id
          name
        }
      }
      ...InputHygieneErrors
    }
  }
`);

const CreateManual = graphql(`
  mutation InputHygieneCreateManual($input: CreateManualPhoneNumberInput!) {
    createManualPhoneNumber(input: $input) {
      __typename
      ... on CreateManualPhoneNumberSuccess {
        phoneNumber {
          id
          label
        }
      }
      ...InputHygieneErrors
    }
  }
`);

const UpdateNumber = graphql(`
  mutation InputHygieneUpdateNumber($input: UpdatePhoneNumberInput!) {
    updatePhoneNumber(input: $input) {
      __typename
      ... on UpdatePhoneNumberSuccess {
        phoneNumber {
          id
          label
        }
      }
      ...InputHygieneErrors
    }
  }
`);

const NumbersByText = graphql(`
  query InputHygieneNumbersByText($text: String) {
    phoneNumbers(filter: { text: $text }) {
      totalCount
      edges {
        node {
          label
        }
      }
    }
  }
`);

// ---- helpers --------------------------------------------------------------------------------

type Typed = { __typename?: string };
type FieldErrors = ReadonlyArray<{ path: readonly string[]; code: string; message: string }>;

function expectType<T extends Typed, N extends NonNullable<T["__typename"]>>(value: T | null | undefined, typename: N): Extract<T, { __typename?: N }> {
  assert.ok(value, `expected a ${typename}, got ${String(value)}`);
  assert.equal(value.__typename, typename, `expected ${typename}, got ${JSON.stringify(value)}`);
  return value as Extract<T, { __typename?: N }>;
}

/** The problems as sorted [path, code] pairs, each with a message. */
function problems(errors: FieldErrors): Array<[string, string]> {
  for (const error of errors) assert.ok(error.message.length > 0, JSON.stringify(error));
  return errors.map((error): [string, string] => [error.path.join("."), error.code]).sort();
}

async function prisma() {
  return (await getEnvironment()).switchboard.database.prisma;
}

/** A GraphQL request over HTTP with a hand-written JSON body, so escapes such as \ud800 arrive exactly as written. */
async function postRaw(org: TestOrganization, body: string) {
  const response = await fetch(`${await (await getEnvironment()).url()}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/graphql-response+json", "x-api-key": org.secret },
    body,
  });
  const json = (await response.json()) as {
    data?: Record<string, unknown> | null;
    errors?: Array<{ message: string; path?: string[]; extensions?: { code?: string; fieldErrors?: FieldErrors } }>;
  };
  return { status: response.status, ...json };
}

async function createNumber(org: TestOrganization, label = "Front desk") {
  const result = await org.client.data(CreateManual, { input: { e164: uniqueE164(), label } });
  return expectType(result.createManualPhoneNumber, "CreateManualPhoneNumberSuccess").phoneNumber;
}

const rawId = (globalId: string) => Buffer.from(globalId, "base64").toString("utf8").split(":")[1]!;

// ---- tests ----------------------------------------------------------------------------------

describe("input hygiene", () => {
  test("every String and ID input field and argument states its maximum length in its description", () => {
    const stringLike = (type: GraphQLInputType) => ["String", "ID"].includes(getNamedType(type).name);
    const isList = (type: GraphQLInputType) => isListType(isNonNullType(type) ? type.ofType : type);
    const undocumented: string[] = [];
    const check = (where: string, type: GraphQLInputType, description: string | null | undefined) => {
      const expected = isList(type) ? /At most \d+ characters each\.$/ : /At most \d+ characters\.$/;
      if (stringLike(type) && !expected.test(description ?? "")) undocumented.push(`${where}: ${description}`);
    };
    let checked = 0;
    for (const type of Object.values(schema.getTypeMap())) {
      if (type.name.startsWith("__")) continue;
      if (isObjectType(type)) {
        for (const field of Object.values(type.getFields())) {
          for (const arg of field.args) {
            check(`${type.name}.${field.name}(${arg.name})`, arg.type, arg.description);
            if (stringLike(arg.type)) checked++;
          }
        }
      } else if (isInputObjectType(type)) {
        for (const field of Object.values(type.getFields())) {
          check(`${type.name}.${field.name}`, field.type, field.description);
          if (stringLike(field.type)) checked++;
        }
      }
    }
    assert.ok(checked > 50, `only ${checked} string inputs found`);
    assert.deepEqual(undocumented, []);
  });

  test("every mutation taking text reports its problems in its payload: the union has ValidationError", () => {
    const carriesText = (type: GraphQLInputType, seen = new Set<string>()): boolean => {
      const named = getNamedType(type);
      if (["String", "ID", "JSON"].includes(named.name)) return true;
      if (!isInputObjectType(named) || seen.has(named.name)) return false;
      seen.add(named.name);
      return Object.values(named.getFields()).some((field) => carriesText(field.type, seen));
    };
    const mutations = Object.values(schema.getMutationType()!.getFields()).filter((field) => field.args.some((arg) => carriesText(arg.type)));
    assert.ok(mutations.length > 10, `only ${mutations.length} mutations take text`);
    const withoutValidationError = mutations
      .filter((field) => {
        const type = getNamedType(field.type);
        return !isUnionType(type) || !type.getTypes().some((member) => member.name === "ValidationError");
      })
      .map((field) => field.name);
    assert.deepEqual(withoutValidationError, []);
  });

  test("a NUL in createAgent's name is a ValidationError INVALID_CHARACTERS on input.name; nothing is stored", async () => {
    const org = await createOrganization("hygiene-agent-nul");
    const result = await org.client.request(CreateAgent, { input: { name: "Ava\u0000" } });
    assert.equal(result.status, 200);
    assert.equal(result.errors, undefined);
    const error = expectType(result.data?.createAgent, "ValidationError");
    assert.equal(error.code, "VALIDATION_FAILED");
    assert.deepEqual(problems(error.fieldErrors), [["input.name", "INVALID_CHARACTERS"]]);
    assert.match(error.fieldErrors[0]!.message, /NUL/);
    assert.equal(await (await prisma()).agent.count({ where: { organizationId: org.id } }), 0);
  });

  test("a NUL in updatePhoneNumber's label is a ValidationError on input.label; the label stays", async () => {
    const org = await createOrganization("hygiene-label-nul");
    const number = await createNumber(org, "Front desk");
    const result = await org.client.request(UpdateNumber, { input: { id: number.id, label: "Back\u0000office" } });
    assert.equal(result.errors, undefined);
    const error = expectType(result.data?.updatePhoneNumber, "ValidationError");
    assert.deepEqual(problems(error.fieldErrors), [["input.label", "INVALID_CHARACTERS"]]);
    const row = await (await prisma()).phoneNumber.findUniqueOrThrow({ where: { id: rawId(number.id) } });
    assert.equal(row.label, "Front desk");
  });

  test("a lone surrogate in the phoneNumbers filter text (raw JSON \\ud800) is BAD_USER_INPUT with the input path, HTTP 200", async () => {
    const org = await createOrganization("hygiene-filter-surrogate");
    await createNumber(org);
    const query = "query ($text: String) { phoneNumbers(filter: { text: $text }) { totalCount } }";
    const result = await postRaw(org, `{"query":${JSON.stringify(query)},"variables":{"text":"41\\ud800"}}`);
    assert.equal(result.status, 200);
    assert.equal(result.data ?? null, null);
    const error = result.errors?.[0];
    assert.equal(error?.extensions?.code, "BAD_USER_INPUT", JSON.stringify(result.errors));
    assert.deepEqual(error?.path, ["phoneNumbers"]);
    assert.deepEqual(problems(error?.extensions?.fieldErrors ?? []), [["filter.text", "INVALID_CHARACTERS"]]);
    assert.match(error!.message, /surrogate/);

    // A lone low surrogate, and a NUL written inline in the document, are refused the same way.
    const low = await postRaw(org, `{"query":${JSON.stringify(query)},"variables":{"text":"\\udc00"}}`);
    assert.equal(low.errors?.[0]?.extensions?.code, "BAD_USER_INPUT");
    const inline = await postRaw(org, JSON.stringify({ query: '{ agents(filter: { text: "a\\u0000" }) { totalCount } }' }));
    assert.equal(inline.status, 200);
    assert.deepEqual(problems(inline.errors?.[0]?.extensions?.fieldErrors ?? []), [["filter.text", "INVALID_CHARACTERS"]]);
  });

  test("a NUL inside a JSON dispatchMetadataTemplate value or key is refused with its path inside the JSON", async () => {
    const org = await createOrganization("hygiene-json");
    const result = await org.client.request(CreateManual, {
      input: {
        e164: uniqueE164(),
        dispatchMetadataTemplate: { greeting: "Hello", tenant: { name: "Acme\u0000" }, tags: ["ok", "bad\u0000"], "k\u0000": 1 },
      },
    });
    const error = expectType(result.data?.createManualPhoneNumber, "ValidationError");
    assert.deepEqual(problems(error.fieldErrors), [
      ["input.dispatchMetadataTemplate.k\u0000", "INVALID_CHARACTERS"],
      ["input.dispatchMetadataTemplate.tags.1", "INVALID_CHARACTERS"],
      ["input.dispatchMetadataTemplate.tenant.name", "INVALID_CHARACTERS"],
    ]);
    assert.equal(await (await prisma()).phoneNumber.count({ where: { organizationId: org.id } }), 0);

    // The same on update, with a lone surrogate sent as a raw JSON escape; the template stays.
    const number = await createNumber(org);
    const update = await postRaw(
      org,
      `{"query":"mutation ($input: UpdatePhoneNumberInput!) { updatePhoneNumber(input: $input) { __typename ... on ValidationError { fieldErrors { path code message } } } }",` +
        `"variables":{"input":{"id":"${number.id}","dispatchMetadataTemplate":{"greeting":"Hi \\ud83d"}}}}`,
    );
    const payload = update.data?.updatePhoneNumber as { __typename: string; fieldErrors: FieldErrors };
    assert.equal(payload.__typename, "ValidationError");
    assert.deepEqual(problems(payload.fieldErrors), [["input.dispatchMetadataTemplate.greeting", "INVALID_CHARACTERS"]]);
    const row = await (await prisma()).phoneNumber.findUniqueOrThrow({ where: { id: rawId(number.id) } });
    assert.equal(row.dispatchMetadataTemplate, null);
  });

  test("strings longer than their maximum are TOO_LONG: in a list item of a mutation input and in a query filter", async () => {
    const org = await createOrganization("hygiene-too-long");
    const number = await createNumber(org);
    const result = await org.client.request(UpdateNumber, {
      input: { id: number.id, outboundTrunk: { allowedSourceIps: ["10.0.0.1", "1".repeat(1001)] } },
    });
    const error = expectType(result.data?.updatePhoneNumber, "ValidationError");
    assert.deepEqual(problems(error.fieldErrors), [["input.outboundTrunk.allowedSourceIps.1", "TOO_LONG"]]);
    assert.equal(error.fieldErrors[0]!.message, "At most 1000 characters");

    // Exactly the maximum passes this check (and reaches the service's own rules).
    const atMost = await org.client.data(CreateAgent, { input: { name: "n".repeat(100) } });
    expectType(atMost.createAgent, "CreateAgentSuccess");
    const tooLong = await org.client.data(CreateAgent, { input: { name: "n".repeat(101) } });
    assert.deepEqual(problems(expectType(tooLong.createAgent, "ValidationError").fieldErrors), [["input.name", "TOO_LONG"]]);

    const query = await org.client.request(NumbersByText, { text: "4".repeat(1001) });
    assert.equal(query.status, 200);
    assert.equal(query.errors?.[0]?.extensions?.code, "BAD_USER_INPUT");
    const fieldErrors = (query.errors?.[0]?.extensions as { fieldErrors?: FieldErrors } | undefined)?.fieldErrors ?? [];
    assert.deepEqual(problems(fieldErrors), [["filter.text", "TOO_LONG"]]);
  });

  test("every problem of one input is reported at once, and nothing is stored", async () => {
    const org = await createOrganization("hygiene-several");
    const result = await postRaw(
      org,
      JSON.stringify({
        query:
          "mutation ($input: CreateManualPhoneNumberInput!) { createManualPhoneNumber(input: $input) { __typename ... on ValidationError { fieldErrors { path code message } } } }",
        variables: {
          input: {
            e164: `+1415${"5".repeat(1000)}`,
            label: `${"x".repeat(100)}\u0000`,
            // JSON.stringify writes a lone surrogate as its escape, \ud800.
            agentId: "\ud800",
            dispatchMetadataTemplate: { note: "\u0000" },
          },
        },
      }),
    );
    const payload = result.data?.createManualPhoneNumber as { __typename: string; fieldErrors: FieldErrors };
    assert.equal(payload.__typename, "ValidationError");
    assert.deepEqual(problems(payload.fieldErrors), [
      ["input.agentId", "INVALID_CHARACTERS"],
      ["input.dispatchMetadataTemplate.note", "INVALID_CHARACTERS"],
      ["input.e164", "TOO_LONG"],
      ["input.label", "INVALID_CHARACTERS"],
      ["input.label", "TOO_LONG"],
    ]);
    assert.equal(await (await prisma()).phoneNumber.count({ where: { organizationId: org.id } }), 0);
  });

  test("an emoji (a valid surrogate pair) is accepted and stored exactly", async () => {
    const org = await createOrganization("hygiene-emoji");
    const created = await org.client.data(CreateAgent, { input: { name: "Ava 😀" } });
    const agent = expectType(created.createAgent, "CreateAgentSuccess").agent;
    assert.equal(agent.name, "Ava 😀");
    const number = await createNumber(org, "Front desk 📞");
    assert.equal(number.label, "Front desk 📞");
    // Sent as raw JSON escapes of the pair, too.
    const update = await postRaw(
      org,
      `{"query":"mutation ($input: UpdatePhoneNumberInput!) { updatePhoneNumber(input: $input) { __typename } }","variables":{"input":{"id":"${number.id}","label":"Sales \\ud83d\\ude00","dispatchMetadataTemplate":{"mood":"\\ud83d\\ude00"}}}}`,
    );
    assert.equal((update.data?.updatePhoneNumber as { __typename: string }).__typename, "UpdatePhoneNumberSuccess");
    const row = await (await prisma()).phoneNumber.findUniqueOrThrow({ where: { id: rawId(number.id) } });
    assert.equal(row.label, "Sales 😀");
    assert.deepEqual(row.dispatchMetadataTemplate, { mood: "😀" });
    const found = await org.client.data(NumbersByText, { text: "😀" });
    assert.deepEqual(
      found.phoneNumbers?.edges.map((edge) => edge.node.label),
      ["Sales 😀"],
    );
  });

  test("arguments of nested relation fields are checked before the parent's query is planned", async () => {
    const org = await createOrganization("hygiene-nested");
    await createNumber(org);
    const query = "query ($text: String) { phoneNumbers { edges { node { messages(filter: { text: $text }) { totalCount } } } } }";
    const result = await postRaw(org, JSON.stringify({ query, variables: { text: "hi\u0000" } }));
    assert.equal(result.status, 200);
    const error = result.errors?.[0];
    assert.equal(error?.extensions?.code, "BAD_USER_INPUT", JSON.stringify(result.errors));
    assert.match(error!.message, /PhoneNumber\.messages/);
    assert.deepEqual(problems(error?.extensions?.fieldErrors ?? []), [["filter.text", "INVALID_CHARACTERS"]]);
  });

  test("a subscription's arguments are checked when it starts (Server-Sent Events)", async () => {
    const org = await createOrganization("hygiene-subscription");
    const controller = new AbortController();
    const response = await fetch(`${await (await getEnvironment()).url()}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "text/event-stream", "x-api-key": org.secret },
      body: `{"query":"subscription ($id: ID) { phoneNumberSetupStatusChanged(phoneNumberId: $id) { eventId } }","variables":{"id":"\\ud800"}}`,
      signal: controller.signal,
    });
    try {
      assert.equal(response.status, 200);
      let text = "";
      const reader = response.body!.getReader();
      while (!text.includes("data:") || !text.includes("\n\n")) {
        const { value, done } = await reader.read();
        if (done) break;
        text += new TextDecoder().decode(value);
      }
      const event = JSON.parse(text.split("\n").find((line) => line.startsWith("data:"))!.slice(5));
      assert.equal(event.errors?.[0]?.extensions?.code, "BAD_USER_INPUT", text);
      assert.deepEqual(problems(event.errors[0].extensions.fieldErrors), [["phoneNumberId", "INVALID_CHARACTERS"]]);
    } finally {
      controller.abort();
    }
  });
});
