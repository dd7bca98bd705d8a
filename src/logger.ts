import pino, { type Logger } from "pino";

/** Structured JSON logs on stdout. Secrets never reach them: credentials and passwords are redacted by path. */
export function createLogger(level: string): Logger {
  return pino({
    level,
    base: { service: "switchboard" },
    redact: {
      paths: ["*.password", "*.authPassword", "*.secret", "*.apiKey", "*.authorization", "*.headers.authorization", '*.headers["x-api-key"]'],
      censor: "[redacted]",
    },
  });
}
