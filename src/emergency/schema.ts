// Emergency (E911) addresses in the schema: the EmergencyAddress node, the list, the mutations, and
// the emergency fields of PhoneNumber. Resolvers hand `input` to EmergencyAddressService as it is.
import { encodeGlobalID } from "@pothos/plugin-relay";
import { AUDIT_TARGETS } from "../audit/recorder.ts";
import type { EmergencyAddress, PhoneNumber } from "../generated/prisma/client.ts";
import type { EmergencyRegistrationStatus } from "../generated/prisma/enums.ts";
import { CARRIER_CALL_COST, MUTATION_COST } from "../limits/cost.ts";
import { readsColumns } from "../numbers/page-query.ts";
import { builder, type EnumValues } from "../schema/builder.ts";
import { ERRORS } from "../schema/mutation.ts";
import { ErrorInterface } from "../schema/errors.ts";
import { OrderDirectionEnum } from "../schema/order.ts";
import { PhoneNumberRef } from "../numbers/schema/types.ts";
import { EmergencyAddressInUseError, INLINE_REREGISTRATIONS, type EmergencyAddressOrder } from "./service.ts";

export const EmergencyRegistrationStatusEnum = builder.enumType("EmergencyRegistrationStatus", {
  description:
    "Where an emergency (E911) registration stands. For a number: its address registered for 911 calls (null when the number has no address). For an address: the carrier's validation of it (null until a managed number uses it).",
  values: {
    PENDING: {
      description:
        "Recorded; the carrier has not confirmed yet (the call is under way, the carrier is provisioning, or it was unreachable and a job retries with backoff). A number PENDING with no address is having emergency service disabled at the carrier.",
    },
    ACTIVE: {
      description:
        "Registered at the carrier: 911 calls from the number reach emergency services with this address (MANAGED numbers).",
    },
    STORED: {
      description:
        "A SIP_TRUNK or MANUAL number's address, stored and returned but registered at no carrier by Switchboard: the number's own carrier routes its emergency calls, so register the address there too. Counts as registered for the setup status.",
    },
    FAILED: { description: "The carrier refused the address; failureReason gives its reason. Correct the address (updateEmergencyAddress) or set another one." },
  } satisfies EnumValues<EmergencyRegistrationStatus>,
});

export const EmergencyAddressRef = builder.prismaNode("EmergencyAddress", {
  description: "A dispatchable address for emergency (E911) calls, in the US or Canada, that the organization's numbers use.",
  id: { field: "id" },
  authScopes: { scope: "numbers:read" },
  // Another organization's id, or an unknown one, resolves node(id) to null as if it did not exist.
  nullable: true,
  findUnique: (id, context) => ({ id, organizationId: context.caller.organizationId }),
  fields: (t) => ({
    callerName: t.exposeString("callerName", { description: "The name emergency services see for calls from numbers using this address." }),
    street: t.exposeString("street", { description: "Street number and name." }),
    unit: t.exposeString("unit", { nullable: true, description: "Apartment, suite or floor, if any." }),
    city: t.exposeString("city", { description: "City (locality)." }),
    region: t.exposeString("region", { description: "Two-letter US state or Canadian province code, e.g. CA or ON." }),
    postalCode: t.exposeString("postalCode", { description: "US ZIP (12345 or 12345-6789) or Canadian postal code (A1A 1A1)." }),
    country: t.exposeString("country", { description: "US or CA." }),
    status: t.expose("status", {
      type: EmergencyRegistrationStatusEnum,
      nullable: true,
      description: "The carrier's validation of this address: null until a managed number uses it, then PENDING, ACTIVE or FAILED (every number using a FAILED address is FAILED too).",
    }),
    failureReason: t.exposeString("failureReason", { nullable: true, description: "The carrier's reason, when status is FAILED." }),
    createdAt: t.expose("createdAt", { type: "DateTime", description: "When the address was created." }),
    updatedAt: t.expose("updatedAt", { type: "DateTime", description: "When the address last changed." }),
  }),
});

const EmergencyRegistrationRef = builder.objectRef<PhoneNumber>("EmergencyRegistration").implement({
  description: "A number's emergency (E911) registration.",
  fields: (t) => ({
    status: t.field({ type: EmergencyRegistrationStatusEnum, description: "PENDING, ACTIVE or FAILED.", resolve: (n) => n.emergencyStatus! }),
    failureReason: t.exposeString("emergencyFailureReason", { nullable: true, description: "The carrier's reason, when FAILED." }),
    updatedAt: t.expose("emergencyUpdatedAt", { type: "DateTime", nullable: true, description: "When the status last changed." }),
  }),
});

builder.prismaObjectField("PhoneNumber", "emergencyAddress", (t) =>
  t.relation("emergencyAddress", {
    nullable: true,
    description: "The emergency (E911) address 911 calls from this number are dispatched to; null when none is set.",
    extensions: readsColumns("emergencyAddressId"),
  }),
);

builder.prismaObjectField("PhoneNumber", "emergencyRegistration", (t) =>
  t.field({
    type: EmergencyRegistrationRef,
    nullable: true,
    description:
      "The number's emergency registration: null when no address is set (and no removal is under way). US and Canadian numbers that place calls are outbound-ready only while it is ACTIVE (setup issue EMERGENCY_ADDRESS_MISSING).",
    extensions: readsColumns("emergencyStatus", "emergencyFailureReason", "emergencyUpdatedAt"),
    resolve: (n) => (n.emergencyStatus ? n : null),
  }),
);

const EmergencyAddressOrderField = builder.enumType("EmergencyAddressOrderField", {
  description: "What an emergency address list is sorted by (the id breaks ties).",
  values: { CREATED_AT: { description: "Creation time." }, UPDATED_AT: { description: "Last change." } } satisfies EnumValues<EmergencyAddressOrder["field"]>,
});

const EmergencyAddressOrderInput = builder.inputType("EmergencyAddressOrder", {
  description: "Sort order of an emergency address list.",
  fields: (t) => ({
    field: t.field({ type: EmergencyAddressOrderField, required: true, description: "Sort key." }),
    direction: t.field({ type: OrderDirectionEnum, required: true, description: "Sort direction." }),
  }),
});

builder.queryField("emergencyAddresses", (t) =>
  t.prismaConnection(
    {
      type: "EmergencyAddress",
      cursor: "id",
      description: "The organization's emergency (E911) addresses, newest first unless ordered otherwise.",
      nullable: false,
      authScopes: { scope: "numbers:read" },
      args: { orderBy: t.arg({ type: EmergencyAddressOrderInput, description: "Sort order; defaults to CREATED_AT DESC." }) },
      totalCount: (_parent, _args, context) => context.prisma.emergencyAddress.count({ where: context.services.emergency.where(context.caller) }),
      resolve: (query, _parent, args, context) =>
        context.prisma.emergencyAddress.findMany({ ...query, where: context.services.emergency.where(context.caller), orderBy: context.services.emergency.orderBy(args.orderBy) }),
    },
    { name: "EmergencyAddressConnection", description: "A page of emergency addresses." },
    { name: "EmergencyAddressEdge", description: "One emergency address in a page." },
  ),
);

builder.objectType(EmergencyAddressInUseError, {
  name: "EmergencyAddressInUseError",
  description: "The emergency address is used by live numbers; set another address on them first.",
  interfaces: [ErrorInterface],
  fields: (t) => ({
    emergencyAddressId: t.id({ description: "The address.", resolve: (e) => encodeGlobalID("EmergencyAddress", e.emergencyAddressId) }),
    phoneNumberCount: t.int({ description: "How many live numbers use it.", resolve: (e) => e.phoneNumberIds.length }),
    phoneNumberIds: t.idList({ description: "Global ids of the live numbers using it.", resolve: (e) => e.phoneNumberIds.map((id) => encodeGlobalID("PhoneNumber", id)) }),
    e164s: t.stringList({ description: "Their E.164 numbers, in order.", resolve: (e) => e.e164s }),
  }),
});

type InputBuilder = PothosSchemaTypes.InputFieldBuilder<typeof builder extends PothosSchemaTypes.SchemaBuilder<infer T> ? T : never, "InputObject">;

const FIELD_DESCRIPTIONS = {
  callerName: "The name emergency services see (a business or a person), at most 100 characters.",
  street: 'Street number and name, e.g. "600 Congress Avenue".',
  unit: "Apartment, suite or floor; optional (null clears on update).",
  city: "City.",
  region: "Two-letter US state (e.g. TX) or Canadian province (e.g. ON) code.",
  postalCode: "US ZIP (12345 or 12345-6789) or Canadian postal code (A1A 1A1, any case or spacing).",
  country: "US or CA: emergency addresses are registered in these two countries.",
};

const newAddressFields = (t: InputBuilder) => ({
  callerName: t.string({ required: true, maxLength: 100, description: FIELD_DESCRIPTIONS.callerName }),
  street: t.string({ required: true, maxLength: 100, description: FIELD_DESCRIPTIONS.street }),
  unit: t.string({ maxLength: 50, description: FIELD_DESCRIPTIONS.unit }),
  city: t.string({ required: true, maxLength: 100, description: FIELD_DESCRIPTIONS.city }),
  region: t.string({ required: true, maxLength: 50, description: FIELD_DESCRIPTIONS.region }),
  postalCode: t.string({ required: true, maxLength: 20, description: FIELD_DESCRIPTIONS.postalCode }),
  country: t.string({ required: true, maxLength: 50, description: FIELD_DESCRIPTIONS.country }),
});

const changedAddressFields = (t: InputBuilder) => ({
  callerName: t.string({ maxLength: 100, description: FIELD_DESCRIPTIONS.callerName }),
  street: t.string({ maxLength: 100, description: FIELD_DESCRIPTIONS.street }),
  unit: t.string({ maxLength: 50, description: FIELD_DESCRIPTIONS.unit }),
  city: t.string({ maxLength: 100, description: FIELD_DESCRIPTIONS.city }),
  region: t.string({ maxLength: 50, description: FIELD_DESCRIPTIONS.region }),
  postalCode: t.string({ maxLength: 20, description: FIELD_DESCRIPTIONS.postalCode }),
  country: t.string({ maxLength: 50, description: FIELD_DESCRIPTIONS.country }),
});

const AddressSuccess = (name: string, description: string) =>
  builder.objectRef<{ emergencyAddress: EmergencyAddress }>(name).implement({
    description,
    fields: (t) => ({ emergencyAddress: t.field({ type: EmergencyAddressRef, description: "The address, as it is now.", resolve: (r) => r.emergencyAddress }) }),
  });

builder.mutationField("createEmergencyAddress", (t) =>
  t.fieldWithInput({
    description: "Creates an emergency (E911) address. It is registered at the carrier when a managed number first uses it.",
    typeOptions: { description: "A new emergency address." },
    authScopes: { scope: "numbers:write" },
    input: newAddressFields(t.input),
    type: AddressSuccess("CreateEmergencyAddressSuccess", "The address was created."),
    errors: { types: [...ERRORS.validation] },
    resolve: async (_root, { input }, context) => ({ emergencyAddress: await context.services.emergency.create(context.caller, input) }),
  }),
);

builder.mutationField("updateEmergencyAddress", (t) =>
  t.fieldWithInput({
    description:
      "Changes an emergency address; omitted fields stay as they are. The whole address is checked again. Every live managed number using it is registered again with the carrier (PENDING until confirmed): the first five in this request, the others by the registration job shortly after.",
    typeOptions: { description: "Changes to an emergency address." },
    authScopes: { scope: "numbers:write" },
    // The carrier's new address record (a lookup by reference, then the creation), then one call per number registered in the request.
    complexity: MUTATION_COST + (2 + INLINE_REREGISTRATIONS) * CARRIER_CALL_COST,
    input: { id: t.input.id({ required: true, description: "The address." }), ...changedAddressFields(t.input) },
    type: AddressSuccess("UpdateEmergencyAddressSuccess", "The address was changed."),
    errors: { types: [...ERRORS.target] },
    resolve: async (_root, { input }, context) => ({ emergencyAddress: await context.services.emergency.update(context.caller, input) }),
  }),
);

builder.mutationField("deleteEmergencyAddress", (t) =>
  t.fieldWithInput({
    description: "Deletes an emergency address. Refused (EmergencyAddressInUseError, naming them) while live numbers use it.",
    typeOptions: { description: "The address to delete." },
    authScopes: { scope: "numbers:write" },
    input: { id: t.input.id({ required: true, description: "The address." }) },
    type: builder.objectRef<{ emergencyAddressId: string }>("DeleteEmergencyAddressSuccess").implement({
      description: "The address was deleted.",
      extensions: { [AUDIT_TARGETS]: (result: { emergencyAddressId: string }) => [encodeGlobalID("EmergencyAddress", result.emergencyAddressId)] },
      fields: (t) => ({
        deletedEmergencyAddressId: t.id({ description: "Global id of the deleted address.", resolve: (r) => encodeGlobalID("EmergencyAddress", r.emergencyAddressId) }),
      }),
    }),
    errors: { types: [...ERRORS.target, EmergencyAddressInUseError] },
    resolve: (_root, { input }, context) => context.services.emergency.delete(context.caller, input),
  }),
);

builder.mutationField("setPhoneNumberEmergencyAddress", (t) =>
  t.fieldWithInput({
    description:
      "Sets the emergency (E911) address of a US or Canadian number, or removes it with null. A managed number is registered at its carrier (emergencyRegistration PENDING, then ACTIVE or FAILED with the carrier's reason); other numbers are ACTIVE at once.",
    typeOptions: { description: "A number and its emergency address." },
    authScopes: { scope: "numbers:write" },
    complexity: MUTATION_COST + 3 * CARRIER_CALL_COST,
    input: {
      phoneNumberId: t.input.id({ required: true, description: "The number." }),
      emergencyAddressId: t.input.id({ description: "The address; null removes the number's address (and disables emergency service at the carrier)." }),
    },
    type: builder.objectRef<{ phoneNumber: PhoneNumber }>("SetPhoneNumberEmergencyAddressSuccess").implement({
      description: "The number's emergency address was set or removed.",
      fields: (t) => ({ phoneNumber: t.field({ type: PhoneNumberRef, description: "The number, as it is now.", resolve: (r) => r.phoneNumber }) }),
    }),
    errors: { types: [...ERRORS.number] },
    resolve: async (_root, { input }, context) => ({ phoneNumber: await context.services.emergency.setForNumber(context.caller, input) }),
  }),
);
