// Each mutation's input is declared once, as a zod schema its service parses. The compiler checks
// that the GraphQL input's values fit the schema's input type; this test checks that both have the
// same fields, at every level, so a field added on one side only is caught.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { getNamedType, isInputObjectType, type GraphQLInputObjectType } from "graphql";
import type { z } from "zod";
import { CreateAgentInput, DeleteAgentInput, UpdateAgentInput } from "../src/agents/service.ts";
import { CreateApiKeyInput, RevokeApiKeyInput } from "../src/apikeys/service.ts";
import { ReactivatePhoneNumberInput, UpdateBillingAccountInput } from "../src/billing/service.ts";
import { NUMBER_STATUSES } from "../src/domain/lifecycle.ts";
import type { NumberDirection, NumberSource, SmsCampaignStatus, VerificationStatus } from "../src/domain/setup-status.ts";
import { ENTITY_TYPES, SMS_USE_CASES, VerificationInput } from "../src/domain/verification.ts";
import type { VoiceSettingStatus } from "../src/domain/voice-settings.ts";
import * as Stored from "../src/generated/prisma/enums.ts";
import { SendMessageInput, SetSmsHelpTextInput, SimulateInboundMessageInput } from "../src/messages/service.ts";
import {
  AssignPhoneNumberInput,
  CreateManualPhoneNumberInput,
  ImportSipTrunkPhoneNumberInput,
  PhoneNumberTargetInput,
  SetPhoneNumberCallerIdNameInput,
  SetPhoneNumberFallbackInput,
  UnassignPhoneNumberInput,
  UpdatePhoneNumberInput,
} from "../src/numbers/inputs.ts";
import { ProvisionPhoneNumberInput, ProvisionPhoneNumbersInput, RepairCarrierReconciliationInput } from "../src/numbers/provisioning.ts";
import { schema } from "../src/schema/index.ts";
import { DecideVerificationInput } from "../src/verification/service.ts";
import { TollFreeVerificationInput } from "../src/domain/toll-free.ts";
import { DecideTollFreeVerificationInput } from "../src/verification/toll-free.ts";
import { CreateEmergencyAddressInput, DeleteEmergencyAddressInput, SetPhoneNumberEmergencyAddressInput, UpdateEmergencyAddressInput } from "../src/emergency/service.ts";
import type { EmergencyRegistrationStatus } from "../src/domain/setup-status.ts";
import { CreateWebhookEndpointInput, RedeliverEventInput, UpdateWebhookEndpointInput, WebhookEndpointTargetInput } from "../src/webhooks/service.ts";

/** Every mutation of the schema and the zod schema its service parses the input with. */
const INPUTS: Record<string, z.ZodType> = {
  createAgent: CreateAgentInput,
  updateBillingAccount: UpdateBillingAccountInput,
  reactivatePhoneNumber: ReactivatePhoneNumberInput,
  updateAgent: UpdateAgentInput,
  deleteAgent: DeleteAgentInput,
  createApiKey: CreateApiKeyInput,
  revokeApiKey: RevokeApiKeyInput,
  createManualPhoneNumber: CreateManualPhoneNumberInput,
  importSipTrunkPhoneNumber: ImportSipTrunkPhoneNumberInput,
  updatePhoneNumber: UpdatePhoneNumberInput,
  confirmPhoneNumberForwarding: PhoneNumberTargetInput,
  assignPhoneNumber: AssignPhoneNumberInput,
  unassignPhoneNumber: UnassignPhoneNumberInput,
  releasePhoneNumber: PhoneNumberTargetInput,
  setPhoneNumberCallerIdName: SetPhoneNumberCallerIdNameInput,
  setPhoneNumberFallback: SetPhoneNumberFallbackInput,
  provisionPhoneNumber: ProvisionPhoneNumberInput,
  provisionPhoneNumbers: ProvisionPhoneNumbersInput,
  repairCarrierReconciliation: RepairCarrierReconciliationInput,
  sendMessage: SendMessageInput,
  setSmsHelpText: SetSmsHelpTextInput,
  simulateInboundMessage: SimulateInboundMessageInput,
  saveVerificationDraft: VerificationInput,
  submitVerification: VerificationInput,
  decideVerification: DecideVerificationInput,
  saveTollFreeVerificationDraft: TollFreeVerificationInput,
  submitTollFreeVerification: TollFreeVerificationInput,
  decideTollFreeVerification: DecideTollFreeVerificationInput,
  createWebhookEndpoint: CreateWebhookEndpointInput,
  updateWebhookEndpoint: UpdateWebhookEndpointInput,
  deleteWebhookEndpoint: WebhookEndpointTargetInput,
  rotateWebhookSecret: WebhookEndpointTargetInput,
  redeliverEvent: RedeliverEventInput,
  createEmergencyAddress: CreateEmergencyAddressInput,
  updateEmergencyAddress: UpdateEmergencyAddressInput,
  deleteEmergencyAddress: DeleteEmergencyAddressInput,
  setPhoneNumberEmergencyAddress: SetPhoneNumberEmergencyAddressInput,
};

/** The schema under optional, nullable, default and transform wrappers, and the items of an array. */
function unwrap(schema: z.ZodType): z.ZodType {
  const def = schema._zod.def as { type: string; innerType?: z.ZodType; in?: z.ZodType; element?: z.ZodType };
  if (def.innerType) return unwrap(def.innerType);
  if (def.type === "pipe" && def.in) return unwrap(def.in);
  if (def.type === "array" && def.element) return unwrap(def.element);
  return schema;
}

/** The object's fields, or undefined when the schema is not an object. */
function zodFields(schema: z.ZodType): Record<string, z.ZodType> | undefined {
  const def = unwrap(schema)._zod.def as { type: string; shape?: Record<string, z.ZodType> };
  return def.type === "object" ? def.shape : undefined;
}

/** Fields present on one side only, as paths like "input.inboundTrunk.ipAuthentication (GraphQL only)". */
function differences(graphql: GraphQLInputObjectType, zod: Record<string, z.ZodType>, path: string): string[] {
  const found: string[] = [];
  const fields = graphql.getFields();
  for (const name of Object.keys(fields)) {
    if (!(name in zod)) {
      found.push(`${path}.${name} (GraphQL only)`);
      continue;
    }
    const type = getNamedType(fields[name]!.type);
    const nested = zodFields(zod[name]!);
    if (isInputObjectType(type) !== (nested !== undefined)) found.push(`${path}.${name} (an input object on one side only)`);
    else if (isInputObjectType(type) && nested) found.push(...differences(type, nested, `${path}.${name}`));
  }
  for (const name of Object.keys(zod)) if (!(name in fields)) found.push(`${path}.${name} (zod only)`);
  return found;
}

describe("mutation inputs", () => {
  const mutations = schema.getMutationType()!.getFields();

  test("every mutation's input is declared by a zod schema in the map", () => {
    assert.deepEqual(Object.keys(mutations).filter((name) => !(name in INPUTS)), []);
    assert.deepEqual(Object.keys(INPUTS).filter((name) => !(name in mutations)), []);
  });

  test("each GraphQL input has the fields of its zod schema, at every level", () => {
    for (const [name, zod] of Object.entries(INPUTS)) {
      const input = getNamedType(mutations[name]!.args.find((arg) => arg.name === "input")!.type);
      assert.ok(isInputObjectType(input), name);
      assert.deepEqual(differences(input, zodFields(zod)!, `${name}.input`), [], name);
    }
  });

  test("the check notices a field on one side only", () => {
    const update = getNamedType(mutations.updatePhoneNumber!.args[0]!.type) as GraphQLInputObjectType;
    const { billing: _billing, ...withoutBilling } = zodFields(UpdatePhoneNumberInput)!;
    assert.deepEqual(differences(update, withoutBilling, "input"), ["input.billing (GraphQL only)"]);
    const inbound = zodFields(zodFields(UpdatePhoneNumberInput)!.inboundTrunk!)!;
    const outbound = getNamedType(update.getFields().outboundTrunk!.type) as GraphQLInputObjectType;
    assert.deepEqual(differences(outbound, inbound, "input.outboundTrunk"), ["input.outboundTrunk.ipAuthentication (GraphQL only)"]);
  });
});

/** True when two unions hold the same values: a value added on one side only fails type checking below. */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;

describe("enums", () => {
  test("the domain's enums are the database's (the domain does not import Prisma, so they are compared here)", () => {
    const same: [
      Same<VoiceSettingStatus, Stored.VoiceSettingStatus>,
      Same<NumberSource, Stored.NumberSource>,
      Same<NumberDirection, Stored.NumberDirection>,
      Same<SmsCampaignStatus, Stored.SmsCampaignStatus>,
      Same<Exclude<VerificationStatus, "MISSING">, Stored.VerificationStatus>,
      Same<EmergencyRegistrationStatus, Stored.EmergencyRegistrationStatus>,
    ] = [true, true, true, true, true, true];
    assert.deepEqual(same, [true, true, true, true, true, true]);
    assert.deepEqual([...NUMBER_STATUSES], Object.values(Stored.NumberStatus));
    assert.deepEqual([...ENTITY_TYPES], Object.values(Stored.BusinessEntityType));
    assert.deepEqual([...SMS_USE_CASES], Object.values(Stored.SmsUseCase));
  });
});
