import { GraphQLError } from "graphql";
import { filter, pipe } from "graphql-yoga";
import { decodeId } from "../domain/global-id.ts";
import type { SetupStatus } from "../domain/setup-status.ts";
import type { Event } from "../generated/prisma/client.ts";
import { createLoaders } from "../loaders.ts";
import { SetupStatusRef } from "../numbers/schema.ts";
import { builder } from "../schema/builder.ts";
import type { SetupStatusChangePayload } from "./setup-status-changes.ts";

builder.subscriptionType({
  description: "Live updates over WebSocket (graphql-transport-ws) or Server-Sent Events, scoped to the caller's organization.",
});

const SetupStatusChangeRef = builder.objectRef<Event>("PhoneNumberSetupStatusChange").implement({
  description: "A phone number's setup status changed.",
  fields: (t) => ({
    eventId: t.exposeID("id", { description: "Id of the recorded event (the same change is never delivered under two ids)." }),
    phoneNumber: t.prismaField({
      type: "PhoneNumber",
      description: "The number, as it is when the event is delivered.",
      resolve: (query, event, _args, context) =>
        context.prisma.phoneNumber.findUniqueOrThrow({ ...query, where: { id: event.phoneNumberId!, organizationId: context.caller.organizationId } }),
    }),
    previous: t.field({
      type: SetupStatusRef,
      nullable: true,
      description: "The setup status before the change; null when the number was just added.",
      resolve: (event) => (event.payload as unknown as SetupStatusChangePayload).previous,
    }),
    current: t.field({
      type: SetupStatusRef,
      description: "The setup status after the change.",
      resolve: (event) => (event.payload as unknown as SetupStatusChangePayload).current as SetupStatus,
    }),
    changedAt: t.expose("createdAt", { type: "DateTime", description: "When the change was recorded." }),
  }),
});

builder.subscriptionField("phoneNumberSetupStatusChanged", (t) =>
  t.field({
    type: SetupStatusChangeRef,
    description:
      "Fires whenever a number's derived setup status really changes, whatever caused it (a mutation, an agent paused or deleted, a carrier webhook, a job). With phoneNumberId, only that number; without, every number of the organization.",
    authScopes: { scope: "numbers:read" },
    args: { phoneNumberId: t.arg.id({ description: "Only this number's changes." }) },
    subscribe: (_root, args, context) => {
      let phoneNumberId: string | undefined;
      if (args.phoneNumberId != null) {
        const decoded = decodeId(String(args.phoneNumberId), "PhoneNumber", ["phoneNumberId"]);
        if ("error" in decoded) throw new GraphQLError("phoneNumberId is not a PhoneNumber id", { extensions: { code: "BAD_USER_INPUT" } });
        phoneNumberId = decoded.id;
      }
      const messages = context.services.bus.pubsub.subscribe("setup-status", context.caller.organizationId);
      return phoneNumberId ? pipe(messages, filter((message) => message.phoneNumberId === phoneNumberId)) : messages;
    },
    resolve: async (message, _args, context) => {
      // A fresh loader cache per event: a cache kept across events would serve stale rows.
      context.loaders = createLoaders(context.prisma);
      const event = await context.prisma.event.findFirst({ where: { id: message.eventId, organizationId: context.caller.organizationId } });
      if (!event) throw new GraphQLError("The event is no longer available");
      return event;
    },
  }),
);
