import type { Logger } from "pino";
import { AgentService } from "./agents/service.ts";
import { AdjustableClock } from "./billing/periods.ts";
import type { PaymentProvider } from "./billing/provider.ts";
import { SandboxPayments } from "./billing/sandbox.ts";
import { BillingService } from "./billing/service.ts";
import { createStripeProvider } from "./billing/stripe.ts";
import { ApiKeyService } from "./apikeys/service.ts";
import { Authenticator } from "./auth/authenticator.ts";
import type { Config } from "./config.ts";
import type { PrismaClient } from "./db/client.ts";
import type { SecretBox } from "./domain/secret-box.ts";
import { EmergencyAddressService } from "./emergency/service.ts";
import { EventDeliveryCache } from "./events/delivery-cache.ts";
import type { EventBus } from "./events/pubsub.ts";
import { SetupStatusChanges } from "./events/setup-status-changes.ts";
import { RateLimits } from "./limits/rate-limits.ts";
import { SubscriptionBounds } from "./limits/subscription-bounds.ts";
import { MessageSender } from "./messages/sender.ts";
import { MessageService } from "./messages/service.ts";
import { PhoneNumberService } from "./numbers/service.ts";
import { ProvisioningService } from "./numbers/provisioning.ts";
import { NumberReleases } from "./numbers/release.ts";
import { VoiceSettingsService } from "./numbers/voice-settings.ts";
import { createCarriers, type Carriers } from "./carriers/index.ts";
import type { Metrics } from "./observability/metrics.ts";
import { instrumentPayments } from "./observability/payments.ts";
import { SmsCampaigns } from "./verification/campaigns.ts";
import { ReviewerNotifications } from "./verification/reviewer-notifications.ts";
import { currentVerificationStatus, VerificationService } from "./verification/service.ts";
import { currentTollFreeVerificationStatus, TollFreeVerificationService } from "./verification/toll-free.ts";
import { WebhookDeliverer } from "./webhooks/deliverer.ts";
import { WebhookEndpoints } from "./webhooks/service.ts";

/** The use cases, created once per process and shared by every request. */
export interface Services {
  authenticator: Authenticator;
  agents: AgentService;
  numbers: PhoneNumberService;
  apiKeys: ApiKeyService;
  setupStatus: SetupStatusChanges;
  bus: EventBus;
  deliveries: EventDeliveryCache;
  carriers: Carriers;
  /** Releasing numbers: intent, carrier, final write; finishes releases a crash interrupted. */
  releases: NumberReleases;
  provisioning: ProvisioningService;
  /** Caller ID names and fallbacks: intent, carrier, outcome; the voice settings job finishes what is left PENDING. */
  voiceSettings: VoiceSettingsService;
  /** Emergency (E911) addresses and their registration on numbers at the carrier. */
  emergency: EmergencyAddressService;
  verification: VerificationService;
  /** The organization's toll-free SMS verification (US toll-free numbers). */
  tollFreeVerification: TollFreeVerificationService;
  campaigns: SmsCampaigns;
  messages: MessageService;
  /** The outbound message outbox: sends QUEUED messages, retries, finishes what a crash interrupted. */
  messageSender: MessageSender;
  /** Budgets per key, organization, carrier spending and client address (in memory, or shared through Redis). */
  rateLimits: RateLimits;
  /** Open subscriptions per key on this instance, WebSocket and SSE together. */
  subscriptionBounds: SubscriptionBounds;
  /** Monthly billing of numbers: charges, the ledger, suspension and reactivation. */
  billing: BillingService;
  /** The payment providers: the sandbox (always there: test keys' numbers use it) and the configured one. */
  payments: { sandbox: SandboxPayments; live: PaymentProvider };
  /** Billing's clock (tests move it forward through months). */
  clock: AdjustableClock;
  /** Delivers the reviewer-notification outbox; absent without REVIEWER_WEBHOOK_URL (notifications wait, QUEUED). */
  reviewerNotifications?: ReviewerNotifications;
  /** Customers' webhook endpoints (src/webhooks/). */
  webhookEndpoints: WebhookEndpoints;
  /** The webhook outbox: fans events out to endpoints and delivers them, signed, retried, in order per number. */
  webhookDeliverer: WebhookDeliverer;
}

export function createServices(prisma: PrismaClient, config: Config, secrets: SecretBox, logger: Logger, bus: EventBus, metrics?: Metrics): Services {
  const authenticator = new Authenticator(prisma, config, logger);
  const setupStatus = new SetupStatusChanges(prisma, bus, logger, async (organizationId) => {
    const [tenDlc, tollFree] = await Promise.all([currentVerificationStatus(prisma, organizationId), currentTollFreeVerificationStatus(prisma, organizationId)]);
    return { tenDlc, tollFree };
  });
  const carriers = createCarriers(config, logger, metrics);
  const campaigns = new SmsCampaigns(prisma, setupStatus, logger);
  // Numbers that become eligible later (bought and activated, added, made SMS-capable) join the campaign of an approved organization.
  setupStatus.afterRefresh((numbers) => campaigns.assignNewlyEligible(numbers));
  // A number bought with its emergency address already set is registered once its order completes.
  setupStatus.afterRefresh((numbers) => emergency.resumeActivated(numbers));
  const { url, secret, maxAttempts, timeoutMs } = config.reviewerWebhook;
  // A lost carrier answer is resolved once it is older than any call could still be running.
  const recoverAfterMs = config.carrier.timeoutMs * 2 + 1_000;
  const releases = new NumberReleases(prisma, carriers, setupStatus, logger, recoverAfterMs, config.carrier.sandboxFaults.includes("crash-after-release"));
  // An attempt holds a number's registration for as long as its carrier calls could run; retries back off from 5 s to 15 min.
  const emergency = new EmergencyAddressService(prisma, carriers, setupStatus, logger, { leaseMs: recoverAfterMs * 3, retryFirstMs: 5_000, retryMaxMs: 15 * 60_000 });
  const clock = new AdjustableClock();
  const sandboxPayments = new SandboxPayments(config.billing.sandboxWebhookSecret);
  const livePayments: PaymentProvider = config.billing.provider === "stripe" ? createStripe(config) : sandboxPayments;
  // Billing's charges are timed and counted; the raw providers stay in `payments` (webhooks, tests).
  const [chargeSandbox, chargeLive] = metrics ? [instrumentPayments(sandboxPayments, metrics), instrumentPayments(livePayments, metrics)] : [sandboxPayments, livePayments];
  // A number bought from the sandbox carrier while the live carrier is another (a test key's) is charged by the sandbox.
  const providerFor = (number: { carrier: string | null }) => (config.carrier.name !== "sandbox" && number.carrier === "sandbox" ? chargeSandbox : chargeLive);
  const billing = new BillingService(prisma, providerFor, setupStatus, clock, { ...config.billing, leaseMs: config.billing.paymentTimeoutMs * 2 + 1_000, batchSize: 100 }, logger);
  const webhookDeliverer = new WebhookDeliverer(prisma, secrets, config.customerWebhooks, clock, logger);
  const messageSender = new MessageSender(prisma, carriers, { ...config.messageSending, leaseMs: recoverAfterMs }, logger);
  const voiceSettings = new VoiceSettingsService(prisma, carriers, setupStatus, logger, { leaseMs: recoverAfterMs, retryFirstMs: 5_000, retryMaxMs: 600_000, maxAttempts: 12 });
  // A managed number's carrier forwarding follows its agent: "always" while paused or missing, "on-failure" while ACTIVE
  // (sent by the voice settings job, woken at once: the request that changed the agent makes no carrier call).
  setupStatus.afterRefresh((numbers) => voiceSettings.scheduleAlignment(numbers.map((n) => n.number)));
  const subscriptionBounds = new SubscriptionBounds(config.maxSubscriptionsPerKey, config.subscriptionMaxBacklog);
  metrics?.trackSubscriptions(() => subscriptionBounds.total);
  return {
    authenticator,
    setupStatus,
    bus,
    deliveries: new EventDeliveryCache(prisma),
    agents: new AgentService(prisma, setupStatus),
    numbers: new PhoneNumberService(prisma, secrets, setupStatus, releases, clock),
    releases,
    carriers,
    voiceSettings,
    provisioning: new ProvisioningService(prisma, carriers, setupStatus, logger, recoverAfterMs, clock),
    emergency,
    billing,
    payments: { sandbox: sandboxPayments, live: livePayments },
    clock,
    apiKeys: new ApiKeyService(prisma, (id) => authenticator.forgetApiKey(id)),
    verification: new VerificationService(prisma, setupStatus, campaigns, bus, logger),
    tollFreeVerification: new TollFreeVerificationService(prisma, setupStatus, bus, carriers, recoverAfterMs, logger),
    campaigns,
    messages: new MessageService(prisma, carriers, bus, logger, messageSender),
    messageSender,
    rateLimits: new RateLimits({ ...config.rateLimits, redisUrl: config.redisUrl }, logger),
    subscriptionBounds,
    webhookEndpoints: new WebhookEndpoints(prisma, secrets, config.customerWebhooks, clock, undefined, () => webhookDeliverer.kick()),
    webhookDeliverer,
    reviewerNotifications: url ? new ReviewerNotifications(prisma, { url, secret, maxAttempts, timeoutMs }, logger) : undefined,
  };
}

function createStripe(config: Config): PaymentProvider {
  // loadConfig refuses PAYMENT_PROVIDER=stripe without both secrets.
  const stripe = config.billing.stripe!;
  return createStripeProvider({ secretKey: stripe.secretKey, webhookSecret: stripe.webhookSecret, apiBaseUrl: stripe.apiBaseUrl, timeoutMs: config.billing.paymentTimeoutMs });
}
