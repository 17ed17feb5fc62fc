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
