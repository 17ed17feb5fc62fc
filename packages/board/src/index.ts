/**
 * `@ringkit/board`: a web control board ("stream deck") of YAML-configured buttons that run
 * TypeScript actions, updatable live over HTTP and a WebSocket, and bindable to pipeline
 * telemetry with {@link bindTelemetry}.
 */
export { Board, BoardStateError, isLoopback, ICON_NAMES, type BoardOptions, type StageResult, type UpdateResult } from './server.js';
export { ActionRegistry, toastFor, resolveActionModule, DEFAULT_ACTION_TIMEOUT_MS, type ActionFn, type ActionOutcome, type Toast } from './actions.js';
export { loadConfig, DEFAULT_CONFIG_DIR, UI_CONFIG_FILE, ACTIONS_CONFIG_FILE, type Loaded, type LoadedConfig } from './config.js';
export { sparklinePath, sparklineState, mergeState, cleanUpdate, SPARKLINE_VIEWBOX, type ButtonState, type SparklineState, type SparklineSeriesState } from './live.js';
export * from './schema.js';
export { bindTelemetry, type TelemetrySource, type TelemetrySnapshot, type PipelineControls, type TelemetryBinding, type TelemetryOptions } from './telemetry.js';
