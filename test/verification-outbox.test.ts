import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { after, describe, test } from "node:test";
import { ConfigError, loadConfig } from "../src/config.ts";
import { decodeId } from "../src/domain/global-id.ts";
import { startReviewerNotifier } from "../src/jobs/reviewer-notifier.ts";
import { createLogger } from "../src/logger.ts";
import { retryDelayMs, ReviewerNotifications } from "../src/verification/reviewer-notifications.ts";
import { graphql } from "./generated/gql.ts";
import { createOrganization, getEnvironment, type TestOrganization } from "./helpers/harness.ts";
import { submitComplete } from "./helpers/verification.ts";

// Reviewer notifications: an outbox row committed with each submission, delivered by a job to the
// reviewer webhook with retries and backoff. The job is driven here by calling it directly, with
// a clock, against a local receiver.

const Notification = graphql(`
  query VerOutboxNotification {
    verification {
      submission {
        id
        reviewerNotification {
          status
          attempts
          lastError
          lastAttemptAt
          nextAttemptAt
          sentAt
        }
      }
    }
  }
`);

interface Received {
  headers: IncomingMessage["headers"];
  body: { notificationId: string; verification: { id: string } };
}

/** A reviewer webhook on 127.0.0.1 whose answer to each delivery a test decides. */
async function startReceiver() {
  const received: Received[] = [];
  const hanging: ServerResponse[] = [];
  let answer: (delivery: Received) => number | "hang" = () => 200;
  const server = createServer((req, res) => {
    let raw = "";
    req.on("data", (chunk: Buffer) => (raw += chunk.toString()));
    req.on("end", () => {
      const delivery = { headers: req.headers, body: JSON.parse(raw) as Received["body"] };
      received.push(delivery);
      const status = answer(delivery);
      if (status === "hang") hanging.push(res);
      else res.writeHead(status, { "content-type": "text/plain" }).end(status >= 400 ? "reviewers unavailable" : "ok");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/reviewers`,
    received,
    /** Deliveries of one verification (the shared test database holds other organizations' too). */
    of: (verificationId: string) => received.filter((r) => r.body.verification.id === verificationId),
    answer: (fn: typeof answer) => (answer = fn),
    /** Answers the requests left hanging. */
    release(status: number) {
      for (const res of hanging.splice(0)) res.writeHead(status).end();
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const logger = createLogger("silent");
const SECRET = "reviewer-webhook-test-secret";

async function deliveryTo(url: string, options: { maxAttempts?: number; timeoutMs?: number } = {}) {
  const { prisma } = (await getEnvironment()).switchboard.database;
  return new ReviewerNotifications(prisma, { url, secret: SECRET, maxAttempts: options.maxAttempts ?? 5, timeoutMs: options.timeoutMs ?? 2_000 }, logger);
}

async function notificationOf(org: TestOrganization) {
  const submission = (await org.client.data(Notification)).verification.submission;
  assert.ok(submission);
  return submission.reviewerNotification;
}

const at = (base: Date, ms: number) => new Date(base.getTime() + ms);

describe("reviewer notifications", () => {
  const closers: Array<() => Promise<void>> = [];
  after(async () => {
    for (const close of closers.splice(0)) await close();
  });

  async function receiver() {
    const started = await startReceiver();
    closers.push(started.close);
    return started;
  }

  test("the test server has no REVIEWER_WEBHOOK_URL, so its job does not run and notifications wait, QUEUED", async () => {
    const env = await getEnvironment();
    assert.equal(env.config.reviewerWebhook.url, undefined);
    assert.equal(env.switchboard.services.reviewerNotifications, undefined);
    const org = await createOrganization("outbox-waits");
    await submitComplete(org);
    const { nextAttemptAt, ...state } = await notificationOf(org);
    assert.deepEqual(state, { status: "QUEUED", attempts: 0, lastError: null, lastAttemptAt: null, sentAt: null });
    assert.ok(nextAttemptAt, "due at once, whenever a job runs");
  });

  test("a failing then recovering receiver: the failure is visible with its error, retried after a backoff, then SENT", async () => {
    const webhook = await receiver();
    const org = await createOrganization("outbox-recovers");
    const id = await submitComplete(org);
    let failures = 0;
    webhook.answer((delivery) => (delivery.body.verification.id === id && failures++ === 0 ? 500 : 200));
    const delivery = await deliveryTo(webhook.url);

    const t0 = new Date();
    await delivery.deliverDue(t0);
    let state = await notificationOf(org);
    assert.equal(state.status, "QUEUED");
    assert.equal(state.attempts, 1);
    assert.equal(state.lastError, "HTTP 500: reviewers unavailable");
    assert.equal(state.lastAttemptAt, t0.toISOString());
    assert.equal(state.nextAttemptAt, at(t0, retryDelayMs(1)).toISOString(), "retried after 30 s");

    await delivery.deliverDue(at(t0, 1_000));
    assert.equal(webhook.of(id).length, 1, "not retried before the backoff has passed");

    await delivery.deliverDue(at(t0, retryDelayMs(1) + 1));
    state = await notificationOf(org);
    assert.deepEqual([state.status, state.attempts, state.lastError, state.nextAttemptAt], ["SENT", 2, null, null]);
    assert.ok(state.sentAt);

    const attempts = webhook.of(id);
    assert.equal(attempts.length, 2);
    const { prisma } = (await getEnvironment()).switchboard.database;
    const row = await prisma.notification.findFirstOrThrow({ where: { organizationId: org.id } });
    for (const attempt of attempts) {
      assert.equal(attempt.headers["idempotency-key"], row.id, "both attempts carry the same idempotency key");
      const [t, v1] = String(attempt.headers["x-switchboard-signature"]).split(",").map((part) => part.split("=")[1]);
      assert.equal(v1, createHmac("sha256", SECRET).update(`${t}.${JSON.stringify(attempt.body)}`).digest("hex"), "signed with the configured secret");
    }
    assert.equal(attempts[0]!.body.notificationId, row.id);

    await delivery.deliverDue(at(t0, 3_600_000));
    assert.equal(webhook.of(id).length, 2, "a sent notification is not sent again");
  });

  test("a receiver that keeps failing: exponential backoff, then FAILED with the last error after the last attempt", async () => {
    const webhook = await receiver();
    const org = await createOrganization("outbox-fails");
    const id = await submitComplete(org);
    webhook.answer((delivery) => (delivery.body.verification.id === id ? 503 : 200));
    const delivery = await deliveryTo(webhook.url, { maxAttempts: 3 });
    const { prisma } = (await getEnvironment()).switchboard.database;
    const row = () => prisma.notification.findFirstOrThrow({ where: { organizationId: org.id } });

    const delays: number[] = [];
    for (let attempt = 1; attempt <= 3; attempt++) {
      const due = (await row()).nextAttemptAt;
      await delivery.deliverDue(due);
      const after = await row();
      if (after.status === "QUEUED") delays.push(after.nextAttemptAt.getTime() - due.getTime());
    }
    assert.deepEqual(delays, [30_000, 60_000], "the delay doubles");
    const state = await notificationOf(org);
    assert.deepEqual([state.status, state.attempts, state.lastError, state.nextAttemptAt, state.sentAt], ["FAILED", 3, "HTTP 503: reviewers unavailable", null, null]);
    await delivery.deliverDue(at(new Date(), 86_400_000));
    assert.equal(webhook.of(id).length, 3, "a FAILED notification is not retried");
  });

  test("a crash between commit and delivery loses nothing, and a crash mid-delivery is retried once the attempt's lease ends", async () => {
    const webhook = await receiver();
    const org = await createOrganization("outbox-crash");
    const id = await submitComplete(org);
    const { prisma } = (await getEnvironment()).switchboard.database;
    const verificationRow = (decodeId(id, "Verification", []) as { id: string }).id;
    const committed = await prisma.notification.findFirstOrThrow({ where: { verificationId: verificationRow } });
    assert.equal(committed.status, "QUEUED", "the outbox row committed with the submission, before any delivery");

    // The first process claims the notification and dies while the receiver holds the request.
    webhook.answer((delivery) => (delivery.body.verification.id === id && webhook.of(id).length === 1 ? "hang" : 200));
    const t0 = new Date();
    const doomed = (await deliveryTo(webhook.url, { timeoutMs: 20_000 })).deliverDue(t0);
    while (webhook.of(id).length === 0) await new Promise((resolve) => setTimeout(resolve, 10));

    // The restarted process does not deliver it twice while the attempt may still be running...
    const restarted = await deliveryTo(webhook.url, { timeoutMs: 20_000 });
    await restarted.deliverDue(at(t0, 1_000));
    assert.equal(webhook.of(id).length, 1);
    assert.equal((await notificationOf(org)).status, "QUEUED");
    // ...and delivers it once the lease (timeout + 30 s) has passed.
    await restarted.deliverDue(at(t0, 20_000 + 30_000 + 1));
    assert.equal(webhook.of(id).length, 2);
    let state = await notificationOf(org);
    assert.deepEqual([state.status, state.attempts], ["SENT", 2]);

    // The first attempt's late failure does not overwrite the delivery.
    webhook.release(500);
    await doomed;
    state = await notificationOf(org);
    assert.deepEqual([state.status, state.lastError], ["SENT", null]);
  });

  test("the job delivers due notifications in the background until it is stopped", async () => {
    const webhook = await receiver();
    const org = await createOrganization("outbox-job");
    const id = await submitComplete(org);
    const job = startReviewerNotifier(await deliveryTo(webhook.url), 0.05, logger);
    try {
      for (let i = 0; i < 200 && (await notificationOf(org)).status !== "SENT"; i++) await new Promise((resolve) => setTimeout(resolve, 25));
    } finally {
      await job.stop();
    }
    assert.equal((await notificationOf(org)).status, "SENT");
    assert.equal(webhook.of(id).length, 1);
  });

  test("configuration: the webhook URL must be http(s); polling, attempts and timeout have defaults", () => {
    const defaults = loadConfig({ REVIEWER_WEBHOOK_URL: "https://reviews.example.com/hook" }).reviewerWebhook;
    assert.deepEqual(defaults, { url: "https://reviews.example.com/hook", secret: undefined, pollSeconds: 5, maxAttempts: 8, timeoutMs: 10_000 });
    assert.throws(() => loadConfig({ REVIEWER_WEBHOOK_URL: "ftp://reviews.example.com" }), ConfigError);
    assert.throws(() => loadConfig({ REVIEWER_WEBHOOK_SECRET: "short" }), /REVIEWER_WEBHOOK_SECRET/);
    assert.throws(() => loadConfig({ NOTIFICATION_MAX_ATTEMPTS: "0" }), /NOTIFICATION_MAX_ATTEMPTS/);
  });
});
