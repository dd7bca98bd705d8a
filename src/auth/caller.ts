/** Who is calling: the organization every read and write is scoped to, and what they may do. */
export interface Caller {
  organizationId: string;
  scopes: ReadonlySet<string>;
  /** LIVE keys use the configured carrier; TEST keys always use the sandbox. JWTs are LIVE. */
  mode: "LIVE" | "TEST";
  /** The API key's id, or the JWT's `sub`, for logs. */
  subject: string;
  apiKeyId?: string;
}
