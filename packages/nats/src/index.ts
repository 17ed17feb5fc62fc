/**
 * `@ringkit/nats`: rings and pipeline stages bridged through NATS JetStream (and core NATS),
 * with the official clients `@nats-io/transport-node` and `@nats-io/jetstream`.
 */
export * from './errors.js';
export { connectNats, type NatsConnectOptions, type ConnectionOption } from './connection.js';
export { type CreateStreamOptions } from './stream.js';
export { type BridgeStats } from './stats.js';
export { RingSink, headerRoom, type RingSinkOptions } from './ring-sink.js';
export { FRAME_HEADER_LENGTH, FRAME_KIND, FRAME_MAGIC, schemaId } from './frame.js';
export { RingSource, type RingSourceOptions } from './ring-source.js';
export { natsSink, natsSource, natsStagesModule, BRIDGE_COUNTERS, type NatsSinkStageOptions, type NatsSourceStageOptions } from './stages.js';
export { splitPipeline, type SplitOptions, type SplitPipeline } from './split.js';
export { type SinkSettings } from './ring-sink.js';
export { startSplitDemo, formatSplitDemo, SPLIT_DEMO_PREFIX, type SplitDemoOptions, type SplitDemoResult, type SplitDemoHandle, type SplitDemoBridge, type SplitDemoEvent } from './split-demo.js';
