// A real in-process telemetry source whose numbers change over time (used by the telemetry and
// browser tests and for the Pipeline page screenshot).
import type { PipelineControls, TelemetrySnapshot, TelemetrySource } from '../src/index.js';

/** A pipeline simulation: a generator feeding two stages through two rings. */
export class FakePipeline implements TelemetrySource, PipelineControls {
  paused = false;
  stopped = false;
  calls: string[] = [];
  private tick = 0;
  private published = 0;
  snapshot(): TelemetrySnapshot {
    const k = this.tick++;
    const rate = this.paused || this.stopped ? 0 : 50_000 + 20_000 * Math.sin(k / 3) + 1000 * k;
    this.published += rate / 2;
    const fill = this.stopped ? 0 : Math.min(1, Math.max(0, 0.4 + 0.35 * Math.sin(k / 2)));
    return {
      t: k * 500,
      rings: [
        { name: 'input', capacity: 4096, published: Math.round(this.published), fill, ratePerSec: rate },
        { name: 'parsed', capacity: 1024, published: Math.round(this.published * 0.9), fill: fill / 2, ratePerSec: rate * 0.9 },
      ],
      stages: [
        { name: 'parse', batches: k * 10, avgBatch: 32 + (k % 5), busy: 0.3 + 0.2 * Math.cos(k / 4), ratePerSec: rate },
        { name: 'aggregate', batches: k * 7, avgBatch: 48, busy: 0.5, ratePerSec: rate * 0.9 },
      ],
    };
  }
  pause(): void { this.paused = true; this.calls.push('pause'); }
  resume(): void { this.paused = false; this.calls.push('resume'); }
  async stop(): Promise<void> {
    await new Promise((r) => setTimeout(r, 20));
    this.stopped = true;
    this.calls.push('stop');
  }
}
