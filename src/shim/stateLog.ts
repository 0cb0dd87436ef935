// The client messages a replacement server must see again so that it remembers what the replaced
// one did: the handshake and every request or notification that set state, in the order sent.
//
// The rule: the state-setting messages MCP defines (`initialize`, `notifications/initialized`,
// `logging/setLevel`, `resources/subscribe`/`unsubscribe`, `notifications/roots/list_changed`),
// and every client *request* whose method the shim does not know (a vendor extension may set
// state; a request it does not know is answered with an error, which is swallowed). Not replayed:
// what MCP defines as reads or one-off actions (READ_ONLY_OR_ONE_OFF: lists, reads, pings, tool
// calls, cancellations, progress; a tool call acts on the world, and doing it twice is worse than
// a server that lacks what it did), and unknown notifications (MCP sets state with requests, and
// a flood of vendor notifications must not cost a copy each).
//
// Only the latest state counts: a second `logging/setLevel` replaces the first, `unsubscribe`
// removes its `subscribe` (and is not replayed itself), an unknown request replaces the earlier
// one of the same method. The log keeps the client's original bytes, at most MAX_LOG_BYTES.

import type { Message } from './messageClass';

const READ_ONLY_OR_ONE_OFF = new Set([
  'ping',
  'tools/list',
  'tools/call',
  'prompts/list',
  'prompts/get',
  'resources/list',
  'resources/templates/list',
  'resources/read',
  'completion/complete',
  'notifications/cancelled',
  'notifications/progress',
  'tasks/get',
  'tasks/result',
  'tasks/list',
  'tasks/cancel',
]);

/** The state-setting methods MCP defines: their content is read even when it is long. */
const MCP_STATE = new Set(['initialize', 'notifications/initialized', 'logging/setLevel', 'resources/subscribe', 'resources/unsubscribe', 'notifications/roots/list_changed']);

export const MAX_LOG_BYTES = 1024 * 1024;

export interface Recorded {
  bytes: Buffer;
  message: Message;
}

export class StateLog {
  /** Insertion order is replay order; a key names the state an entry sets. */
  private readonly entries = new Map<string, Recorded>();
  private bytes = 0;

  /** Whether a client message is replayed (see the rule above). */
  static isStateSetting(message: Message): boolean {
    const method = message.method;
    if (method === undefined || READ_ONLY_OR_ONE_OFF.has(method)) {
      return false;
    }
    return MCP_STATE.has(method) || message.kind === 'request';
  }

  /** A state-setting method MCP defines (an unknown one is recorded only when short). */
  static isMcpState(method: string): boolean {
    return MCP_STATE.has(method);
  }

  /**
   * Notes a client request or notification. Returns false when it should be recorded but cannot
   * be (too large, or not parsed): the caller reports that once.
   */
  note(message: Message, bytes: Buffer): boolean {
    const method = message.method;
    if (method === undefined || !StateLog.isStateSetting(message)) {
      return true;
    }
    const params = message.parsed?.params as Record<string, unknown> | undefined;
    if (method === 'resources/unsubscribe') {
      this.remove(`resources/subscribe ${String(params?.uri)}`);
      return true;
    }
    if (message.parsed === undefined) {
      return false;
    }
    const key = method === 'resources/subscribe' ? `${method} ${String(params?.uri)}` : method;
    this.remove(key);
    if (this.bytes + bytes.length > MAX_LOG_BYTES) {
      return false;
    }
    // A copy: the line may be a slice of a large read buffer that should not be kept alive.
    this.entries.set(key, { bytes: Buffer.from(bytes), message: { ...message, parsed: undefined } });
    this.bytes += bytes.length;
    return true;
  }

  /** What to replay, in order: `initialize` first, then its notification, then the rest. */
  replay(): Recorded[] {
    const all = [...this.entries.values()];
    const rank = (r: Recorded): number => (r.message.method === 'initialize' ? 0 : r.message.method === 'notifications/initialized' ? 1 : 2);
    return all.sort((a, b) => rank(a) - rank(b));
  }

  private remove(key: string): void {
    const old = this.entries.get(key);
    if (old !== undefined) {
      this.entries.delete(key);
      this.bytes -= old.bytes.length;
    }
  }
}
