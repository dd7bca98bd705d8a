import assert from "node:assert/strict";
import { after, afterEach, describe, test } from "node:test";
import { decodeGlobalID } from "@pothos/plugin-relay";
import { INLINE_REREGISTRATIONS } from "../src/emergency/service.ts";
import { graphql } from "./generated/gql.ts";
import { createOrganization, getEnvironment, type TestOrganization } from "./helpers/harness.ts";
import { uniqueE164 } from "./helpers/numbers.ts";
import { subscribe, wsClient } from "./helpers/subscriptions.ts";

// Emergency (E911) addresses end to end: a US number that places calls is outbound-ready only once
// an emergency address is registered for it; managed numbers are registered at the (sandbox) carrier.

const SetupChanges = graphql(`
  subscription EmergencySetupChanges($phoneNumberId: ID) {
    phoneNumberSetupStatusChanged(phoneNumberId: $phoneNumberId) {
      phoneNumber {
        id
      }
      current {
        status
        outboundReady
        issues {
          code
          message
          field
        }
      }
    }
  }
`);

const Provision = graphql(`
  mutation EmergencyProvision($input: ProvisionPhoneNumberInput!) {
    provisionPhoneNumber(input: $input) {
      __typename
      ... on ProvisionPhoneNumberSuccess {
        phoneNumber {
          id
          e164
          status
          carrierResourceId
          emergencyRegistration {
            status
          }
          setupStatus {
            outboundReady
            issues {
              code
              field
              message
            }
          }
        }
      }
    }
  }
`);

const CreateManual = graphql(`
  mutation EmergencyCreateManual($e164: String!) {
    createManualPhoneNumber(input: { e164: $e164 }) {
      __typename
      ... on CreateManualPhoneNumberSuccess {
        phoneNumber {
          id
        }
      }
    }
  }
`);

const CreateAddress = graphql(`
  mutation EmergencyCreateAddress($input: CreateEmergencyAddressInput!) {
    createEmergencyAddress(input: $input) {
      __typename
      ... on CreateEmergencyAddressSuccess {
        emergencyAddress {
          id
          callerName
          street
          unit
          city
          region
          postalCode
          country
          status
          failureReason
        }
      }
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

const UpdateAddress = graphql(`
  mutation EmergencyUpdateAddress($input: UpdateEmergencyAddressInput!) {
    updateEmergencyAddress(input: $input) {
      __typename
      ... on UpdateEmergencyAddressSuccess {
        emergencyAddress {
          id
          street
          status
          failureReason
        }
      }
      ... on ValidationError {
        fieldErrors {
          path
          code
        }
      }
      ... on NotFoundError {
        id
      }
    }
  }
`);

const DeleteAddress = graphql(`
  mutation EmergencyDeleteAddress($id: ID!) {
    deleteEmergencyAddress(input: { id: $id }) {
      __typename
      ... on DeleteEmergencyAddressSuccess {
        deletedEmergencyAddressId
      }
      ... on EmergencyAddressInUseError {
        message
        phoneNumberCount
        phoneNumberIds
        e164s
      }
      ... on NotFoundError {
        id
      }
    }
  }
`);

const SetAddress = graphql(`
  mutation EmergencySetAddress($phoneNumberId: ID!, $emergencyAddressId: ID) {
    setPhoneNumberEmergencyAddress(input: { phoneNumberId: $phoneNumberId, emergencyAddressId: $emergencyAddressId }) {
      __typename
      ... on SetPhoneNumberEmergencyAddressSuccess {
        phoneNumber {
          id
          emergencyAddress {
            id
            status
            failureReason
          }
          emergencyRegistration {
            status
            failureReason
          }
          setupStatus {
            outboundReady
            issues {
              code
              field
              message
            }
          }
        }
      }
      ... on ValidationError {
        fieldErrors {
          path
          code
          message
        }
      }
      ... on NotFoundError {
        id
      }
    }
  }
`);

const ReadNumber = graphql(`
  query EmergencyReadNumber($id: ID!) {
    node(id: $id) {
      ... on PhoneNumber {
        emergencyAddress {
          id
          status
        }
        emergencyRegistration {
          status
          failureReason
        }
        setupStatus {
          outboundReady
          issues {
            code
            message
          }
        }
      }
    }
  }
`);

const ReadAddress = graphql(`
  query EmergencyReadAddress($id: ID!) {
    node(id: $id) {
      __typename
      ... on EmergencyAddress {
        id
        street
        status
        failureReason
      }
    }
  }
`);

const ListAddresses = graphql(`
  query EmergencyListAddresses($first: Int, $after: String) {
    emergencyAddresses(first: $first, after: $after) {
      totalCount
      edges {
        cursor
        node {
          id
          street
        }
      }
      pageInfo {
        hasNextPage
        endCursor
      }
    }
  }
`);

const AUSTIN = { callerName: "Acme Robotics", street: "600 Congress Avenue", unit: "Suite 200", city: "Austin", region: "TX", postalCode: "78701", country: "US" };

type Payload = { __typename: string };
function as<T extends Payload>(payload: T, typename: string): T & Record<string, never> {
  assert.equal(payload.__typename, typename, JSON.stringify(payload));
  return payload as never;
}

async function services() {
  return (await getEnvironment()).switchboard.services;
}

async function createAddress(org: TestOrganization, input: Partial<typeof AUSTIN> = {}): Promise<string> {
  const created = as((await org.client.data(CreateAddress, { input: { ...AUSTIN, ...input } })).createEmergencyAddress, "CreateEmergencyAddressSuccess");
  return (created as unknown as { emergencyAddress: { id: string } }).emergencyAddress.id;
}

async function buyNumber(org: TestOrganization, key: string) {
  const bought = as((await org.client.data(Provision, { input: { areaCode: "512", idempotencyKey: key } })).provisionPhoneNumber, "ProvisionPhoneNumberSuccess");
  return (bought as unknown as { phoneNumber: { id: string; e164: string; status: string; carrierResourceId: string; setupStatus: { outboundReady: boolean; issues: Array<{ code: string; field: string; message: string }> } } }).phoneNumber;
}

type SetResult = {
  phoneNumber: {
    emergencyAddress: { id: string; status: string | null; failureReason: string | null } | null;
    emergencyRegistration: { status: string; failureReason: string | null } | null;
    setupStatus: { outboundReady: boolean; issues: Array<{ code: string; field: string; message: string }> };
  };
};

async function setAddress(org: TestOrganization, phoneNumberId: string, emergencyAddressId: string | null): Promise<SetResult["phoneNumber"]> {
  const result = (await org.client.data(SetAddress, { phoneNumberId, emergencyAddressId })).setPhoneNumberEmergencyAddress;
  return (as(result, "SetPhoneNumberEmergencyAddressSuccess") as unknown as SetResult).phoneNumber;
}

describe("emergency addresses (E911)", () => {
  const closers: Array<() => Promise<void> | void> = [];
  after(async () => {
    for (const close of closers.splice(0)) await close();
  });
  afterEach(async () => {
    Object.assign((await services()).carriers.sandbox.faults, { unavailableNext: 0 });
  });

  test("a bought US number is not outbound-ready until its emergency address is registered, and the subscription sees both", async () => {
    const org = await createOrganization("e911");
    const client = wsClient(await (await getEnvironment()).url(), { apiKey: org.secret });
    closers.push(() => client.dispose());
    const changes = await subscribe(client, SetupChanges);

    const number = await buyNumber(org, "e911-1");
    assert.equal(number.status, "ACTIVE");
    assert.equal(number.setupStatus.outboundReady, false);
    const missing = number.setupStatus.issues.find((i) => i.code === "EMERGENCY_ADDRESS_MISSING");
    assert.equal(missing?.field, "emergencyAddress");
    assert.match(missing!.message, /Set an emergency address/);

    // The subscription reports the number as active but not outbound-ready, for lack of an address.
    let event = (await changes.next()).data!.phoneNumberSetupStatusChanged;
    while (event.current.status === "PENDING") event = (await changes.next()).data!.phoneNumberSetupStatusChanged;
    assert.equal(event.phoneNumber.id, number.id);
    assert.equal(event.current.outboundReady, false);
    assert.ok(event.current.issues.some((i) => i.code === "EMERGENCY_ADDRESS_MISSING"));

    const addressId = await createAddress(org);
    const registered = await setAddress(org, number.id, addressId);
    assert.deepEqual(registered.emergencyRegistration, { status: "ACTIVE", failureReason: null });
    assert.deepEqual(registered.emergencyAddress, { id: addressId, status: "ACTIVE", failureReason: null });
    assert.equal(registered.setupStatus.outboundReady, true);
    assert.equal(registered.setupStatus.issues.some((i) => i.code === "EMERGENCY_ADDRESS_MISSING"), false);

    // While PENDING the number said it was being registered; then it became outbound-ready.
    event = (await changes.next()).data!.phoneNumberSetupStatusChanged;
    assert.match(event.current.issues.find((i) => i.code === "EMERGENCY_ADDRESS_MISSING")!.message, /being registered/);
    event = (await changes.next()).data!.phoneNumberSetupStatusChanged;
    assert.equal(event.current.outboundReady, true);
    assert.equal(event.current.issues.some((i) => i.code === "EMERGENCY_ADDRESS_MISSING"), false);
    await changes.close();

    // What reached the carrier: one address record with our reference, enabled on the number.
    const carrierAddress = (await services()).carriers.sandbox.emergencyAddressOf(number.carrierResourceId);
    assert.equal(carrierAddress?.reference, `${decodeGlobalID(addressId).id}:1`);
    assert.deepEqual([carrierAddress?.callerName, carrierAddress?.street, carrierAddress?.unit, carrierAddress?.postalCode], ["Acme Robotics", "600 Congress Avenue", "Suite 200", "78701"]);

    // Every status change is an event, recorded with the change.
    const { prisma } = (await getEnvironment()).switchboard.database;
    const logged = await prisma.event.findMany({ where: { organizationId: org.id, type: "EMERGENCY_REGISTRATION_CHANGED" }, orderBy: { createdAt: "asc" } });
    assert.deepEqual(logged.map((e) => [(e.payload as { previous: string | null }).previous, (e.payload as { current: string }).current]), [[null, "PENDING"], ["PENDING", "ACTIVE"]]);

    // Removing the address disables emergency service at the carrier; the number is not outbound-ready again.
    const removed = await setAddress(org, number.id, null);
    assert.equal(removed.emergencyAddress, null);
    assert.equal(removed.emergencyRegistration, null);
    assert.equal(removed.setupStatus.outboundReady, false);
    assert.equal((await services()).carriers.sandbox.emergencyAddressOf(number.carrierResourceId), undefined);
  });

  test("an address the carrier refuses is FAILED with its reason on the address and the number; correcting it registers the number", async () => {
    const org = await createOrganization("e911-refused");
    const number = await buyNumber(org, "e911-refused");
    const addressId = await createAddress(org, { street: "1 REJECT Road" });
    const refused = await setAddress(org, number.id, addressId);
    assert.equal(refused.emergencyRegistration?.status, "FAILED");
    assert.match(refused.emergencyRegistration!.failureReason!, /could not be validated/);
    assert.equal(refused.emergencyAddress?.status, "FAILED");
    assert.equal(refused.emergencyAddress?.failureReason, refused.emergencyRegistration!.failureReason);
    assert.equal(refused.setupStatus.outboundReady, false);
    assert.match(refused.setupStatus.issues.find((i) => i.code === "EMERGENCY_ADDRESS_MISSING")!.message, /refused the emergency address: .*could not be validated/);

    // A manual number given the refused address shows the refusal too.
    const manual = as((await org.client.data(CreateManual, { e164: uniqueE164() })).createManualPhoneNumber, "CreateManualPhoneNumberSuccess") as unknown as { phoneNumber: { id: string } };
    assert.equal((await setAddress(org, manual.phoneNumber.id, addressId)).emergencyRegistration?.status, "FAILED");

    const fixed = as((await org.client.data(UpdateAddress, { input: { id: addressId, street: "1 Main Street" } })).updateEmergencyAddress, "UpdateEmergencyAddressSuccess") as unknown as {
      emergencyAddress: { status: string; failureReason: string | null };
    };
    assert.deepEqual(fixed.emergencyAddress.status, "ACTIVE");
    assert.equal(fixed.emergencyAddress.failureReason, null);
    for (const [id, status] of [[number.id, "ACTIVE"], [manual.phoneNumber.id, "STORED"]]) {
      const read = (await org.client.data(ReadNumber, { id: id! })).node as { emergencyRegistration: { status: string } };
      assert.equal(read.emergencyRegistration.status, status, id);
    }
    const { sandbox } = (await services()).carriers;
    assert.equal(sandbox.emergencyAddressOf(number.carrierResourceId)?.reference, `${decodeGlobalID(addressId).id}:2`, "a changed address is a new carrier record");
  });

  test("bad addresses are refused with a path per problem; Canadian ones are normalised", async () => {
    const org = await createOrganization("e911-validation");
    const refused = (await org.client.data(CreateAddress, { input: { ...AUSTIN, postalCode: "7870", city: "  ", region: "Texas" } })).createEmergencyAddress;
    const errors = (as(refused, "ValidationError") as unknown as { fieldErrors: Array<{ path: string[]; code: string }> }).fieldErrors;
    assert.deepEqual(errors.map((e) => [e.path.join("."), e.code]).sort(), [["input.city", "REQUIRED"], ["input.postalCode", "INVALID_FORMAT"], ["input.region", "INVALID_VALUE"]]);

    const foreign = (await org.client.data(CreateAddress, { input: { ...AUSTIN, country: "FR", postalCode: "75001", region: "IF" } })).createEmergencyAddress;
    const [country] = (as(foreign, "ValidationError") as unknown as { fieldErrors: Array<{ path: string[]; message: string }> }).fieldErrors;
    assert.deepEqual(country!.path, ["input", "country"]);
    assert.match(country!.message, /US or CA/);

    const ottawa = as((await org.client.data(CreateAddress, { input: { callerName: "Maple Co", street: "111 Wellington St", city: "Ottawa", region: "on", postalCode: "k1a0a9", country: "ca" } })).createEmergencyAddress, "CreateEmergencyAddressSuccess") as unknown as {
      emergencyAddress: { region: string; postalCode: string; country: string; unit: string | null; status: string | null };
    };
    assert.deepEqual([ottawa.emergencyAddress.region, ottawa.emergencyAddress.postalCode, ottawa.emergencyAddress.country, ottawa.emergencyAddress.unit, ottawa.emergencyAddress.status], ["ON", "K1A 0A9", "CA", null, null]);

    const zip4 = (await org.client.data(CreateAddress, { input: { ...AUSTIN, postalCode: "78701-1234" } })).createEmergencyAddress;
    as(zip4, "CreateEmergencyAddressSuccess");
    // An update is checked as the whole address it makes: a US ZIP does not fit Canada.
    const addressId = await createAddress(org);
    const update = (await org.client.data(UpdateAddress, { input: { id: addressId, country: "CA", region: "ON" } })).updateEmergencyAddress;
    assert.deepEqual((as(update, "ValidationError") as unknown as { fieldErrors: Array<{ path: string[] }> }).fieldErrors.map((e) => e.path.join(".")), ["input.postalCode"]);
  });

  test("an address in use cannot be deleted; the error names the numbers", async () => {
    const org = await createOrganization("e911-delete");
    const addressId = await createAddress(org);
    const e164 = uniqueE164();
    const manual = as((await org.client.data(CreateManual, { e164 })).createManualPhoneNumber, "CreateManualPhoneNumberSuccess") as unknown as { phoneNumber: { id: string } };
    // A manual number's own carrier routes its emergency calls: STORED once set, no carrier call, and
    // it counts for the setup status.
    const set = await setAddress(org, manual.phoneNumber.id, addressId);
    assert.equal(set.emergencyRegistration?.status, "STORED");
    assert.equal(set.setupStatus.issues.some((i) => i.code === "EMERGENCY_ADDRESS_MISSING"), false);
    assert.equal(set.emergencyAddress?.status, null, "no carrier registered the address");

    const inUse = as((await org.client.data(DeleteAddress, { id: addressId })).deleteEmergencyAddress, "EmergencyAddressInUseError") as unknown as { phoneNumberCount: number; phoneNumberIds: string[]; e164s: string[]; message: string };
    assert.equal(inUse.phoneNumberCount, 1);
    assert.deepEqual(inUse.phoneNumberIds, [manual.phoneNumber.id]);
    assert.deepEqual(inUse.e164s, [e164]);
    assert.match(inUse.message, /used by 1 live number/);

    await setAddress(org, manual.phoneNumber.id, null);
    as((await org.client.data(DeleteAddress, { id: addressId })).deleteEmergencyAddress, "DeleteEmergencyAddressSuccess");
    assert.equal((await org.client.data(ReadAddress, { id: addressId })).node, null);
  });

  test("the list pages by cursor; another organization can neither see nor use an address", async () => {
    const org = await createOrganization("e911-owner");
    const other = await createOrganization("e911-other");
    const ids = [await createAddress(org, { street: "1 First St" }), await createAddress(org, { street: "2 Second St" }), await createAddress(org, { street: "3 Third St" })];
    const first = (await org.client.data(ListAddresses, { first: 2 })).emergencyAddresses;
    assert.equal(first.totalCount, 3);
    assert.deepEqual(first.edges.map((e) => e.node.id), [ids[2], ids[1]]);
    const rest = (await org.client.data(ListAddresses, { first: 2, after: first.pageInfo.endCursor })).emergencyAddresses;
    assert.deepEqual(rest.edges.map((e) => e.node.id), [ids[0]]);
    assert.equal(rest.pageInfo.hasNextPage, false);

    assert.equal((await other.client.data(ListAddresses, { first: 10 })).emergencyAddresses.totalCount, 0);
    assert.equal((await other.client.data(ReadAddress, { id: ids[0]! })).node, null);
    as((await other.client.data(UpdateAddress, { input: { id: ids[0]!, street: "9 Stolen St" } })).updateEmergencyAddress, "NotFoundError");
    as((await other.client.data(DeleteAddress, { id: ids[0]! })).deleteEmergencyAddress, "NotFoundError");
    const theirs = as((await other.client.data(CreateManual, { e164: uniqueE164() })).createManualPhoneNumber, "CreateManualPhoneNumberSuccess") as unknown as { phoneNumber: { id: string } };
    const refused = (await other.client.data(SetAddress, { phoneNumberId: theirs.phoneNumber.id, emergencyAddressId: ids[0]! })).setPhoneNumberEmergencyAddress;
    assert.deepEqual((as(refused, "ValidationError") as unknown as { fieldErrors: Array<{ path: string[]; code: string }> }).fieldErrors.map((e) => [e.path.join("."), e.code]), [["input.emergencyAddressId", "NOT_FOUND"]]);
    // Nor set an address on the owner's number.
    const ownersNumber = as((await org.client.data(CreateManual, { e164: uniqueE164() })).createManualPhoneNumber, "CreateManualPhoneNumberSuccess") as unknown as { phoneNumber: { id: string } };
    as((await other.client.data(SetAddress, { phoneNumberId: ownersNumber.phoneNumber.id, emergencyAddressId: null })).setPhoneNumberEmergencyAddress, "NotFoundError");
  });

  test("a registration a carrier outage left PENDING is completed by the job", async () => {
    const org = await createOrganization("e911-outage");
    const number = await buyNumber(org, "e911-outage");
    const addressId = await createAddress(org);
    const svc = await services();
    // Every attempt of the first call (the resilience wrapper's retries included) meets a 503.
    svc.carriers.sandbox.faults.unavailableNext = 1 + (await getEnvironment()).config.carrier.retries;
    const pending = await setAddress(org, number.id, addressId);
    assert.equal(pending.emergencyRegistration?.status, "PENDING");
    assert.equal(pending.setupStatus.outboundReady, false);
    assert.match(pending.setupStatus.issues.find((i) => i.code === "EMERGENCY_ADDRESS_MISSING")!.message, /being registered/);
    const { prisma } = (await getEnvironment()).switchboard.database;
    const row = await prisma.phoneNumber.findUniqueOrThrow({ where: { id: decodeGlobalID(number.id).id } });
    assert.equal(row.emergencyAttempts, 1);
    assert.ok(row.emergencyNextAttemptAt && row.emergencyNextAttemptAt > new Date(), "retried after a backoff");

    // The job's run once the backoff has passed (the breaker's pause is short in tests).
    const pause = (await getEnvironment()).config.carrier.breakerHalfOpenMs + 50;
    await new Promise((resolve) => setTimeout(resolve, pause));
    await svc.emergency.registerDue(new Date(Date.now() + 60_000));
    const read = (await org.client.data(ReadNumber, { id: number.id })).node as { emergencyRegistration: { status: string }; setupStatus: { outboundReady: boolean } };
    assert.equal(read.emergencyRegistration.status, "ACTIVE");
    assert.equal(read.setupStatus.outboundReady, true);
  });

  test(`an address change registers its first ${INLINE_REREGISTRATIONS} managed numbers in the request and leaves the others to the job`, async () => {
    const org = await createOrganization("e911-many");
    const addressId = await createAddress(org);
    const numbers: Array<Awaited<ReturnType<typeof buyNumber>>> = [];
    for (let i = 0; i < INLINE_REREGISTRATIONS + 2; i++) {
      const number = await buyNumber(org, `e911-many-${i}`);
      assert.equal((await setAddress(org, number.id, addressId)).emergencyRegistration?.status, "ACTIVE");
      numbers.push(number);
    }
    const svc = await services();
    const enables = svc.carriers.sandbox.calls.enableEmergency ?? 0;
    as((await org.client.data(UpdateAddress, { input: { id: addressId, unit: "Floor 3" } })).updateEmergencyAddress, "UpdateEmergencyAddressSuccess");
    assert.equal((svc.carriers.sandbox.calls.enableEmergency ?? 0) - enables, INLINE_REREGISTRATIONS, "a bounded number of carrier calls in the request");
    const statuses = async () => {
      const read = await Promise.all(numbers.map(async (n) => ((await org.client.data(ReadNumber, { id: n.id })).node as { emergencyRegistration: { status: string } }).emergencyRegistration.status));
      return read.sort();
    };
    assert.deepEqual(await statuses(), [...Array(INLINE_REREGISTRATIONS).fill("ACTIVE"), "PENDING", "PENDING"]);

    // The job takes the others once the request's lease is over (here: a run as if a minute later).
    await svc.emergency.registerDue(new Date(Date.now() + 10 * 60_000));
    assert.deepEqual(await statuses(), numbers.map(() => "ACTIVE"));
    assert.ok(numbers.every((n) => svc.carriers.sandbox.emergencyAddressOf(n.carrierResourceId)?.unit === "Floor 3"), "every number uses the new revision");
  });

  test("while the carrier is still provisioning, the registration stays PENDING and the job asks again", async () => {
    const org = await createOrganization("e911-slow");
    const number = await buyNumber(org, "e911-slow");
    const svc = await services();
    // The sandbox's switch: a street containing SLOW is accepted, its numbers' service stays provisioning.
    const provisioning = await setAddress(org, number.id, await createAddress(org, { street: "10 SLOW Lane" }));
    assert.equal(provisioning.emergencyRegistration?.status, "PENDING");
    assert.equal(provisioning.emergencyAddress?.status, "ACTIVE", "the address itself was accepted");
    svc.carriers.sandbox.completeEmergency();
    await svc.emergency.registerDue(new Date(Date.now() + 60_000));
    const read = (await org.client.data(ReadNumber, { id: number.id })).node as { emergencyRegistration: { status: string }; setupStatus: { outboundReady: boolean } };
    assert.equal(read.emergencyRegistration.status, "ACTIVE");
    assert.equal(read.setupStatus.outboundReady, true);
  });

  test("a number still being bought waits for its order, then is registered as soon as it is active", async () => {
    const org = await createOrganization("e911-order");
    const svc = await services();
    svc.carriers.sandbox.faults.delayCompletion = true;
    try {
      const number = await buyNumber(org, "e911-order");
      assert.equal(number.status, "PENDING");
      const waiting = await setAddress(org, number.id, await createAddress(org));
      assert.equal(waiting.emergencyRegistration?.status, "PENDING");
      svc.carriers.sandbox.completeOrders();
    } finally {
      svc.carriers.sandbox.faults.delayCompletion = false;
    }
    await svc.provisioning.reconcileOrders();
    const { prisma } = (await getEnvironment()).switchboard.database;
    const row = await prisma.phoneNumber.findFirstOrThrow({ where: { organizationId: org.id } });
    assert.deepEqual([row.status, row.emergencyStatus], ["ACTIVE", "ACTIVE"]);
    assert.equal(svc.carriers.sandbox.emergencyAddressOf(row.carrierResourceId!)?.callerName, "Acme Robotics");
  });

  test("numbers outside the US and Canada, and toll-free numbers, take no emergency address", async () => {
    const org = await createOrganization("e911-scope");
    const addressId = await createAddress(org);
    const uk = as((await org.client.data(CreateManual, { e164: "+442079460958" })).createManualPhoneNumber, "CreateManualPhoneNumberSuccess") as unknown as { phoneNumber: { id: string } };
    const refused = (await org.client.data(SetAddress, { phoneNumberId: uk.phoneNumber.id, emergencyAddressId: addressId })).setPhoneNumberEmergencyAddress;
    assert.deepEqual((as(refused, "ValidationError") as unknown as { fieldErrors: Array<{ path: string[] }> }).fieldErrors.map((e) => e.path.join(".")), ["input.phoneNumberId"]);
    const ukStatus = (await org.client.data(ReadNumber, { id: uk.phoneNumber.id })).node as { setupStatus: { issues: Array<{ code: string }> } };
    assert.equal(ukStatus.setupStatus.issues.some((i) => i.code === "EMERGENCY_ADDRESS_MISSING"), false);

    const tollFreeE164 = `+1833${2 + Math.floor(Math.random() * 8)}${String(Math.floor(Math.random() * 1e6)).padStart(6, "0")}`;
    const tollFree = as((await org.client.data(CreateManual, { e164: tollFreeE164 })).createManualPhoneNumber, "CreateManualPhoneNumberSuccess") as unknown as { phoneNumber: { id: string } };
    const status = (await org.client.data(ReadNumber, { id: tollFree.phoneNumber.id })).node as { setupStatus: { issues: Array<{ code: string }> } };
    assert.equal(status.setupStatus.issues.some((i) => i.code === "EMERGENCY_ADDRESS_MISSING"), false, "toll-free numbers need no emergency address");
    const tollFreeRefused = (await org.client.data(SetAddress, { phoneNumberId: tollFree.phoneNumber.id, emergencyAddressId: addressId })).setPhoneNumberEmergencyAddress;
    assert.match((as(tollFreeRefused, "ValidationError") as unknown as { fieldErrors: Array<{ message: string }> }).fieldErrors[0]!.message, /toll-free/);
  });

  test("an address must be in its number's country, on setting it and on changing it", async () => {
    const org = await createOrganization("e911-country");
    const austin = await createAddress(org);
    const toronto = uniqueE164("+1416");
    const canadian = as((await org.client.data(CreateManual, { e164: toronto })).createManualPhoneNumber, "CreateManualPhoneNumberSuccess") as unknown as { phoneNumber: { id: string } };
    const refused = (await org.client.data(SetAddress, { phoneNumberId: canadian.phoneNumber.id, emergencyAddressId: austin })).setPhoneNumberEmergencyAddress;
    const [error] = (as(refused, "ValidationError") as unknown as { fieldErrors: Array<{ path: string[]; code: string; message: string }> }).fieldErrors;
    assert.deepEqual([error!.path.join("."), error!.code], ["input.emergencyAddressId", "INVALID_VALUE"]);
    assert.match(error!.message, new RegExp(`The address is in US; \\${toronto} is in another country`));

    const us = as((await org.client.data(CreateManual, { e164: uniqueE164() })).createManualPhoneNumber, "CreateManualPhoneNumberSuccess") as unknown as { phoneNumber: { id: string } };
    assert.equal((await setAddress(org, us.phoneNumber.id, austin)).emergencyRegistration?.status, "STORED");
    const moved = (await org.client.data(UpdateAddress, { input: { id: austin, street: "111 Wellington St", city: "Ottawa", region: "ON", postalCode: "K1A 0A9", country: "CA" } })).updateEmergencyAddress;
    assert.deepEqual((as(moved, "ValidationError") as unknown as { fieldErrors: Array<{ path: string[] }> }).fieldErrors.map((e) => e.path.join(".")), ["input.country"]);
    const after = (await org.client.data(ReadAddress, { id: austin })).node as { street: string };
    assert.equal(after.street, "600 Congress Avenue", "nothing changed");
  });
});
