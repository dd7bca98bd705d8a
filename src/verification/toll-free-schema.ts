// The toll-free SMS verification in the schema: the organization's submission and history, the
// operators' review queue, and the draft / submit / decide mutations shaped like the 10DLC ones.
import { encodeGlobalID } from "@pothos/plugin-relay";
import { grants } from "../auth/scopes.ts";
import { ConflictError, NotFoundError, ValidationError, VerificationTransitionError } from "../domain/errors.ts";
import { MAX_OPT_IN_IMAGES, MAX_SAMPLE_MESSAGE_LENGTH, MAX_SAMPLE_MESSAGES, type TollFreeBusiness, type TollFreeContact } from "../domain/toll-free.ts";
import type { DeliveredTollFreeVerificationStatusChange } from "../events/delivery-cache.ts";
import type { TollFreeVerification } from "../generated/prisma/client.ts";
import { CARRIER_CALL_COST, MUTATION_COST } from "../limits/cost.ts";
import { bounded, deliver } from "../schema/subscriptions.ts";
import type { CarrierSubmissionStatus } from "../generated/prisma/enums.ts";
import { builder, type EnumValues } from "../schema/builder.ts";
import {
  BusinessAddressInput,
  BusinessAddressRef,
  ReviewerNotificationRef,
  SmsUseCaseEnum,
  VerificationDecisionEnum,
  VerificationStatusEnum,
  VerificationSubmissionFilter,
} from "./schema.ts";
import { tollFreeDetailsOf, type OrganizationTollFreeVerification, type TollFreeVerificationStatusChangePayload } from "./toll-free.ts";

const TollFreeBusinessRef = builder.objectRef<TollFreeBusiness>("TollFreeBusiness").implement({
  description: "The business that sends the toll-free SMS. Fields are null until given (drafts may be partial).",
  fields: (t) => ({
    name: t.exposeString("name", { nullable: true, description: "Registered legal name of the business." }),
    website: t.exposeString("website", { nullable: true, description: "The business's website." }),
    address: t.field({ type: BusinessAddressRef, description: "The business's address.", resolve: (b) => b.address }),
  }),
});

const TollFreeContactRef = builder.objectRef<TollFreeContact>("TollFreeContact").implement({
  description: "The person at the business the carriers' reviewers may contact. Fields are null until given.",
  fields: (t) => ({
    firstName: t.exposeString("firstName", { nullable: true, description: "First name." }),
    lastName: t.exposeString("lastName", { nullable: true, description: "Last name." }),
    email: t.exposeString("email", { nullable: true, description: "Email address." }),
    phone: t.exposeString("phone", { nullable: true, description: "Phone number in E.164." }),
  }),
});

const CarrierSubmissionStatusEnum = builder.enumType("TollFreeCarrierSubmissionStatus", {
  description: "Registration of an approved toll-free verification with the carrier that holds the numbers.",
  values: {
    PENDING: { description: "Being registered (an attempt is due or running; a failed attempt is retried with backoff, see lastError)." },
    SUBMITTED: { description: "The carrier accepted the verification request; reviewStatus is the carrier's own review status." },
    FAILED: { description: "The carrier refused the request; lastError says why." },
  } satisfies EnumValues<CarrierSubmissionStatus>,
});

const TollFreeCarrierSubmissionRef = builder.objectRef<TollFreeVerification>("TollFreeCarrierSubmission").implement({
  description: "The approved toll-free verification as registered with the carrier (Telnyx's toll-free verification request; the sandbox for numbers no carrier of ours holds).",
  fields: (t) => ({
    carrier: t.string({ description: "The carrier (telnyx or sandbox).", resolve: (v) => v.carrier ?? "sandbox" }),
    status: t.field({ type: CarrierSubmissionStatusEnum, description: "PENDING, SUBMITTED or FAILED.", resolve: (v) => v.carrierStatus! }),
    requestId: t.exposeString("carrierRequestId", { nullable: true, description: "The carrier's verification request id, once SUBMITTED." }),
    reviewStatus: t.exposeString("carrierReviewStatus", { nullable: true, description: "The carrier's own review status when it accepted the request (Telnyx: In Progress, Verified, Rejected, ...)." }),
    lastError: t.exposeString("carrierError", { nullable: true, description: "Why the last attempt failed (PENDING: retried; FAILED: refused)." }),
    attempts: t.exposeInt("carrierAttempts", { description: "Attempts so far." }),
    submittedAt: t.expose("carrierSubmittedAt", { type: "DateTime", nullable: true, description: "When the carrier accepted it." }),
  }),
});

export const TollFreeVerificationRef = builder.prismaNode("TollFreeVerification", {
  description:
    "One toll-free SMS verification submission of an organization (the current one, or an earlier one kept as history). US carriers require an approved one before a toll-free number sends SMS. Organizations read their own; platform operators read every organization's submitted ones.",
  id: { field: "id" },
  // As Verification: the organization reads its own (verification:read); operators the ones they review.
  authScopes: (_verification, context) => grants(context.caller.scopes, "verification:read") || grants(context.caller.scopes, "verification:review"),
  nullable: true,
  findUnique: (id, context) => (context.caller.operator ? { id, status: { not: "DRAFT" } } : { id, organizationId: context.caller.organizationId }),
  fields: (t) => ({
    status: t.field({ type: VerificationStatusEnum, description: "DRAFT, SUBMITTED, APPROVED or REJECTED.", resolve: (v) => v.status }),
    organization: t.relation("organization", { description: "The organization applying (the caller's own, unless the caller is a platform operator)." }),
    current: t.boolean({ description: "Whether this is the organization's current submission (false: kept as history).", resolve: (v) => v.current === true }),
    business: t.field({ type: TollFreeBusinessRef, description: "The business.", resolve: (v) => tollFreeDetailsOf(v).business }),
    contact: t.field({ type: TollFreeContactRef, description: "The business contact.", resolve: (v) => tollFreeDetailsOf(v).contact }),
    useCase: t.field({ type: SmsUseCaseEnum, nullable: true, description: "What the SMS are for.", resolve: (v) => v.useCase }),
    useCaseSummary: t.exposeString("useCaseSummary", { nullable: true, description: "What the messages are about and who receives them, in the business's words." }),
    sampleMessages: t.exposeStringList("sampleMessages", { description: "Examples of the messages as recipients will read them (1 to 5 to submit)." }),
    optInDescription: t.exposeString("optInDescription", { nullable: true, description: "How recipients consent to the messages (the opt-in workflow)." }),
    optInImageUrls: t.exposeStringList("optInImageUrls", { description: "https addresses of screenshots of the opt-in (optional)." }),
    expectedMonthlyVolume: t.exposeInt("expectedMonthlyVolume", { nullable: true, description: "Expected SMS per month." }),
    additionalInformation: t.exposeString("additionalInformation", { nullable: true, description: "Anything else the reviewers should know (optional)." }),
    phoneNumberIds: t.idList({
      description:
        "The organization's US toll-free numbers when it was submitted (empty for a draft). An approved verification covers every toll-free number of the organization, including ones added later.",
      resolve: (v) => v.phoneNumberIds.map((id) => encodeGlobalID("PhoneNumber", id)),
    }),
    submittedAt: t.expose("submittedAt", { type: "DateTime", nullable: true, description: "When it was submitted for review." }),
    decidedAt: t.expose("decidedAt", { type: "DateTime", nullable: true, description: "When a reviewer approved or rejected it." }),
    rejectionReason: t.exposeString("rejectionReason", { nullable: true, description: "Why it was rejected (REJECTED only)." }),
    carrierSubmission: t.field({
      type: TollFreeCarrierSubmissionRef,
      nullable: true,
      description: "Its registration with the carrier, from the approval on; null before (and for a verification that listed no toll-free number).",
      resolve: (v) => (v.carrierStatus ? v : null),
    }),
    reviewerNotification: t.field({
      type: ReviewerNotificationRef,
      description: "Delivery of the notification sent to reviewers when it was submitted (NOT_QUEUED for drafts).",
      select: { notifications: { orderBy: [{ createdAt: "desc" }, { id: "desc" }], take: 1 } },
      resolve: (v) => ({ notification: v.notifications[0] ?? null }),
    }),
    createdAt: t.expose("createdAt", { type: "DateTime", description: "When it was started." }),
    updatedAt: t.expose("updatedAt", { type: "DateTime", description: "When it last changed." }),
  }),
});

const OrganizationTollFreeVerificationRef = builder.objectRef<OrganizationTollFreeVerification>("OrganizationTollFreeVerification").implement({
  description: "The organization's toll-free SMS verification: its current submission and status, and earlier submissions.",
  fields: (t) => ({
    status: t.field({ type: VerificationStatusEnum, description: "Status of the current submission; MISSING when there is none.", resolve: (o) => o.status }),
    submission: t.field({ type: TollFreeVerificationRef, nullable: true, description: "The current submission, if any.", resolve: (o) => o.submission }),
    history: t.prismaConnection(
      {
        type: "TollFreeVerification",
        cursor: "id",
        description: "Earlier submissions (each rejected before a new one started), newest first.",
        totalCount: (o, _args, context) => context.prisma.tollFreeVerification.count({ where: { organizationId: o.organizationId, current: null } }),
        resolve: (query, o, _args, context) =>
          context.prisma.tollFreeVerification.findMany({
            ...query,
            where: { organizationId: o.organizationId, current: null },
            orderBy: [{ createdAt: "desc" }, { id: "desc" }],
          }),
      },
      { name: "TollFreeVerificationConnection", description: "A page of toll-free verification submissions." },
      { name: "TollFreeVerificationEdge", description: "One toll-free verification submission in a page." },
    ),
  }),
});

builder.queryField("tollFreeVerification", (t) =>
  t.field({
    type: OrganizationTollFreeVerificationRef,
    description: "The organization's toll-free SMS verification, which outbound SMS from US toll-free numbers needs (instead of 10DLC).",
    authScopes: { scope: "verification:read" },
    resolve: (_root, _args, context) => context.services.tollFreeVerification.overview(context.caller),
  }),
);

builder.queryField("tollFreeVerificationSubmissions", (t) =>
  t.prismaConnection(
    {
      type: "TollFreeVerification",
      cursor: "id",
      description:
        "Platform operators' review queue of toll-free verifications: every organization's submitted ones (drafts excluded), newest submission first. Needs verification:review, which only operator keys hold; organization keys get FORBIDDEN.",
      nullable: false,
      authScopes: { scope: "verification:review" },
      args: { filter: t.arg({ type: VerificationSubmissionFilter, description: "Narrows the list, e.g. to SUBMITTED ones." }) },
      totalCount: (_parent, args, context) => context.prisma.tollFreeVerification.count({ where: context.services.tollFreeVerification.submissionsWhere(args.filter) }),
      resolve: (query, _parent, args, context) =>
        context.prisma.tollFreeVerification.findMany({
          ...query,
          where: context.services.tollFreeVerification.submissionsWhere(args.filter),
          orderBy: context.services.tollFreeVerification.submissionsOrder,
        }),
    },
    { name: "TollFreeVerificationSubmissionConnection", description: "A page of submitted toll-free verifications, across organizations." },
    { name: "TollFreeVerificationSubmissionEdge", description: "One submitted toll-free verification in a page." },
  ),
);

// ---- Mutations -------------------------------------------------------------------------------

const TollFreeBusinessInput = builder.inputType("TollFreeBusinessInput", {
  description: "The business; omitted fields stay, null or blank clears.",
  fields: (t) => ({
    name: t.string({ maxLength: 200, description: "Registered legal name." }),
    website: t.string({ maxLength: 255, description: "Website, e.g. https://example.com." }),
    address: t.field({ type: BusinessAddressInput, description: "The business's address." }),
  }),
});

const TollFreeContactInput = builder.inputType("TollFreeContactInput", {
  description: "The business contact; omitted fields stay, null or blank clears.",
  fields: (t) => ({
    firstName: t.string({ maxLength: 100, description: "First name." }),
    lastName: t.string({ maxLength: 100, description: "Last name." }),
    email: t.string({ maxLength: 254, description: "Email address." }),
    phone: t.string({ maxLength: 20, description: "Phone number with its country code, e.g. +14155550100." }),
  }),
});

const tollFreeInputFields = (t: PothosSchemaTypes.InputFieldBuilder<typeof builder extends PothosSchemaTypes.SchemaBuilder<infer T> ? T : never, "InputObject">) => ({
  business: t.field({ type: TollFreeBusinessInput, description: "The business." }),
  contact: t.field({ type: TollFreeContactInput, description: "The business contact." }),
  useCase: t.field({ type: SmsUseCaseEnum, description: "What the SMS are for." }),
  useCaseSummary: t.string({ maxLength: 1000, description: "What the messages are about and who receives them." }),
  sampleMessages: t.stringList({
    maxLength: MAX_SAMPLE_MESSAGE_LENGTH,
    description: `Examples of the messages, 1 to ${MAX_SAMPLE_MESSAGES} to submit; replaces the stored list (null or [] clears it).`,
  }),
  optInDescription: t.string({ maxLength: 2000, description: "How recipients consent to the messages (e.g. a checkbox at checkout, texting a keyword)." }),
  optInImageUrls: t.stringList({
    maxLength: 2048,
    description: `Up to ${MAX_OPT_IN_IMAGES} https addresses of screenshots of the opt-in (optional); replaces the stored list.`,
  }),
  expectedMonthlyVolume: t.int({ description: "Expected SMS per month, 1 to 10,000,000." }),
  additionalInformation: t.string({ maxLength: 1000, description: "Anything else the reviewers should know (optional)." }),
});

const TollFreeVerificationSuccess = (name: string, description: string) =>
  builder.objectRef<{ tollFreeVerification: TollFreeVerification }>(name).implement({
    description,
    fields: (t) => ({
      tollFreeVerification: t.field({ type: TollFreeVerificationRef, description: "The submission, as it is now.", resolve: (r) => r.tollFreeVerification }),
    }),
  });

builder.mutationField("saveTollFreeVerificationDraft", (t) =>
  t.fieldWithInput({
    description:
      "Saves the toll-free verification as a draft: any subset of fields, each given field validated. Starts a submission when there is none, or a new one after a rejection (the rejected one stays as history, its values carried over).",
    typeOptions: { description: "Fields to save; omitted ones stay as they are." },
    authScopes: { scope: "verification:write" },
    input: tollFreeInputFields(t.input),
    type: TollFreeVerificationSuccess("SaveTollFreeVerificationDraftSuccess", "The draft was saved."),
    errors: { types: [ValidationError, VerificationTransitionError, ConflictError] },
    resolve: async (_root, { input }, context) => ({
      tollFreeVerification: await context.services.tollFreeVerification.saveDraft(context.caller, input),
    }),
  }),
);

builder.mutationField("submitTollFreeVerification", (t) =>
  t.fieldWithInput({
    description:
      "Submits the toll-free verification for review: the input over the current draft (or over a rejected submission, to resubmit) must be complete; every missing or malformed field is reported at once, with its path. Records the organization's US toll-free numbers and queues the reviewer notification.",
    typeOptions: { description: "Fields to set before submitting; omitted ones keep the draft's values." },
    authScopes: { scope: "verification:write" },
    input: tollFreeInputFields(t.input),
    type: TollFreeVerificationSuccess("SubmitTollFreeVerificationSuccess", "The toll-free verification was submitted."),
    errors: { types: [ValidationError, VerificationTransitionError, ConflictError] },
    resolve: async (_root, { input }, context) => ({
      tollFreeVerification: await context.services.tollFreeVerification.submit(context.caller, input),
    }),
  }),
);

builder.mutationField("decideTollFreeVerification", (t) =>
  t.fieldWithInput({
    description:
      "Approves or rejects a SUBMITTED toll-free verification of any organization. Needs verification:review, which only platform operator keys hold (organization keys get FORBIDDEN: nobody approves themselves).",
    typeOptions: { description: "The submission and the decision." },
    authScopes: { scope: "verification:review" },
    // An approval registers the verification with the carrier: a lookup by reference, then the request.
    complexity: MUTATION_COST + 2 * CARRIER_CALL_COST,
    input: {
      id: t.input.id({ required: true, description: "The submitted toll-free verification." }),
      decision: t.input.field({ type: VerificationDecisionEnum, required: true, description: "APPROVE or REJECT." }),
      rejectionReason: t.input.string({ maxLength: 1000, description: "Why it is rejected (required to reject)." }),
    },
    type: TollFreeVerificationSuccess("DecideTollFreeVerificationSuccess", "The decision was recorded."),
    errors: { types: [ValidationError, NotFoundError, VerificationTransitionError, ConflictError] },
    resolve: async (_root, { input }, context) => ({
      tollFreeVerification: await context.services.tollFreeVerification.decide(context.caller, input),
    }),
  }),
);

// ---- Subscription ----------------------------------------------------------------------------

const TollFreeVerificationStatusChangeRef = builder.objectRef<DeliveredTollFreeVerificationStatusChange>("TollFreeVerificationStatusChange").implement({
  description: "The organization's toll-free verification changed status.",
  fields: (t) => ({
    eventId: t.id({ description: "Id of the recorded event (TOLL_FREE_VERIFICATION_STATUS_CHANGED).", resolve: (c) => c.event.id }),
    tollFreeVerification: t.field({
      type: TollFreeVerificationRef,
      description: "The submission, as it is when the event is delivered.",
      resolve: (c) => c.tollFreeVerification,
    }),
    previous: t.field({
      type: VerificationStatusEnum,
      description: "The organization's status before the change (MISSING for the first draft; REJECTED when a new submission follows a rejection).",
      resolve: (c) => (c.event.payload as unknown as TollFreeVerificationStatusChangePayload).previous,
    }),
    current: t.field({
      type: VerificationStatusEnum,
      description: "The status after the change.",
      resolve: (c) => (c.event.payload as unknown as TollFreeVerificationStatusChangePayload).current,
    }),
    changedAt: t.field({ type: "DateTime", description: "When the change was recorded.", resolve: (c) => c.event.createdAt }),
  }),
});

builder.subscriptionField("tollFreeVerificationStatusChanged", (t) =>
  t.field({
    type: TollFreeVerificationStatusChangeRef,
    description:
      "Fires when the organization's toll-free verification changes status: a first draft, a submission, a decision, a new submission after a rejection. Decisions also change the setup status of the organization's US toll-free SMS numbers (phoneNumberSetupStatusChanged).",
    authScopes: { scope: "verification:read" },
    subscribe: (_root, _args, context) =>
      bounded(context.services.bus.pubsub.subscribe("toll-free-verification-status", context.caller.organizationId), context.services.subscriptionBounds.maxBacklog),
    resolve: (message, _args, context) =>
      deliver(context, (cache) => cache.tollFreeVerificationStatusChange(message.eventId, context.caller.organizationId)),
  }),
);
