// The stable launcher at <codex home>/bin/codex-thread-shim that wrapped configs point at.
export { installLauncher, launcherPath, launcherState, LAUNCHER_NAME } from './installLauncher';
export type { LauncherInstallResult, LauncherState } from './installLauncher';
export { posixLauncher, windowsLauncher, MIN_NODE_MAJOR } from './launcherScripts';
export type { LauncherTarget } from './launcherScripts';
