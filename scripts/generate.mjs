// Generates the Prisma client and Pothos' Prisma types (not committed) and then the typed test
// documents. `prisma generate` only needs a well-formed DATABASE_URL to read the schema; without
// one the CLI falls back to the binary engine and tries to download it.
import { spawnSync } from "node:child_process";

const env = {
  ...process.env,
  PATH: `${new URL("../node_modules/.bin", import.meta.url).pathname}:${process.env.PATH}`,
  DATABASE_URL: process.env.DATABASE_URL || "postgresql://generate@127.0.0.1:5432/generate",
};
const steps = [
  ["prisma", ["generate"]],
  ["graphql-codegen", ["--config", "codegen.ts", "--silent"]],
];
for (const [command, args] of steps) {
  const result = spawnSync(`node_modules/.bin/${command}`, args, { stdio: "inherit", env });
  if (result.status !== 0) {
    console.error(`generate: ${command} ${args.join(" ")} failed`);
    process.exit(result.status ?? 1);
  }
}
