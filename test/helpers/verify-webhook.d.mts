/** Types of ./verify-webhook.mjs (the README's plain JavaScript). */
export function verifySwitchboardWebhook(secret: string, headers: Record<string, string | string[] | undefined>, body: string, toleranceSeconds?: number): boolean;
