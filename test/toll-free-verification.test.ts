import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import { graphql } from "./generated/gql.ts";
import type { SubmitTollFreeVerificationInput } from "./generated/graphql.ts";
import { CarrierFailure } from "../src/carriers/adapter.ts";
import { messageVolume, TelnyxCarrier } from "../src/carriers/telnyx.ts";
import { decodeId } from "../src/domain/global-id.ts";
import { startFakeTelnyx } from "./helpers/fake-telnyx.ts";
import { createOrganization, getEnvironment, type Client, type TestOrganization } from "./helpers/harness.ts";
import { uniqueE164 } from "./helpers/numbers.ts";
import { subscribe, wsClient } from "./helpers/subscriptions.ts";
import { as, decide as decideTenDlc, reviewerClient, submitComplete as submitTenDlc } from "./helpers/verification.ts";

// Toll-free SMS verification as a customer and a platform operator live it: a US toll-free number
// cannot text until the organization's toll-free verification is approved by an operator key;
// 10DLC neither unlocks it nor is unlocked by it; the setup status says so and subscribers hear it.

const CreateNumber = graphql(`
  mutation TfCreateNumber($input: CreateManualPhoneNumberInput!) {
    createManualPhoneNumber(input: $input) {
      __typename
      ... on CreateManualPhoneNumberSuccess {
        phoneNumber {
          id
        }
      }
    }
  }
`);

const BuyTollFree = graphql(`
  mutation TfBuy($input: ProvisionPhoneNumberInput!) {
    provisionPhoneNumber(input: $input) {
      __typename
      ... on ProvisionPhoneNumberSuccess {
        phoneNumber {
          id
          e164
          status
          numberType
          capabilities {
            sms
          }
        }
      }
    }
  }
`);

const NumberState = graphql(`
  query TfNumberState($id: ID!) {
    node(id: $id) {
      ... on PhoneNumber {
        id
        smsCampaign {
          status
        }
        setupStatus {
          status
          smsReady
          issues {
            code
            field
            message
          }
        }
      }
    }
  }
`);

const NumberList = graphql(`
  query TfNumberList {
    phoneNumbers(first: 50) {
      edges {
        node {
          id
          setupStatus {
            status
            smsReady
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

const Send = graphql(`
  mutation TfSend($input: SendMessageInput!) {
    sendMessage(input: $input) {
      __typename
      ... on SendMessageSuccess {
        sentMessage {
          id
          from
        }
      }
      ... on VerificationRequiredError {
        code
        message
        verification
        missing
        verificationStatus
        smsCampaignStatus
      }
    }
  }
`);

const TfFields = graphql(`
  fragment TfFields on TollFreeVerification {
    id
    status
    current
    business {
      name
      website
      address {
        street
        city
        region
        postalCode
        country
      }
    }
    contact {
      firstName
      lastName
      email
      phone
    }
    useCase
    useCaseSummary
    sampleMessages
    optInDescription
    optInImageUrls
    expectedMonthlyVolume
    additionalInformation
    phoneNumberIds
    submittedAt
    decidedAt
    rejectionReason
    reviewerNotification {
      status
    }
    carrierSubmission {
      carrier
      status
      requestId
      reviewStatus
      lastError
      attempts
      submittedAt
    }
  }
`);

const SaveDraft = graphql(`
  mutation TfSaveDraft($input: SaveTollFreeVerificationDraftInput!) {
    saveTollFreeVerificationDraft(input: $input) {
      __typename
      ... on SaveTollFreeVerificationDraftSuccess {
        tollFreeVerification {
          ...TfFields
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

const Submit = graphql(`
  mutation TfSubmit($input: SubmitTollFreeVerificationInput!) {
    submitTollFreeVerification(input: $input) {
      __typename
      ... on SubmitTollFreeVerificationSuccess {
        tollFreeVerification {
          ...TfFields
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
        currentStatus
        action
      }
    }
  }
`);

const Decide = graphql(`
  mutation TfDecide($input: DecideTollFreeVerificationInput!) {
    decideTollFreeVerification(input: $input) {
      __typename
      ... on DecideTollFreeVerificationSuccess {
        tollFreeVerification {
          ...TfFields
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
        currentStatus
        action
        allowedFrom
      }
    }
  }
`);

const Overview = graphql(`
  query TfOverview {
    tollFreeVerification {
      status
      submission {
        ...TfFields
      }
      history(first: 10) {
        totalCount
        edges {
          node {
            id
            status
            current
            rejectionReason
          }
        }
      }
    }
  }
`);

const ReviewQueue = graphql(`
  query TfReviewQueue($filter: VerificationSubmissionFilter) {
    tollFreeVerificationSubmissions(first: 100, filter: $filter) {
      edges {
        node {
          id
          status
          organization {
            id
          }
        }
      }
    }
  }
`);

const Node = graphql(`
  query TfNode($id: ID!) {
    node(id: $id) {
      __typename
      ... on TollFreeVerification {
        id
        status
      }
    }
  }
`);

const Events = graphql(`
  query TfEvents($types: [EventType!]!) {
    events(first: 20, filter: { types: $types }) {
      edges {
        node {
          type
          objectId
          data
        }
      }
    }
  }
`);

const SetupChanges = graphql(`
  subscription TfSetupChanges {
    phoneNumberSetupStatusChanged {
      phoneNumber {
        id
      }
      previous {
        smsReady
        issues {
          code
        }
      }
      current {
        smsReady
        issues {
          code
        }
      }
    }
  }
`);

const VerificationChanges = graphql(`
  subscription TfVerificationChanges {
    tollFreeVerificationStatusChanged {
      eventId
      previous
      current
      tollFreeVerification {
        id
        status
      }
    }
  }
`);

type Details = { id: string; status: string; phoneNumberIds: string[]; rejectionReason: string | null; [key: string]: unknown };

/** A complete, valid toll-free submission. */
function completeInput(overrides: Partial<SubmitTollFreeVerificationInput> = {}): SubmitTollFreeVerificationInput {
  return {
    business: {
      name: "Acme Robotics, Inc.",
      website: "acme.example.com",
      address: { street: "1 Market St", city: "San Francisco", region: "ca", postalCode: "94105", country: "US" },
    },
    contact: { firstName: "Ada", lastName: "Lovelace", email: "ada@acme.example.com", phone: "+1 (415) 555-0100" },
    useCase: "ACCOUNT_NOTIFICATION",
    useCaseSummary: "Order and delivery updates to customers who bought from our web shop.",
    sampleMessages: ["Acme: your order #1234 has shipped. Reply STOP to opt out.", "  Acme: your order #1234 was delivered.  "],
    optInDescription: "Customers tick an unticked SMS checkbox at checkout; the terms are shown next to it.",
    optInImageUrls: ["https://acme.example.com/opt-in.png"],
    expectedMonthlyVolume: 2000,
    ...overrides,
  };
}

const smsCodes = (status: { issues: Array<{ code: string }> } | null | undefined) =>
  (status?.issues ?? []).map((issue) => issue.code).filter((code) => code.startsWith("SMS_") || code.startsWith("TOLL_FREE_")).sort();

async function createNumber(org: TestOrganization, e164: string): Promise<string> {
  const data = await org.client.data(CreateNumber, { input: { e164, capabilities: { sms: true } } });
  return (as(data.createManualPhoneNumber, "CreateManualPhoneNumberSuccess").phoneNumber as { id: string }).id;
}

async function numberState(org: TestOrganization, id: string) {
  const node = (await org.client.data(NumberState, { id })).node as {
    smsCampaign: { status: string } | null;
    setupStatus: { status: string; smsReady: boolean; issues: Array<{ code: string; field: string; message: string }> };
  };
  return { ...node, smsCodes: smsCodes(node.setupStatus) };
}

async function send(org: TestOrganization, phoneNumberId: string) {
  return (await org.client.data(Send, { input: { phoneNumberId, to: "+14155550123", body: "Your order shipped" } })).sendMessage;
}

async function submit(org: TestOrganization, input: SubmitTollFreeVerificationInput = completeInput()) {
  return (await org.client.data(Submit, { input })).submitTollFreeVerification;
}

async function submitComplete(org: TestOrganization): Promise<Details> {
  return as(await submit(org), "SubmitTollFreeVerificationSuccess").tollFreeVerification as unknown as Details;
}

async function decide(id: string, decision: "APPROVE" | "REJECT", rejectionReason?: string, client?: Client) {
  return (await (client ?? (await reviewerClient())).data(Decide, { input: { id, decision, rejectionReason } })).decideTollFreeVerification;
}

describe("toll-free verification", () => {
  const closers: Array<() => Promise<void> | void> = [];
  after(async () => {
    for (const close of closers.splice(0)) await close();
  });

  test("toll-free SMS is refused until a platform operator approves; the setup status issue appears and clears, and subscribers hear it", async () => {
    const org = await createOrganization("tf-gate");
    const tollFree = await createNumber(org, uniqueE164("+1888"));
    const local = await createNumber(org, uniqueE164());

    let state = await numberState(org, tollFree);
    assert.deepEqual(state.smsCodes, ["TOLL_FREE_VERIFICATION_REQUIRED"], "a toll-free number reports the toll-free verification, not the 10DLC issues");
    assert.equal(state.setupStatus.issues.find((i) => i.code === "TOLL_FREE_VERIFICATION_REQUIRED")?.field, "tollFreeVerification");
    assert.equal(state.setupStatus.smsReady, false);
    assert.deepEqual((await numberState(org, local)).smsCodes, ["SMS_CAMPAIGN_NOT_ASSIGNED", "SMS_VERIFICATION_REQUIRED"]);

    let refused = as(await send(org, tollFree), "VerificationRequiredError");
    assert.deepEqual(
      [refused.code, refused.verification, refused.missing, refused.verificationStatus, refused.smsCampaignStatus],
      ["VERIFICATION_REQUIRED", "TOLL_FREE", ["TOLL_FREE_VERIFICATION_APPROVED"], "MISSING", null],
    );
    assert.match(refused.message, /toll-free verification is approved \(it is MISSING\)/);

    const client = wsClient(await (await getEnvironment()).url(), { apiKey: org.secret });
    closers.push(() => client.dispose());
    const changes = await subscribe(client, SetupChanges);
    const verificationChanges = await subscribe(client, VerificationChanges);

    const submitted = await submitComplete(org);
    assert.equal(submitted.status, "SUBMITTED");
    assert.deepEqual(submitted.phoneNumberIds, [tollFree], "the submission lists the organization's toll-free numbers only");
    assert.deepEqual(submitted.sampleMessages, ["Acme: your order #1234 has shipped. Reply STOP to opt out.", "Acme: your order #1234 was delivered."]);
    assert.deepEqual(submitted.business, {
      name: "Acme Robotics, Inc.",
      website: "https://acme.example.com",
      address: { street: "1 Market St", city: "San Francisco", region: "CA", postalCode: "94105", country: "US" },
    });
    assert.equal((submitted.contact as { phone: string }).phone, "+14155550100");
    assert.equal((submitted.reviewerNotification as { status: string }).status, "QUEUED", "reviewers are told through the outbox");

    refused = as(await send(org, tollFree), "VerificationRequiredError");
    assert.equal(refused.verificationStatus, "SUBMITTED", "a submission is not an approval");

    // The organization's own key cannot approve itself.
    const selfApproval = await org.client.request(Decide, { input: { id: submitted.id, decision: "APPROVE" } });
    assert.equal(selfApproval.errors?.[0]?.extensions?.code, "FORBIDDEN");
    assert.equal((await org.client.data(Overview)).tollFreeVerification.status, "SUBMITTED");

    const approved = as(await decide(submitted.id, "APPROVE"), "DecideTollFreeVerificationSuccess").tollFreeVerification as unknown as Details;
    assert.equal(approved.status, "APPROVED");
    assert.ok(approved.decidedAt);
    const registered = approved.carrierSubmission as { carrier: string; status: string; requestId: string | null; reviewStatus: string | null; attempts: number; submittedAt: string | null };
    assert.deepEqual([registered.carrier, registered.status, registered.reviewStatus, registered.attempts], ["sandbox", "SUBMITTED", "In Progress", 1], "manual numbers are registered with the sandbox");
    assert.match(registered.requestId ?? "", /^sbx_tfv_/);
    assert.equal(submitted.carrierSubmission, null, "nothing goes to the carrier before the approval");

    const statusChanges = [(await verificationChanges.next()).data!, (await verificationChanges.next()).data!].map((d) => d.tollFreeVerificationStatusChanged);
    assert.deepEqual(
      statusChanges.map((c) => [c.previous, c.current, c.tollFreeVerification.id]),
      [
        ["MISSING", "SUBMITTED", submitted.id],
        ["SUBMITTED", "APPROVED", submitted.id],
      ],
    );
    await verificationChanges.close();

    const change = (await changes.next()).data!.phoneNumberSetupStatusChanged;
    assert.equal(change.phoneNumber.id, tollFree, "only the toll-free number's setup status changed");
    assert.deepEqual([smsCodes(change.previous), smsCodes(change.current), change.current.smsReady], [["TOLL_FREE_VERIFICATION_REQUIRED"], [], true]);
    await changes.close();

    state = await numberState(org, tollFree);
    assert.deepEqual([state.smsCodes, state.setupStatus.smsReady, state.smsCampaign], [[], true, null], "no 10DLC campaign for a toll-free number");
    const sent = as(await send(org, tollFree), "SendMessageSuccess");
    assert.ok(sent.sentMessage.id);

    // The toll-free approval does not unlock the local number: 10DLC still applies to it.
    refused = as(await send(org, local), "VerificationRequiredError");
    assert.deepEqual([refused.verification, refused.missing.sort(), refused.verificationStatus], ["TEN_DLC", ["CAMPAIGN_ASSIGNED", "VERIFICATION_APPROVED"], "MISSING"]);
    assert.deepEqual((await numberState(org, local)).smsCodes, ["SMS_CAMPAIGN_NOT_ASSIGNED", "SMS_VERIFICATION_REQUIRED"]);

    // The list (compiled read, one statement) says what the single-number read says.
    const listed = (await org.client.data(NumberList)).phoneNumbers.edges.map((e) => e.node);
    for (const id of [tollFree, local]) {
      const single = (await org.client.data(NumberState, { id })).node as { setupStatus: unknown };
      assert.deepEqual(listed.find((n) => n.id === id)?.setupStatus, single.setupStatus, id);
    }

    // Every status change is an event in the log.
    const events = (await org.client.data(Events, { types: ["TOLL_FREE_VERIFICATION_STATUS_CHANGED"] })).events.edges.map((e) => e.node);
    assert.deepEqual(
      events.map((e) => [e.type, e.objectId, (e.data as { previous: string }).previous, (e.data as { current: string }).current]).reverse(),
      [
        ["TOLL_FREE_VERIFICATION_STATUS_CHANGED", submitted.id, "MISSING", "SUBMITTED"],
        ["TOLL_FREE_VERIFICATION_STATUS_CHANGED", submitted.id, "SUBMITTED", "APPROVED"],
      ],
    );
  });

  test("the approval is registered with the carrier once, even when its answer is lost; a carrier refusal is FAILED with its reason", async () => {
    const env = await getEnvironment();
    const sandbox = env.switchboard.services.carriers.sandbox;
    const org = await createOrganization("tf-carrier");
    await createNumber(org, uniqueE164("+1844"));
    const submitted = await submitComplete(org);
    sandbox.faults.timeoutAfterTollFreeSubmitNext = 1;
    const approved = as(await decide(submitted.id, "APPROVE"), "DecideTollFreeVerificationSuccess").tollFreeVerification as unknown as Details;
    let registration = approved.carrierSubmission as { status: string; lastError: string | null; attempts: number; requestId: string | null };
    assert.deepEqual([approved.status, registration.status, registration.attempts, registration.requestId], ["APPROVED", "PENDING", 1, null], "the approval stands; the registration is retried");
    assert.match(registration.lastError ?? "", /did not answer/);

    // Not due yet: nothing happens. Once the backoff has passed, the job finds the request the lost answer created.
    const rowId = (decodeId(submitted.id, "TollFreeVerification", []) as { id: string }).id;
    await env.switchboard.services.tollFreeVerification.submitToCarrier(rowId);
    assert.equal(sandbox.tollFreeVerification(rowId)?.creations, 1);
    await env.switchboard.services.tollFreeVerification.submitDueToCarrier(new Date(Date.now() + 3_600_000));
    registration = (await org.client.data(Overview)).tollFreeVerification.submission!.carrierSubmission as typeof registration;
    assert.deepEqual([registration.status, registration.lastError, registration.attempts], ["SUBMITTED", null, 2]);
    assert.equal(registration.requestId, sandbox.tollFreeVerification(rowId)?.requestId);
    assert.equal(sandbox.tollFreeVerification(rowId)?.creations, 1, "one request at the carrier");
    // One event, for the outcome (the retried attempt recorded none).
    const carrierEvents = async (client: Client) =>
      (await client.data(Events, { types: ["TOLL_FREE_CARRIER_REGISTRATION_CHANGED"] })).events.edges.map(({ node }) => ({ objectId: node.objectId, ...(node.data as { status: string; previousStatus: string; requestId: string | null; error: string | null }) }));
    assert.deepEqual(
      (await carrierEvents(org.client)).map((e) => [e.objectId, e.previousStatus, e.status, e.requestId, e.error]),
      [[submitted.id, "PENDING", "SUBMITTED", registration.requestId, null]],
    );

    const refusedOrg = await createOrganization("tf-carrier-refused");
    await createNumber(refusedOrg, uniqueE164("+1855"));
    const refused = as(await submit(refusedOrg, completeInput({ business: { name: "Sandbox Refused Co", website: "refused.example.com", address: { street: "1 Main St", city: "Austin", region: "TX", postalCode: "78701", country: "US" } } })), "SubmitTollFreeVerificationSuccess")
      .tollFreeVerification as unknown as Details;
    const decided = as(await decide(refused.id, "APPROVE"), "DecideTollFreeVerificationSuccess").tollFreeVerification as unknown as Details;
    const failed = decided.carrierSubmission as { status: string; lastError: string | null };
    assert.equal(failed.status, "FAILED");
    assert.match(failed.lastError ?? "", /refuses/);
    const [refusal] = await carrierEvents(refusedOrg.client);
    assert.deepEqual([refusal?.objectId, refusal?.status, refusal?.error], [refused.id, "FAILED", failed.lastError]);
  });

  test("the Telnyx adapter sends Telnyx's toll-free verification request and finds it again by reference", async () => {
    const fake = await startFakeTelnyx();
    try {
      const telnyx = new TelnyxCarrier({ apiKey: fake.apiKey, baseUrl: fake.url, timeoutMs: 2_000 });
      const request = {
        reference: "7d0f6c1e-0000-4000-8000-000000000001",
        businessName: "Acme Robotics, Inc.",
        website: "https://acme.example.com",
        address: { street: "1 Market St", street2: "Suite 2", city: "San Francisco", region: "CA", postalCode: "94105" },
        contact: { firstName: "Ada", lastName: "Lovelace", email: "ada@acme.example.com", phone: "+14155550100" },
        phoneNumbers: ["+18885550123"],
        useCase: "ACCOUNT_NOTIFICATION",
        useCaseSummary: "Order updates",
        sampleMessages: ["Acme: your order shipped", "Acme: delivered"],
        optInDescription: "Checkbox at checkout",
        optInImageUrls: ["https://acme.example.com/opt-in.png"],
        expectedMonthlyVolume: 2000,
        additionalInformation: null,
      };
      const created = await telnyx.submitTollFreeVerification(request);
      assert.equal(created.status, "In Progress");
      const [sent] = fake.requestsTo("POST", "/v2/messaging_tollfree/verification/requests");
      assert.deepEqual(sent?.body, {
        businessName: "Acme Robotics, Inc.",
        corporateWebsite: "https://acme.example.com",
        businessAddr1: "1 Market St",
        businessAddr2: "Suite 2",
        businessCity: "San Francisco",
        businessState: "CA",
        businessZip: "94105",
        businessContactFirstName: "Ada",
        businessContactLastName: "Lovelace",
        businessContactEmail: "ada@acme.example.com",
        businessContactPhone: "+14155550100",
        messageVolume: "10,000",
        phoneNumbers: [{ phoneNumber: "+18885550123" }],
        useCase: "App Notifications",
        useCaseSummary: "Order updates",
        productionMessageContent: "Acme: your order shipped\n\nAcme: delivered",
        optInWorkflow: "Checkbox at checkout",
        optInWorkflowImageURLs: [{ url: "https://acme.example.com/opt-in.png" }],
        additionalInformation: "Switchboard reference: 7d0f6c1e-0000-4000-8000-000000000001",
      });
      assert.deepEqual(await telnyx.findTollFreeVerification(request.reference, request.phoneNumbers), created);
      assert.equal(await telnyx.findTollFreeVerification("another-reference", request.phoneNumbers), undefined);
      assert.deepEqual([messageVolume(10), messageVolume(11), messageVolume(10_000_001)], ["10", "100", "10,000,000+"]);

      const refusal = await telnyx.submitTollFreeVerification({ ...request, useCaseSummary: "" }).catch((error: unknown) => error);
      assert.ok(refusal instanceof CarrierFailure);
      assert.deepEqual([refusal.kind, refusal.retryable], ["REJECTED", false]);
      assert.match(refusal.message, /useCaseSummary is required/);
    } finally {
      await fake.close();
    }
  });

  test("a 10DLC-approved organization still cannot text from a toll-free number, which never joins the 10DLC campaign", async () => {
    const org = await createOrganization("tf-10dlc");
    const tollFree = await createNumber(org, uniqueE164("+1800"));
    const local = await createNumber(org, uniqueE164());
    as(await decideTenDlc(await submitTenDlc(org), "APPROVE"), "DecideVerificationSuccess");

    as(await send(org, local), "SendMessageSuccess");
    const refused = as(await send(org, tollFree), "VerificationRequiredError");
    assert.deepEqual([refused.verification, refused.missing, refused.verificationStatus, refused.smsCampaignStatus], ["TOLL_FREE", ["TOLL_FREE_VERIFICATION_APPROVED"], "MISSING", null]);
    const state = await numberState(org, tollFree);
    assert.deepEqual([state.smsCodes, state.smsCampaign], [["TOLL_FREE_VERIFICATION_REQUIRED"], null]);
    assert.equal((await numberState(org, local)).smsCampaign?.status, "ASSIGNED");

    // The campaigns' start-up sweep leaves it out too.
    await (await getEnvironment()).switchboard.services.campaigns.resume();
    assert.equal((await numberState(org, tollFree)).smsCampaign, null);
  });

  test("a toll-free number bought from the carrier is gated the same way, and texts once the verification is approved", async () => {
    const org = await createOrganization("tf-bought");
    const bought = as((await org.client.data(BuyTollFree, { input: { areaCode: "833" } })).provisionPhoneNumber, "ProvisionPhoneNumberSuccess").phoneNumber as {
      id: string;
      e164: string;
      status: string;
      numberType: string;
      capabilities: { sms: boolean };
    };
    assert.deepEqual([bought.e164.slice(0, 5), bought.status, bought.numberType, bought.capabilities.sms], ["+1833", "ACTIVE", "TOLL_FREE", true]);
    assert.deepEqual((await numberState(org, bought.id)).smsCodes, ["TOLL_FREE_VERIFICATION_REQUIRED"]);
    assert.equal(as(await send(org, bought.id), "VerificationRequiredError").verification, "TOLL_FREE");

    const submitted = await submitComplete(org);
    assert.deepEqual(submitted.phoneNumberIds, [bought.id], "the bought number is covered by the submission");
    as(await decide(submitted.id, "APPROVE"), "DecideTollFreeVerificationSuccess");
    const state = await numberState(org, bought.id);
    assert.deepEqual([state.smsCodes, state.setupStatus.smsReady], [[], true]);
    as(await send(org, bought.id), "SendMessageSuccess");
  });

  test("a rejected submission gives its reason, stays as history, and can be resubmitted", async () => {
    const org = await createOrganization("tf-reject");
    const tollFree = await createNumber(org, uniqueE164("+1833"));
    const first = await submitComplete(org);

    const noReason = as(await decide(first.id, "REJECT"), "ValidationError");
    assert.deepEqual(noReason.fieldErrors.map((e) => [e.path.join("."), e.code]), [["input.rejectionReason", "REQUIRED"]]);

    const rejected = as(await decide(first.id, "REJECT", "The opt-in screenshot does not show the consent text"), "DecideTollFreeVerificationSuccess").tollFreeVerification as unknown as Details;
    assert.deepEqual([rejected.status, rejected.rejectionReason], ["REJECTED", "The opt-in screenshot does not show the consent text"]);
    let overview = (await org.client.data(Overview)).tollFreeVerification;
    assert.deepEqual([overview.status, overview.submission?.rejectionReason], ["REJECTED", "The opt-in screenshot does not show the consent text"]);
    const refused = as(await send(org, tollFree), "VerificationRequiredError");
    assert.equal(refused.verificationStatus, "REJECTED");
    const twice = as(await decide(first.id, "APPROVE"), "VerificationTransitionError");
    assert.deepEqual([twice.currentStatus, twice.action, twice.allowedFrom], ["REJECTED", "APPROVE", ["SUBMITTED"]]);

    // Resubmitting changes only what was wrong: the rest carries over from the rejected submission.
    const again = as(await submit(org, { optInImageUrls: ["https://acme.example.com/opt-in-with-terms.png"] }), "SubmitTollFreeVerificationSuccess").tollFreeVerification as unknown as Details;
    assert.notEqual(again.id, first.id);
    assert.deepEqual([again.status, again.rejectionReason, again.optInImageUrls, (again.business as { name: string }).name], ["SUBMITTED", null, ["https://acme.example.com/opt-in-with-terms.png"], "Acme Robotics, Inc."]);
    overview = (await org.client.data(Overview)).tollFreeVerification;
    assert.equal(overview.history.totalCount, 1);
    assert.deepEqual(
      overview.history.edges.map((e) => [e.node.id, e.node.status, e.node.current, e.node.rejectionReason]),
      [[first.id, "REJECTED", false, "The opt-in screenshot does not show the consent text"]],
    );

    as(await decide(again.id, "APPROVE"), "DecideTollFreeVerificationSuccess");
    as(await send(org, tollFree), "SendMessageSuccess");
    const closed = as(await submit(org, {}), "VerificationTransitionError");
    assert.deepEqual([closed.currentStatus, closed.action], ["APPROVED", "SUBMIT"], "an approved verification is final");
  });

  test("an incomplete submission lists every missing field with its path; malformed fields are reported with theirs", async () => {
    const org = await createOrganization("tf-incomplete");
    const draft = as((await org.client.data(SaveDraft, { input: { business: { name: "Acme Robotics, Inc." }, sampleMessages: ["Acme: hello"] } })).saveTollFreeVerificationDraft, "SaveTollFreeVerificationDraftSuccess")
      .tollFreeVerification as unknown as Details;
    assert.deepEqual([draft.status, draft.phoneNumberIds], ["DRAFT", []]);

    const missing = as(await submit(org, {}), "ValidationError");
    assert.deepEqual(
      missing.fieldErrors.map((e) => [e.path.join("."), e.code]),
      [
        "business.website",
        "business.address.street",
        "business.address.city",
        "business.address.region",
        "business.address.postalCode",
        "business.address.country",
        "contact.firstName",
        "contact.lastName",
        "contact.email",
        "contact.phone",
        "useCase",
        "useCaseSummary",
        "optInDescription",
        "expectedMonthlyVolume",
      ].map((path) => [`input.${path}`, "REQUIRED"]),
      "the draft's name and sample message count; optional fields are not asked for",
    );
    const noSamples = as(await submit(org, completeInput({ sampleMessages: [] })), "ValidationError");
    assert.deepEqual(noSamples.fieldErrors.map((e) => [e.path.join("."), e.code]), [["input.sampleMessages", "REQUIRED"]]);

    const malformed = as(
      await submit(
        org,
        completeInput({
          business: { website: "not a website", address: { street: "1 Market St", city: "San Francisco", region: "Narnia", postalCode: "9410", country: "US" } },
          contact: { firstName: "Ada", lastName: "Lovelace", email: "ada@", phone: "555" },
          sampleMessages: ["fine", "   "],
          optInImageUrls: ["http://acme.example.com/opt-in.png"],
          expectedMonthlyVolume: 0,
        }),
      ),
      "ValidationError",
    );
    assert.deepEqual(
      malformed.fieldErrors.map((e) => [e.path.join("."), e.code]).sort(),
      [
        ["input.business.address.postalCode", "INVALID_FORMAT"],
        ["input.business.address.region", "INVALID_VALUE"],
        ["input.business.website", "INVALID_FORMAT"],
        ["input.contact.email", "INVALID_FORMAT"],
        ["input.contact.phone", "INVALID_E164"],
        ["input.expectedMonthlyVolume", "OUT_OF_RANGE"],
        ["input.optInImageUrls.0", "INVALID_FORMAT"],
        ["input.sampleMessages.1", "REQUIRED"],
      ],
    );
    const tooMany = as(await submit(org, completeInput({ sampleMessages: ["1", "2", "3", "4", "5", "6"] })), "ValidationError");
    assert.deepEqual(tooMany.fieldErrors.map((e) => [e.path.join("."), e.code]), [["input.sampleMessages", "TOO_LONG"]]);
    const tooLong = await org.client.request(Submit, { input: completeInput({ sampleMessages: ["x".repeat(1025)] }) });
    assert.equal((tooLong.data?.submitTollFreeVerification as { __typename: string } | undefined)?.__typename, "ValidationError");

    // Nothing was submitted; a draft is not in the operators' queue and cannot be decided.
    assert.equal((await org.client.data(Overview)).tollFreeVerification.status, "DRAFT");
    const early = as(await decide(draft.id, "APPROVE"), "VerificationTransitionError");
    assert.equal(early.currentStatus, "DRAFT");
  });

  test("tenancy: each organization reads and is gated by its own toll-free verification; operators review across organizations", async () => {
    const mine = await createOrganization("tf-mine");
    const other = await createOrganization("tf-other");
    const myNumber = await createNumber(mine, uniqueE164("+1877"));
    const otherNumber = await createNumber(other, uniqueE164("+1866"));
    const otherClient = wsClient(await (await getEnvironment()).url(), { apiKey: other.secret });
    closers.push(() => otherClient.dispose());
    const otherChanges = await subscribe(otherClient, VerificationChanges);
    const submitted = await submitComplete(mine);
    assert.deepEqual(submitted.phoneNumberIds, [myNumber], "another organization's toll-free number is not listed");

    assert.equal((await other.client.data(Overview)).tollFreeVerification.status, "MISSING");
    assert.equal((await other.client.data(Node, { id: submitted.id })).node, null, "another organization's submission reads as absent");
    const stolen = await other.client.request(Decide, { input: { id: submitted.id, decision: "APPROVE" } });
    assert.equal(stolen.errors?.[0]?.extensions?.code, "FORBIDDEN");
    const draftOther = as((await other.client.data(SaveDraft, { input: { business: { name: "Other Co" } } })).saveTollFreeVerificationDraft, "SaveTollFreeVerificationDraftSuccess")
      .tollFreeVerification as unknown as Details;
    const otherChange = (await otherChanges.next()).data!.tollFreeVerificationStatusChanged;
    assert.deepEqual([otherChange.tollFreeVerification.id, otherChange.previous, otherChange.current], [draftOther.id, "MISSING", "DRAFT"], "the other organization's submission was not delivered");
    await otherChanges.close();

    const reviewer = await reviewerClient();
    const queue = (await reviewer.data(ReviewQueue, { filter: { statuses: ["SUBMITTED"] } })).tollFreeVerificationSubmissions.edges.map((e) => e.node);
    assert.ok(queue.some((node) => node.id === submitted.id), "the operator sees the submission");
    assert.ok(!queue.some((node) => node.id === draftOther.id), "drafts are not in the review queue");
    assert.equal((await reviewer.data(Node, { id: draftOther.id })).node, null, "operators do not read drafts");
    const orgQueue = await mine.client.request(ReviewQueue, { filter: null });
    assert.equal(orgQueue.errors?.[0]?.extensions?.code, "FORBIDDEN");

    as(await decide(submitted.id, "APPROVE"), "DecideTollFreeVerificationSuccess");
    as(await send(mine, myNumber), "SendMessageSuccess");
    const refused = as(await send(other, otherNumber), "VerificationRequiredError");
    assert.deepEqual([refused.verification, refused.verificationStatus], ["TOLL_FREE", "DRAFT"], "one organization's approval unlocks nothing of another's");
    assert.deepEqual((await numberState(other, otherNumber)).smsCodes, ["TOLL_FREE_VERIFICATION_REQUIRED"]);
    assert.deepEqual((await other.client.data(Events, { types: ["TOLL_FREE_VERIFICATION_STATUS_CHANGED"] })).events.edges.map((e) => e.node.objectId), [draftOther.id], "only its own events");
  });
});
