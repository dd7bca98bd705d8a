/**
 * The organization id of platform operators' callers: the nil UUID, which no organization has
 * (ids are random v4 UUIDs). Every tenancy-scoped query of an operator therefore finds nothing,
 * whatever its scopes would allow.
 */
export const NO_ORGANIZATION = "00000000-0000-0000-0000-000000000000";

/** Who is calling: the organization every read and write is scoped to, and what they may do. */
export interface Caller {
  /** The caller's organization; NO_ORGANIZATION for platform operators. */
  organizationId: string;
  scopes: ReadonlySet<string>;
  /** LIVE keys use the configured carrier; TEST keys always use the sandbox. JWTs are LIVE. */
  mode: "LIVE" | "TEST";
  /** The API key's id, or the JWT's `sub`, for logs. */
  subject: string;
  apiKeyId?: string;
  /** The API key's name, for the audit log (src/audit/). */
  apiKeyName?: string;
  /**
   * A platform operator (an operator key, created by the CLI): belongs to no organization and holds
   * only operator scopes (verification:review), which work across organizations.
   */
  operator?: boolean;
}
