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

/** Per-socket state: the caller authenticated at connection time and its active subscriptions. */
export type SocketExtra = Extra & Record<PropertyKey, unknown> & { caller?: Caller };

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
  const wsServer = new WebSocketServer({ server: httpServer, path: "/graphql" });
  const perKey = new Map<string, number>();
  const active = new Map<WsContext<Params, SocketExtra>, Set<string>>();

  const release = (ctx: WsContext<Params, SocketExtra>, id: string) => {
    const ids = active.get(ctx);
    if (!ids?.delete(id) || !ctx.extra.caller) return;
    const subject = ctx.extra.caller.subject;
    const count = (perKey.get(subject) ?? 1) - 1;
    if (count <= 0) perKey.delete(subject);
    else perKey.set(subject, count);
  };

  const server = useServer<Params, SocketExtra>(
    {
      execute: (args) => (args.rootValue as { execute: (a: unknown) => unknown }).execute(args) as never,
      subscribe: (args) => (args.rootValue as { subscribe: (a: unknown) => unknown }).subscribe(args) as never,
      onConnect: async (ctx) => {
        try {
          ctx.extra.caller = await services.authenticator.authenticate(credentialsFrom(ctx.connectionParams));
          active.set(ctx, new Set());
          return true;
        } catch {
          // graphql-ws closes the socket with 4403 Forbidden.
          return false;
        }
      },
      onSubscribe: async (ctx, id, payload) => {
        const caller = ctx.extra.caller!;
        const ids = active.get(ctx) ?? new Set<string>();
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
          // Bounds count open subscriptions only; queries and mutations over the socket are short-lived.
          if (ids.size >= config.maxSubscriptionsPerConnection) {
            return [new GraphQLError(`At most ${config.maxSubscriptionsPerConnection} subscriptions per connection`, { extensions: { code: "RATE_LIMITED" } })];
          }
          if ((perKey.get(caller.subject) ?? 0) >= config.maxSubscriptionsPerKey) {
            return [new GraphQLError(`At most ${config.maxSubscriptionsPerKey} subscriptions per API key`, { extensions: { code: "RATE_LIMITED" } })];
          }
          ids.add(id);
          perKey.set(caller.subject, (perKey.get(caller.subject) ?? 0) + 1);
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
        for (const id of [...(active.get(ctx) ?? [])]) release(ctx, id);
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
