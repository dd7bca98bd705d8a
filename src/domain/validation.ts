import { z } from "zod";
import { parseE164 } from "./e164.ts";
import { ValidationError, type FieldError, type FieldErrorCode } from "./errors.ts";
import { uuidOf } from "./global-id.ts";

/** Attach our field error code to a zod custom issue: `ctx.addIssue({ ..., params: { code } })`. */
export const issueCode = (code: FieldErrorCode) => ({ code });

function fieldErrorCode(issue: z.core.$ZodIssue): FieldErrorCode {
  if (issue.code === "custom" && issue.params?.code) return issue.params.code as FieldErrorCode;
  if (issue.code === "invalid_type" && issue.input === undefined) return "REQUIRED";
  if (issue.code === "too_big") return issue.origin === "string" || issue.origin === "array" ? "TOO_LONG" : "OUT_OF_RANGE";
  if (issue.code === "too_small") {
    if (issue.origin === "string" && issue.minimum === 1) return "REQUIRED";
    return issue.origin === "string" || issue.origin === "array" ? "TOO_SHORT" : "OUT_OF_RANGE";
  }
  if (issue.code === "invalid_format") return "INVALID_FORMAT";
  return "INVALID_VALUE";
}

/** Every problem zod found, as field errors whose paths start at the mutation argument ("input"). */
export function fieldErrorsFrom(error: z.ZodError, root: string[] = ["input"]): FieldError[] {
  return error.issues.map((issue) => ({
    path: [...root, ...issue.path.map(String)],
    message: issue.message,
    code: fieldErrorCode(issue),
  }));
}

/**
 * Parses a use case's input into its typed values (global ids decoded, numbers normalised),
 * reporting every problem at once, with `extra` ones found elsewhere (e.g. an unknown reference),
 * as one ValidationError.
 */
export function parseInput<S extends z.ZodType>(schema: S, input: z.input<S>, extra: FieldError[] = [], root: string[] = ["input"]): z.output<S> {
  const result = schema.safeParse(input);
  const problems = [...(result.success ? [] : fieldErrorsFrom(result.error, root)), ...extra];
  if (problems.length > 0) throw new ValidationError(problems);
  return (result as { data: z.output<S> }).data;
}

/**
 * One field of an input, checked on its own: its value, or undefined when it is absent or invalid
 * (parseInput then reports why). For what must be looked up before the whole input is reported,
 * such as the mutation's target or a referenced agent.
 */
export function peekField<S extends z.ZodObject, K extends keyof S["shape"] & string>(schema: S, key: K, input: z.input<S>): z.output<S["shape"][K]> | undefined {
  const result = (schema.shape[key] as z.ZodType).safeParse((input as Record<string, unknown>)[key]);
  return result.success ? (result.data as z.output<S["shape"][K]>) : undefined;
}

/** A global id of `typename` (Relay, opaque to clients), decoded to the database id; anything else is INVALID_ID. */
export const globalId = (typename: string) =>
  z.string().transform((value, ctx) => {
    const id = uuidOf(value, typename);
    if (id === undefined) {
      ctx.addIssue({ code: "custom", message: `Not a ${typename} id`, params: issueCode("INVALID_ID") });
      return z.NEVER;
    }
    return id;
  });

/** A phone number written any common way, normalised to E.164 with its country. */
export const e164Field = z.string().transform((value, ctx) => {
  const parsed = parseE164(value);
  if (!parsed.ok) {
    ctx.addIssue({ code: "custom", message: parsed.message, params: issueCode("INVALID_E164") });
    return z.NEVER;
  }
  return { e164: parsed.e164, country: parsed.country };
});

export const labelField = z.string().trim().max(100, "At most 100 characters");
export const nameField = z.string().trim().min(1, "Required").max(100, "At most 100 characters");
