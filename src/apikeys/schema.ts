import { builder, type EnumValues } from "../schema/builder.ts";
import { ERRORS } from "../schema/mutation.ts";
import type { ApiKey } from "../generated/prisma/client.ts";
import type { ApiKeyMode } from "../generated/prisma/enums.ts";

const ApiKeyModeEnum = builder.enumType("ApiKeyMode", {
  description: "LIVE keys use the configured carrier; TEST keys always use the sandbox carrier and sandbox payments.",
  values: { LIVE: { description: "sb_live_… keys." }, TEST: { description: "sb_test_… keys." } } satisfies EnumValues<ApiKeyMode>,
});

export const ApiKeyRef = builder.prismaNode("ApiKey", {
  description: "An API key of the organization. The secret is shown once, at creation; only its hash is stored.",
  id: { field: "id" },
  // An unknown id, or another organization's, makes node(id) null as if it did not exist; without
  // `nullable` the plugin loads with findUniqueOrThrow and the miss becomes a masked error.
  nullable: true,
  authScopes: { scope: "keys:admin" },
  findUnique: (id, context) => ({ id, organizationId: context.caller.organizationId }),
  fields: (t) => ({
    name: t.exposeString("name", { description: "What the key is for." }),
    prefix: t.exposeString("prefix", { description: "First characters of the secret, to recognise the key." }),
    mode: t.expose("mode", { type: ApiKeyModeEnum, description: "LIVE or TEST." }),
    scopes: t.exposeStringList("scopes", { description: "Scopes the key grants (`*` for all)." }),
    createdAt: t.expose("createdAt", { type: "DateTime", description: "When the key was created." }),
    lastUsedAt: t.expose("lastUsedAt", { type: "DateTime", nullable: true, description: "Last authenticated use (updated at most every few seconds)." }),
    expiresAt: t.expose("expiresAt", { type: "DateTime", nullable: true, description: "When the key stops working." }),
    revokedAt: t.expose("revokedAt", { type: "DateTime", nullable: true, description: "When the key was revoked." }),
  }),
});

builder.queryField("apiKeys", (t) =>
  t.prismaConnection(
    {
      type: "ApiKey",
      cursor: "id",
      description: "The organization's API keys, newest first, revoked ones included.",
      nullable: false,
      authScopes: { scope: "keys:admin" },
      totalCount: (_parent, _args, context) => context.prisma.apiKey.count({ where: { organizationId: context.caller.organizationId } }),
      resolve: (query, _parent, _args, context) =>
        context.prisma.apiKey.findMany({
          ...query,
          where: { organizationId: context.caller.organizationId },
          orderBy: [{ createdAt: "desc" }, { id: "desc" }],
        }),
    },
    { name: "ApiKeyConnection", description: "A page of API keys." },
    { name: "ApiKeyEdge", description: "One API key in a page." },
  ),
);

const CreateApiKeySuccess = builder.objectRef<{ apiKey: ApiKey; secret: string }>("CreateApiKeySuccess").implement({
  description: "The key was created. Store the secret now: it is never shown again.",
  fields: (t) => ({
    apiKey: t.field({ type: ApiKeyRef, description: "The new key.", resolve: (r) => r.apiKey }),
    secret: t.exposeString("secret", { description: "The key's secret (sb_live_… or sb_test_…), shown only this once." }),
  }),
});

builder.mutationField("createApiKey", (t) =>
  t.fieldWithInput({
    description: "Creates an API key with scopes the caller holds. The secret is returned once.",
    typeOptions: { description: "A new API key." },
    authScopes: { scope: "keys:admin" },
    input: {
      name: t.input.string({ required: true, maxLength: 100, description: "What the key is for, not blank." }),
      scopes: t.input.stringList({ required: true, description: 'Scopes to grant, e.g. ["numbers:read"]; each must be held by the caller.' }),
      mode: t.input.field({ type: ApiKeyModeEnum, description: "LIVE (default) or TEST." }),
      expiresAt: t.input.field({ type: "DateTime", description: "When the key stops working; never by default." }),
    },
    type: CreateApiKeySuccess,
    errors: { types: [...ERRORS.validation] },
    resolve: (_root, { input }, context) => context.services.apiKeys.create(context.caller, input),
  }),
);

const RevokeApiKeySuccess = builder.objectRef<{ apiKey: ApiKey }>("RevokeApiKeySuccess").implement({
  description: "The key was revoked and no longer authenticates.",
  fields: (t) => ({ apiKey: t.field({ type: ApiKeyRef, description: "The revoked key.", resolve: (r) => r.apiKey }) }),
});

builder.mutationField("revokeApiKey", (t) =>
  t.fieldWithInput({
    description: "Revokes an API key at once. Revoking an already revoked key changes nothing.",
    typeOptions: { description: "The key to revoke." },
    authScopes: { scope: "keys:admin" },
    input: { id: t.input.id({ required: true, description: "The API key." }) },
    type: RevokeApiKeySuccess,
    errors: { types: [...ERRORS.target] },
    resolve: async (_root, { input }, context) => ({ apiKey: await context.services.apiKeys.revoke(context.caller, input) }),
  }),
);
