import { builder } from "./builder.ts";

/** The direction of every list's `orderBy`. */
export const OrderDirectionEnum = builder.enumType("OrderDirection", {
  description: "Sort direction.",
  values: { ASC: { description: "Ascending." }, DESC: { description: "Descending." } },
});
