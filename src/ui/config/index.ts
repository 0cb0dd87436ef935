export { registerConfigCommands, CONFIG_COMMAND_IDS } from './configCommands';
export type { ConfigCommandDeps } from './configCommands';
