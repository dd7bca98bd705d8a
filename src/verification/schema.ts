import { grants } from "../auth/scopes.ts";
import { ConflictError, NotFoundError, ValidationError, VerificationRequiredError, VerificationTransitionError, type SmsRequirement, type SmsVerification } from "../domain/errors.ts";
import { SmsCampaignStatusEnum } from "../numbers/schema/types.ts";
import type { VerificationStatus } from "../domain/setup-status.ts";
import type { AuthorizedRepresentative, BusinessAddress, BusinessProfile, Prefill, PrefillSource, VerificationAction } from "../domain/verification.ts";
import type { DeliveredVerificationStatusChange } from "../events/delivery-cache.ts";
import { bounded, deliver } from "../schema/subscriptions.ts";
import type { Notification, Verification } from "../generated/prisma/client.ts";
import type { BusinessEntityType, NotificationStatus, SmsUseCase } from "../generated/prisma/enums.ts";
import { builder, type EnumValues } from "../schema/builder.ts";
import { ErrorInterface } from "../schema/errors.ts";
import { OrganizationRef } from "../schema/viewer.ts";
import type { OrganizationVerification, SubmissionStatus, VerificationDecision, VerificationStatusChangePayload } from "./service.ts";
import { detailsOf } from "./service.ts";

export const VerificationStatusEnum = builder.enumType("VerificationStatus", {
  description: "Where one of the organization's SMS verifications (10DLC, or toll-free) stands: DRAFT -> SUBMITTED -> APPROVED or REJECTED.",
  values: {
    MISSING: { description: "Nothing was saved yet (only as the organization's overall status)." },
    DRAFT: { description: "Saved but not submitted; may be incomplete." },
    SUBMITTED: { description: "Submitted and waiting for a reviewer's decision." },
    APPROVED: { description: "Approved: for 10DLC, the organization's local US numbers can be assigned to its SMS campaign; for toll-free, its US toll-free numbers may send SMS." },
    REJECTED: { description: "Rejected with a reason; fix it and submit again." },
  } satisfies EnumValues<VerificationStatus>,
});

export const VerificationActionEnum = builder.enumType("VerificationAction", {
  description: "A change of a verification's status.",
  values: {
    SAVE_DRAFT: { description: "Save a draft (saveVerificationDraft)." },
    SUBMIT: { description: "Submit for review (submitVerification)." },
    APPROVE: { description: "Approve a submission (decideVerification)." },
    REJECT: { description: "Reject a submission (decideVerification)." },
  } satisfies EnumValues<VerificationAction>,
});

const BusinessEntityTypeEnum = builder.enumType("BusinessEntityType", {
  description: "Legal form of the business, as The Campaign Registry classifies brands.",
  values: {
    PRIVATE_PROFIT: { description: "Privately held for-profit company." },
    PUBLIC_PROFIT: { description: "Publicly traded company." },
    NON_PROFIT: { description: "Non-profit organization." },
    GOVERNMENT: { description: "Government body." },
    SOLE_PROPRIETOR: { description: "Sole proprietor without a registered company." },
  } satisfies EnumValues<BusinessEntityType>,
});

export const SmsUseCaseEnum = builder.enumType("SmsUseCase", {
  description: "What the organization's SMS are for (the use case of a 10DLC campaign or of a toll-free verification).",
  values: {
    TWO_FACTOR_AUTHENTICATION: { description: "One-time passcodes and login verification." },
    ACCOUNT_NOTIFICATION: { description: "Notifications about the recipient's account." },
    CUSTOMER_CARE: { description: "Support conversations with customers." },
    DELIVERY_NOTIFICATION: { description: "Shipping and delivery updates." },
    FRAUD_ALERT: { description: "Alerts about suspicious activity." },
    MARKETING: { description: "Promotions and offers." },
    MIXED: { description: "Several of these purposes." },
    LOW_VOLUME_MIXED: { description: "Several purposes at low volume (a few thousand messages a month)." },
  } satisfies EnumValues<SmsUseCase>,
});

const NotificationStatusEnum = builder.enumType("ReviewerNotificationStatus", {
  description: "Delivery of the notification that tells reviewers of a submission.",
  values: {
    NOT_QUEUED: { description: "Nothing to deliver: the submission was not submitted." },
    QUEUED: { description: "Waiting for delivery, or for its next retry after a failed attempt (see lastError)." },
    SENT: { description: "The reviewer webhook accepted it." },
    FAILED: { description: "Every attempt failed; lastError says why." },
  } satisfies EnumValues<NotificationStatus | "NOT_QUEUED">,
});

const PrefillSourceEnum = builder.enumType("VerificationPrefillSource", {
  description: "Where prefilled values come from.",
  values: {
    CURRENT_SUBMISSION: { description: "The organization's current submission (a draft, or one under review)." },
    EARLIER_SUBMISSION: { description: "The latest earlier submission, e.g. the rejected one before a resubmission." },
    ORGANIZATION_PROFILE: { description: "The organization's profile (its name)." },
  } satisfies EnumValues<PrefillSource>,
});

export const BusinessAddressRef = builder.objectRef<BusinessAddress>("BusinessAddress").implement({
  description: "The business's registered address.",
  fields: (t) => ({
    street: t.exposeString("street", { nullable: true, description: "Street and number." }),
    street2: t.exposeString("street2", { nullable: true, description: "Suite, floor or unit." }),
    city: t.exposeString("city", { nullable: true, description: "City." }),
    region: t.exposeString("region", { nullable: true, description: "State or region (a US state code such as CA in the US)." }),
    postalCode: t.exposeString("postalCode", { nullable: true, description: "Postal or ZIP code." }),
    country: t.exposeString("country", { nullable: true, description: "ISO 3166-1 alpha-2 country." }),
  }),
});

const BusinessProfileRef = builder.objectRef<BusinessProfile>("BusinessProfile").implement({
  description: "The business behind the organization's SMS. Fields are null until given (drafts may be partial).",
  fields: (t) => ({
    legalName: t.exposeString("legalName", { nullable: true, description: "Registered legal name." }),
    displayName: t.exposeString("displayName", { nullable: true, description: "Name recipients know the business by (brand or DBA)." }),
    entityType: t.field({ type: BusinessEntityTypeEnum, nullable: true, description: "Legal form.", resolve: (p) => p.entityType }),
    country: t.exposeString("country", { nullable: true, description: "ISO 3166-1 alpha-2 country of registration." }),
    registrationId: t.exposeString("registrationId", { nullable: true, description: "Tax or company registration id; for US businesses the EIN, as 12-3456789." }),
    website: t.exposeString("website", { nullable: true, description: "Website address." }),
    address: t.field({ type: BusinessAddressRef, description: "Registered address.", resolve: (p) => p.address }),
    useCase: t.field({ type: SmsUseCaseEnum, nullable: true, description: "What the SMS are for.", resolve: (p) => p.useCase }),
    expectedMonthlyVolume: t.exposeInt("expectedMonthlyVolume", { nullable: true, description: "Expected SMS per month." }),
  }),
});

const AuthorizedRepresentativeRef = builder.objectRef<AuthorizedRepresentative>("AuthorizedRepresentative").implement({
  description: "The person who may act for the business. Fields are null until given.",
  fields: (t) => ({
    name: t.exposeString("name", { nullable: true, description: "Full name." }),
    title: t.exposeString("title", { nullable: true, description: "Job title." }),
    email: t.exposeString("email", { nullable: true, description: "Email address." }),
    phone: t.exposeString("phone", { nullable: true, description: "Phone number in E.164." }),
  }),
});

/** The latest notification of a submission; null when none was queued (a draft). */
interface ReviewerNotificationView {
  notification: Notification | null;
}

export const ReviewerNotificationRef = builder.objectRef<ReviewerNotificationView>("ReviewerNotification").implement({
  description: "The notification that tells reviewers of a submission, delivered to the reviewer webhook with retries.",
  fields: (t) => ({
    status: t.field({ type: NotificationStatusEnum, description: "Delivery status.", resolve: ({ notification: n }) => n?.status ?? "NOT_QUEUED" }),
    attempts: t.int({ description: "Delivery attempts so far.", resolve: ({ notification: n }) => n?.attempts ?? 0 }),
    lastError: t.string({ nullable: true, description: "Why the last attempt failed; null once sent.", resolve: ({ notification: n }) => n?.lastError ?? null }),
    lastAttemptAt: t.field({
      type: "DateTime",
      nullable: true,
      description: "When delivery was last attempted.",
      resolve: ({ notification: n }) => n?.lastAttemptAt ?? null,
    }),
    nextAttemptAt: t.field({
      type: "DateTime",
      nullable: true,
      description: "When the next attempt is due (QUEUED only).",
      resolve: ({ notification: n }) => (n?.status === "QUEUED" ? n.nextAttemptAt : null),
    }),
    sentAt: t.field({ type: "DateTime", nullable: true, description: "When the webhook accepted it.", resolve: ({ notification: n }) => n?.sentAt ?? null }),
  }),
});

export const VerificationRef = builder.prismaNode("Verification", {
  description:
    "One 10DLC business verification submission of an organization (the current one, or an earlier one kept as history). Organizations read their own; platform operators read every organization's through verificationSubmissions.",
  id: { field: "id" },
  // The organization reads its own (verification:read); operators read the ones they review.
  authScopes: (_verification, context) => grants(context.caller.scopes, "verification:read") || grants(context.caller.scopes, "verification:review"),
  // Another organization's id, or an unknown one, resolves node(id) to null as if it did not exist.
  // Operators read what they review (any organization's submission, never a draft).
  nullable: true,
  findUnique: (id, context) => (context.caller.operator ? { id, status: { not: "DRAFT" } } : { id, organizationId: context.caller.organizationId }),
  fields: (t) => ({
    status: t.field({ type: VerificationStatusEnum, description: "DRAFT, SUBMITTED, APPROVED or REJECTED.", resolve: (v) => v.status }),
    organization: t.relation("organization", { description: "The organization applying (the caller's own, unless the caller is a platform operator)." }),
    current: t.boolean({ description: "Whether this is the organization's current submission (false: kept as history).", resolve: (v) => v.current === true }),
    businessProfile: t.field({ type: BusinessProfileRef, description: "The business.", resolve: (v) => detailsOf(v).businessProfile }),
    authorizedRepresentative: t.field({
      type: AuthorizedRepresentativeRef,
      description: "The person who may act for the business.",
      resolve: (v) => detailsOf(v).authorizedRepresentative,
    }),
    attestationAccepted: t.exposeBoolean("attestationAccepted", { description: "The representative attests that the information is true and that recipients consent to the SMS." }),
    attestedAt: t.expose("attestedAt", { type: "DateTime", nullable: true, description: "When the attestation was accepted." }),
    submittedAt: t.expose("submittedAt", { type: "DateTime", nullable: true, description: "When it was submitted for review." }),
    decidedAt: t.expose("decidedAt", { type: "DateTime", nullable: true, description: "When a reviewer approved or rejected it." }),
    rejectionReason: t.exposeString("rejectionReason", { nullable: true, description: "Why it was rejected (REJECTED only)." }),
    smsCampaignId: t.exposeString("smsCampaignId", { nullable: true, description: "The organization's 10DLC SMS campaign, created on approval." }),
    reviewerNotification: t.field({
      type: ReviewerNotificationRef,
      description: "Delivery of the notification sent to reviewers when it was submitted (NOT_QUEUED for drafts).",
      // Merged into the query that loads the verification.
      select: { notifications: { orderBy: [{ createdAt: "desc" }, { id: "desc" }], take: 1 } },
      resolve: (v) => ({ notification: v.notifications[0] ?? null }),
    }),
    createdAt: t.expose("createdAt", { type: "DateTime", description: "When it was started." }),
    updatedAt: t.expose("updatedAt", { type: "DateTime", description: "When it last changed." }),
  }),
});

const PrefillRef = builder.objectRef<Prefill>("VerificationPrefill").implement({
  description: "Values to start the verification form with, field by field from what the organization already gave.",
  fields: (t) => ({
    businessProfile: t.field({ type: BusinessProfileRef, description: "Prefilled business profile.", resolve: (p) => p.businessProfile }),
    authorizedRepresentative: t.field({
      type: AuthorizedRepresentativeRef,
      description: "Prefilled authorized representative.",
      resolve: (p) => p.authorizedRepresentative,
    }),
    sources: t.field({ type: [PrefillSourceEnum], description: "Where the values came from, in order of precedence.", resolve: (p) => p.sources }),
  }),
});

const OrganizationVerificationRef = builder.objectRef<OrganizationVerification>("OrganizationVerification").implement({
  description: "The organization's 10DLC business verification: its current submission, status and a prefill for the form.",
  fields: (t) => ({
    status: t.field({ type: VerificationStatusEnum, description: "Status of the current submission; MISSING when there is none.", resolve: (o) => o.status }),
    submission: t.field({ type: VerificationRef, nullable: true, description: "The current submission, if any.", resolve: (o) => o.submission }),
    prefill: t.field({ type: PrefillRef, description: "Values to start the form with.", resolve: (o) => o.prefill }),
    history: t.prismaConnection(
      {
        type: "Verification",
        cursor: "id",
        description: "Earlier submissions (each rejected before a new one started), newest first.",
        totalCount: (o, _args, context) => context.prisma.verification.count({ where: { organizationId: o.organizationId, current: null } }),
        resolve: (query, o, _args, context) =>
          context.prisma.verification.findMany({
            ...query,
            where: { organizationId: o.organizationId, current: null },
            orderBy: [{ createdAt: "desc" }, { id: "desc" }],
          }),
      },
      { name: "VerificationConnection", description: "A page of verification submissions." },
      { name: "VerificationEdge", description: "One verification submission in a page." },
    ),
  }),
});

export const VerificationSubmissionStatusEnum = builder.enumType("VerificationSubmissionStatus", {
  description: "The status of a submitted verification, as platform operators filter their review queue.",
  values: {
    SUBMITTED: { description: "Waiting for a reviewer's decision." },
    APPROVED: { description: "Approved." },
    REJECTED: { description: "Rejected (the organization may submit again, as a new submission)." },
  } satisfies EnumValues<SubmissionStatus>,
});

export const VerificationSubmissionFilter = builder.inputType("VerificationSubmissionFilter", {
  description: "Narrows the operators' list of verification submissions.",
  fields: (t) => ({
    statuses: t.field({ type: [VerificationSubmissionStatusEnum], description: "Only submissions in these statuses (all three by default)." }),
  }),
});

builder.queryField("verificationSubmissions", (t) =>
  t.prismaConnection(
    {
      type: "Verification",
      cursor: "id",
      description:
        "Platform operators' review queue: the submitted 10DLC verifications of every organization (drafts excluded), newest submission first. Needs verification:review, which only operator keys hold; organization keys get FORBIDDEN.",
      nullable: false,
      authScopes: { scope: "verification:review" },
      args: { filter: t.arg({ type: VerificationSubmissionFilter, description: "Narrows the list, e.g. to SUBMITTED ones." }) },
      totalCount: (_parent, args, context) => context.prisma.verification.count({ where: context.services.verification.submissionsWhere(args.filter) }),
      resolve: (query, _parent, args, context) =>
        context.prisma.verification.findMany({
          ...query,
          where: context.services.verification.submissionsWhere(args.filter),
          orderBy: context.services.verification.submissionsOrder,
        }),
    },
    { name: "VerificationSubmissionConnection", description: "A page of submitted verifications, across organizations." },
    { name: "VerificationSubmissionEdge", description: "One submitted verification in a page." },
  ),
);

builder.queryField("verification", (t) =>
  t.field({
    type: OrganizationVerificationRef,
    description: "The organization's 10DLC business verification, which outbound SMS from US numbers needs.",
    authScopes: { scope: "verification:read" },
    resolve: (_root, _args, context) => context.services.verification.overview(context.caller),
  }),
);

// ---- Errors ----------------------------------------------------------------------------------

builder.objectType(VerificationTransitionError, {
  name: "VerificationTransitionError",
  description: "The verification's status does not allow this change (e.g. approving a draft, or editing an approved verification).",
  interfaces: [ErrorInterface],
  fields: (t) => ({
    currentStatus: t.field({ type: VerificationStatusEnum, description: "The status the verification is in.", resolve: (e) => e.currentStatus }),
    action: t.field({ type: VerificationActionEnum, description: "The refused change.", resolve: (e) => e.action }),
    allowedFrom: t.field({ type: [VerificationStatusEnum], description: "The statuses this change is allowed from.", resolve: (e) => [...e.allowedFrom] }),
  }),
});

const SmsVerificationEnum = builder.enumType("SmsVerification", {
  description: "The verification US carriers require before a number sends SMS.",
  values: {
    TEN_DLC: { description: "The organization's 10DLC business verification (Query.verification), for local US numbers; also needs the number on a 10DLC campaign." },
    TOLL_FREE: { description: "The organization's toll-free verification (Query.tollFreeVerification), for US toll-free numbers." },
  } satisfies EnumValues<SmsVerification>,
});

const SmsRequirementEnum = builder.enumType("SmsRequirement", {
  description: "What a US number still needs before it may send SMS.",
  values: {
    VERIFICATION_APPROVED: { description: "The organization's 10DLC business verification must be APPROVED." },
    CAMPAIGN_ASSIGNED: { description: "The number must be ASSIGNED to the organization's 10DLC campaign." },
    TOLL_FREE_VERIFICATION_APPROVED: { description: "The organization's toll-free verification must be APPROVED (US toll-free numbers)." },
  } satisfies EnumValues<SmsRequirement>,
});

builder.objectType(VerificationRequiredError, {
  name: "VerificationRequiredError",
  description:
    "US numbers send SMS only once the organization's verification is approved: 10DLC for local numbers (and the number on a 10DLC campaign), the toll-free verification for toll-free numbers. `verification` names which one.",
  interfaces: [ErrorInterface],
  fields: (t) => ({
    verification: t.field({ type: SmsVerificationEnum, description: "Which verification the number needs: TEN_DLC or TOLL_FREE.", resolve: (e) => e.verification }),
    missing: t.field({ type: [SmsRequirementEnum], description: "Every requirement not yet met.", resolve: (e) => e.missing }),
    verificationStatus: t.field({
      type: VerificationStatusEnum,
      description: "The status of the organization's verification named by `verification` (MISSING without one).",
      resolve: (e) => e.verificationStatus,
    }),
    smsCampaignStatus: t.field({
      type: SmsCampaignStatusEnum,
      nullable: true,
      description: "The number's 10DLC campaign assignment status; null when none was requested, and always for toll-free numbers.",
      resolve: (e) => e.smsCampaignStatus,
    }),
  }),
});

// ---- Mutations -------------------------------------------------------------------------------

export const BusinessAddressInput = builder.inputType("BusinessAddressInput", {
  description: "The business's registered address; omitted fields stay, null or blank clears.",
  fields: (t) => ({
    street: t.string({ maxLength: 200, description: "Street and number." }),
    street2: t.string({ maxLength: 200, description: "Suite, floor or unit (optional)." }),
    city: t.string({ maxLength: 100, description: "City." }),
    region: t.string({ maxLength: 100, description: "State or region; in the US a state code such as CA." }),
    postalCode: t.string({ maxLength: 20, description: "Postal code; in the US a ZIP code such as 94105." }),
    country: t.string({ maxLength: 10, description: "ISO 3166-1 alpha-2 country, e.g. US." }),
  }),
});

const BusinessProfileInput = builder.inputType("BusinessProfileInput", {
  description: "The business; omitted fields stay, null or blank clears.",
  fields: (t) => ({
    legalName: t.string({ maxLength: 200, description: "Registered legal name." }),
    displayName: t.string({ maxLength: 100, description: "Brand or DBA name." }),
    entityType: t.field({ type: BusinessEntityTypeEnum, description: "Legal form." }),
    country: t.string({ maxLength: 10, description: "ISO 3166-1 alpha-2 country of registration, e.g. US." }),
    registrationId: t.string({ maxLength: 50, description: "Tax or company registration id; US businesses give their EIN (12-3456789)." }),
    website: t.string({ maxLength: 255, description: "Website, e.g. https://example.com (optional)." }),
    address: t.field({ type: BusinessAddressInput, description: "Registered address." }),
    useCase: t.field({ type: SmsUseCaseEnum, description: "What the SMS are for." }),
    expectedMonthlyVolume: t.int({ description: "Expected SMS per month, 1 to 10,000,000." }),
  }),
});

const AuthorizedRepresentativeInput = builder.inputType("AuthorizedRepresentativeInput", {
  description: "The person who may act for the business; omitted fields stay, null or blank clears.",
  fields: (t) => ({
    name: t.string({ maxLength: 100, description: "Full name." }),
    title: t.string({ maxLength: 100, description: "Job title." }),
    email: t.string({ maxLength: 254, description: "Email address." }),
    phone: t.string({ maxLength: 20, description: "Phone number with its country code, e.g. +14155550100." }),
  }),
});

const verificationInputFields = (t: PothosSchemaTypes.InputFieldBuilder<typeof builder extends PothosSchemaTypes.SchemaBuilder<infer T> ? T : never, "InputObject">) => ({
  businessProfile: t.field({ type: BusinessProfileInput, description: "The business." }),
  authorizedRepresentative: t.field({ type: AuthorizedRepresentativeInput, description: "The authorized representative." }),
  attestationAccepted: t.boolean({ description: "The representative attests that the information is true and that recipients consent to the SMS." }),
});

const VerificationSuccess = (name: string, description: string) =>
  builder.objectRef<{ verification: Verification }>(name).implement({
    description,
    fields: (t) => ({
      verification: t.field({ type: VerificationRef, description: "The submission, as it is now.", resolve: (r) => r.verification }),
    }),
  });

builder.mutationField("saveVerificationDraft", (t) =>
  t.fieldWithInput({
    description:
      "Saves the verification as a draft: any subset of fields, each given field validated. Starts a submission when there is none, or a new one after a rejection (the rejected one stays as history, its values carried over).",
    typeOptions: { description: "Fields to save; omitted ones stay as they are." },
    authScopes: { scope: "verification:write" },
    input: verificationInputFields(t.input),
    type: VerificationSuccess("SaveVerificationDraftSuccess", "The draft was saved."),
    errors: { types: [ValidationError, VerificationTransitionError, ConflictError] },
    resolve: async (_root, { input }, context) => ({
      verification: await context.services.verification.saveDraft(context.caller, input),
    }),
  }),
);

builder.mutationField("submitVerification", (t) =>
  t.fieldWithInput({
    description:
      "Submits the verification for review: the input over the current draft (or over a rejected submission, to resubmit) must be complete and the attestation accepted; every missing or malformed field is reported at once. Queues the reviewer notification.",
    typeOptions: { description: "Fields to set before submitting; omitted ones keep the draft's values." },
    authScopes: { scope: "verification:write" },
    input: verificationInputFields(t.input),
    type: VerificationSuccess("SubmitVerificationSuccess", "The verification was submitted."),
    errors: { types: [ValidationError, VerificationTransitionError, ConflictError] },
    resolve: async (_root, { input }, context) => ({
      verification: await context.services.verification.submit(context.caller, input),
    }),
  }),
);

export const VerificationDecisionEnum = builder.enumType("VerificationDecision", {
  description: "A reviewer's decision on a submitted verification.",
  values: {
    APPROVE: { description: "Approve: for 10DLC, the organization's eligible US numbers are assigned to its SMS campaign; for toll-free, its toll-free numbers may send SMS." },
    REJECT: { description: "Reject, with a reason the organization sees." },
  } satisfies EnumValues<VerificationDecision>,
});

builder.mutationField("decideVerification", (t) =>
  t.fieldWithInput({
    description:
      "Approves or rejects a SUBMITTED verification of any organization. Needs verification:review, which only platform operator keys hold (organization keys get FORBIDDEN: nobody approves themselves).",
    typeOptions: { description: "The submission and the decision." },
    authScopes: { scope: "verification:review" },
    input: {
      id: t.input.id({ required: true, description: "The submitted verification." }),
      decision: t.input.field({ type: VerificationDecisionEnum, required: true, description: "APPROVE or REJECT." }),
      rejectionReason: t.input.string({ maxLength: 1000, description: "Why it is rejected (required to reject)." }),
    },
    type: VerificationSuccess("DecideVerificationSuccess", "The decision was recorded."),
    errors: { types: [ValidationError, NotFoundError, VerificationTransitionError, ConflictError] },
    resolve: async (_root, { input }, context) => ({
      verification: await context.services.verification.decide(context.caller, input),
    }),
  }),
);

// ---- Subscription ----------------------------------------------------------------------------

const VerificationStatusChangeRef = builder.objectRef<DeliveredVerificationStatusChange>("VerificationStatusChange").implement({
  description: "The organization's verification changed status.",
  fields: (t) => ({
    eventId: t.id({ description: "Id of the recorded event.", resolve: (c) => c.event.id }),
    verification: t.field({ type: VerificationRef, description: "The submission, as it is when the event is delivered.", resolve: (c) => c.verification }),
    previous: t.field({
      type: VerificationStatusEnum,
      description: "The organization's status before the change (MISSING for the first draft; REJECTED when a new submission follows a rejection).",
      resolve: (c) => (c.event.payload as unknown as VerificationStatusChangePayload).previous,
    }),
    current: t.field({
      type: VerificationStatusEnum,
      description: "The status after the change.",
      resolve: (c) => (c.event.payload as unknown as VerificationStatusChangePayload).current,
    }),
    changedAt: t.field({ type: "DateTime", description: "When the change was recorded.", resolve: (c) => c.event.createdAt }),
  }),
});

builder.subscriptionField("verificationStatusChanged", (t) =>
  t.field({
    type: VerificationStatusChangeRef,
    description:
      "Fires when the organization's verification changes status: a first draft, a submission, a decision, a new submission after a rejection. Decisions also change the setup status of the organization's US SMS numbers (phoneNumberSetupStatusChanged).",
    authScopes: { scope: "verification:read" },
    subscribe: (_root, _args, context) =>
      bounded(context.services.bus.pubsub.subscribe("verification-status", context.caller.organizationId), context.services.subscriptionBounds.maxBacklog),
    resolve: (message, _args, context) =>
      deliver(context, (cache) => cache.verificationStatusChange(message.eventId, context.caller.organizationId)),
  }),
);
