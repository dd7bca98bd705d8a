import { ProviderUnavailable, type PaymentProvider } from "../billing/provider.ts";
import type { Metrics } from "./metrics.ts";

/** The provider with every charge timed and its declines and outages counted (by provider and outcome). */
export function instrumentPayments(provider: PaymentProvider, metrics: Metrics): PaymentProvider {
  return {
    name: provider.name,
    parseWebhook: (rawBody, signatureHeader) => provider.parseWebhook(rawBody, signatureHeader),
    async charge(request) {
      const end = metrics.paymentCalls.startTimer({ provider: provider.name });
      let outcome = "error";
      try {
        const answer = await provider.charge(request);
        outcome = answer.status.toLowerCase();
        return answer;
      } catch (error) {
        outcome = error instanceof ProviderUnavailable ? "unavailable" : "error";
        throw error;
      } finally {
        end({ outcome });
        if (outcome !== "succeeded" && outcome !== "pending") metrics.paymentFailures.inc({ provider: provider.name, outcome });
      }
    },
  };
}
