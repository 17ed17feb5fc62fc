/**
 * `@ringkit/board`: a web control board ("stream deck") of YAML-configured buttons that run
 * TypeScript actions, updatable live over HTTP and a WebSocket, and bindable to pipeline
 * telemetry with {@link bindTelemetry}.
 */
export { Board, type BoardOptions, type StageResult, type UpdateResult, type BoardView } from './server.js';
export { BoardStateError, StaleVersionError, ValidationError } from './errors.js';
export { isLoopback, reachableUrls } from './addresses.js';
export { ICON_NAMES, iconProblem, isFontAwesome, lucideSvg } from './icons.js';
export { UNAUTHORISED_DETAIL } from './auth.js';
export { SentNames, ALIASES, type FieldPath } from './aliases.js';
export { runProcess, DEFAULT_MAX_OUTPUT_BYTES, type ProcessJob, type ProcessResult } from './process-action.js';
export { withRelativePaths } from './relative-paths.js';
export { ActionRegistry, toastFor, resolveActionModule, DEFAULT_ACTION_TIMEOUT_MS, PYTHON_RUNNER, type ActionFn, type ActionOutcome, type ActionLoadOptions, type Toast } from './actions.js';
export { loadConfig, DEFAULT_CONFIG_DIR, UI_CONFIG_FILE, ACTIONS_CONFIG_FILE, type Loaded, type LoadedConfig } from './config.js';
export { sparklinePath, sparklineState, mergeState, cleanUpdate, wireState, SPARKLINE_VIEWBOX, type ButtonState, type SparklineState, type SparklineSeriesState, type WireButtonState, type WireSparklineSeries } from './live.js';
export * from './schema.js';
export { bindTelemetry, type TelemetrySource, type TelemetrySnapshot, type StageCounterSample, type PipelineControls, type TelemetryBinding, type TelemetryOptions } from './telemetry.js';
export { terminalQr } from './terminal-qr.js';
