import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { useDepthLimit } from "@envelop/depth-limit";
import { renderGraphiQL } from "@graphql-yoga/render-graphiql";
import { createYoga, type YogaServerInstance } from "graphql-yoga";
import type { Logger } from "pino";
import type { Config } from "./config.ts";
import type { Context } from "./context.ts";
import type { PrismaClient } from "./db/client.ts";
import { createLoaders } from "./loaders.ts";
import { createWebhookHandler } from "./messages/webhook-route.ts";
import { attachWebSockets, type SocketExtra } from "./websocket.ts";
import { schema } from "./schema/index.ts";
import type { Services } from "./services.ts";

export interface AppDependencies {
  config: Config;
  prisma: PrismaClient;
  services: Services;
  logger: Logger;
}

export interface App {
  yoga: YogaServerInstance<Record<string, never>, Context>;
  /** An HTTP server serving /graphql and /health; not yet listening. */
  httpServer: Server;
  /**
   * Stops accepting connections and resolves once every request already received has finished,
   * even those whose client went away (their resolvers still run), so the database can close.
   */
  drain(): Promise<void>;
}

/**
 * Builds the server: yoga on /graphql (HTTP and SSE) and a health route. It does not listen, so
 * tests run it in-process through `yoga.fetch` or start it on a port.
 */
export function createApp({ config, prisma, services, logger }: AppDependencies): App {
  const yoga = createYoga<Record<string, never>, Context>({
    schema,
    graphqlEndpoint: "/graphql",
    logging: {
      debug: (...args) => logger.debug(args.length === 1 ? args[0] : args),
      info: (...args) => logger.info(args.length === 1 ? args[0] : args),
      warn: (...args) => logger.warn(args.length === 1 ? args[0] : args),
      error: (...args) => logger.error(args.length === 1 ? args[0] : args),
    },
    graphiql: config.graphiql ? { title: "Switchboard", defaultQuery: "{ viewer { organization { name } scopes } }" } : false,
    // GraphiQL's assets are bundled, not loaded from a CDN that these machines and many firewalls cannot reach.
    renderGraphiQL,
    // Unexpected errors are masked; GraphQLErrors we raise (UNAUTHENTICATED, FORBIDDEN, ...) pass through.
    maskedErrors: true,
    plugins: [useDepthLimit({ maxDepth: config.maxQueryDepth })],
    context: async (initial): Promise<Context> => {
      // HTTP and SSE authenticate from headers; WebSocket operations carry the caller that
      // authenticated the connection (graphql-ws onConnect, from connectionParams).
      const socketCaller = (initial as unknown as { extra?: SocketExtra }).extra?.caller;
      const caller =
        socketCaller ??
        (await services.authenticator.authenticate({
          apiKey: initial.request.headers.get("x-api-key"),
          authorization: initial.request.headers.get("authorization"),
        }));
      return {
        caller,
        prisma,
        services,
        loaders: createLoaders(prisma),
        logger: logger.child({ org: caller.organizationId, subject: caller.subject }),
      };
    },
  });

  const inFlight = new Set<Promise<unknown>>();
  const webhook = createWebhookHandler({ config, prisma, messages: services.messages, logger });
  const httpServer = createServer((req: IncomingMessage, res: ServerResponse) => {
    if (req.url === "/health") {
      res.writeHead(200, { "content-type": "application/json" }).end('{"status":"ok"}');
      return;
    }
    const handled = Promise.resolve(webhook(req, res) ?? yoga.requestListener(req, res)).catch((error) => logger.error({ err: error }, "request failed"));
    inFlight.add(handled);
    void handled.finally(() => inFlight.delete(handled));
  });

  const sockets = attachWebSockets({ yoga, httpServer, services, config, logger });

  const drain = async () => {
    // Subscribers are told the server is going away (1001) so their clients reconnect elsewhere.
    await sockets.close();
    const closed = new Promise<void>((resolve) => httpServer.close(() => resolve()));
    httpServer.closeIdleConnections();
    // Responses finished after close() carry `Connection: close`; idle keep-alive sockets are closed.
    const idleSweep = setInterval(() => httpServer.closeIdleConnections(), 100);
    try {
      while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
      await Promise.race([closed, new Promise((resolve) => setTimeout(resolve, 5_000).unref())]);
    } finally {
      clearInterval(idleSweep);
      httpServer.closeAllConnections();
    }
  };

  return { yoga, httpServer, drain };
}
