import assert from "node:assert/strict";
import { graphql } from "../generated/gql.ts";
import type { Client } from "./harness.ts";

// US and Canadian numbers that place calls are outbound-ready only with an ACTIVE emergency (E911)
// registration (setup issue EMERGENCY_ADDRESS_MISSING). Tests whose story is about something else
// give their number one the way a customer would: create an address, set it on the number.

const CreateAddress = graphql(`
  mutation HelperCreateEmergencyAddress($input: CreateEmergencyAddressInput!) {
    createEmergencyAddress(input: $input) {
      __typename
      ... on CreateEmergencyAddressSuccess {
        emergencyAddress {
          id
        }
      }
    }
  }
`);

const SetAddress = graphql(`
  mutation HelperSetEmergencyAddress($phoneNumberId: ID!, $emergencyAddressId: ID) {
    setPhoneNumberEmergencyAddress(input: { phoneNumberId: $phoneNumberId, emergencyAddressId: $emergencyAddressId }) {
      __typename
      ... on SetPhoneNumberEmergencyAddressSuccess {
        phoneNumber {
          emergencyRegistration {
            status
          }
        }
      }
    }
  }
`);

const addresses = new WeakMap<Client, Promise<string>>();

/** The organization's test address (created once per client): 600 Congress Avenue, Austin TX. */
export function testEmergencyAddress(client: Client): Promise<string> {
  let id = addresses.get(client);
  if (!id) {
    id = client
      .data(CreateAddress, { input: { callerName: "Test Organization", street: "600 Congress Avenue", city: "Austin", region: "TX", postalCode: "78701", country: "US" } })
      .then((data) => {
        assert.equal(data.createEmergencyAddress.__typename, "CreateEmergencyAddressSuccess");
        return (data.createEmergencyAddress as { emergencyAddress: { id: string } }).emergencyAddress.id;
      });
    addresses.set(client, id);
  }
  return id;
}

/**
 * Registers the test address on a number and checks that it counts: ACTIVE on a managed number (the
 * sandbox accepts it at once), STORED on a SIP-trunk or manual one (its own carrier routes 911 calls).
 */
export async function registerEmergencyAddress(client: Client, phoneNumberId: string): Promise<void> {
  const data = await client.data(SetAddress, { phoneNumberId, emergencyAddressId: await testEmergencyAddress(client) });
  const payload = data.setPhoneNumberEmergencyAddress as { __typename: string; phoneNumber?: { emergencyRegistration: { status: string } | null } };
  assert.equal(payload.__typename, "SetPhoneNumberEmergencyAddressSuccess", JSON.stringify(payload));
  assert.ok(["ACTIVE", "STORED"].includes(payload.phoneNumber?.emergencyRegistration?.status ?? ""), JSON.stringify(payload));
}
