import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface ReceivedWebhook {
  headers: IncomingHttpHeaders;
  /** The raw body, as signed. */
  body: string;
  json: { id: string; type: string; createdAt: string; organizationId: string; phoneNumberId: string | null; data: Record<string, unknown> };
  /** What the receiver answered: an HTTP status, or "hang" (no answer). */
  answer: number | "hang";
  at: number;
}

/** How the receiver answers one request: an HTTP status, or "hang" to never answer (a timeout). */
export type Behaviour = (webhook: Omit<ReceivedWebhook, "answer" | "at">) => number | "hang";

/** A customer's webhook receiver on a local port, recording everything it is sent. */
export interface Receiver {
  url: string;
  received: ReceivedWebhook[];
  /** The webhooks it accepted (2xx), in arrival order. */
  accepted(): ReceivedWebhook[];
  behave(behaviour: Behaviour): void;
  close(): Promise<void>;
}

export async function startReceiver(behaviour: Behaviour = () => 200, path = "/hooks"): Promise<Receiver> {
  let current = behaviour;
  const received: ReceivedWebhook[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      const webhook = { headers: req.headers, body, json: JSON.parse(body) as ReceivedWebhook["json"] };
      const answer = current(webhook);
      received.push({ ...webhook, answer, at: Date.now() });
      if (answer === "hang") return;
      res.writeHead(answer, { "content-type": "text/plain" }).end(answer < 300 ? "ok" : "no");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}${path}`,
    received,
    accepted: () => received.filter((r) => typeof r.answer === "number" && r.answer < 300),
    behave: (next) => (current = next),
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
