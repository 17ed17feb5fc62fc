/**
 * `@ringkit/pipeline`: staged multi-core pipelines over ringkit rings — levels of stages on
 * worker threads, topology checks before start, level-by-level drain on stop, and telemetry
 * (snapshot, Graphviz DOT, Prometheus text, a small HTTP server).
 */
export * from './errors.js';
export * from './spec.js';
export type { StageContext, StageHandler, StageInput } from './context.js';
export { Pipeline, type PipelineResult } from './pipeline.js';
export { serveTelemetry, human, type PipelineSnapshot, type RingSnapshot, type StageSnapshot, type TelemetryServer, type TelemetrySource } from './telemetry.js';
export { startDemo, demoSpec, type DemoOptions, type DemoResult, type DemoHandle } from './fizzbuzz/demo.js';
export { startRespServer, startPlainRespServer, respSpec, type RespServer, type RespServerOptions } from './resp/server.js';
export { RespParser, execute } from './resp/protocol.js';
