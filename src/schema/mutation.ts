import { CarrierError, ConflictError, NotFoundError, NumberReleasedError, ValidationError } from "../domain/errors.ts";

/** Expected-error sets of mutations, in the order clients usually check them. */
export const ERRORS = {
  validation: [ValidationError],
  target: [ValidationError, NotFoundError],
  // ConflictError: the number's state does not allow the change (src/domain/lifecycle.ts), e.g. a FAILED number.
  number: [ValidationError, NotFoundError, NumberReleasedError, ConflictError],
  newNumber: [ValidationError, ConflictError],
  numberConflict: [ValidationError, NotFoundError, NumberReleasedError, ConflictError],
  release: [ValidationError, NotFoundError, NumberReleasedError, ConflictError, CarrierError],
  provision: [ValidationError, CarrierError, ConflictError],
} as const;
