import type { Logger } from "pino";
import type { Config } from "./config.ts";
import { openDatabase, type Database } from "./db/index.ts";
import { loadSecretBox } from "./encryption-key.ts";
import { createEventBus } from "./events/pubsub.ts";
import { startBillingJob } from "./jobs/billing.ts";
import { startEmergencyRegistrations } from "./jobs/emergency-registrations.ts";
import { startEventRetention } from "./jobs/event-retention.ts";
import { startMessageSender } from "./jobs/message-sender.ts";
import { startOrderPoller } from "./jobs/order-poller.ts";
import { startReviewerNotifier } from "./jobs/reviewer-notifier.ts";
import { startVoiceSettingsSync } from "./jobs/voice-settings-sync.ts";
import { startTollFreeCarrierJob } from "./jobs/toll-free-carrier.ts";
import { startWebhookDeliverer } from "./jobs/webhook-deliverer.ts";
import { Metrics } from "./observability/metrics.ts";
import type { Tracing } from "./observability/tracing.ts";
import { createApp, type App } from "./server.ts";
import { createServices, type Services } from "./services.ts";

export interface Switchboard {
  app: App;
  database: Database;
  services: Services;
  /** Closes the database (and the embedded PGlite). The HTTP server is the caller's to close. */
  close(): Promise<void>;
}

/** config -> database (migrated) -> services -> server: everything but listening. */
export async function startSwitchboard(config: Config, logger: Logger, options: { onQuery?: (sql: string) => void } = {}): Promise<Switchboard> {
  const secrets = await loadSecretBox(config, logger);
  const database = await openDatabase(config, logger, options);
  const bus = createEventBus(config.redisUrl, logger);
  // One registry per app: the carriers, payments, jobs and the server report into it.
  const metrics = new Metrics();
  const services = createServices(database.prisma, config, secrets, logger, bus, metrics);
  await services.rateLimits.connected(5_000, logger);
  // The OpenTelemetry SDK is loaded only when an exporter is configured.
  const tracing: Tracing | undefined = config.tracing ? await (await import("./observability/tracing.ts")).startTracing(config.tracing, logger) : undefined;
  const app = createApp({ config, prisma: database.prisma, sql: database.sql, services, logger, metrics, tracingPlugins: tracing ? [tracing.plugin] : [] });
  const orderPoller = startOrderPoller(services.provisioning, services.releases, config.carrier.orderPollSeconds, logger, metrics);
  const voiceSettingsSync = startVoiceSettingsSync(services.voiceSettings, config.carrier.orderPollSeconds, logger, metrics);
  const emergencyRegistrations = startEmergencyRegistrations(services.emergency, config.carrier.orderPollSeconds, logger, metrics);
  const billingJob = startBillingJob(services.billing, config.billing.pollSeconds, logger, metrics);
  const eventRetention = startEventRetention(database.prisma, config.eventRetentionDays, logger, metrics);
  const messageSender = startMessageSender(services.messageSender, config.messageSending.pollSeconds, logger, metrics);
  const webhookDeliverer = startWebhookDeliverer(services.webhookDeliverer, config.customerWebhooks.pollSeconds, logger, metrics);
  // Approved toll-free verifications are registered with their carrier on approval; this finishes what failed or a crash interrupted.
  const tollFreeCarrierJob = startTollFreeCarrierJob(services.tollFreeVerification, config.carrier.orderPollSeconds, logger, metrics);
  const reviewerNotifier = services.reviewerNotifications
    ? startReviewerNotifier(services.reviewerNotifications, config.reviewerWebhook.pollSeconds, logger, metrics)
    : undefined;
  if (!reviewerNotifier) logger.warn("REVIEWER_WEBHOOK_URL is not set: verification submissions queue reviewer notifications that wait until it is");
  // SMS campaign assignments a crash interrupted (an approval committed, its numbers still PENDING) finish now.
  const campaignsResumed = services.campaigns.resume().catch((error: unknown) => logger.error({ err: error }, "resuming SMS campaign assignments failed"));
  return {
    app,
    database,
    services,
    async close() {
      await orderPoller.stop();
      await voiceSettingsSync.stop();
      await emergencyRegistrations.stop();
      await billingJob.stop();
      await eventRetention.stop();
      await messageSender.stop();
      await services.carriers.sandbox.stopReports();
      await webhookDeliverer.stop();
      await tollFreeCarrierJob.stop();
      await reviewerNotifier?.stop();
      await campaignsResumed;
      await bus.close();
      await services.rateLimits.close();
      await tracing?.shutdown();
      await database.close();
    },
  };
}
