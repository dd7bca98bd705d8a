import type { Server } from "node:http";
import { getOperationAST, GraphQLError } from "graphql";
import type { Context as WsContext } from "graphql-ws";
import { useServer, type Extra } from "graphql-ws/use/ws";
import type { YogaServerInstance } from "graphql-yoga";
import type { Logger } from "pino";
import { WebSocketServer } from "ws";
import type { Caller } from "./auth/caller.ts";
import type { Config } from "./config.ts";
import type { Context } from "./context.ts";
import type { Services } from "./services.ts";
import { requestIdFrom } from "./observability/request-id.ts";

/** Per-socket state: the caller authenticated at connection time and its active subscriptions. */
export type SocketExtra = Extra & Record<PropertyKey, unknown> & { caller?: Caller; requestId?: string };

type Params = Record<string, unknown> | undefined;

/** WebSocket close code 1001: the server is going away. */
const GOING_AWAY = 1001;

function credentialsFrom(params: Params): { apiKey?: string; authorization?: string } {
  const read = (...names: string[]) => {
    for (const name of names) {
      const value = params?.[name];
      if (typeof value === "string") return value;
    }
    return undefined;
  };
  return { apiKey: read("apiKey", "x-api-key", "X-API-Key"), authorization: read("authorization", "Authorization") };
}

/**
 * graphql-ws (subprotocol graphql-transport-ws) on the HTTP server's port and /graphql path,
 * through yoga's envelop so the same plugins, schema and context serve WebSocket operations.
 */
export function attachWebSockets({
  yoga,
  httpServer,
  services,
  config,
  logger,
}: {
  yoga: YogaServerInstance<Record<string, never>, Context>;
  httpServer: Server;
  services: Services;
  config: Config;
  logger: Logger;
}): { close(): Promise<void> } {
  // Frames larger than maxPayload close the socket (1009) before they are parsed.
  const wsServer = new WebSocketServer({ server: httpServer, path: "/graphql", maxPayload: config.wsMaxPayloadBytes });
  // The connection's id (the client's sane x-request-id, or a new one; see src/observability/http.ts)
  // is echoed on the upgrade response and names every operation of the socket in the logs.
  wsServer.on("headers", (headers, request) => {
    request.headers["x-request-id"] = requestIdFrom(request.headers["x-request-id"]);
    headers.push(`x-request-id: ${request.headers["x-request-id"]}`);
  });
  /** Each socket's open subscriptions, with what releases each one's place in the per-key bound. */
  const active = new Map<WsContext<Params, SocketExtra>, Map<string, () => void>>();

  const release = (ctx: WsContext<Params, SocketExtra>, id: string) => {
    const ids = active.get(ctx);
    ids?.get(id)?.();
    ids?.delete(id);
  };

  const server = useServer<Params, SocketExtra>(
    {
      execute: (args) => (args.rootValue as { execute: (a: unknown) => unknown }).execute(args) as never,
      subscribe: (args) => (args.rootValue as { subscribe: (a: unknown) => unknown }).subscribe(args) as never,
      onConnect: async (ctx) => {
        ctx.extra.requestId = requestIdFrom(ctx.extra.request.headers["x-request-id"]);
        // An address that failed to authenticate too often is refused before its credentials are looked at.
        const address = ctx.extra.request.socket.remoteAddress ?? "unknown";
        if (services.rateLimits.checkAddress(address)) return false;
        try {
          ctx.extra.caller = await services.authenticator.authenticate(credentialsFrom(ctx.connectionParams));
          active.set(ctx, new Map());
          return true;
        } catch {
          await services.rateLimits.authenticationFailed(address);
          // graphql-ws closes the socket with 4403 Forbidden.
          return false;
        }
      },
      onSubscribe: async (ctx, id, payload) => {
        const caller = ctx.extra.caller!;
        const ids = active.get(ctx) ?? new Map<string, () => void>();
        const { schema, execute, subscribe, contextFactory, parse, validate } = yoga.getEnveloped({
          ...ctx,
          req: ctx.extra.request,
          socket: ctx.extra.socket,
          params: payload,
        });
        let document;
        try {
          document = parse(payload.query);
        } catch (error) {
          return [error as GraphQLError];
        }
        const errors = validate(schema, document);
        if (errors.length > 0) return errors;
        if (getOperationAST(document, payload.operationName)?.operation === "subscription") {
          // Open subscriptions per socket and per key (shared with SSE subscriptions).
          if (ids.size >= config.maxSubscriptionsPerConnection) {
            return [new GraphQLError(`At most ${config.maxSubscriptionsPerConnection} subscriptions per connection`, { extensions: { code: "RATE_LIMITED" } })];
          }
          const releaseSlot = services.subscriptionBounds.acquire(caller.subject);
          if (typeof releaseSlot === "string") return [new GraphQLError(releaseSlot, { extensions: { code: "RATE_LIMITED" } })];
          ids.set(id, releaseSlot);
        } else if (Object.keys(ctx.subscriptions).length - ids.size > config.wsMaxInFlight) {
          // Queries and mutations running at once on this socket (this one included), beyond its subscriptions.
          return [new GraphQLError(`At most ${config.wsMaxInFlight} queries and mutations in flight per connection`, { extensions: { code: "RATE_LIMITED" } })];
        }
        return {
          schema,
          operationName: payload.operationName,
          document,
          variableValues: payload.variables,
          contextValue: await contextFactory(),
          rootValue: { execute, subscribe },
        };
      },
      onComplete: (ctx, id) => release(ctx, id),
      onError: (ctx, id) => release(ctx, id),
      onClose: (ctx) => {
        for (const id of [...(active.get(ctx)?.keys() ?? [])]) release(ctx, id);
        active.delete(ctx);
      },
    },
    wsServer,
    config.wsKeepAliveSeconds * 1000,
  );

  logger.debug("graphql-ws attached on /graphql");
  return {
    async close() {
      for (const client of wsServer.clients) client.close(GOING_AWAY, "Server shutting down");
      await server.dispose();
      await new Promise<void>((resolve) => wsServer.close(() => resolve()));
    },
  };
}
