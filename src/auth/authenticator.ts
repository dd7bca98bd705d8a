import { GraphQLError } from "graphql";
import { createRemoteJWKSet, jwtVerify, type JWTVerifyGetKey } from "jose";
import type { Logger } from "pino";
import type { Config } from "../config.ts";
import type { PrismaClient } from "../db/client.ts";
import { API_KEY_PATTERN, hashApiKeySecret } from "./api-key-secret.ts";
import { NO_ORGANIZATION, type Caller } from "./caller.ts";
import { isOperatorScope } from "./scopes.ts";

export function unauthenticated(message: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code: "UNAUTHENTICATED", http: { status: 401 } } });
}

/** An organization's credentials never carry operator scopes, whatever a key row or a JWT says. */
function organizationScopes(scopes: string[]): Set<string> {
  return new Set(scopes.filter((scope) => !isOperatorScope(scope)));
}

interface CachedKey {
  caller: Caller | undefined;
  expiresAtMs: number;
}

/**
 * Resolves request credentials (`X-API-Key`, `Authorization: Bearer <key>` or a JWT bearer) to a
 * Caller. API keys are looked up by the SHA-256 of the secret and cached for a few seconds so a
 * busy client costs no query per request; a lookup also records the key's last use.
 */
export class Authenticator {
  readonly #cache = new Map<string, CachedKey>();
  /** Organizations JWTs named that exist, until when: the same few seconds as API keys. */
  readonly #knownOrganizations = new Map<string, number>();
  readonly #jwksKey?: JWTVerifyGetKey;
  readonly #jwtSecret?: Uint8Array;

  constructor(
    private readonly prisma: PrismaClient,
    private readonly config: Config,
    private readonly logger: Logger,
  ) {
    if (config.jwt.jwksUrl) this.#jwksKey = createRemoteJWKSet(new URL(config.jwt.jwksUrl));
    if (config.jwt.secret) this.#jwtSecret = new TextEncoder().encode(config.jwt.secret);
  }

  /** The caller for a request's headers (HTTP) or connection params (WebSocket); throws UNAUTHENTICATED. */
  async authenticate(headers: { apiKey?: string | null; authorization?: string | null }): Promise<Caller> {
    const apiKey = headers.apiKey?.trim();
    const bearer = headers.authorization?.match(/^Bearer\s+(\S+)\s*$/i)?.[1];
    if (apiKey) return this.#fromApiKey(apiKey);
    if (bearer) return bearer.split(".").length === 3 ? this.#fromJwt(bearer) : this.#fromApiKey(bearer);
    if (headers.authorization) throw unauthenticated("The Authorization header must be `Bearer <API key or JWT>`.");
    // Also what GraphiQL shows for a query run before its key header is filled in, so it says where.
    throw unauthenticated(
      'Authentication required: send an API key in the X-API-Key header or as Authorization: Bearer <key>. In GraphiQL, paste it into "x-api-key" in the Headers tab.',
    );
  }

  /** Forgets cached lookups of a key (after revocation) so this instance refuses it at once. */
  forgetApiKey(apiKeyId: string): void {
    for (const [hash, entry] of this.#cache) if (entry.caller?.apiKeyId === apiKeyId) this.#cache.delete(hash);
  }

  async #fromApiKey(secret: string): Promise<Caller> {
    if (!API_KEY_PATTERN.test(secret)) throw unauthenticated("Invalid API key: keys look like sb_live_… or sb_test_… followed by letters and digits.");
    const secretHash = hashApiKeySecret(secret);
    const now = Date.now();
    const cached = this.#cache.get(secretHash);
    let caller = cached && cached.expiresAtMs > now ? cached.caller : undefined;
    if (!cached || cached.expiresAtMs <= now) {
      const found = await this.#lookUpApiKey(secretHash, new Date(now));
      caller = found?.caller;
      if (this.config.apiKeyCacheSeconds > 0) {
        if (this.#cache.size > 10_000) this.#cache.clear();
        // Never cached past the key's own expiry, so an expiring key stops working on time.
        const expiresAtMs = Math.min(now + this.config.apiKeyCacheSeconds * 1000, found?.keyExpiresAt?.getTime() ?? Infinity);
        this.#cache.set(secretHash, { caller, expiresAtMs });
      }
    }
    if (!caller) throw unauthenticated("Invalid API key.");
    return caller;
  }

  async #lookUpApiKey(secretHash: string, now: Date): Promise<{ caller: Caller; keyExpiresAt: Date | null } | undefined> {
    const key = await this.prisma.apiKey.findUnique({ where: { secretHash } });
    if (!key || key.revokedAt || (key.expiresAt && key.expiresAt <= now)) return undefined;
    // Exactly one of: an operator key, or an organization's key. A row that is both or neither
    // (only a hand edit makes one) authenticates nobody rather than guessing.
    if (key.operator !== (key.organizationId === null)) {
      this.logger.warn({ apiKeyId: key.id }, "API key is neither an operator key nor an organization's key: refused");
      return undefined;
    }
    await this.prisma.apiKey.update({ where: { id: key.id }, data: { lastUsedAt: now }, select: { id: true } });
    const caller: Caller =
      key.organizationId === null
        ? {
            // An operator holds only operator scopes (never `*`), and no organization.
            organizationId: NO_ORGANIZATION,
            scopes: new Set(key.scopes.filter(isOperatorScope)),
            mode: key.mode,
            subject: `operator:${key.id}`,
            apiKeyId: key.id,
            apiKeyName: key.name,
            operator: true,
          }
        : {
            organizationId: key.organizationId,
            scopes: organizationScopes(key.scopes),
            mode: key.mode,
            subject: `apikey:${key.id}`,
            apiKeyId: key.id,
            apiKeyName: key.name,
          };
    return { caller, keyExpiresAt: key.expiresAt };
  }

  async #fromJwt(token: string): Promise<Caller> {
    const key = this.#jwtSecret ?? this.#jwksKey;
    if (!key) throw unauthenticated("JWT bearer tokens are not accepted by this server.");
    try {
      const { payload } = await jwtVerify(token, key as Uint8Array, {
        issuer: this.config.jwt.issuer,
        audience: this.config.jwt.audience,
        algorithms: this.#jwtSecret ? ["HS256"] : undefined,
      });
      const org = payload.org;
      if (typeof org !== "string" || !/^[0-9a-f-]{36}$/i.test(org)) throw new Error("missing or malformed org claim");
      if (!(await this.#organizationExists(org))) throw new Error("unknown organization");
      const scopes = typeof payload.scope === "string" ? payload.scope.split(" ").filter(Boolean) : [];
      return { organizationId: org, scopes: organizationScopes(scopes), mode: "LIVE", subject: `jwt:${payload.sub ?? "unknown"}` };
    } catch (error) {
      this.logger.debug({ reason: (error as Error).message }, "JWT rejected");
      throw unauthenticated("Invalid or expired token.");
    }
  }

  async #organizationExists(id: string): Promise<boolean> {
    const now = Date.now();
    if ((this.#knownOrganizations.get(id) ?? 0) > now) return true;
    const organization = await this.prisma.organization.findUnique({ where: { id }, select: { id: true } });
    if (!organization) return false;
    if (this.config.apiKeyCacheSeconds > 0) {
      if (this.#knownOrganizations.size > 10_000) this.#knownOrganizations.clear();
      this.#knownOrganizations.set(id, now + this.config.apiKeyCacheSeconds * 1000);
    }
    return true;
  }
}
