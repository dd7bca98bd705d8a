import type { Logger } from "pino";
import type { WebhookDeliverer } from "../webhooks/deliverer.ts";
import type { Metrics } from "../observability/metrics.ts";
import { startIntervalJob, type IntervalJob } from "./interval-job.ts";

/**
 * Every WEBHOOK_POLL_SECONDS, and at once after a redelivery: fans new events out to webhook
 * endpoints and delivers what is due (new deliveries, retries after a backoff, those a crash
 * interrupted). Safe on several instances at once: each attempt claims its delivery first (see
 * WebhookDeliverer).
 */
export function startWebhookDeliverer(deliverer: WebhookDeliverer, intervalSeconds: number, logger: Logger, metrics?: Metrics): IntervalJob {
  const job = startIntervalJob("webhook deliverer", () => deliverer.run(), intervalSeconds, logger, metrics);
  deliverer.onWake(() => job.runSoon());
  return job;
}
