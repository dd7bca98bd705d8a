// The verification code README.md shows receivers ("## Webhooks"), copied here unchanged (only
// `export` added) so that the tests check exactly what customers paste.
import { createHmac, timingSafeEqual } from "node:crypto";

/**
 * True when a Switchboard webhook delivery is authentic and recent.
 * secret: the endpoint's whsec_... secret; headers: the request's headers (lower-case names);
 * body: the raw request body as a string, exactly as received (before any JSON parsing).
 */
export function verifySwitchboardWebhook(secret, headers, body, toleranceSeconds = 300) {
  const id = headers["webhook-id"];
  const timestamp = headers["webhook-timestamp"];
  const signatures = headers["webhook-signature"];
  if (!id || !timestamp || !signatures) return false;
  if (Math.abs(Date.now() / 1000 - Number(timestamp)) > toleranceSeconds) return false;
  const key = Buffer.from(secret.slice("whsec_".length), "base64");
  const expected = createHmac("sha256", key).update(`${id}.${timestamp}.${body}`).digest();
  return signatures.split(" ").some((entry) => {
    const [version, signature] = entry.split(",");
    const given = Buffer.from(signature ?? "", "base64");
    return version === "v1" && given.length === expected.length && timingSafeEqual(given, expected);
  });
}
