// Writes schema.graphql from the Pothos schema. `npm test` fails when the committed file is stale.
import { writeFileSync } from "node:fs";
import { printSchemaFile } from "../src/schema/print.ts";

writeFileSync(new URL("../schema.graphql", import.meta.url), printSchemaFile());
console.log("wrote schema.graphql");
