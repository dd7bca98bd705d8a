import { GraphQLError } from "graphql";

/** Every scope an organization's API key or JWT can carry; `*` grants all of them. */
export const SCOPES = [
  "numbers:read",
  "numbers:write",
  "agents:read",
  "agents:write",
  "messages:read",
  "messages:send",
  "verification:read",
  "verification:write",
  "billing:read",
  "billing:admin",
  "keys:admin",
  "webhooks:admin",
  "audit:read",
] as const;
export type Scope = (typeof SCOPES)[number];
export const ALL_SCOPES = "*";

/**
 * Scopes of platform operator keys only (created by the CLI, belonging to no organization). No
 * organization's key or JWT holds them, not even through `*`: an organization never approves its
 * own verification.
 */
export const OPERATOR_SCOPES = ["verification:review"] as const;

export function isKnownScope(value: string): boolean {
  return value === ALL_SCOPES || (SCOPES as readonly string[]).includes(value) || isOperatorScope(value);
}

export function isOperatorScope(value: string): boolean {
  return (OPERATOR_SCOPES as readonly string[]).includes(value);
}

/** Whether held scopes grant `required`. `*` stands for the organization scopes, never the operators'. */
export function grants(held: ReadonlySet<string>, required: string): boolean {
  return held.has(required) || (held.has(ALL_SCOPES) && !isOperatorScope(required));
}

/**
 * The FORBIDDEN error of a field the caller's scopes do not reach. It names the scope to add
 * (message and `extensions.requiredScopes`), so a client need not look the field up in the schema.
 */
export function forbiddenError(coordinate: string, requiredScopes: readonly string[], path?: ReadonlyArray<string | number>): GraphQLError {
  const named = requiredScopes.length === 0 ? "Missing scope" : `Missing scope ${requiredScopes.join(" or ")}`;
  return new GraphQLError(`${named} for ${coordinate}`, { path, extensions: { code: "FORBIDDEN", requiredScopes: [...requiredScopes] } });
}
