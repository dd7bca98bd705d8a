import type { AddressInfo } from "node:net";
import { ConfigError, loadConfig } from "./config.ts";
import { startSwitchboard } from "./bootstrap.ts";
import { seedDemoOrganization } from "./demo.ts";
import { createLogger } from "./logger.ts";

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
  const logger = createLogger(config.logLevel);
  const started = Date.now();
  let switchboard;
  try {
    switchboard = await startSwitchboard(config, logger);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
  const { httpServer } = switchboard.app;

  if (switchboard.database.mode === "embedded" && config.seedDemo) {
    const demo = await seedDemoOrganization(switchboard.database.prisma);
    if (demo) {
      // Shown once, to the terminal (stderr), never in the structured log on stdout.
      process.stderr.write(
        `\n  Created organization "${demo.organizationName}" with an API key (all scopes). It is shown only this once:\n\n    ${demo.secret}\n\n` +
          `  Try: curl -s http://${config.host}:${config.port}/graphql -H 'content-type: application/json' \\\n` +
          `         -H 'x-api-key: ${demo.secret}' -d '{"query":"{ viewer { organization { name } scopes } }"}'\n\n`,
      );
    }
  }

  await new Promise<void>((resolve, reject) => {
    httpServer.once("error", reject);
    httpServer.listen(config.port, config.host, resolve);
  });
  const { operationsServer } = switchboard.app;
  if (operationsServer) {
    await new Promise<void>((resolve, reject) => {
      operationsServer.once("error", reject);
      operationsServer.listen(config.metricsPort, config.host, resolve);
    });
    const ops = operationsServer.address() as AddressInfo;
    logger.info({ metrics: `http://${ops.address}:${ops.port}/metrics` }, "metrics, liveness and readiness are served on their own port");
  }
  const address = httpServer.address() as AddressInfo;
  logger.info(
    { url: `http://${address.address}:${address.port}/graphql`, database: switchboard.database.mode, startupMs: Date.now() - started },
    "Switchboard is listening",
  );

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, "shutting down: no new connections, finishing in-flight requests");
    await switchboard.app.drain();
    await switchboard.close();
    logger.info("stopped");
    process.exit(0);
  };
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
  process.on("SIGINT", () => void shutdown("SIGINT"));
}

main().catch((error) => {
  process.stderr.write(`Switchboard failed to start: ${error instanceof Error ? error.stack ?? error.message : String(error)}\n`);
  process.exit(1);
});
