import type { IncomingMessage, ServerResponse } from "node:http";
import type { KeyObject } from "node:crypto";
import type { Logger } from "pino";
import { parseMessageWebhook, telnyxPublicKey, verifySandboxWebhook, verifyTelnyxWebhook, type WebhookCheck } from "../carriers/webhooks.ts";
import type { Config } from "../config.ts";
import type { PrismaClient } from "../db/client.ts";
import { isUniqueViolation } from "../db/errors.ts";
import type { MessageService } from "./service.ts";

const MAX_BODY_BYTES = 1024 * 1024;

/**
 * POST /webhooks/telnyx and /webhooks/sandbox: the raw body is verified before it is parsed;
 * a signature or timestamp header given twice gets 400, unsigned, malformed, forged or stale
 * deliveries get 401 and a replay of an accepted one (its signature bytes in any encoding) 409, and
 * none of them stores anything. Accepted deliveries answer 200 once the message is stored.
 */
export function createWebhookHandler(deps: { config: Config; prisma: PrismaClient; messages: MessageService; logger: Logger }) {
  const { config, prisma, messages, logger } = deps;
  const tolerance = config.webhooks.toleranceSeconds;
  let telnyxKey: KeyObject | undefined;
  if (config.webhooks.telnyxPublicKey) telnyxKey = telnyxPublicKey(config.webhooks.telnyxPublicKey);

  const verifiers: Record<string, (req: IncomingMessage, body: Buffer) => WebhookCheck> = {
    telnyx: (req, body) =>
      signedHeaders(req, "telnyx-signature-ed25519", "telnyx-timestamp", (headers) =>
        telnyxKey ? verifyTelnyxWebhook(headers, body, telnyxKey, tolerance) : { ok: false, status: 401, reason: "TELNYX_PUBLIC_KEY is not configured" },
      ),
    sandbox: (req, body) =>
      signedHeaders(req, "x-sandbox-signature", "x-sandbox-timestamp", (headers) =>
        config.webhooks.sandboxSecret
          ? verifySandboxWebhook(headers, body, config.webhooks.sandboxSecret, tolerance)
          : { ok: false, status: 401, reason: "SANDBOX_WEBHOOK_SECRET is not configured" },
      ),
  };

  /** Whether the request was a webhook (and is answered). */
  return function handleWebhook(req: IncomingMessage, res: ServerResponse): Promise<void> | undefined {
    const match = /^\/webhooks\/(telnyx|sandbox)\/?(?:\?.*)?$/.exec(req.url ?? "");
    if (!match) return undefined;
    const carrier = match[1]!;
    return (async () => {
      if (req.method !== "POST") return reply(res, 405, { error: "POST only" });
      const body = await readBody(req);
      if (!body) return reply(res, 413, { error: "body too large" });
      const check = verifiers[carrier]!(req, body);
      if (!check.ok) {
        logger.warn({ carrier, reason: check.reason }, "carrier webhook refused");
        return reply(res, check.status, { error: check.reason });
      }
      const event = parseMessageWebhook(body);
      if (!event) return reply(res, 400, { error: "not a message webhook" });
      try {
        await prisma.webhookReceipt.create({ data: { carrier, signatureHash: check.signatureHash } });
      } catch (error) {
        if (isUniqueViolation(error, "signatureHash")) {
          return reply(res, 409, { error: "this delivery was already accepted (replay)" });
        }
        throw error;
      }
      // Receipts older than the window can never match again (their timestamps are stale): pruned now and then.
      if (Math.random() < 0.01) {
        void prisma.webhookReceipt
          .deleteMany({ where: { receivedAt: { lt: new Date(Date.now() - 2 * tolerance * 1000) } } })
          .catch((error: unknown) => logger.warn({ err: error }, "pruning webhook receipts failed"));
      }
      try {
        const outcome = await messages.handleWebhook(carrier, event);
        if (outcome === "RETRY_LATER") {
          await prisma.webhookReceipt.deleteMany({ where: { signatureHash: check.signatureHash } });
          res.setHeader("retry-after", "1");
          return reply(res, 503, { status: outcome });
        }
        return reply(res, 200, { status: outcome });
      } catch (error) {
        // The carrier retries with a new signature; the receipt of this one must not block that.
        await prisma.webhookReceipt.deleteMany({ where: { signatureHash: check.signatureHash } }).catch(() => {});
        throw error;
      }
    })().catch((error: unknown) => {
      logger.error({ err: error, carrier }, "carrier webhook failed");
      if (!res.headersSent) reply(res, 500, { error: "internal error" });
    });
  };
}

/**
 * Reads a scheme's signature and timestamp headers and hands them to `verify`. Either header given
 * more than once is refused: Node would join the copies into one value with ", ", and which copy
 * was signed is anybody's guess.
 */
function signedHeaders(
  req: IncomingMessage,
  signatureName: string,
  timestampName: string,
  verify: (headers: { signature: string | null; timestamp: string | null }) => WebhookCheck,
): WebhookCheck {
  const duplicated = [signatureName, timestampName].find((name) => (req.headersDistinct[name]?.length ?? 0) > 1);
  if (duplicated) return { ok: false, status: 400, reason: `the ${duplicated} header was given more than once` };
  return verify({ signature: req.headersDistinct[signatureName]?.[0] ?? null, timestamp: req.headersDistinct[timestampName]?.[0] ?? null });
}

export function reply(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
}

/** The request's body, or undefined past 1 MiB. */
export async function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) return undefined;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}
