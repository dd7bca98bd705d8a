import type { SetupStatus } from "../domain/setup-status.ts";
import type { DeliveredSetupStatusChange } from "../events/delivery-cache.ts";
import type { SetupStatusChangePayload } from "../events/setup-status-changes.ts";
import { builder } from "../schema/builder.ts";
import { deliver, subscribeToNumberChannel } from "../schema/subscriptions.ts";
import { PhoneNumberRef, SetupStatusRef } from "./schema/types.ts";

const SetupStatusChangeRef = builder.objectRef<DeliveredSetupStatusChange>("PhoneNumberSetupStatusChange").implement({
  description: "A phone number's setup status changed.",
  fields: (t) => ({
    eventId: t.id({ description: "Id of the recorded event (the same change is never delivered under two ids).", resolve: (c) => c.event.id }),
    phoneNumber: t.field({
      type: PhoneNumberRef,
      description: "The number, as it is when the event is delivered.",
      resolve: (change) => change.phoneNumber,
    }),
    previous: t.field({
      type: SetupStatusRef,
      nullable: true,
      description: "The setup status before the change; null when the number was just added.",
      resolve: (change) => (change.event.payload as unknown as SetupStatusChangePayload).previous,
    }),
    current: t.field({
      type: SetupStatusRef,
      description: "The setup status after the change.",
      resolve: (change) => (change.event.payload as unknown as SetupStatusChangePayload).current as SetupStatus,
    }),
    changedAt: t.field({ type: "DateTime", description: "When the change was recorded.", resolve: (c) => c.event.createdAt }),
    numberAtChange: t.field({
      type: "JSON",
      nullable: true,
      description: "The number as it was when the change was recorded (its label, status, agent id and the agent's status then), from the event log; phoneNumber is the number as it is now. Null for changes recorded before snapshots were kept.",
      resolve: (change) => (change.event.payload as unknown as SetupStatusChangePayload).phoneNumber ?? null,
    }),
  }),
});

builder.subscriptionField("phoneNumberSetupStatusChanged", (t) =>
  t.field({
    type: SetupStatusChangeRef,
    description:
      "Fires whenever a number's derived setup status really changes, whatever caused it (a mutation, an agent paused or deleted, a carrier webhook, a job). With phoneNumberId, only that number; without, every number of the organization.",
    authScopes: { scope: "numbers:read" },
    args: { phoneNumberId: t.arg.id({ description: "Only this number's changes." }) },
    subscribe: (_root, args, context) =>
      subscribeToNumberChannel(context.services.bus, "setup-status", context.caller.organizationId, args.phoneNumberId, context.services.subscriptionBounds.maxBacklog),
    resolve: (message, _args, context) =>
      deliver(context, (cache) => cache.setupStatusChange(message.eventId, context.caller.organizationId)),
  }),
);
