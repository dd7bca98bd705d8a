import { messageSnapshot } from "../events/log.ts";
import type { Message, Prisma } from "../generated/prisma/client.ts";

/**
 * Records a MESSAGE_STATUS_CHANGED event for each message a write just moved, in that write's
 * transaction (one statement): the sender's final write and the carrier's status webhooks alike.
 */
export async function recordStatusChanges(
  tx: Prisma.TransactionClient,
  moved: readonly Message[],
  details: (message: Message) => Prisma.InputJsonObject,
): Promise<void> {
  if (moved.length === 0) return;
  await tx.event.createMany({
    data: moved.map((message) => ({
      organizationId: message.organizationId,
      type: "MESSAGE_STATUS_CHANGED" as const,
      phoneNumberId: message.phoneNumberId,
      subjectType: "Message",
      subjectId: message.id,
      payload: { messageId: message.id, status: message.status, errorCode: message.errorCode, ...details(message), message: messageSnapshot(message) },
    })),
  });
}
