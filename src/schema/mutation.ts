import { ConflictError, NotFoundError, NumberReleasedError, ValidationError } from "../domain/errors.ts";

/** Expected-error sets of mutations, in the order clients usually check them. */
export const ERRORS = {
  validation: [ValidationError],
  target: [ValidationError, NotFoundError],
  number: [ValidationError, NotFoundError, NumberReleasedError],
  newNumber: [ValidationError, ConflictError],
  numberConflict: [ValidationError, NotFoundError, NumberReleasedError, ConflictError],
} as const;
