import { encodeGlobalID } from "@pothos/plugin-relay";
import { GraphQLError } from "graphql";
import type { AvailableNumber, NumberFeature } from "../carriers/adapter.ts";
import { CarrierError, ValidationError } from "../domain/errors.ts";
import { CarrierErrorReasonRef } from "../schema/errors.ts";
import { CARRIER_CALL_COST, carrierSpending } from "../limits/cost.ts";
import { AUDIT_TARGETS } from "../audit/recorder.ts";
import { builder, type EnumValues } from "../schema/builder.ts";
import { ERRORS } from "../schema/mutation.ts";
import type { CarrierNumber } from "../carriers/adapter.ts";
import type { BulkItemResult, Provisioned, Reconciliation, ShortageStrategy } from "./provisioning.ts";
import { PhoneNumberRef, PhoneNumberTypeEnum } from "./schema/types.ts";

const NumberFeatureEnum = builder.enumType("NumberFeature", {
  description: "A capability to search for.",
  values: {
    VOICE: { value: "voice", description: "Voice calls." },
    SMS: { value: "sms", description: "SMS." },
    MMS: { value: "mms", description: "MMS." },
  } as const satisfies { [F in NumberFeature as Uppercase<F>]: { value: F; description: string } },
});

const AvailableNumberRef = builder.objectRef<AvailableNumber>("AvailableNumber").implement({
  description: "A number the carrier offers for sale.",
  fields: (t) => ({
    e164: t.exposeString("e164", { description: "The number in E.164 form." }),
    friendlyName: t.exposeString("friendlyName", { description: "The number formatted for people." }),
    locality: t.exposeString("locality", { nullable: true, description: "City or rate center." }),
    region: t.exposeString("region", { nullable: true, description: "State or province." }),
    country: t.exposeString("country", { description: "ISO 3166-1 alpha-2 country." }),
    numberType: t.expose("numberType", {
      type: PhoneNumberTypeEnum,
      description: "LOCAL, TOLL_FREE or MOBILE: the type searched for, else derived from the number (Telnyx results do not say it).",
    }),
    features: t.field({ type: [NumberFeatureEnum], description: "What the number supports.", resolve: (n) => n.features }),
    monthlyCostCents: t.exposeInt("monthlyCostCents", { description: "Monthly cost in cents." }),
    upfrontCostCents: t.exposeInt("upfrontCostCents", { description: "One-time cost in cents." }),
  }),
});

/** Query arguments have no payload union: bad input is a BAD_USER_INPUT error listing every field problem. */
function asQueryError(error: unknown): never {
  if (error instanceof ValidationError) {
    throw new GraphQLError(error.message, { extensions: { code: "BAD_USER_INPUT", fieldErrors: error.fieldErrors } });
  }
  if (error instanceof CarrierError) {
    throw new GraphQLError(error.message, { extensions: { code: "CARRIER_ERROR", reason: error.reason, retryable: error.retryable } });
  }
  throw error;
}

builder.queryField("availablePhoneNumbers", (t) =>
  t.field({
    type: [AvailableNumberRef],
    description:
      "Numbers the caller's carrier offers (sb_test_ keys search the sandbox), minus numbers already in use here. All given filters apply; filters that contradict each other (numberType LOCAL with toll-free area code 800, a locality for toll-free numbers, a postal code of another country) are a BAD_USER_INPUT error with the path of each, not an empty list.",
    authScopes: { scope: "numbers:read" },
    args: {
      country: t.arg.string({ defaultValue: "US", description: "ISO 3166-1 alpha-2 country." }),
      areaCode: t.arg.string({
        description: "3-digit area code (national destination code). Toll-free area codes (800, 833, 844, 855, 866, 877, 888) search toll-free numbers.",
      }),
      numberType: t.arg({
        type: PhoneNumberTypeEnum,
        description:
          "LOCAL, TOLL_FREE or MOBILE, where the carrier has them. Sandbox: LOCAL in its US and Canadian area codes, TOLL_FREE in the US (800-888), no MOBILE. Telnyx: filter[phone_number_type] (local, toll_free, mobile), offered per country as Telnyx's coverage says. Left out: local numbers, or toll-free ones for a toll-free area code.",
      }),
      contains: t.arg.string({
        description: 'Digits or letters the number must contain (1 to 10); letters are read on the phone keypad, so "FLOWERS" finds numbers containing 3569377. With an area code, carriers match after it.',
      }),
      locality: t.arg.string({ description: "City (rate center), case-insensitive, e.g. \"San Francisco\". Telnyx: filter[locality]." }),
      region: t.arg.string({ description: "US state or Canadian province code, e.g. CA, NY, ON. Telnyx: filter[administrative_area]." }),
      postalCode: t.arg.string({
        description:
          "A US ZIP code (94103) or Canadian postal code (M5V 3L9) of the country searched. Sandbox: the area codes serving it. Telnyx has no postal-code filter: refused (NOT_PERMITTED) for Telnyx searches; use locality or region.",
      }),
      nearNumber: t.arg.string({
        description:
          "An E.164 US or Canadian number: numbers in the same area code. Sandbox: ordered by closeness of exchange and line. Telnyx has no proximity filter: mapped to filter[national_destination_code] only (combine with locality to stay in the same rate center).",
      }),
      features: t.arg({ type: [NumberFeatureEnum], description: "Required capabilities." }),
      limit: t.arg.int({ defaultValue: 10, description: "1 to 50 results (default 10)." }),
    },
    // One carrier search, plus each result.
    complexity: (args) => ({ field: CARRIER_CALL_COST, multiplier: Math.min(Math.max(args.limit ?? 10, 0), 50) }),
    resolve: (_root, args, context) =>
      context.services.provisioning
        .search(context.caller, { ...args, country: args.country ?? "US", limit: args.limit ?? 10 })
        .catch(asQueryError),
  }),
);

const provisionFields = (t: PothosSchemaTypes.InputFieldBuilder<typeof builder extends PothosSchemaTypes.SchemaBuilder<infer T> ? T : never, "InputObject">) => ({
  country: t.string({ description: "ISO 3166-1 alpha-2 country (default US)." }),
  areaCode: t.string({ description: "Preferred 3-digit area code; a toll-free one (800, 833, ...) buys a toll-free number." }),
  numberType: t.field({
    type: PhoneNumberTypeEnum,
    description: "LOCAL, TOLL_FREE or MOBILE (default: the area code's type, else LOCAL). The area-code fallback stays within this type: a toll-free request never buys a local number.",
  }),
  contains: t.string({ description: "Digits or keypad letters the number must contain." }),
  features: t.field({ type: [NumberFeatureEnum], description: "Required capabilities." }),
  label: t.string({ maxLength: 100, description: "Label of the new number(s)." }),
  agentId: t.id({ description: "Agent to route the new number(s) to." }),
});

const ProvisionPhoneNumberSuccess = builder.objectRef<Provisioned>("ProvisionPhoneNumberSuccess").implement({
  description: "The number is bought (ACTIVE) or being bought (PENDING until the carrier order completes).",
  fields: (t) => ({
    phoneNumber: t.field({ type: PhoneNumberRef, description: "The number.", resolve: (r) => r.phoneNumber }),
    areaCodeFallback: t.exposeBoolean("areaCodeFallback", { description: "The area code had nothing, so another number in the country was bought." }),
    replayed: t.exposeBoolean("replayed", { description: "An earlier call with the same idempotency key bought it; nothing new was bought." }),
  }),
});

builder.mutationField("provisionPhoneNumber", (t) =>
  t.fieldWithInput({
    description:
      "Buys a number from the carrier: a specific e164 from a search, or the best match of the criteria, falling back to any number in the country when the area code has none (unless allowAreaCodeFallback is false). Idempotent per idempotencyKey.",
    typeOptions: { description: "What to buy." },
    complexity: carrierSpending(() => 1),
    authScopes: { scope: "numbers:write" },
    input: {
      ...provisionFields(t.input),
      e164: t.input.string({ description: "A specific number from availablePhoneNumbers." }),
      idempotencyKey: t.input.string({ maxLength: 200, description: "Repeating a call with the same key never buys twice (recommended)." }),
      allowAreaCodeFallback: t.input.boolean({ description: "Buy elsewhere in the country when the area code has nothing (default true)." }),
    },
    type: ProvisionPhoneNumberSuccess,
    errors: { types: [...ERRORS.provision] },
    resolve: (_root, { input }, context) => context.services.provisioning.provision(context.caller, input),
  }),
);

const ShortageStrategyEnum = builder.enumType("ShortageStrategy", {
  description: "What a bulk order does when the area code has fewer numbers than asked.",
  values: {
    FAIL: { description: "Buy nothing unless all are available." },
    FALLBACK: { description: "Fill up with numbers elsewhere in the country." },
    AVAILABLE: { description: "Buy what is available; the rest are reported as errors." },
  } satisfies EnumValues<ShortageStrategy>,
});

interface ItemFailure {
  code: "CARRIER_ERROR" | "CONFLICT";
  reason: CarrierError["reason"] | null;
  message: string;
}

// A plain object, not the error instance: graphql-js treats an Error returned by a resolver as a failure.
const ItemFailureRef = builder.objectRef<ItemFailure>("ProvisionItemFailure").implement({
  description: "Why one item of a bulk order was not bought.",
  fields: (t) => ({
    code: t.exposeString("code", { description: "CARRIER_ERROR or CONFLICT." }),
    reason: t.field({ type: CarrierErrorReasonRef, nullable: true, description: "The carrier's reason, for CARRIER_ERROR.", resolve: (f) => f.reason }),
    message: t.exposeString("message", { description: "What went wrong." }),
  }),
});

const BulkItemRef = builder.objectRef<BulkItemResult>("ProvisionItemResult").implement({
  description: "The outcome of one item of a bulk order.",
  fields: (t) => ({
    index: t.exposeInt("index", { description: "Position of the item (0-based)." }),
    phoneNumber: t.field({ type: PhoneNumberRef, nullable: true, description: "The bought number, if any.", resolve: (r) => r.result?.phoneNumber ?? null }),
    areaCodeFallback: t.boolean({ description: "Bought outside the area code.", resolve: (r) => r.result?.areaCodeFallback ?? false }),
    error: t.field({
      type: ItemFailureRef,
      nullable: true,
      description: "Why it was not bought.",
      resolve: ({ error }) =>
        error ? { code: error.code === "CARRIER_ERROR" ? ("CARRIER_ERROR" as const) : ("CONFLICT" as const), reason: error instanceof CarrierError ? error.reason : null, message: error.message } : null,
    }),
  }),
});

const ProvisionPhoneNumbersSuccess = builder.objectRef<BulkItemResult[]>("ProvisionPhoneNumbersSuccess").implement({
  description: "Per-item results of a bulk order; items that failed do not undo the others.",
  // The audit log's targets: the bought numbers, held by the items rather than by a field.
  extensions: {
    [AUDIT_TARGETS]: (items: BulkItemResult[]) => items.flatMap((item) => (item.result ? [encodeGlobalID("PhoneNumber", item.result.phoneNumber.id)] : [])),
  },
  fields: (t) => ({
    results: t.field({ type: [BulkItemRef], description: "One result per requested number.", resolve: (r) => r }),
    provisionedCount: t.int({ description: "How many numbers were bought (or are being bought).", resolve: (r) => r.filter((i) => i.result).length }),
  }),
});

builder.mutationField("provisionPhoneNumbers", (t) =>
  t.fieldWithInput({
    description: "Buys up to 50 numbers by area code or criteria. The whole call is idempotent per idempotencyKey.",
    typeOptions: { description: "What to buy, how many, and what to do on a shortage." },
    complexity: carrierSpending((args) => Number((args.input as { quantity?: unknown } | undefined)?.quantity) || 1),
    authScopes: { scope: "numbers:write" },
    input: {
      ...provisionFields(t.input),
      quantity: t.input.int({ required: true, description: "1 to 50." }),
      shortageStrategy: t.input.field({ type: ShortageStrategyEnum, defaultValue: "FAIL", description: "FAIL (default), FALLBACK or AVAILABLE." }),
      idempotencyKey: t.input.string({ required: true, maxLength: 200, description: "Repeating the call with the same key never buys more." }),
    },
    type: ProvisionPhoneNumbersSuccess,
    errors: { types: [...ERRORS.provision] },
    resolve: (_root, { input }, context) => context.services.provisioning.provisionMany(context.caller, input),
  }),
);

const CarrierNumberStatusEnum = builder.enumType("CarrierNumberStatus", {
  description: "A number's state at the carrier.",
  values: { ACTIVE: { description: "In service and billed." }, PENDING: { description: "Being provisioned." } } satisfies EnumValues<CarrierNumber["status"]>,
});

const CarrierNumberRef = builder.objectRef<CarrierNumber>("CarrierNumber").implement({
  description: "A number as the carrier reports it.",
  fields: (t) => ({
    e164: t.exposeString("e164", { description: "The number." }),
    carrierNumberId: t.exposeString("carrierNumberId", { description: "The carrier's id of the number." }),
    status: t.expose("status", { type: CarrierNumberStatusEnum, description: "Its state at the carrier." }),
  }),
});

const StateMismatchRef = builder.objectRef<Reconciliation["stateMismatches"][number]>("CarrierStateMismatch").implement({
  description: "A number whose state here differs from the carrier's.",
  fields: (t) => ({
    phoneNumber: t.field({ type: PhoneNumberRef, description: "The number here.", resolve: (m) => m.phoneNumber }),
    carrierStatus: t.expose("carrierStatus", { type: CarrierNumberStatusEnum, description: "Its state at the carrier." }),
  }),
});

const ReconciliationRef = builder.objectRef<Reconciliation>("CarrierReconciliation").implement({
  description: "Differences between the carrier's inventory and this organization's managed numbers.",
  fields: (t) => ({
    carrier: t.exposeString("carrier", { description: "The carrier compared (the caller's)." }),
    checkedAt: t.expose("checkedAt", { type: "DateTime", description: "When the comparison ran." }),
    orphanedAtCarrier: t.field({
      type: [CarrierNumberRef],
      description: "Numbers the carrier bills for this organization's orders but that have no live row here.",
      resolve: (r) => r.orphanedAtCarrier,
    }),
    missingAtCarrier: t.field({
      type: [PhoneNumberRef],
      description: "Live numbers here that the carrier no longer has.",
      resolve: (r) => r.missingAtCarrier,
    }),
    stateMismatches: t.field({ type: [StateMismatchRef], description: "Numbers whose state differs.", resolve: (r) => r.stateMismatches }),
    consistent: t.boolean({
      description: "True when nothing differs.",
      resolve: (r) => r.orphanedAtCarrier.length + r.missingAtCarrier.length + r.stateMismatches.length === 0,
    }),
  }),
});

builder.queryField("carrierReconciliation", (t) =>
  t.field({
    type: ReconciliationRef,
    description: "Compares the carrier's inventory with this organization's managed numbers (reads the carrier; not cached).",
    authScopes: { scope: "numbers:write" },
    // Lists the carrier's whole inventory (several carrier calls).
    complexity: 5 * CARRIER_CALL_COST,
    resolve: (_root, _args, context) => context.services.provisioning.reconcile(context.caller).catch(asQueryError),
  }),
);

const RepairSuccess = builder
  .objectRef<{ released: string[]; activated: import("../generated/prisma/client.ts").PhoneNumber[]; report: Reconciliation }>("RepairCarrierReconciliationSuccess")
  .implement({
    description: "What was repaired, and the comparison afterwards.",
    fields: (t) => ({
      releasedAtCarrier: t.exposeStringList("released", { description: "Orphaned numbers released at the carrier (no longer billed)." }),
      activated: t.field({ type: [PhoneNumberRef], description: "PENDING numbers the carrier reported active, now ACTIVE.", resolve: (r) => r.activated }),
      reconciliation: t.field({ type: ReconciliationRef, description: "The comparison after the repairs.", resolve: (r) => r.report }),
    }),
  });

builder.mutationField("repairCarrierReconciliation", (t) =>
  t.fieldWithInput({
    description:
      "Repairs what is safe: releases orphaned carrier numbers and activates numbers the carrier reports active. Numbers missing at the carrier are only reported.",
    typeOptions: { description: "Repair options." },
    complexity: 5 * CARRIER_CALL_COST,
    authScopes: { scope: "numbers:write" },
    input: { dryRun: t.input.boolean({ description: "Report what would be repaired without changing anything." }) },
    type: RepairSuccess,
    errors: { types: [CarrierError] },
    resolve: (_root, { input }, context) => context.services.provisioning.repair(context.caller, input),
  }),
);
