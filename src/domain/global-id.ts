import { decodeGlobalID } from "@pothos/plugin-relay";
import type { FieldError } from "./errors.ts";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Every stored object's id is a uuid: anything else would reach the database as a malformed value. */
export const isUuid = (id: string): boolean => UUID.test(id);

/**
 * The database id inside a global id of the expected type, or a field error for `path`. Global ids
 * are opaque to clients (base64 of "<Type>:<uuid>").
 */
export function decodeId(globalId: string, typename: string, path: string[]): { id: string } | { error: FieldError } {
  try {
    const decoded = decodeGlobalID(globalId);
    if (decoded.typename === typename && UUID.test(decoded.id)) return { id: decoded.id };
  } catch {
    // Not base64 of "<Type>:<id>": reported below like any other wrong id.
  }
  return { error: { path, code: "INVALID_ID", message: `Not a ${typename} id` } };
}

/** Decodes several ids at once, collecting every problem. */
export function decodeIds<K extends string>(
  ids: Partial<Record<K, { value: string | null | undefined; typename: string; path: string[] }>>,
): { ids: Partial<Record<K, string>>; errors: FieldError[] } {
  const out: Partial<Record<K, string>> = {};
  const errors: FieldError[] = [];
  for (const [key, spec] of Object.entries(ids) as Array<[K, { value: string | null | undefined; typename: string; path: string[] }]>) {
    if (spec.value == null) continue;
    const decoded = decodeId(spec.value, spec.typename, spec.path);
    if ("id" in decoded) out[key] = decoded.id;
    else errors.push(decoded.error);
  }
  return { ids: out, errors };
}
