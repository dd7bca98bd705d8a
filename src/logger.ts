import pino, { type Logger } from "pino";

/**
 * Structured JSON logs on stdout. Secrets never reach them: request lines carry no headers,
 * documents or variables, and credentials, passwords, tokens, cookies and variables are redacted
 * by path wherever a line would hold them, at the top or one level down.
 */
export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  const options: pino.LoggerOptions = {
    level,
    base: { service: "switchboard" },
    redact: {
      paths: [
        ...["password", "authPassword", "secret", "apiKey", "token", "authorization", "cookie", "variables"].flatMap((name) => [name, `*.${name}`]),
        ...["headers.authorization", 'headers["x-api-key"]', "headers.cookie", 'headers["set-cookie"]'].flatMap((header) => [header, `*.${header}`]),
      ],
      censor: "[redacted]",
    },
  };
  // Tests hand in a destination that collects the lines; the server writes to stdout.
  return destination ? pino(options, destination) : pino(options);
}
