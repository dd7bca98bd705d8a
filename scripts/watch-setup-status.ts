// Watches live setup-status changes over WebSocket (graphql-ws), as a dashboard would:
//   SB_KEY=sb_live_... npm run watch                 every number of the organization
//   SB_KEY=sb_live_... npm run watch -- <number id>  one number
// SB_URL defaults to http://127.0.0.1:4000. Stop with Ctrl-C.
import { createClient } from "graphql-ws";
import WebSocket from "ws";

const apiKey = process.env.SB_KEY;
if (!apiKey) {
  console.error("Set SB_KEY to an API key with numbers:read (the key printed on the server's first start works).");
  process.exit(2);
}
const url = `${(process.env.SB_URL ?? "http://127.0.0.1:4000").replace(/^http/, "ws")}/graphql`;
const phoneNumberId = process.argv[2];

const client = createClient({
  url,
  webSocketImpl: WebSocket,
  connectionParams: { apiKey },
  retryAttempts: Infinity,
  shouldRetry: () => true,
  on: {
    connected: () => console.error(`connected to ${url}; waiting for setup-status changes${phoneNumberId ? ` of ${phoneNumberId}` : ""}...`),
    closed: (event) => console.error(`connection closed (${(event as { code?: number }).code ?? "?"}); reconnecting`),
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

process.on("SIGINT", () => {
  void client.dispose();
  process.exit(0);
});

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
