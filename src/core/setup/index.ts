// Check Setup / `codex-thread-shim status`: what is installed and configured, and what to fix.
export { buildSetupReport } from './setupReport';
export type { SetupFix, SetupInputs, SetupProblem, SetupReport } from './setupReport';
export { detectCodex, parseCodexVersion, startTimeResolutionFor } from './codexVersion';
export type { CodexInstall, StartTimeResolution } from './codexVersion';
