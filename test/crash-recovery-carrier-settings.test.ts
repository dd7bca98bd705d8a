import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { after, describe, test } from "node:test";
import { organizationKeyFromCli, processEnvironment, testTarget } from "./helpers/harness.ts";
import { post, runCli, startServerProcess, waitFor, type ServerProcess } from "./helpers/processes.ts";

// The issue 15 carrier write paths, each killed (SIGKILL) right after the sandbox carrier committed
// the change and before Switchboard wrote the answer back (SANDBOX_FAULTS crash-after-...). The
// restarted server's job finishes what the dead process started, and the carrier still holds one
// record: the recovery finds it by its reference (or sets the same state again), it creates none.

const SETTINGS = { CARRIER_TIMEOUT_MS: "200", ORDER_POLL_SECONDS: "0.2" };
const PROVISION = 'mutation($key: String!, $area: String!) { provisionPhoneNumber(input: { areaCode: $area, idempotencyKey: $key }) { __typename ... on ProvisionPhoneNumberSuccess { phoneNumber { id e164 } } } }';
const NUMBER = `query($id: ID!) { node(id: $id) { ... on PhoneNumber { status callerIdName callerIdNameStatus fallback { forwardTo status } emergencyRegistration { status failureReason } } } }`;
const EVENTS = "{ events(first: 100) { edges { node { type createdAt data } } } }";

interface SandboxState {
  numbers: Record<string, { e164: string; carrierNumberId: string }>;
  voice?: Record<string, { callerIdName: string | null; forwardsTo: string | null; forwardingType: string | null }>;
  emergencyAddresses?: Record<string, { id: string; reference: string; street: string }>;
  emergencyByNumber?: Record<string, string>;
  tollFreeVerifications?: Record<string, { requestId: string; creations: number; phoneNumbers: string[] }>;
}

const carrierState = (dataDir: string) => JSON.parse(readFileSync(path.join(dataDir, "sandbox-carrier.json"), "utf8")) as SandboxState;
const carrierNumberIdOf = (state: SandboxState, e164: string) => Object.values(state.numbers).find((n) => n.e164 === e164)!.carrierNumberId;

/** Waits for a server that was told to crash: it must die of SIGKILL, not exit. */
async function diedOfSigkill(server: ServerProcess): Promise<void> {
  await new Promise((resolve) => (server.child.exitCode !== null || server.child.signalCode ? resolve(null) : server.child.once("exit", resolve)));
  assert.equal(server.child.signalCode, "SIGKILL");
}

/** Buys a managed number and waits until it is ACTIVE (its order may complete after the answer). */
async function buyActiveNumber(url: string, key: string, area: string, idempotencyKey: string): Promise<{ id: string; e164: string }> {
  const bought = await post(url, key, PROVISION, { key: idempotencyKey, area });
  const number = bought.body.data?.provisionPhoneNumber?.phoneNumber as { id: string; e164: string } | undefined;
  assert.ok(number, JSON.stringify(bought.body));
  await waitFor(`${number.e164} ACTIVE`, () => post(url, key, NUMBER, { id: number.id }), (r) => r.body.data?.node?.status === "ACTIVE");
  return number;
}

/** The events of one type, oldest first. */
async function eventsOf(url: string, key: string, type: string): Promise<Array<Record<string, any>>> {
  const listed = await post(url, key, EVENTS);
  const nodes = listed.body.data.events.edges.map((e: { node: { type: string; createdAt: string; data: Record<string, any> } }) => e.node);
  return nodes
    .filter((n: { type: string }) => n.type === type)
    .sort((a: { createdAt: string }, b: { createdAt: string }) => a.createdAt.localeCompare(b.createdAt))
    .map((n: { data: Record<string, any> }) => n.data);
}

describe(`crash between a carrier settings write and the database write (${testTarget()} database)`, () => {
  const servers: ServerProcess[] = [];
  after(async () => {
    for (const server of servers) await server.stop();
  });

  // Two crash points: after the carrier created the address record (the recovery must find it by
  // its reference), and after it enabled emergency service on the number (the recovery enables it again).
  const emergencyCrashes = [
    { fault: "crash-after-emergency-address", area: "512", enabledBeforeCrash: false, what: "the address record the carrier created before the crash is found again, not duplicated" },
    { fault: "crash-after-emergency-enable", area: "737", enabledBeforeCrash: true, what: "the registration the carrier enabled before the crash is confirmed with the same address record" },
  ];
  for (const { fault, area, enabledBeforeCrash, what } of emergencyCrashes) {
    test(`emergency registration (${fault}): ${what}, and the registration becomes ACTIVE`, { timeout: 180_000 }, async () => {
      const env = await processEnvironment("switchboard-crash-e911", SETTINGS);
      const key = await organizationKeyFromCli("crash-e911", env);
      const doomed = await startServerProcess({ ...env, SANDBOX_FAULTS: fault });
      servers.push(doomed);
      const number = await buyActiveNumber(doomed.url, key, area, "crash-e911-1");
      const created = await post(
        doomed.url,
        key,
        'mutation { createEmergencyAddress(input: { callerName: "Acme Robotics", street: "600 Congress Avenue", unit: "Suite 200", city: "Austin", region: "TX", postalCode: "78701", country: "US" }) { __typename ... on CreateEmergencyAddressSuccess { emergencyAddress { id } } } }',
      );
      const addressId = created.body.data.createEmergencyAddress.emergencyAddress.id as string;

      const attempt = post(doomed.url, key, "mutation($n: ID!, $a: ID) { setPhoneNumberEmergencyAddress(input: { phoneNumberId: $n, emergencyAddressId: $a }) { __typename } }", { n: number.id, a: addressId });
      await assert.rejects(attempt, "the server dies before it answers");
      await diedOfSigkill(doomed);
      const crashed = carrierState(env.DATA_DIR!);
      const carrierNumberId = carrierNumberIdOf(crashed, number.e164);
      const records = Object.values(crashed.emergencyAddresses ?? {});
      assert.equal(records.length, 1, "the carrier created the address record before the crash");
      assert.equal(records[0]!.reference, `${Buffer.from(addressId, "base64").toString().split(":")[1]}:1`, "the record carries the address's reference (id and revision)");
      assert.equal(crashed.emergencyByNumber?.[carrierNumberId], enabledBeforeCrash ? records[0]!.id : undefined, "what the carrier had enabled on the number at the crash");

      const restarted = await startServerProcess(env);
      servers.push(restarted);
      const registered = await waitFor(
        "the emergency registration to become ACTIVE",
        () => post(restarted.url, key, NUMBER, { id: number.id }),
        (r) => ["ACTIVE", "FAILED"].includes(r.body.data?.node?.emergencyRegistration?.status),
      );
      assert.deepEqual(registered.body.data.node.emergencyRegistration, { status: "ACTIVE", failureReason: null });

      const recovered = carrierState(env.DATA_DIR!);
      assert.deepEqual(Object.keys(recovered.emergencyAddresses ?? {}), [records[0]!.id], "still exactly one address record at the carrier");
      assert.deepEqual(recovered.emergencyByNumber, { [carrierNumberId]: records[0]!.id }, "the number's emergency service uses that record");
      const changes = await eventsOf(restarted.url, key, "EMERGENCY_REGISTRATION_CHANGED");
      assert.deepEqual(changes.map((c) => [c.previous, c.current]), [[null, "PENDING"], ["PENDING", "ACTIVE"]]);
    });
  }

  test("caller ID name: the name the carrier listed before the crash becomes ACTIVE after the restart", { timeout: 180_000 }, async () => {
    const env = await processEnvironment("switchboard-crash-cnam", SETTINGS);
    const key = await organizationKeyFromCli("crash-cnam", env);
    const doomed = await startServerProcess({ ...env, SANDBOX_FAULTS: "crash-after-caller-id-name" });
    servers.push(doomed);
    const number = await buyActiveNumber(doomed.url, key, "305", "crash-cnam-1");

    const attempt = post(doomed.url, key, 'mutation($n: ID!) { setPhoneNumberCallerIdName(input: { phoneNumberId: $n, callerIdName: "ACME ROBOTICS" }) { __typename } }', { n: number.id });
    await assert.rejects(attempt, "the server dies before it answers");
    await diedOfSigkill(doomed);
    const crashed = carrierState(env.DATA_DIR!);
    const carrierNumberId = carrierNumberIdOf(crashed, number.e164);
    assert.deepEqual(crashed.voice, { [carrierNumberId]: { callerIdName: "ACME ROBOTICS", forwardsTo: null, forwardingType: null } }, "the carrier listed the name before the crash");

    const restarted = await startServerProcess(env);
    servers.push(restarted);
    const settled = await waitFor(
      "the caller ID name to become ACTIVE",
      () => post(restarted.url, key, NUMBER, { id: number.id }),
      (r) => ["ACTIVE", "FAILED"].includes(r.body.data?.node?.callerIdNameStatus),
    );
    assert.deepEqual([settled.body.data.node.callerIdName, settled.body.data.node.callerIdNameStatus], ["ACME ROBOTICS", "ACTIVE"]);
    assert.deepEqual(carrierState(env.DATA_DIR!).voice, crashed.voice, "the carrier holds the same single setting");
    const changes = await eventsOf(restarted.url, key, "CALLER_ID_NAME_STATUS_CHANGED");
    assert.deepEqual(changes.map((c) => [c.previousStatus, c.status]), [[null, "PENDING"], ["PENDING", "ACTIVE"]]);
  });

  test("fallback: the call forwarding the carrier set before the crash becomes ACTIVE after the restart", { timeout: 180_000 }, async () => {
    const env = await processEnvironment("switchboard-crash-fallback", SETTINGS);
    const key = await organizationKeyFromCli("crash-fallback", env);
    const doomed = await startServerProcess({ ...env, SANDBOX_FAULTS: "crash-after-call-forwarding" });
    servers.push(doomed);
    const number = await buyActiveNumber(doomed.url, key, "206", "crash-fallback-1");

    const attempt = post(doomed.url, key, 'mutation($n: ID!) { setPhoneNumberFallback(input: { phoneNumberId: $n, fallback: { forwardTo: "+14155550123" } }) { __typename } }', { n: number.id });
    await assert.rejects(attempt, "the server dies before it answers");
    await diedOfSigkill(doomed);
    const crashed = carrierState(env.DATA_DIR!);
    const carrierNumberId = carrierNumberIdOf(crashed, number.e164);
    assert.equal(Object.keys(crashed.voice ?? {}).length, 1);
    assert.equal(crashed.voice?.[carrierNumberId]?.forwardsTo, "+14155550123", "the carrier set the forwarding before the crash");

    const restarted = await startServerProcess(env);
    servers.push(restarted);
    const settled = await waitFor(
      "the fallback to become ACTIVE",
      () => post(restarted.url, key, NUMBER, { id: number.id }),
      (r) => ["ACTIVE", "FAILED"].includes(r.body.data?.node?.fallback?.status),
    );
    assert.deepEqual(settled.body.data.node.fallback, { forwardTo: "+14155550123", status: "ACTIVE" });
    assert.deepEqual(carrierState(env.DATA_DIR!).voice, crashed.voice, "the carrier holds the same single setting");
    const changes = await eventsOf(restarted.url, key, "FALLBACK_STATUS_CHANGED");
    assert.deepEqual(changes.map((c) => [c.previousStatus, c.status]), [[null, "PENDING"], ["PENDING", "ACTIVE"]]);
  });

  test("toll-free verification: the request the carrier created before the crash is found by its reference, not created twice", { timeout: 180_000 }, async () => {
    const env = await processEnvironment("switchboard-crash-tollfree", SETTINGS);
    const key = await organizationKeyFromCli("crash-tollfree", env);
    const operator = await runCli(["apikey", "create", "--operator", "--name", "crash reviewer"], env);
    assert.equal(operator.code, 0, operator.stderr);
    const operatorKey = operator.stdout.trim().split("\n").at(-1)!.trim();

    const doomed = await startServerProcess({ ...env, SANDBOX_FAULTS: "crash-after-toll-free-verification" });
    servers.push(doomed);
    const number = await buyActiveNumber(doomed.url, key, "833", "crash-tollfree-1");
    assert.ok(number.e164.startsWith("+1833"), number.e164);
    const submitted = await post(
      doomed.url,
      key,
      `mutation($input: SubmitTollFreeVerificationInput!) { submitTollFreeVerification(input: $input) { __typename ... on SubmitTollFreeVerificationSuccess { tollFreeVerification { id status phoneNumberIds } } } }`,
      {
        input: {
          business: { name: "Acme Robotics, Inc.", website: "acme.example.com", address: { street: "1 Market St", city: "San Francisco", region: "CA", postalCode: "94105", country: "US" } },
          contact: { firstName: "Ada", lastName: "Lovelace", email: "ada@acme.example.com", phone: "+1 (415) 555-0100" },
          useCase: "ACCOUNT_NOTIFICATION",
          useCaseSummary: "Order and delivery updates to customers who bought from our web shop.",
          sampleMessages: ["Acme: your order #1234 has shipped. Reply STOP to opt out."],
          optInDescription: "Customers tick an unticked SMS checkbox at checkout; the terms are shown next to it.",
          optInImageUrls: ["https://acme.example.com/opt-in.png"],
          expectedMonthlyVolume: 2000,
        },
      },
    );
    const verification = submitted.body.data?.submitTollFreeVerification?.tollFreeVerification as { id: string; status: string; phoneNumberIds: string[] } | undefined;
    assert.ok(verification, JSON.stringify(submitted.body));
    assert.deepEqual([verification.status, verification.phoneNumberIds], ["SUBMITTED", [number.id]]);

    const attempt = post(doomed.url, operatorKey, 'mutation($id: ID!) { decideTollFreeVerification(input: { id: $id, decision: APPROVE }) { __typename } }', { id: verification.id });
    await assert.rejects(attempt, "the server dies before it answers");
    await diedOfSigkill(doomed);
    const requests = Object.values(carrierState(env.DATA_DIR!).tollFreeVerifications ?? {});
    assert.equal(requests.length, 1, "the carrier created the verification request before the crash");
    assert.deepEqual([requests[0]!.creations, requests[0]!.phoneNumbers], [1, [number.e164]]);

    const restarted = await startServerProcess(env);
    servers.push(restarted);
    const CARRIER = "{ tollFreeVerification { status submission { carrierSubmission { carrier status requestId lastError } } } }";
    const registered = await waitFor(
      "the carrier submission to be SUBMITTED",
      () => post(restarted.url, key, CARRIER),
      (r) => ["SUBMITTED", "FAILED"].includes(r.body.data?.tollFreeVerification?.submission?.carrierSubmission?.status),
    );
    assert.deepEqual(registered.body.data.tollFreeVerification, {
      status: "APPROVED",
      submission: { carrierSubmission: { carrier: "sandbox", status: "SUBMITTED", requestId: requests[0]!.requestId, lastError: null } },
    });
    const after = Object.values(carrierState(env.DATA_DIR!).tollFreeVerifications ?? {});
    assert.deepEqual(after.map((r) => [r.requestId, r.creations]), [[requests[0]!.requestId, 1]], "still exactly one request at the carrier, created once");
    const changes = await eventsOf(restarted.url, key, "TOLL_FREE_VERIFICATION_STATUS_CHANGED");
    assert.deepEqual(changes.map((c) => [c.previous, c.current]), [["MISSING", "SUBMITTED"], ["SUBMITTED", "APPROVED"]], "the approval committed before the carrier was called");
  });
});
