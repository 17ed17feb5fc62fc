import { ClosedConnectionError, PermissionViolationError } from '@nats-io/transport-node';
import { JetStreamApiError } from '@nats-io/jetstream';
import { RingkitError } from '@ringkit/core';

/** A permission violation, as the client reports it (directly, or as a failed request's cause). */
export function isPermissionViolation(e: unknown): boolean {
  if (e instanceof PermissionViolationError) return true;
  if (e instanceof Error && e.cause instanceof PermissionViolationError) return true;
  return e instanceof Error && /Permissions Violation/i.test(e.message);
}

/**
 * Whether a failed publish or fetch is worth trying again: no answer in time, the server
 * restarting, no responders, a stream at its limits with `discard: new` (503: it drains as the
 * far side acknowledges, which is backpressure, not failure). Not: a permission violation, a
 * connection closed for good, any other JetStream API error, any ringkit error (a bad frame, a
 * closed ring).
 */
export function isPassing(e: unknown): boolean {
  if (isPermissionViolation(e) || e instanceof ClosedConnectionError || e instanceof RingkitError) return false;
  if (e instanceof JetStreamApiError) return e.status === 503 || e.code === 503;
  return true;
}

/** How long a bridge's start retries JetStream API calls that fail for a passing reason, ms. */
export const START_RETRY_MS = 15_000;

/**
 * Runs a JetStream API call of a bridge's start, again (with backoff) while it fails for a
 * passing reason (the server restarting under it), for at most {@link START_RETRY_MS}.
 */
export async function startCall<T>(call: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + START_RETRY_MS;
  for (let delay = 50; ; delay = Math.min(1000, delay * 2)) {
    try {
      return await call();
    } catch (e) {
      if (!isPassing(e) || Date.now() + delay > deadline) throw e;
      await new Promise((r) => setTimeout(r, delay));
    }
  }
}
