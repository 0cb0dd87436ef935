// What a binding record means now. The record says what the shim last wrote; whether its
// processes still exist is checked here, because Codex may SIGKILL a shim before it can write
// that it exited (then the binding is "lost", not "running").
import { isProcessAlive } from '../processAlive';
import type { McpBinding } from '../store/threadContext';

export type BindingState =
  | 'starting' // the shim is starting the server
  | 'running' // serving its thread
  | 'restarted' // running, after a restart with the id a call carried (corrections say from → to)
  | 'replaced' // this server process was stopped and restarted for another thread
  | 'exited' // the server ended; code or signal recorded
  | 'failed' // no server could be (re)started for the thread a call named; the shim ended
  | 'unresolved' // running without a thread id
  | 'lost' // the record says running but the shim process is gone (killed before it could write)
  | 'unknown'; // a status this version does not know (written by a newer shim)

export interface BindingStatusView {
  state: BindingState;
  /** The status string in the file (for 'unknown': what to show). */
  rawStatus: string;
  /** The shim is alive and the record does not say it ended. */
  shimAlive: boolean;
  /** The server process still exists (by pid); checked only for a lost binding, else false. */
  serverAlive: boolean;
}

export type IsAlive = (pid: number) => boolean;

export function bindingStatus(b: McpBinding, isAlive: IsAlive = isProcessAlive): BindingStatusView {
  const raw = String((b as { status: unknown }).status);
  // Pids are checked only where the answer matters: a running record's shim, a lost one's server.
  const shimRuns = (): boolean => Number.isInteger(b.shimPid) && b.shimPid > 0 && isAlive(b.shimPid);
  const serverRuns = (): boolean => b.serverPid !== undefined && b.serverPid > 0 && isAlive(b.serverPid);
  switch (raw) {
    case 'starting':
    case 'running': {
      if (!shimRuns()) {
        return { state: 'lost', rawStatus: raw, shimAlive: false, serverAlive: serverRuns() };
      }
      let state: BindingState = raw;
      if (b.resolvedBy === 'unresolved') {
        state = 'unresolved';
      } else if (raw === 'running' && b.corrections.some((c) => c.action === 'restart')) {
        state = 'restarted';
      }
      return { state, rawStatus: raw, shimAlive: true, serverAlive: false };
    }
    case 'restarted':
      return { state: 'replaced', rawStatus: raw, shimAlive: false, serverAlive: false };
    case 'exited':
    case 'failed':
      return { state: raw, rawStatus: raw, shimAlive: false, serverAlive: false };
    default: {
      // A newer shim's status ('failed', ...): trust an end time if there is one, else the pid.
      const ended = b.endedAt !== undefined || b.exitCode !== undefined || b.exitSignal !== undefined;
      return { state: 'unknown', rawStatus: raw, shimAlive: !ended && shimRuns(), serverAlive: false };
    }
  }
}

/** One line for the tree: "running", "exited (code 1)", "exited (SIGKILL)", ... */
export function describeState(b: McpBinding, s: BindingStatusView): string {
  switch (s.state) {
    case 'exited':
      if (b.exitSignal) {
        return `exited (${b.exitSignal})`;
      }
      return b.exitCode !== undefined ? `exited (code ${b.exitCode})` : 'exited';
    case 'failed':
      return b.exitCode !== undefined ? `restart failed (code ${b.exitCode})` : 'restart failed';
    case 'restarted':
      return 'restarted with the right id';
    case 'replaced': {
      const to = b.corrections.at(-1)?.to;
      return to ? `replaced: restarted for ${to.replace(/-/g, '').slice(-6)}` : 'replaced by a restart';
    }
    case 'unresolved':
      return 'running without a thread id';
    case 'lost':
      return 'lost (shim gone without a word)';
    case 'unknown':
      return s.rawStatus || 'unknown status';
    default:
      return s.state;
  }
}
