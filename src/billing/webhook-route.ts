import { createHash } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Logger } from "pino";
import type { PrismaClient } from "../db/client.ts";
import { isUniqueViolation } from "../db/errors.ts";
import { readBody, reply } from "../messages/webhook-route.ts";
import { WebhookSignatureError, type PaymentProvider } from "./provider.ts";
import type { BillingService } from "./service.ts";

/** The signature header of each provider's webhook deliveries. */
const SIGNATURE_HEADERS: Record<PaymentProvider["name"], string> = { stripe: "stripe-signature", sandbox: "x-sandbox-payments-signature" };

/**
 * POST /webhooks/payments/stripe and /webhooks/payments/sandbox: a payment provider tells us how a
 * charge ended (Stripe: payment_intent.succeeded / payment_intent.payment_failed). The raw body is
 * verified with the provider's own check (Stripe's SDK) before anything is read: a forged, stale,
 * unsigned or doubly signed delivery gets 400/401 and changes nothing. Each provider event is
 * applied once (a redelivery answers 200 and changes nothing); events about anything else answer 200.
 */
export function createPaymentWebhookHandler(deps: { providers: PaymentProvider[]; billing: BillingService; prisma: PrismaClient; logger: Logger }) {
  const byName = new Map(deps.providers.map((provider) => [provider.name, provider]));
  return function handlePaymentWebhook(req: IncomingMessage, res: ServerResponse): Promise<void> | undefined {
    const match = /^\/webhooks\/payments\/(stripe|sandbox)\/?(?:\?.*)?$/.exec(req.url ?? "");
    if (!match) return undefined;
    const name = match[1] as PaymentProvider["name"];
    return (async () => {
      if (req.method !== "POST") return reply(res, 405, { error: "POST only" });
      const provider = byName.get(name);
      if (!provider) return reply(res, 404, { error: `the ${name} payment provider is not configured` });
      const header = req.headersDistinct[SIGNATURE_HEADERS[name]];
      if ((header?.length ?? 0) > 1) return reply(res, 400, { error: `the ${SIGNATURE_HEADERS[name]} header was given more than once` });
      const body = await readBody(req);
      if (!body) return reply(res, 413, { error: "body too large" });
      let event;
      try {
        event = provider.parseWebhook(body.toString("utf8"), header?.[0] ?? null);
      } catch (error) {
        if (error instanceof WebhookSignatureError) {
          deps.logger.warn({ provider: name, reason: error.message }, "payment webhook refused");
          return reply(res, 401, { error: "invalid signature" });
        }
        return reply(res, 400, { error: "not a payment webhook" });
      }
      if (!event) return reply(res, 200, { status: "IGNORED" });
      const receipt = createHash("sha256").update(`${name}:${event.eventId}`).digest("hex");
      try {
        await deps.prisma.webhookReceipt.create({ data: { carrier: `payments:${name}`, signatureHash: receipt } });
      } catch (error) {
        if (isUniqueViolation(error, "signatureHash")) return reply(res, 200, { status: "ALREADY_APPLIED" });
        throw error;
      }
      try {
        await deps.billing.applyPaymentEvent(event);
      } catch (error) {
        // The provider redelivers; this event's receipt must not block that.
        await deps.prisma.webhookReceipt.deleteMany({ where: { signatureHash: receipt } }).catch(() => {});
        throw error;
      }
      return reply(res, 200, { status: "APPLIED" });
    })().catch((error: unknown) => {
      deps.logger.error({ err: error, provider: name }, "payment webhook failed");
      if (!res.headersSent) reply(res, 500, { error: "internal error" });
    });
  };
}
