/**
 * The board's open WebSockets: broadcast of live frames to each, and a heartbeat that pings them
 * and drops those that missed the previous pong. A socket whose send fails is dropped alone; no
 * client can break a broadcast to the others.
 */
import type { WebSocket } from 'ws';

/** The set of open sockets. */
export class LiveSockets {
  private readonly sockets = new Set<WebSocket>();
  private readonly alive = new WeakSet<WebSocket>();
  private readonly heartbeat: NodeJS.Timeout;
  /** Set by {@link close}: a socket that opens after it (a browser reconnecting while the server closes) is dropped at once. */
  private closed = false;

  /** Pings every socket each `heartbeatMs`. */
  constructor(heartbeatMs: number) {
    this.heartbeat = setInterval(() => this.beat(), heartbeatMs);
    this.heartbeat.unref();
  }

  /** Number of open sockets. */
  get size(): number {
    return this.sockets.size;
  }

  /**
   * Adds a freshly opened socket and sends it `hello` (the snapshot). After {@link close}, drops
   * it instead: an open WebSocket keeps the HTTP server's `close()` waiting for ever.
   */
  add(ws: WebSocket, hello: unknown): void {
    if (this.closed) {
      ws.terminate();
      return;
    }
    this.sockets.add(ws);
    this.alive.add(ws);
    ws.on('pong', () => this.alive.add(ws));
    ws.on('close', () => this.sockets.delete(ws));
    ws.on('error', () => this.sockets.delete(ws));
    ws.on('message', () => { /* clients only keep alive; nothing to read */ });
    this.sendTo(ws, JSON.stringify(hello));
  }

  /** Sends `msg` (as JSON) to every open socket. */
  broadcast(msg: unknown): void {
    const text = JSON.stringify(msg);
    for (const ws of this.sockets) this.sendTo(ws, text);
  }

  /** Drops every socket (the server is closing, or a test simulates a network cut). */
  terminateAll(): void {
    for (const ws of this.sockets) ws.terminate();
    this.sockets.clear();
  }

  /** Stops the heartbeat and drops every socket, and every one that opens from now on. */
  close(): void {
    this.closed = true;
    clearInterval(this.heartbeat);
    this.terminateAll();
  }

  private sendTo(ws: WebSocket, text: string): void {
    if (ws.readyState !== ws.OPEN) return;
    try {
      ws.send(text);
    } catch {
      this.sockets.delete(ws);
      ws.terminate();
    }
  }

  private beat(): void {
    for (const ws of this.sockets) {
      if (!this.alive.has(ws)) {
        this.sockets.delete(ws);
        ws.terminate();
        continue;
      }
      this.alive.delete(ws);
      try {
        ws.ping();
      } catch {
        this.sockets.delete(ws);
      }
    }
  }
}
