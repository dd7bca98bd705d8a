import { createHash, randomBytes } from "node:crypto";

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const SECRET_LENGTH = 40;
export const API_KEY_PATTERN = /^sb_(live|test)_[A-Za-z0-9]{20,100}$/;

/** A new API key secret (`sb_live_…` or `sb_test_…`, ~238 bits of randomness) and what is stored of it. */
export function generateApiKeySecret(mode: "LIVE" | "TEST"): { secret: string; prefix: string; secretHash: string } {
  const bytes = randomBytes(SECRET_LENGTH);
  let body = "";
  for (const byte of bytes) body += ALPHABET[byte % ALPHABET.length];
  const secret = `sb_${mode === "LIVE" ? "live" : "test"}_${body}`;
  return { secret, prefix: secret.slice(0, 12), secretHash: hashApiKeySecret(secret) };
}

/** Secrets are long and random, so a plain SHA-256 (no slow KDF) is what is stored and looked up. */
export function hashApiKeySecret(secret: string): string {
  return createHash("sha256").update(secret).digest("hex");
}
