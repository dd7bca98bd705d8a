import { parseArgs, type ParseArgsConfig } from "node:util";

/** An expected failure of a command: its message is printed as is (no stack) and the process exits with `code`. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly code = 2,
  ) {
    super(message);
  }
}

type Options = NonNullable<ParseArgsConfig["options"]>;

/**
 * parseArgs with the conventions of every `switchboard` command: `--help`/`-h` is always accepted,
 * and an unknown or malformed option is a one-line CliError naming the command's --help.
 */
export function parseCommandArgs<O extends Options>(command: string, args: string[], options: O, allowPositionals = false) {
  try {
    return parseArgs({ args, options: { ...options, help: { type: "boolean", short: "h" } }, allowPositionals, strict: true });
  } catch (error) {
    // Node's messages go on to explain `--` for positionals starting with a dash; the first sentence is the point.
    const message = (error instanceof Error ? error.message : String(error)).split("\n")[0]!.replace(/\. To specify a positional.*$/, "");
    throw new CliError(`switchboard ${command}: ${message} (see switchboard ${command} --help)`);
  }
}
