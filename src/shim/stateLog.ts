// The client messages a replacement server must see again so that it remembers what the replaced
// one did: the handshake and every request or notification that set state, in the order sent.
//
// The rule: every client request or notification is state-setting unless its method is known to
// change nothing a server keeps about its client (READ_ONLY_OR_ONE_OFF below: reads, lists, pings,
// tool calls, cancellations, progress). So `initialize`, `notifications/initialized`,
// `logging/setLevel`, `resources/subscribe`/`unsubscribe`, `notifications/roots/list_changed` and
// any method the shim does not know are replayed. Tool calls are not: they act on the world, and
// doing one twice is worse than a server that lacks what it did.
//
// Only the latest state counts: a second `logging/setLevel` replaces the first, `unsubscribe`
// removes its `subscribe` (and is not replayed itself), identical repeats are kept once, at the
// position of the latest. The log keeps the client's original bytes, at most MAX_LOG_BYTES.

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

  /** Whether a client message with this method is replayed (see the rule above). */
  static isStateSetting(method: string): boolean {
    return !READ_ONLY_OR_ONE_OFF.has(method);
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
    if (method === undefined || !StateLog.isStateSetting(method)) {
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
    const key =
      method === 'resources/subscribe'
        ? `${method} ${String(params?.uri)}`
        : method === 'initialize' || method === 'notifications/initialized' || method === 'logging/setLevel'
          ? method
          : `${method} ${JSON.stringify(params)}`;
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
