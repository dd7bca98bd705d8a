import { z } from "zod";
import { apiKeySnapshot, recordEvent } from "../events/log.ts";
import { generateApiKeySecret } from "../auth/api-key-secret.ts";
import type { Caller } from "../auth/caller.ts";
import { ALL_SCOPES, OPERATOR_SCOPES, grants, isKnownScope, isOperatorScope } from "../auth/scopes.ts";
import type { PrismaClient } from "../db/client.ts";
import { NotFoundError, type FieldError } from "../domain/errors.ts";
import { globalId, issueCode, nameField, parseInput } from "../domain/validation.ts";
import { ApiKeyMode, type ApiKey } from "../generated/prisma/client.ts";

export const CreateApiKeyInput = z.object({
  name: nameField,
  scopes: z
    .array(z.string().refine(isKnownScope, { message: "Unknown scope", params: issueCode("INVALID_VALUE") }))
    .min(1, "At least one scope")
    .max(20),
  mode: z
    .enum(ApiKeyMode)
    .nullish()
    .transform((mode) => mode ?? "LIVE"),
  expiresAt: z
    .date()
    .refine((date) => date.getTime() > Date.now(), { message: "Must be in the future", params: issueCode("OUT_OF_RANGE") })
    .nullish(),
});

export const RevokeApiKeyInput = z.object({ id: globalId("ApiKey") });

export interface CreatedApiKey {
  apiKey: ApiKey;
  /** The only time the secret exists outside the client: it is stored as a hash. */
  secret: string;
}

/** API keys: created with their secret shown once, listed, revoked. */
export class ApiKeyService {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly onRevoked: (apiKeyId: string) => void = () => {},
  ) {}

  async create(caller: Caller, input: z.input<typeof CreateApiKeyInput>): Promise<CreatedApiKey> {
    // A key can grant only scopes its creator holds, so keys:admin is not a way to gain more; and an
    // organization's key never holds an operator scope, so nobody approves their own verification.
    const escalations: FieldError[] = input.scopes.flatMap((scope, index) => {
      const path = ["input", "scopes", String(index)];
      if (isOperatorScope(scope)) return [{ path, code: "NOT_PERMITTED" as const, message: `${scope} belongs to platform operator keys, not to an organization's keys` }];
      return isKnownScope(scope) && !(scope === ALL_SCOPES ? caller.scopes.has(ALL_SCOPES) : grants(caller.scopes, scope))
        ? [{ path, code: "NOT_PERMITTED" as const, message: `You do not hold ${scope}` }]
        : [];
    });
    const data = parseInput(CreateApiKeyInput, input, escalations);
    return createApiKey(this.prisma, caller.organizationId, data);
  }

  async revoke(caller: Caller, input: z.input<typeof RevokeApiKeyInput>): Promise<ApiKey> {
    const { id } = parseInput(RevokeApiKeyInput, input);
    const key = await this.prisma.apiKey.findFirst({ where: { id, organizationId: caller.organizationId } });
    if (!key) throw new NotFoundError("API key", input.id);
    if (key.revokedAt) return key;
    const revoked = await this.prisma.$transaction(async (tx) => {
      const row = await tx.apiKey.update({ where: { id: key.id }, data: { revokedAt: new Date() } });
      await recordEvent(tx, { organizationId: caller.organizationId, type: "API_KEY_REVOKED", subject: { type: "ApiKey", id: row.id }, payload: { apiKey: apiKeySnapshot(row) } });
      return row;
    });
    this.onRevoked(key.id);
    return revoked;
  }
}

/** Thrown when an organization's key is asked for an operator scope (the API reports it as NOT_PERMITTED first). */
export class OperatorScopeError extends Error {
  constructor(readonly scopes: string[]) {
    super(`${scopes.join(", ")} belong(s) to platform operator keys only (npm run apikey -- create --operator)`);
  }
}

/** Creates a key for an organization (shared by the API, the CLI and the first-start demo). */
export async function createApiKey(
  prisma: PrismaClient,
  organizationId: string,
  data: { name: string; scopes: string[]; mode: ApiKeyMode; expiresAt?: Date | null },
): Promise<CreatedApiKey> {
  const operatorScopes = data.scopes.filter(isOperatorScope);
  if (operatorScopes.length) throw new OperatorScopeError(operatorScopes);
  const { secret, prefix, secretHash } = generateApiKeySecret(data.mode);
  const apiKey = await prisma.$transaction(async (tx) => {
    const row = await tx.apiKey.create({
      data: { organizationId, name: data.name, scopes: data.scopes, mode: data.mode, expiresAt: data.expiresAt ?? null, prefix, secretHash },
    });
    // The event shows the key without its secret or hash.
    await recordEvent(tx, { organizationId, type: "API_KEY_CREATED", subject: { type: "ApiKey", id: row.id }, payload: { apiKey: apiKeySnapshot(row) } });
    return row;
  });
  return { apiKey, secret };
}

/**
 * Creates a platform operator key (only the CLI calls this): no organization, every operator scope
 * (verification:review), a LIVE secret shown once.
 */
export async function createOperatorKey(prisma: PrismaClient, data: { name: string; expiresAt?: Date | null }): Promise<CreatedApiKey> {
  const { secret, prefix, secretHash } = generateApiKeySecret("LIVE");
  const apiKey = await prisma.apiKey.create({
    data: { operator: true, organizationId: null, name: data.name, scopes: [...OPERATOR_SCOPES], mode: "LIVE", expiresAt: data.expiresAt ?? null, prefix, secretHash },
  });
  return { apiKey, secret };
}
