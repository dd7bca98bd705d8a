import assert from "node:assert/strict";
import { graphql } from "../generated/gql.ts";
import type { SubmitVerificationInput } from "../generated/graphql.ts";
import { createOperator, type Client, type TestOrganization } from "./harness.ts";

// Shared by the verification test files: documents, a complete submission and a reviewer's decision.

export const VerificationFields = graphql(`
  fragment VerFields on Verification {
    id
    status
    current
    businessProfile {
      legalName
      displayName
      entityType
      country
      registrationId
      website
      address {
        street
        street2
        city
        region
        postalCode
        country
      }
      useCase
      expectedMonthlyVolume
    }
    authorizedRepresentative {
      name
      title
      email
      phone
    }
    attestationAccepted
    attestedAt
    submittedAt
    decidedAt
    rejectionReason
    smsCampaignId
    reviewerNotification {
      status
      attempts
      lastError
    }
  }
`);

export const Submit = graphql(`
  mutation VerSubmit($input: SubmitVerificationInput!) {
    submitVerification(input: $input) {
      __typename
      ... on SubmitVerificationSuccess {
        verification {
          ...VerFields
        }
      }
      ... on ValidationError {
        fieldErrors {
          path
          code
          message
        }
      }
      ... on VerificationTransitionError {
        code
        currentStatus
        action
        allowedFrom
      }
    }
  }
`);

export const Decide = graphql(`
  mutation VerDecide($input: DecideVerificationInput!) {
    decideVerification(input: $input) {
      __typename
      ... on DecideVerificationSuccess {
        verification {
          ...VerFields
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
      ... on VerificationTransitionError {
        code
        currentStatus
        action
        allowedFrom
      }
    }
  }
`);

/** A complete, valid submission of a US business. */
export function completeInput(overrides: Partial<SubmitVerificationInput> = {}): SubmitVerificationInput {
  return {
    businessProfile: {
      legalName: "Acme Robotics, Inc.",
      displayName: "Acme",
      entityType: "PRIVATE_PROFIT",
      country: "US",
      registrationId: "12-3456789",
      website: "https://acme.example.com",
      address: { street: "1 Market St", city: "San Francisco", region: "CA", postalCode: "94105", country: "US" },
      useCase: "CUSTOMER_CARE",
      expectedMonthlyVolume: 5000,
    },
    authorizedRepresentative: { name: "Ada Lovelace", title: "CEO", email: "ada@acme.example.com", phone: "+1 (415) 555-0100" },
    attestationAccepted: true,
    ...overrides,
  };
}

/** The payload, asserted to be of the given union member. */
export function as<T extends { __typename: string }, N extends T["__typename"]>(payload: T, typename: N): Extract<T, { __typename: N }> {
  assert.equal(payload.__typename, typename, JSON.stringify(payload));
  return payload as never;
}


/** Submits a complete verification and returns its id. */
export async function submitComplete(org: TestOrganization, overrides: Partial<SubmitVerificationInput> = {}): Promise<string> {
  const data = await org.client.data(Submit, { input: completeInput(overrides) });
  return (as(data.submitVerification, "SubmitVerificationSuccess").verification as { id: string }).id;
}

let reviewer: Promise<Client> | undefined;

/** A platform operator's client (one per run), the only kind of key that decides verifications. */
export function reviewerClient(): Promise<Client> {
  return (reviewer ??= createOperator("test reviewer").then((operator) => operator.client));
}

/** Decides a verification as a platform operator would. */
export async function decide(id: string, decision: "APPROVE" | "REJECT", rejectionReason?: string) {
  return (await (await reviewerClient()).data(Decide, { input: { id, decision, rejectionReason } })).decideVerification;
}
