import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { encodeGlobalID } from "@pothos/plugin-relay";
import { describe, test } from "node:test";
import { applyDraftInput, applySubmissionInput, buildPrefill, detailsFromOrganization, emptyDetails, transition, TRANSITIONS } from "../src/domain/verification.ts";
import { graphql } from "./generated/gql.ts";
import { createOrganization, getEnvironment } from "./helpers/harness.ts";
import { as, completeInput, Decide, decide, reviewerClient, Submit, submitComplete } from "./helpers/verification.ts";

// 10DLC business verification: the state machine, validation, prefill, resubmission and scopes.
// SMS readiness and campaigns: verification-sms.test.ts; reviewer notifications: verification-outbox.test.ts.

const Overview = graphql(`
  query VerOverview {
    verification {
      status
      submission {
        ...VerFields
      }
      prefill {
        sources
        businessProfile {
          legalName
          displayName
          registrationId
          website
          address {
            city
          }
        }
        authorizedRepresentative {
          name
          email
        }
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

const SaveDraft = graphql(`
  mutation VerSaveDraft($input: SaveVerificationDraftInput!) {
    saveVerificationDraft(input: $input) {
      __typename
      ... on SaveVerificationDraftSuccess {
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
        message
        currentStatus
        action
        allowedFrom
      }
    }
  }
`);

const VerificationNode = graphql(`
  query VerNode($id: ID!) {
    node(id: $id) {
      __typename
      ... on Verification {
        status
      }
    }
  }
`);

const pathsAndCodes = (errors: Array<{ path: string[]; code: string }>) => errors.map((e) => `${e.path.join(".")} ${e.code}`).sort();

describe("10DLC verification", () => {
  describe("rules (pure)", () => {
    test("the state machine: drafts and submissions start or continue, decisions only on SUBMITTED, APPROVED is final", () => {
      const statuses = ["MISSING", "DRAFT", "SUBMITTED", "APPROVED", "REJECTED"] as const;
      const table = Object.fromEntries(
        (Object.keys(TRANSITIONS) as Array<keyof typeof TRANSITIONS>).map((action) => [
          action,
          statuses.map((from) => {
            const step = transition(from, action);
            return step.ok ? `${from}->${step.to}${step.newSubmission ? "*" : ""}` : `${from}x`;
          }),
        ]),
      );
      assert.deepEqual(table, {
        SAVE_DRAFT: ["MISSING->DRAFT*", "DRAFT->DRAFT", "SUBMITTEDx", "APPROVEDx", "REJECTED->DRAFT*"],
        SUBMIT: ["MISSING->SUBMITTED*", "DRAFT->SUBMITTED", "SUBMITTEDx", "APPROVEDx", "REJECTED->SUBMITTED*"],
        APPROVE: ["MISSINGx", "DRAFTx", "SUBMITTED->APPROVED", "APPROVEDx", "REJECTEDx"],
        REJECT: ["MISSINGx", "DRAFTx", "SUBMITTED->REJECTED", "APPROVEDx", "REJECTEDx"],
      });
    });

    test("drafts validate each given field; blanks clear; values are normalised", () => {
      const base = applyDraftInput(emptyDetails(), { businessProfile: { legalName: "Acme", website: "acme.example.com", country: "us", registrationId: "123456789" } });
      assert.deepEqual(base.problems, []);
      assert.equal(base.details.businessProfile.website, "https://acme.example.com");
      assert.equal(base.details.businessProfile.country, "US");
      assert.equal(base.details.businessProfile.registrationId, "12-3456789", "a US EIN is stored as 12-3456789");
      const cleared = applyDraftInput(base.details, { businessProfile: { legalName: "  ", website: null } });
      assert.equal(cleared.details.businessProfile.legalName, null);
      assert.equal(cleared.details.businessProfile.website, null);
      assert.equal(cleared.details.businessProfile.country, "US", "omitted fields stay");
    });

    test("a submission lists every missing field and the attestation at once", () => {
      const { problems } = applySubmissionInput(emptyDetails(), { businessProfile: { legalName: "Acme" } });
      const required = problems.filter((p) => p.code === "REQUIRED").map((p) => p.path.join("."));
      assert.ok(required.includes("input.businessProfile.address.postalCode"));
      assert.ok(required.includes("input.authorizedRepresentative.phone"));
      assert.ok(required.includes("input.attestationAccepted"));
      assert.ok(!required.includes("input.businessProfile.legalName"));
      assert.ok(!required.includes("input.businessProfile.website"), "the website is optional");
      assert.ok(!required.includes("input.businessProfile.address.street2"), "street2 is optional");
    });

    test("the prefill takes each field from the first source that has it; the attestation is never prefilled", () => {
      const rejected = applyDraftInput(emptyDetails(), { businessProfile: { legalName: "Acme Inc", website: "https://acme.example.com" }, attestationAccepted: true }).details;
      const draft = applyDraftInput(emptyDetails(), { businessProfile: { legalName: "Acme Robotics Inc" } }).details;
      const prefill = buildPrefill([
        { source: "CURRENT_SUBMISSION", details: draft },
        { source: "EARLIER_SUBMISSION", details: rejected },
        { source: "ORGANIZATION_PROFILE", details: detailsFromOrganization({ name: "acme" }) },
      ]);
      assert.equal(prefill.businessProfile.legalName, "Acme Robotics Inc");
      assert.equal(prefill.businessProfile.website, "https://acme.example.com");
      assert.equal(prefill.businessProfile.displayName, "acme");
      assert.deepEqual(prefill.sources, ["CURRENT_SUBMISSION", "EARLIER_SUBMISSION", "ORGANIZATION_PROFILE"]);
      assert.equal("attestationAccepted" in prefill, false);
    });
  });

  describe("through the API", () => {
    test("an organization without a submission is MISSING, with a prefill from its profile", async () => {
      const org = await createOrganization("ver-missing");
      const { verification } = await org.client.data(Overview);
      assert.equal(verification.status, "MISSING");
      assert.equal(verification.submission, null);
      assert.equal(verification.prefill.businessProfile.legalName, org.name);
      assert.equal(verification.prefill.businessProfile.displayName, org.name);
      assert.deepEqual(verification.prefill.sources, ["ORGANIZATION_PROFILE"]);
      assert.equal(verification.history.totalCount, 0);
    });

    test("a draft takes any subset of fields, validates each one and reports every problem at once", async () => {
      const org = await createOrganization("ver-draft");
      const bad = await org.client.data(SaveDraft, {
        input: {
          businessProfile: {
            legalName: "Acme Robotics, Inc.",
            country: "US",
            registrationId: "12-34",
            website: "not a website",
            expectedMonthlyVolume: 0,
            address: { region: "XX", postalCode: "ABCDE", country: "US" },
          },
          authorizedRepresentative: { email: "ada-at-acme", phone: "12345" },
        },
      });
      const invalid = as(bad.saveVerificationDraft, "ValidationError") as { fieldErrors: Array<{ path: string[]; code: string }> };
      assert.deepEqual(pathsAndCodes(invalid.fieldErrors), [
        "input.authorizedRepresentative.email INVALID_FORMAT",
        "input.authorizedRepresentative.phone INVALID_E164",
        "input.businessProfile.address.postalCode INVALID_FORMAT",
        "input.businessProfile.address.region INVALID_VALUE",
        "input.businessProfile.expectedMonthlyVolume OUT_OF_RANGE",
        "input.businessProfile.registrationId INVALID_FORMAT",
        "input.businessProfile.website INVALID_FORMAT",
      ]);
      assert.equal((await org.client.data(Overview)).verification.status, "MISSING", "nothing was saved");

      const first = await org.client.data(SaveDraft, { input: { businessProfile: { legalName: "Acme Robotics, Inc.", country: "us" } } });
      const draft = as(first.saveVerificationDraft, "SaveVerificationDraftSuccess").verification as { id: string; status: string; current: boolean; businessProfile: { legalName: string; country: string }; reviewerNotification: { status: string } };
      assert.deepEqual([draft.status, draft.current, draft.businessProfile.legalName, draft.businessProfile.country], ["DRAFT", true, "Acme Robotics, Inc.", "US"]);
      assert.equal(draft.reviewerNotification.status, "NOT_QUEUED");

      const second = await org.client.data(SaveDraft, { input: { authorizedRepresentative: { name: "Ada Lovelace", phone: "+1 415 555 0100" } } });
      const updated = as(second.saveVerificationDraft, "SaveVerificationDraftSuccess").verification as { id: string; businessProfile: { legalName: string }; authorizedRepresentative: { name: string; phone: string } };
      assert.equal(updated.id, draft.id, "the same draft is updated");
      assert.equal(updated.businessProfile.legalName, "Acme Robotics, Inc.", "omitted fields stay");
      assert.equal(updated.authorizedRepresentative.phone, "+14155550100");
      const { prisma } = (await getEnvironment()).switchboard.database;
      assert.equal(await prisma.verification.count({ where: { organizationId: org.id } }), 1);
    });

    test("submitting reports every missing and malformed field with its path; a complete submission queues the reviewer notification", async () => {
      const org = await createOrganization("ver-submit");
      await org.client.data(SaveDraft, { input: { businessProfile: { legalName: "Acme Robotics, Inc.", country: "US" } } });
      const incomplete = await org.client.data(Submit, { input: { authorizedRepresentative: { email: "nope" } } });
      const invalid = as(incomplete.submitVerification, "ValidationError") as { fieldErrors: Array<{ path: string[]; code: string }> };
      assert.deepEqual(pathsAndCodes(invalid.fieldErrors), [
        "input.attestationAccepted REQUIRED",
        "input.authorizedRepresentative.email INVALID_FORMAT",
        "input.authorizedRepresentative.name REQUIRED",
        "input.authorizedRepresentative.phone REQUIRED",
        "input.authorizedRepresentative.title REQUIRED",
        "input.businessProfile.address.city REQUIRED",
        "input.businessProfile.address.country REQUIRED",
        "input.businessProfile.address.postalCode REQUIRED",
        "input.businessProfile.address.region REQUIRED",
        "input.businessProfile.address.street REQUIRED",
        "input.businessProfile.displayName REQUIRED",
        "input.businessProfile.entityType REQUIRED",
        "input.businessProfile.expectedMonthlyVolume REQUIRED",
        "input.businessProfile.registrationId REQUIRED",
        "input.businessProfile.useCase REQUIRED",
      ]);
      assert.equal((await org.client.data(Overview)).verification.status, "DRAFT", "a refused submission changes nothing");

      const submitted = as((await org.client.data(Submit, { input: completeInput() })).submitVerification, "SubmitVerificationSuccess").verification as {
        id: string;
        status: string;
        submittedAt: string | null;
        attestedAt: string | null;
        authorizedRepresentative: { phone: string };
        reviewerNotification: { status: string; attempts: number };
      };
      assert.equal(submitted.status, "SUBMITTED");
      assert.ok(submitted.submittedAt && submitted.attestedAt);
      assert.equal(submitted.authorizedRepresentative.phone, "+14155550100");
      assert.deepEqual(submitted.reviewerNotification, { status: "QUEUED", attempts: 0, lastError: null });
      const { prisma } = (await getEnvironment()).switchboard.database;
      const [notification] = await prisma.notification.findMany({ where: { organizationId: org.id } });
      assert.equal(notification?.kind, "VERIFICATION_SUBMITTED");
      const payload = notification?.payload as { verification: { id: string; businessProfile: { legalName: string } }; organization: { name: string } };
      assert.equal(payload.verification.id, submitted.id);
      assert.equal(payload.verification.businessProfile.legalName, "Acme Robotics, Inc.");
      assert.equal(payload.organization.name, org.name);
    });

    test("illegal transitions are typed errors that name the status, the change and where it is allowed from", async () => {
      const org = await createOrganization("ver-transitions");
      const reviewer = await reviewerClient();
      const draftId = (as((await org.client.data(SaveDraft, { input: { businessProfile: { legalName: "Acme" } } })).saveVerificationDraft, "SaveVerificationDraftSuccess").verification as { id: string }).id;
      const approveDraft = as((await reviewer.data(Decide, { input: { id: draftId, decision: "APPROVE" } })).decideVerification, "VerificationTransitionError");
      assert.deepEqual({ ...approveDraft, message: undefined }, {
        __typename: "VerificationTransitionError",
        code: "INVALID_TRANSITION",
        currentStatus: "DRAFT",
        action: "APPROVE",
        allowedFrom: ["SUBMITTED"],
        message: undefined,
      });

      const id = await submitComplete(org);
      assert.equal(id, draftId, "submitting a draft submits that draft");
      const editWhileReviewed = as((await org.client.data(SaveDraft, { input: { businessProfile: { legalName: "Other" } } })).saveVerificationDraft, "VerificationTransitionError");
      assert.deepEqual([editWhileReviewed.currentStatus, editWhileReviewed.action], ["SUBMITTED", "SAVE_DRAFT"]);
      const submitTwice = as((await org.client.data(Submit, { input: completeInput() })).submitVerification, "VerificationTransitionError");
      assert.deepEqual([submitTwice.currentStatus, submitTwice.action, submitTwice.allowedFrom], ["SUBMITTED", "SUBMIT", ["MISSING", "DRAFT", "REJECTED"]]);

      as(await decide(id, "APPROVE"), "DecideVerificationSuccess");
      for (const decision of ["APPROVE", "REJECT"] as const) {
        const again = as(await decide(id, decision, decision === "REJECT" ? "late" : undefined), "VerificationTransitionError");
        assert.deepEqual([again.currentStatus, again.action], ["APPROVED", decision]);
      }
      const afterApproval = as((await org.client.data(Submit, { input: completeInput() })).submitVerification, "VerificationTransitionError");
      assert.equal(afterApproval.currentStatus, "APPROVED");
      assert.equal((await org.client.data(Overview)).verification.status, "APPROVED");
    });

    test("a rejection needs a reason; the rejected submission prefills the next one, which is resubmitted while history keeps the first", async () => {
      const org = await createOrganization("ver-resubmit");
      const firstId = await submitComplete(org, { businessProfile: { ...completeInput().businessProfile, registrationId: "98-7654321" } });
      const noReason = as(await decide(firstId, "REJECT"), "ValidationError") as { fieldErrors: Array<{ path: string[]; code: string }> };
      assert.deepEqual(pathsAndCodes(noReason.fieldErrors), ["input.rejectionReason REQUIRED"]);
      const reasonOnApproval = as(await decide(firstId, "APPROVE", "fine"), "ValidationError") as { fieldErrors: Array<{ path: string[]; code: string }> };
      assert.deepEqual(pathsAndCodes(reasonOnApproval.fieldErrors), ["input.rejectionReason INVALID_VALUE"]);

      const rejected = as(await decide(firstId, "REJECT", "The EIN does not match the legal name."), "DecideVerificationSuccess").verification as { status: string; rejectionReason: string; decidedAt: string | null };
      assert.deepEqual([rejected.status, rejected.rejectionReason], ["REJECTED", "The EIN does not match the legal name."]);
      assert.ok(rejected.decidedAt);

      const overview = (await org.client.data(Overview)).verification;
      assert.equal(overview.status, "REJECTED");
      assert.equal(overview.prefill.businessProfile.registrationId, "98-7654321", "the form starts from what was given");
      assert.equal(overview.prefill.authorizedRepresentative.email, "ada@acme.example.com");
      assert.deepEqual(overview.prefill.sources, ["CURRENT_SUBMISSION"], "the organization's name is not needed: the submission has both names");

      // Resubmitting: the rejected values carry over; only the fix and a new attestation are needed.
      const withoutAttestation = as((await org.client.data(Submit, { input: { businessProfile: { registrationId: "12-3456789" } } })).submitVerification, "ValidationError") as { fieldErrors: Array<{ path: string[]; code: string }> };
      assert.deepEqual(pathsAndCodes(withoutAttestation.fieldErrors), ["input.attestationAccepted REQUIRED"], "the attestation is given anew for each submission");
      const resubmitted = as(
        (await org.client.data(Submit, { input: { businessProfile: { registrationId: "12-3456789" }, attestationAccepted: true } })).submitVerification,
        "SubmitVerificationSuccess",
      ).verification as { id: string; status: string; rejectionReason: string | null; businessProfile: { legalName: string; registrationId: string }; reviewerNotification: { status: string } };
      assert.notEqual(resubmitted.id, firstId, "a new submission");
      assert.deepEqual([resubmitted.status, resubmitted.rejectionReason, resubmitted.businessProfile.legalName, resubmitted.businessProfile.registrationId], ["SUBMITTED", null, "Acme Robotics, Inc.", "12-3456789"]);
      assert.equal(resubmitted.reviewerNotification.status, "QUEUED");

      const after = (await org.client.data(Overview)).verification;
      assert.equal(after.submission?.id, resubmitted.id);
      assert.equal(after.history.totalCount, 1);
      assert.deepEqual(after.history.edges.map((e) => [e.node.id, e.node.status, e.node.current, e.node.rejectionReason]), [[firstId, "REJECTED", false, "The EIN does not match the legal name."]]);
      assert.deepEqual(after.prefill.sources, ["CURRENT_SUBMISSION"]);

      // A history row cannot be decided again.
      const old = as(await decide(firstId, "APPROVE"), "VerificationTransitionError");
      assert.equal(old.currentStatus, "REJECTED");
      as(await decide(resubmitted.id, "APPROVE"), "DecideVerificationSuccess");
    });

    test("a new draft after a rejection starts from the rejected values", async () => {
      const org = await createOrganization("ver-redraft");
      const firstId = await submitComplete(org);
      as(await decide(firstId, "REJECT", "Website unreachable"), "DecideVerificationSuccess");
      const draft = as((await org.client.data(SaveDraft, { input: { businessProfile: { website: "https://acme-robotics.example.com" } } })).saveVerificationDraft, "SaveVerificationDraftSuccess").verification as {
        id: string;
        status: string;
        attestationAccepted: boolean;
        businessProfile: { legalName: string; website: string };
      };
      assert.notEqual(draft.id, firstId);
      assert.deepEqual([draft.status, draft.attestationAccepted, draft.businessProfile.legalName, draft.businessProfile.website], ["DRAFT", false, "Acme Robotics, Inc.", "https://acme-robotics.example.com"]);
      const overview = (await org.client.data(Overview)).verification;
      assert.equal(overview.status, "DRAFT");
      assert.deepEqual(overview.prefill.sources, ["CURRENT_SUBMISSION"]);
      assert.equal(overview.history.totalCount, 1);
    });

    test("scopes: reading needs verification:read, saving and submitting verification:write; deciding is for platform operators only", async () => {
      const org = await createOrganization("ver-scopes");
      const reader = await org.clientWithScopes(["verification:read"]);
      const writer = await org.clientWithScopes(["verification:write", "verification:read"]);
      const numbersOnly = await org.clientWithScopes(["numbers:read", "numbers:write"]);
      const forbidden = (result: { errors?: Array<{ extensions?: { code?: string } }> }) => result.errors?.[0]?.extensions?.code;

      assert.equal(forbidden(await numbersOnly.request(Overview)), "FORBIDDEN");
      assert.equal((await reader.data(Overview)).verification.status, "MISSING");
      assert.equal(forbidden(await reader.request(SaveDraft, { input: { businessProfile: { legalName: "Acme" } } })), "FORBIDDEN");
      assert.equal(forbidden(await reader.request(Submit, { input: completeInput() })), "FORBIDDEN");
      assert.equal((await org.client.data(Overview)).verification.status, "MISSING", "refused writes changed nothing");

      const id = (as((await writer.data(Submit, { input: completeInput() })).submitVerification, "SubmitVerificationSuccess").verification as { id: string }).id;
      assert.equal(forbidden(await writer.request(Decide, { input: { id, decision: "APPROVE" } })), "FORBIDDEN", "submitters cannot approve themselves");
      assert.equal(forbidden(await org.client.request(Decide, { input: { id, decision: "APPROVE" } })), "FORBIDDEN", "nor can the organization's * key");
      assert.equal((await org.client.data(Overview)).verification.status, "SUBMITTED");
      const reviewer = await reviewerClient();
      assert.equal((await reviewer.data(Decide, { input: { id, decision: "APPROVE" } })).decideVerification.__typename, "DecideVerificationSuccess");
    });

    test("tenancy: another organization's verification cannot be read or decided, and its id reveals nothing", async () => {
      const owner = await createOrganization("ver-owner");
      const other = await createOrganization("ver-other");
      const id = await submitComplete(owner);
      assert.equal((await other.client.data(VerificationNode, { id })).node, null);
      assert.equal((await other.client.data(Overview)).verification.status, "MISSING");
      const attempt = await other.client.request(Decide, { input: { id, decision: "APPROVE" } });
      assert.equal(attempt.errors?.[0]?.extensions?.code, "FORBIDDEN");
      assert.equal((await owner.client.data(Overview)).verification.status, "SUBMITTED", "untouched");
      // Operators decide any organization's submission; an unknown or malformed id is the usual typed error.
      const unknown = encodeGlobalID("Verification", randomUUID());
      assert.equal(as(await decide(unknown, "APPROVE"), "NotFoundError").id, unknown);
      const malformed = as(await decide("not-an-id", "APPROVE"), "ValidationError") as { fieldErrors: Array<{ path: string[]; code: string }> };
      assert.deepEqual(pathsAndCodes(malformed.fieldErrors), ["input.id INVALID_ID"]);
    });
  });
});
