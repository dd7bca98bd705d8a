import { lexicographicSortSchema, printSchema } from "graphql";
import { schema } from "./index.ts";

/** The committed SDL: sorted, with a header saying where it comes from. */
export function printSchemaFile(): string {
  return `# Generated from the Pothos schema by \`npm run schema:print\`. Do not edit.\n\n${printSchema(lexicographicSortSchema(schema))}\n`;
}
