// Watches live setup-status changes over WebSocket (graphql-ws), as a dashboard would.
// `npm run watch -- --help` explains it; stop it with Ctrl-C (or SIGTERM).
import { parseArgs } from "node:util";
import { createClient } from "graphql-ws";
import WebSocket from "ws";

const USAGE = `Usage: SB_KEY=<key> npm run watch [-- <phone number id>]

Prints every setup-status change of the organization's numbers (or of one number) as it happens,
over the same WebSocket subscription a dashboard uses, and reconnects when the server goes away.

  SB_KEY   an API key with numbers:read (the key printed on the server's first start works)
  SB_URL   the server, e.g. http://127.0.0.1:4000; without it http://HOST:PORT from the same
           HOST and PORT the server reads (defaults 127.0.0.1 and 4000)`;

function refuse(message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(2);
}

let parsed;
try {
  parsed = parseArgs({ allowPositionals: true, options: { help: { type: "boolean", short: "h" } } });
} catch (error) {
  refuse(`watch: ${(error as Error).message.split("\n")[0]!.replace(/\. To specify a positional.*$/, "")} (see npm run watch -- --help)`);
}
if (parsed.values.help) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}
if (parsed.positionals.length > 1) refuse(`watch: one phone number id at most (see npm run watch -- --help)`);
const phoneNumberId = parsed.positionals[0];
const apiKey = process.env.SB_KEY;
if (!apiKey) refuse("watch: set SB_KEY to an API key with numbers:read (the key printed on the server's first start works); see npm run watch -- --help");

/** SB_URL, or the address the server itself listens on by the same HOST and PORT (a wildcard HOST is reached on loopback). */
function serverUrl(): string {
  if (process.env.SB_URL) return process.env.SB_URL.replace(/\/+$/, "").replace(/\/graphql$/, "");
  const host = !process.env.HOST || process.env.HOST === "0.0.0.0" ? "127.0.0.1" : process.env.HOST === "::" ? "[::1]" : process.env.HOST;
  return `http://${host.includes(":") && !host.startsWith("[") ? `[${host}]` : host}:${process.env.PORT || "4000"}`;
}
const url = `${serverUrl().replace(/^http/, "ws")}/graphql`;

let attempt = 0;
const client = createClient({
  url,
  webSocketImpl: WebSocket,
  connectionParams: { apiKey },
  retryAttempts: Infinity,
  shouldRetry: () => true,
  on: {
    connecting: () => console.error(attempt++ === 0 ? `connecting to ${url} ...` : `reconnecting to ${url} (attempt ${attempt}) ...`),
    connected: () => {
      attempt = 0;
      console.error(`connected to ${url}; waiting for setup-status changes${phoneNumberId ? ` of ${phoneNumberId}` : ""}...`);
    },
    closed: (event) => {
      const { code, reason } = event as { code?: number; reason?: string };
      console.error(`connection to ${url} closed (${code ?? "?"}${reason ? `: ${reason}` : ""})`);
    },
  },
});

const events = client.iterate({
  query: `subscription Watch($phoneNumberId: ID) {
    phoneNumberSetupStatusChanged(phoneNumberId: $phoneNumberId) {
      changedAt
      phoneNumber { id e164 label }
      previous { status }
      current { status inboundReady outboundReady smsReady issues { code field message } }
    }
  }`,
  variables: { phoneNumberId },
});

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    void client.dispose();
    process.exit(0);
  });
}

for await (const result of events) {
  if (result.errors) {
    console.error(JSON.stringify(result.errors));
    continue;
  }
  const change = (result.data as { phoneNumberSetupStatusChanged: Record<string, any> }).phoneNumberSetupStatusChanged;
  const { phoneNumber, previous, current } = change;
  console.log(`${change.changedAt}  ${phoneNumber.e164}${phoneNumber.label ? ` (${phoneNumber.label})` : ""}  ${previous?.status ?? "NEW"} -> ${current.status}`);
  for (const issue of current.issues) console.log(`    ${issue.code} (${issue.field}): ${issue.message}`);
}
