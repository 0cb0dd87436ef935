// Recognises a command line that runs the shim, and the real server command inside it. Used to
// mark servers as wrapped and to unwrap them; the shim's own argument parser (src/shim/cli.ts) is
// the authority on the options, this only needs to find the `--`.

/** The launcher's and the npm bin's name. */
export const SHIM_COMMAND_NAME = 'codex-thread-shim';

/** Shim options that take a value (`--name x`), so `x` is not taken for the server's command. */
const VALUE_OPTIONS = new Set(['--name', '--codex-home', '--wait', '--if-unresolved', '--on-mismatch']);

export interface ShimInvocation {
  /** Where the shim's own arguments start in `args` (1 for `node shim.js ...`). */
  shimArgsStart: number;
  /** Index in `args` of the real server's command. */
  innerStart: number;
  inner: { command: string; args: string[] };
}

export function baseName(command: string): string {
  return (command.split(/[\\/]/).pop() || command).replace(/\.(exe|cmd|bat|com)$/i, '');
}

function isShimProgram(p: string): boolean {
  const base = baseName(p).replace(/\.[cm]?js$/i, '');
  return base === SHIM_COMMAND_NAME || base === 'shim';
}

/**
 * The shim invocation in `command args...`, or undefined when this command does not run the shim.
 * Forms: the launcher or `codex-thread-shim` itself; `node <...>/shim.js`; `npx [-y] codex-thread-shim`.
 */
export function parseShimInvocation(command: string, args: readonly string[]): ShimInvocation | undefined {
  let start: number;
  const base = baseName(command);
  if (base === SHIM_COMMAND_NAME) {
    start = 0;
  } else if (/^node(js)?$/i.test(base) && args.length > 0 && isShimProgram(args[0])) {
    start = 1;
  } else if (base === 'npx' && args.slice(0, 3).includes(SHIM_COMMAND_NAME)) {
    start = args.indexOf(SHIM_COMMAND_NAME) + 1;
  } else {
    return undefined;
  }
  let i = start;
  for (; i < args.length; i++) {
    const a = args[i];
    if (a === '--') {
      i++;
      break;
    }
    if (!a.startsWith('-') || a === '-') {
      break;
    }
    if (VALUE_OPTIONS.has(a)) {
      i++;
    }
  }
  if (i >= args.length) {
    return undefined;
  }
  return { shimArgsStart: start, innerStart: i, inner: { command: args[i], args: args.slice(i + 1) } };
}
