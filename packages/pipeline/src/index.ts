/**
 * `@ringkit/pipeline`: staged multi-core pipelines over ringkit rings — levels of stages on
 * worker threads, topology and handler checks before start, failure policies (stop with partial
 * results, or restart with redelivery), level-by-level drain on stop, stall detection, typed
 * stages, byte-record edges, and telemetry on the pipeline's own timer (snapshot with windows,
 * Graphviz DOT, Prometheus via prom-client, a small HTTP server).
 */
export * from './errors.js';
export * from './spec.js';
export type { FailurePolicy, RestartPolicy } from './policy.js';
export type { BatchErrorAction, BatchErrorInfo, ByteStageInput, StageContext, StageHandler, StageInput } from './context.js';
export { Pipeline, type PipelineResult, type RestartEvent, type StallEvent } from './pipeline.js';
export { defineStage, type TypedStageDefinition, type TypedHandler, type TypedContext, type TypedInput, type InputsSpec } from './define-stage.js';
export { testStage, type StageTestOptions, type StageTestResult } from './stage-test.js';
export { serveTelemetry, human, renderDot, type PipelineSnapshot, type RingSnapshot, type StageSnapshot, type StageState, type RingWindow, type StageWindow, type WindowStats, type TelemetryServer, type TelemetrySource } from './telemetry.js';
export { startDemo, demoSpec, type DemoOptions, type DemoResult, type DemoHandle } from './fizzbuzz/demo.js';
export { startRespServer, startPlainRespServer, respSpec, type RespServer, type RespServerOptions } from './resp/server.js';
export { RespParser, execute } from './resp/protocol.js';
