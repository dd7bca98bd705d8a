#!/usr/bin/env node
// The `switchboard` command (package.json "bin"; `npm start` runs `switchboard serve`). Bundled into
// dist/switchboard.js by scripts/build.mjs; the process tests run that bundle too. Each command is
// loaded only when it runs (its own chunk of the bundle), so `apikey` and `migrate` do not load the
// GraphQL server.
import nodeModule from "node:module";
import { describeDatabaseError } from "../startup-checks.ts";
import { CliError } from "./args.ts";

// Bundled (dist/), on Node 22.1 or later: V8's compiled code of the modules loaded from here on
// (the bundle's chunks, the packages left outside it) is cached on disk in the system temp dir, so a
// warm start skips compiling them. Node 20 has no such cache; NODE_DISABLE_COMPILE_CACHE=1 turns it
// off. Not under tsx, whose loader hands Node the code.
if (import.meta.url.endsWith(".js")) (nodeModule as { enableCompileCache?: () => unknown }).enableCompileCache?.();

const USAGE = `Usage: switchboard <command> [options]

Commands:
  serve     start the GraphQL server
  migrate   apply pending database migrations and exit
  apikey    create, list and revoke API keys

Run switchboard <command> --help for a command's options. Configuration comes from the
environment (PORT, HOST, DATABASE_URL, DATA_DIR, ...; see the README).`;

const commands: Record<string, () => Promise<(args: string[]) => Promise<void>>> = {
  serve: async () => (await import("../main.ts")).serve,
  migrate: async () => (await import("./migrate.ts")).migrate,
  apikey: async () => (await import("./apikey.ts")).apikey,
};

async function main(argv: string[]): Promise<void> {
  const [name, ...args] = argv;
  if (name === "--help" || name === "-h" || name === "help") {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  if (!name) throw new CliError(`switchboard: a command is needed: serve, migrate or apikey (see switchboard --help)`);
  const load = Object.hasOwn(commands, name) ? commands[name] : undefined;
  if (!load) throw new CliError(`switchboard: unknown command "${name}": serve, migrate or apikey (see switchboard --help)`);
  await (await load())(args);
}

main(process.argv.slice(2)).catch((error: unknown) => {
  if (error instanceof CliError) {
    process.stderr.write(`${error.message}\n`);
    process.exit(error.code);
  }
  const databaseProblem = process.env.DATABASE_URL ? describeDatabaseError(error, process.env.DATABASE_URL) : undefined;
  if (databaseProblem) {
    process.stderr.write(`${databaseProblem}\n`);
    process.exit(2);
  }
  process.stderr.write(`switchboard ${process.argv[2]} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
