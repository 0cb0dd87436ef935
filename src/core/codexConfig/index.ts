// Codex's config.toml: reading the MCP servers it configures (and, in later steps, editing them).
export type { CodexConfigFile, ConfigProblem, McpServerConfig } from './types';
export { parseCodexConfig, readCodexConfigFile } from './readConfig';
export { codexConfigFiles } from './configFiles';
export { parseShimInvocation, SHIM_COMMAND_NAME } from './shimInvocation';
