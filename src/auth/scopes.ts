/** Every scope an API key or JWT can carry; `*` grants all of them. */
export const SCOPES = [
  "numbers:read",
  "numbers:write",
  "agents:read",
  "agents:write",
  "messages:read",
  "messages:send",
  "verification:read",
  "verification:write",
  "verification:review",
  "billing:read",
  "billing:admin",
  "keys:admin",
] as const;
export type Scope = (typeof SCOPES)[number];
export const ALL_SCOPES = "*";

export function isKnownScope(value: string): boolean {
  return value === ALL_SCOPES || (SCOPES as readonly string[]).includes(value);
}

export function grants(held: ReadonlySet<string>, required: string): boolean {
  return held.has(ALL_SCOPES) || held.has(required);
}
