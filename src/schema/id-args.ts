import { GraphQLError } from "graphql";
import { decodeId } from "../domain/global-id.ts";

/**
 * The database id in an optional global-id argument of a query or subscription (which have no
 * payload union): undefined when absent, a BAD_USER_INPUT error when it is not an id of `typename`.
 */
export function optionalIdArg(value: string | number | null | undefined, typename: string, argName: string): string | undefined {
  if (value == null) return undefined;
  const decoded = decodeId(String(value), typename, [argName]);
  if ("error" in decoded) throw new GraphQLError(`${argName} is not a ${typename} id`, { extensions: { code: "BAD_USER_INPUT" } });
  return decoded.id;
}
