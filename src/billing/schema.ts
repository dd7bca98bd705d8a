// Billing in the schema: the account and plan, the charge ledger, the summary, reactivation.
import type { BillingAccount } from "../generated/prisma/client.ts";
import { ChargeKind, ChargeStatus } from "../generated/prisma/enums.ts";
import { decodeId } from "../domain/global-id.ts";
import { ValidationError } from "../domain/errors.ts";
import { NumberSourceEnum, NumberStatusEnum, PhoneNumberRef } from "../numbers/schema/types.ts";
import { builder, type EnumValues } from "../schema/builder.ts";
import { ERRORS } from "../schema/mutation.ts";
import { GraphQLError } from "graphql";
import type { BillingSummary, ChargeFilter as ChargeFilterValue } from "./service.ts";

const ChargeKindEnum = builder.enumType("ChargeKind", {
  description: "What a charge is for.",
  values: {
    UPFRONT: { description: "The one-time price of a bought number, charged with its first month." },
    MONTHLY: { description: "One month of a number." },
  } satisfies EnumValues<ChargeKind>,
});

const ChargeStatusEnum = builder.enumType("ChargeStatus", {
  description: "Where a charge stands.",
  values: {
    PENDING: { description: "Written, not yet paid: being charged, or awaiting the provider's answer." },
    SUCCEEDED: { description: "Paid (or covered by the plan: amount 0)." },
    FAILED: { description: "Declined or refused; retried on a schedule while nextAttemptAt is set." },
  } satisfies EnumValues<ChargeStatus>,
});

const ChargeRef = builder.prismaNode("Charge", {
  description: "One charge of one number for one period: the billing ledger. Money is in integer cents.",
  id: { field: "id" },
  nullable: true,
  authScopes: { scope: "billing:read" },
  findUnique: (id, context) => ({ id, organizationId: context.caller.organizationId }),
  fields: (t) => ({
    phoneNumber: t.relation("phoneNumber", { description: "The number charged." }),
    kind: t.expose("kind", { type: ChargeKindEnum, description: "UPFRONT or MONTHLY." }),
    period: t.exposeInt("period", { description: "Months since activation: 0 for the first month (and the upfront charge)." }),
    periodStart: t.expose("periodStart", { type: "DateTime", description: "Start of the period charged." }),
    periodEnd: t.expose("periodEnd", { type: "DateTime", description: "End of the period charged (exclusive)." }),
    amountCents: t.exposeInt("amountCents", { description: "Amount in cents; 0 when the plan covers the number." }),
    currency: t.exposeString("currency", { description: "ISO 4217 currency, e.g. USD." }),
    status: t.expose("status", { type: ChargeStatusEnum, description: "PENDING, SUCCEEDED or FAILED." }),
    failureReason: t.exposeString("failureReason", { nullable: true, description: "Why the last attempt failed, as the payment provider said." }),
    attempts: t.exposeInt("attempts", { description: "Calls made to the payment provider for it." }),
    providerReference: t.exposeString("providerReference", { nullable: true, description: "The payment provider's id of the payment (Stripe: pi_...)." }),
    nextAttemptAt: t.expose("nextAttemptAt", { type: "DateTime", nullable: true, description: "When it is tried again; null once final or while the provider's answer is awaited." }),
    createdAt: t.expose("createdAt", { type: "DateTime", description: "When the charge was written." }),
    updatedAt: t.expose("updatedAt", { type: "DateTime", description: "When the charge last changed." }),
  }),
});

const ChargeFilter = builder.inputType("ChargeFilter", {
  description: "Narrows a charge list; all given conditions apply.",
  fields: (t) => ({
    statuses: t.field({ type: [ChargeStatusEnum], description: "Only these statuses." }),
    phoneNumberId: t.id({ description: "Only charges of this number." }),
    createdAfter: t.field({ type: "DateTime", description: "Written at or after this time." }),
    createdBefore: t.field({ type: "DateTime", description: "Written before this time." }),
  }),
});

/** The filter with the number's global id decoded; a malformed id is the client's BAD_USER_INPUT. */
function chargeFilter(filter: { statuses?: ChargeStatus[] | null; phoneNumberId?: string | null; createdAfter?: Date | null; createdBefore?: Date | null } | null | undefined): ChargeFilterValue | null {
  if (!filter) return null;
  let phoneNumberId: string | null = null;
  if (filter.phoneNumberId) {
    const decoded = decodeId(filter.phoneNumberId, "PhoneNumber", ["filter", "phoneNumberId"]);
    if ("error" in decoded) throw new GraphQLError(new ValidationError([decoded.error]).message, { extensions: { code: "BAD_USER_INPUT" } });
    phoneNumberId = decoded.id;
  }
  return { ...filter, phoneNumberId };
}

builder.queryField("charges", (t) =>
  t.prismaConnection(
    {
      type: "Charge",
      cursor: "id",
      description: "The organization's charges, newest first.",
      nullable: false,
      authScopes: { scope: "billing:read" },
      args: { filter: t.arg({ type: ChargeFilter, description: "Narrows the list." }) },
      totalCount: (_parent, args, context) => context.prisma.charge.count({ where: context.services.billing.where(context.caller.organizationId, chargeFilter(args.filter)) }),
      resolve: (query, _parent, args, context) =>
        context.prisma.charge.findMany({ ...query, where: context.services.billing.where(context.caller.organizationId, chargeFilter(args.filter)), orderBy: [{ createdAt: "desc" }, { id: "desc" }] }),
    },
    { name: "ChargeConnection", description: "A page of charges." },
    { name: "ChargeEdge", description: "One charge in a page." },
  ),
);

builder.prismaObjectField("PhoneNumber", "charges", (t) =>
  t.relatedConnection(
    "charges",
    {
      description: "The number's charges, newest first (null without billing:read).",
      nullable: true,
      cursor: "id",
      totalCount: true,
      authScopes: { scope: "billing:read" },
      query: () => ({ orderBy: [{ createdAt: "desc" }, { id: "desc" }] }),
    },
    { name: "PhoneNumberChargeConnection", description: "A page of a number's charges." },
    { name: "PhoneNumberChargeEdge", description: "One of a number's charges." },
  ),
);

const BillingAccountRef = builder.objectRef<BillingAccount>("BillingAccount").implement({
  description: "How the organization pays: its plan and its customer at the payment provider.",
  fields: (t) => ({
    planName: t.exposeString("planName", { description: "The plan's name." }),
    includedNumbers: t.exposeInt("includedNumbers", { description: "Live numbers the plan covers, in activation order; numbers beyond it are charged monthly." }),
    currency: t.exposeString("currency", { description: "ISO 4217 currency of every charge, e.g. USD." }),
    providerCustomerId: t.exposeString("providerCustomerId", { nullable: true, description: "The organization's customer at the payment provider (Stripe: cus_...)." }),
    providerPaymentMethodId: t.exposeString("providerPaymentMethodId", { nullable: true, description: "The payment method charged off-session (Stripe: pm_...); the customer's default when null." }),
  }),
});

builder.queryField("billingAccount", (t) =>
  t.field({
    type: BillingAccountRef,
    description: "The organization's billing account (defaults until one is set).",
    authScopes: { scope: "billing:read" },
    resolve: (_root, _args, context) => context.services.billing.account(context.caller.organizationId),
  }),
);

const CostBySource = builder.objectRef<BillingSummary["bySource"][number]>("BillingCostBySource").implement({
  description: "Monthly cost of the organization's live numbers of one source.",
  fields: (t) => ({
    source: t.expose("source", { type: NumberSourceEnum, description: "The source." }),
    numbers: t.exposeInt("numbers", { description: "Live numbers of this source." }),
    monthlyCents: t.exposeInt("monthlyCents", { description: "Their monthly charges together, in cents." }),
  }),
});

const CostByStatus = builder.objectRef<BillingSummary["byStatus"][number]>("BillingCostByStatus").implement({
  description: "Monthly cost of the organization's live numbers in one status.",
  fields: (t) => ({
    status: t.expose("status", { type: NumberStatusEnum, description: "The status." }),
    numbers: t.exposeInt("numbers", { description: "Live numbers in this status." }),
    monthlyCents: t.exposeInt("monthlyCents", { description: "Their monthly charges together, in cents." }),
  }),
});

const BillingSummaryRef = builder.objectRef<BillingSummary>("BillingSummary").implement({
  description: "The organization's monthly cost, plan usage, what is due in the next 30 days and what failed.",
  fields: (t) => ({
    currency: t.exposeString("currency", { description: "ISO 4217 currency of every amount." }),
    planName: t.exposeString("planName", { description: "The plan's name." }),
    includedNumbers: t.exposeInt("includedNumbers", { description: "Numbers the plan covers." }),
    numbersIncluded: t.exposeInt("numbersIncluded", { description: "Live numbers charged nothing monthly (covered by the plan or marked included)." }),
    numbersCharged: t.exposeInt("numbersCharged", { description: "Live numbers charged monthly." }),
    monthlyTotalCents: t.exposeInt("monthlyTotalCents", { description: "The monthly charges of all live numbers, in cents." }),
    bySource: t.field({ type: [CostBySource], description: "Monthly cost by source.", resolve: (s) => s.bySource }),
    byStatus: t.field({ type: [CostByStatus], description: "Monthly cost by status.", resolve: (s) => s.byStatus }),
    upcomingCharges: t.exposeInt("upcomingCharges", { description: "Numbers with a charge due in the next 30 days." }),
    upcomingCents: t.exposeInt("upcomingCents", { description: "What those charges come to, in cents (upfront prices included)." }),
    failedCharges: t.exposeInt("failedCharges", { description: "Charges that failed and need attention (see charges(filter: {statuses: [FAILED]}))." }),
    failedCents: t.exposeInt("failedCents", { description: "What the failed charges come to, in cents." }),
  }),
});

builder.queryField("billingSummary", (t) =>
  t.field({
    type: BillingSummaryRef,
    description: "The organization's monthly cost by source and status, plan usage, upcoming and failed charges.",
    authScopes: { scope: "billing:read" },
    // One aggregate over every live number of the organization, and a count of its failed charges.
    complexity: 10,
    resolve: (_root, _args, context) => context.services.billing.summary(context.caller),
  }),
);

builder.mutationField("updateBillingAccount", (t) =>
  t.fieldWithInput({
    description: "Changes the organization's plan, currency or payment-provider customer.",
    typeOptions: { description: "Billing account changes; omitted fields stay as they are." },
    authScopes: { scope: "billing:admin" },
    input: {
      planName: t.input.string({ maxLength: 100, description: "The plan's name." }),
      includedNumbers: t.input.int({ description: "Live numbers the plan covers, 0 to 1,000,000." }),
      currency: t.input.string({ maxLength: 3, description: "ISO 4217 currency: USD, CAD, EUR, GBP or AUD." }),
      providerCustomerId: t.input.string({ maxLength: 255, description: "The customer at the payment provider (Stripe: cus_...)." }),
      providerPaymentMethodId: t.input.string({ maxLength: 255, description: "The payment method to charge off-session (Stripe: pm_...)." }),
    },
    type: builder.objectRef<{ billingAccount: BillingAccount }>("UpdateBillingAccountSuccess").implement({
      description: "The billing account was changed.",
      // Named as Query.billingAccount, as every other Success names its object after its type.
      fields: (f) => ({ billingAccount: f.field({ type: BillingAccountRef, description: "The account, as it is now.", resolve: (r) => r.billingAccount }) }),
    }),
    errors: { types: [...ERRORS.validation] },
    resolve: async (_root, { input }, context) => ({ billingAccount: await context.services.billing.updateAccount(context.caller, input) }),
  }),
);

builder.mutationField("reactivatePhoneNumber", (t) =>
  t.fieldWithInput({
    description: "Puts a number billing suspended back in service; its unpaid charges get a new grace period and are retried at once.",
    typeOptions: { description: "The number to reactivate." },
    authScopes: { scope: "billing:admin" },
    input: { id: t.input.id({ required: true, description: "The suspended number." }) },
    type: builder.objectRef<{ phoneNumber: Awaited<ReturnType<typeof import("./service.ts").BillingService.prototype.reactivate>> }>("ReactivatePhoneNumberSuccess").implement({
      description: "The number is ACTIVE again.",
      fields: (f) => ({ phoneNumber: f.field({ type: PhoneNumberRef, description: "The number, as it is now.", resolve: (r) => r.phoneNumber }) }),
    }),
    errors: { types: [...ERRORS.numberConflict] },
    resolve: async (_root, { input }, context) => ({ phoneNumber: await context.services.billing.reactivate(context.caller, input) }),
  }),
);

export { ChargeRef };
