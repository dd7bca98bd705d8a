import { decodeGlobalID } from "@pothos/plugin-relay";
import type { FieldError } from "./errors.ts";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Every stored object's id is a uuid: anything else would reach the database as a malformed value. */
export const isUuid = (id: string): boolean => UUID.test(id);

/**
 * The database id inside a global id of the expected type, or undefined. Global ids are opaque to
 * clients (base64 of "<Type>:<uuid>").
 */
export function uuidOf(globalId: string, typename: string): string | undefined {
  try {
    const decoded = decodeGlobalID(globalId);
    if (decoded.typename === typename && UUID.test(decoded.id)) return decoded.id;
  } catch {
    // Not base64 of "<Type>:<id>": no id, like any other wrong one.
  }
  return undefined;
}

/** The field error for a value at `path` that is not an id of `typename`. */
export const invalidId = (typename: string, path: string[]): FieldError => ({ path, code: "INVALID_ID", message: `Not a ${typename} id` });

/** The database id inside a global id of the expected type, or a field error for `path`. */
export function decodeId(globalId: string, typename: string, path: string[]): { id: string } | { error: FieldError } {
  const id = uuidOf(globalId, typename);
  return id === undefined ? { error: invalidId(typename, path) } : { id };
}
