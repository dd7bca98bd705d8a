import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import { graphql } from "./generated/gql.ts";
import { createOrganization, getEnvironment } from "./helpers/harness.ts";
import { uniqueE164 } from "./helpers/numbers.ts";
import { subscribe, wsClient } from "./helpers/subscriptions.ts";

// Subscribers asking the same thing share one execution per event (src/limits/shared-subscriptions.ts).
// What each one sees must not change: the same events, its own scopes applied, and a subscriber
// leaving never ends the stream for the others.

const WithBilling = graphql(`
  subscription SharedWithBilling {
    phoneNumberSetupStatusChanged {
      eventId
      phoneNumber {
        e164
        billing {
          monthlyPriceCents
        }
      }
      current {
        status
      }
    }
  }
`);

const CreateNumber = graphql(`
  mutation SharedCreateNumber($input: CreateManualPhoneNumberInput!) {
    createManualPhoneNumber(input: $input) {
      __typename
    }
  }
`);

describe("shared subscriptions", () => {
  const closers: Array<() => unknown> = [];
  after(async () => {
    for (const close of closers.splice(0)) await close();
  });
  const connect = async (apiKey: string) => {
    const client = wsClient(await (await getEnvironment()).url(), { apiKey });
    closers.push(() => client.dispose());
    return client;
  };

  test("three subscribers of one key get every event; one leaving does not end the others' stream", async () => {
    const org = await createOrganization("shared");
    const subscriptions = await Promise.all([0, 1, 2].map(async () => subscribe(await connect(org.secret), WithBilling)));
    const first = uniqueE164();
    await org.client.data(CreateNumber, { input: { e164: first } });
    const events = await Promise.all(subscriptions.map((s) => s.next()));
    for (const event of events) assert.equal(event.data?.phoneNumberSetupStatusChanged.phoneNumber.e164, first, JSON.stringify(event));
    assert.equal(new Set(events.map((e) => e.data?.phoneNumberSetupStatusChanged.eventId)).size, 1, "one event, the same id for all");

    // The first subscriber (whose stream the others joined) leaves: the others still get events.
    await subscriptions[0]!.close();
    const second = uniqueE164();
    await org.client.data(CreateNumber, { input: { e164: second } });
    for (const s of subscriptions.slice(1)) assert.equal((await s.next()).data?.phoneNumberSetupStatusChanged.phoneNumber.e164, second);

    // All leave, then a new subscriber starts a fresh stream and gets the next event.
    await Promise.all(subscriptions.slice(1).map((s) => s.close()));
    const late = await subscribe(await connect(org.secret), WithBilling);
    const third = uniqueE164();
    await org.client.data(CreateNumber, { input: { e164: third } });
    assert.equal((await late.next()).data?.phoneNumberSetupStatusChanged.phoneNumber.e164, third);
    await late.close();
  });

  test("subscribers with other scopes do not share: each sees the fields its own key allows", async () => {
    const org = await createOrganization("shared-scopes");
    const allScopes = await subscribe(await connect(org.secret), WithBilling);
    const numbersOnlyKey = (await org.clientWithScopes(["numbers:read"])).headers["x-api-key"]!;
    const numbersOnly = await subscribe(await connect(numbersOnlyKey), WithBilling);
    const e164 = uniqueE164();
    await org.client.data(CreateNumber, { input: { e164 } });
    const full = await allScopes.next();
    const limited = await numbersOnly.next();
    assert.deepEqual(full.data?.phoneNumberSetupStatusChanged.phoneNumber, { e164, billing: { monthlyPriceCents: 0 } });
    assert.deepEqual(limited.data?.phoneNumberSetupStatusChanged.phoneNumber, { e164, billing: null }, "billing needs billing:read");
    assert.equal(limited.errors?.[0]?.extensions?.code, "FORBIDDEN");
    assert.equal(full.errors, undefined);
  });

  test("another organization's subscriber with the same document never shares a stream", async () => {
    const a = await createOrganization("shared-a");
    const b = await createOrganization("shared-b");
    const ofA = await subscribe(await connect(a.secret), WithBilling);
    const ofB = await subscribe(await connect(b.secret), WithBilling);
    const numberOfA = uniqueE164();
    await a.client.data(CreateNumber, { input: { e164: numberOfA } });
    const numberOfB = uniqueE164();
    await b.client.data(CreateNumber, { input: { e164: numberOfB } });
    assert.equal((await ofA.next()).data?.phoneNumberSetupStatusChanged.phoneNumber.e164, numberOfA);
    assert.equal((await ofB.next()).data?.phoneNumberSetupStatusChanged.phoneNumber.e164, numberOfB, "B's first event is its own");
  });
});
