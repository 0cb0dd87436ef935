// A local stand-in for the model API, so the real Codex CLI runs offline and deterministically.
// Codex 0.169 with a custom provider (`wire_api = "responses"`) calls only `POST /v1/responses`
// and reads the answer as server-sent events. The test scripts what "the model" does per turn:
// answer with text, or call one MCP tool and, once the tool's output comes back in the next
// request, answer with text. Every request is recorded (decoded JSON) for assertions.

import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as zlib from 'node:zlib';
import { waitFor, withTimeout } from './wait';

/** What the model does in one turn. A plain string is `{ text }`. */
export type TurnPlan =
  | string
  | { text: string }
  | {
      /** Call tool `tool` of the MCP server configured as `[mcp_servers.<server>]`. */
      callTool: { server: string; tool: string; arguments?: Record<string, unknown> };
      /** Final answer once the tool output arrives; a function sees that output (as text). */
      thenText?: string | ((toolOutput: string, request: ModelRequest) => string);
    }
  /** Fail this request with an HTTP error (Codex is configured with no retries). */
  | { httpError: number; message?: string };

/**
 * Where turns come from: a queue (first come, first served; when empty every turn answers
 * `defaultText`), or a function that decides from the request (e.g. by `threadId`). Either is
 * consulted only for the first request of a turn: the request that brings a tool's output back
 * is answered from that call's `thenText`. The function may be async, e.g. to look at files while
 * Codex is known to be mid-turn; it is bounded by `planTimeoutMs`.
 */
export type TurnSource = TurnPlan[] | ((request: ModelRequest) => TurnPlan | Promise<TurnPlan>);

export interface MockModelApiOptions {
  turns?: TurnSource;
  /** Answer when the queue is empty. */
  defaultText?: string;
  /** Upper bound for a TurnSource function; past it the request fails with 500. */
  planTimeoutMs?: number;
}

/** An item of the request's `input` (only the fields the mock looks at are typed). */
export interface InputItem {
  type?: string;
  role?: string;
  call_id?: string;
  output?: unknown;
  content?: unknown;
  [key: string]: unknown;
}

/** The decoded JSON body of a `POST /v1/responses`. */
export interface ResponsesRequestBody {
  model?: string;
  input?: InputItem[];
  tools?: unknown[];
  [key: string]: unknown;
}

export interface ModelRequest {
  /** 1-based order of arrival. */
  seq: number;
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  /** `content-encoding` of the body, if any (Codex may send zstd or gzip). */
  contentEncoding: string | undefined;
  /** Size on the wire. */
  rawBytes: number;
  /** Decoded JSON body; undefined for a body that could not be decoded (see `problems`). */
  body: ResponsesRequestBody | undefined;
  receivedAt: number;
  /** The thread the request is for, from Codex's `thread-id` (else `session-id`) header. */
  threadId: string | undefined;
  /** Every `function_call_output` item of `input` (the whole history, oldest first). */
  toolOutputs: ToolOutput[];
  /** True when this request carries the output of a tool call the mock asked for. */
  continuation: boolean;
  /** What the mock answered (set once it has). */
  reply?: RecordedReply;
}

export type RecordedReply =
  | { kind: 'text'; text: string }
  | { kind: 'toolCall'; callId: string; server: string; tool: string; namespace: string | undefined; name: string; arguments: string }
  | { kind: 'httpError'; status: number; message: string };

/** A `function_call_output` item. */
export interface ToolOutput {
  callId: string;
  /** The output as text: the text parts joined by newlines (0.169 puts "Wall time: …\nOutput:" first). */
  output: string;
  /** The output as Codex sent it (a string, or an array of `{type:"input_text", text}`). */
  raw: unknown;
}

/** One MCP tool as listed in a request's `tools`. */
export interface ListedMcpTool {
  /** `mcp__<server>` (0.169) or `mcp__<server>__` (0.125); undefined for a flat function name. */
  namespace: string | undefined;
  name: string;
}

interface PendingCall {
  plan: Extract<TurnPlan, { callTool: unknown }>;
}

export class MockModelApi {
  /** Every request, in order of arrival (404s included). */
  readonly requests: ModelRequest[] = [];
  /**
   * Things that went wrong on the mock's side (undecodable body, tool not offered by Codex,
   * a TurnSource that threw). Tests should assert this is empty: Codex only sees a failed turn.
   */
  readonly problems: string[] = [];

  private readonly server: http.Server;
  private readonly queue: TurnPlan[];
  private readonly planFn: ((request: ModelRequest) => TurnPlan | Promise<TurnPlan>) | undefined;
  private readonly pending = new Map<string, PendingCall>();
  private readonly defaultText: string;
  private readonly planTimeoutMs: number;
  private port = 0;
  private callCounter = 0;

  constructor(options: MockModelApiOptions = {}) {
    this.queue = Array.isArray(options.turns) ? [...options.turns] : [];
    this.planFn = typeof options.turns === 'function' ? options.turns : undefined;
    this.defaultText = options.defaultText ?? 'ok';
    this.planTimeoutMs = options.planTimeoutMs ?? 20_000;
    this.server = http.createServer((req, res) => {
      res.on('error', () => undefined); // Codex may hang up mid-stream (e.g. killed by a test).
      this.handle(req, res).catch((err: unknown) => {
        this.problems.push(`handler crashed: ${errorText(err)}`);
        if (!res.headersSent) {
          res.writeHead(500, { 'content-type': 'application/json' });
        }
        res.end();
      });
    });
    // Codex keeps connections alive; don't let an idle socket hold the test process open.
    this.server.keepAliveTimeout = 1000;
  }

  /** Starts listening on 127.0.0.1 with a free port. */
  async start(): Promise<this> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(0, '127.0.0.1', () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  /** `http://127.0.0.1:<port>/v1`: the provider's `base_url`. */
  get baseUrl(): string {
    if (!this.port) {
      throw new Error('MockModelApi: start() first');
    }
    return `http://127.0.0.1:${this.port}/v1`;
  }

  /** Adds turns to the queue (only for a queue-driven mock). */
  enqueue(...plans: TurnPlan[]): void {
    if (this.planFn) {
      throw new Error('MockModelApi: turns come from a function; enqueue() does not apply');
    }
    this.queue.push(...plans);
  }

  /** Requests to `/v1/responses` only. */
  get responseRequests(): ModelRequest[] {
    return this.requests.filter((r) => r.path === '/v1/responses' && r.method === 'POST');
  }

  /** Waits for a request matching `predicate` (already received or future). */
  waitForRequest(predicate: (request: ModelRequest) => boolean, timeoutMs = 15_000): Promise<ModelRequest> {
    return waitFor(() => this.requests.find((r) => r.reply !== undefined && predicate(r)), {
      timeoutMs,
      description: 'a matching model request',
      diagnostics: () => `requests so far: ${this.requests.map((r) => `#${r.seq} ${r.method} ${r.path} thread=${r.threadId} reply=${r.reply?.kind}`).join(', ') || 'none'}`,
    });
  }

  /** Stops listening and drops open connections; safe to call twice. */
  async close(): Promise<void> {
    if (!this.server.listening) {
      return;
    }
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
    await closed;
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const raw = await readBody(req);
    const url = new URL(req.url ?? '/', 'http://localhost');
    const encoding = headerValue(req.headers['content-encoding']);
    const request: ModelRequest = {
      seq: this.requests.length + 1,
      method: req.method ?? '',
      path: url.pathname,
      headers: req.headers,
      contentEncoding: encoding,
      rawBytes: raw.length,
      body: undefined,
      receivedAt: Date.now(),
      threadId: headerValue(req.headers['thread-id']) ?? headerValue(req.headers['session-id']),
      toolOutputs: [],
      continuation: false,
    };
    this.requests.push(request);

    if (request.method !== 'POST' || request.path !== '/v1/responses') {
      this.sendError(res, request, 404, `mock model API: no route for ${request.method} ${request.path}`, false);
      return;
    }

    let bodyText: string;
    try {
      bodyText = decodeBody(raw, encoding).toString('utf8');
      request.body = JSON.parse(bodyText) as ResponsesRequestBody;
    } catch (err) {
      const status = err instanceof UnsupportedEncodingError ? 415 : 400;
      this.sendError(res, request, status, `mock model API: cannot decode request body: ${errorText(err)}`, true);
      return;
    }

    request.toolOutputs = functionCallOutputs(request.body);
    const continued = request.toolOutputs.find((o) => this.pending.has(o.callId));
    if (continued) {
      // The second half of a tool-call turn: the model "reads" the output and answers.
      const call = this.pending.get(continued.callId)!;
      this.pending.delete(continued.callId);
      request.continuation = true;
      const then = call.plan.thenText;
      const text = typeof then === 'function' ? then(continued.output, request) : (then ?? 'done');
      this.sendText(res, request, text);
      return;
    }

    let plan: TurnPlan;
    try {
      plan = await this.nextPlan(request);
    } catch (err) {
      this.sendError(res, request, 500, `mock model API: turn plan failed: ${errorText(err)}`, true);
      return;
    }
    if (typeof plan === 'string') {
      this.sendText(res, request, plan);
    } else if ('text' in plan) {
      this.sendText(res, request, plan.text);
    } else if ('httpError' in plan) {
      this.sendError(res, request, plan.httpError, plan.message ?? 'scripted failure', false);
    } else {
      this.sendToolCall(res, request, plan);
    }
  }

  private nextPlan(request: ModelRequest): Promise<TurnPlan> {
    if (this.planFn) {
      return withTimeout(Promise.resolve().then(() => this.planFn!(request)), this.planTimeoutMs, 'the TurnSource function');
    }
    return Promise.resolve(this.queue.shift() ?? this.defaultText);
  }

  private sendToolCall(res: http.ServerResponse, request: ModelRequest, plan: Extract<TurnPlan, { callTool: unknown }>): void {
    const { server, tool } = plan.callTool;
    const callId = `call_mock_${++this.callCounter}_${process.pid}`;
    const listed = listedMcpTools(request.body).filter((t) => isToolOfServer(t, server, tool));
    // Prefer what Codex offered (so 0.125's `mcp__s__` namespace works too); fall back to 0.169's form.
    const chosen = listed[0] ?? { namespace: `mcp__${server}`, name: tool };
    if (listed.length === 0) {
      this.problems.push(
        `request #${request.seq}: Codex did not offer tool "${tool}" of MCP server "${server}" ` +
          `(offered: ${listedMcpTools(request.body).map((t) => `${t.namespace ?? ''}/${t.name}`).join(', ') || 'no MCP tools'})`,
      );
    }
    const args = JSON.stringify(plan.callTool.arguments ?? {});
    const item: Record<string, unknown> = { type: 'function_call', call_id: callId, name: chosen.name, arguments: args };
    if (chosen.namespace !== undefined) {
      item.namespace = chosen.namespace;
    }
    this.pending.set(callId, { plan });
    request.reply = { kind: 'toolCall', callId, server, tool, namespace: chosen.namespace, name: chosen.name, arguments: args };
    writeSse(res, request.seq, [item]);
  }

  private sendText(res: http.ServerResponse, request: ModelRequest, text: string): void {
    request.reply = { kind: 'text', text };
    writeSse(res, request.seq, [
      { type: 'message', role: 'assistant', id: `msg_mock_${request.seq}`, content: [{ type: 'output_text', text, annotations: [] }] },
    ]);
  }

  private sendError(res: http.ServerResponse, request: ModelRequest, status: number, message: string, isProblem: boolean): void {
    if (isProblem) {
      this.problems.push(`request #${request.seq}: ${message}`);
    }
    request.reply = { kind: 'httpError', status, message };
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: { message, type: 'mock_error' } }));
  }
}

/** Creates and starts a mock in one step. */
export async function startMockModelApi(options: MockModelApiOptions = {}): Promise<MockModelApi> {
  return new MockModelApi(options).start();
}

/** MCP tools a request offers the model (namespaced in 0.169/0.125, or flat `mcp__s__t` names). */
export function listedMcpTools(body: ResponsesRequestBody | undefined): ListedMcpTool[] {
  const out: ListedMcpTool[] = [];
  for (const entry of body?.tools ?? []) {
    const t = entry as { type?: string; name?: string; tools?: Array<{ name?: string }> };
    if (t.type === 'namespace' && typeof t.name === 'string' && t.name.startsWith('mcp__')) {
      for (const inner of t.tools ?? []) {
        if (typeof inner.name === 'string') {
          out.push({ namespace: t.name, name: inner.name });
        }
      }
    } else if (typeof t.name === 'string' && t.name.startsWith('mcp__')) {
      out.push({ namespace: undefined, name: t.name });
    }
  }
  return out;
}

function isToolOfServer(t: ListedMcpTool, server: string, tool: string): boolean {
  if (t.namespace === undefined) {
    return t.name === `mcp__${server}__${tool}`;
  }
  return (t.namespace === `mcp__${server}` || t.namespace === `mcp__${server}__`) && t.name === tool;
}

/**
 * The `function_call_output` items of a request, their output flattened to text: Codex sends a
 * string, or an array of content items (`{type:"input_text", text}`) for MCP results.
 */
export function functionCallOutputs(body: ResponsesRequestBody | undefined): ToolOutput[] {
  return (body?.input ?? [])
    .filter((item) => item.type === 'function_call_output' && typeof item.call_id === 'string')
    .map((item) => ({ callId: item.call_id as string, output: outputText(item.output), raw: item.output }));
}

/**
 * The last JSON object in a tool output's text (MCP tools that answer with JSON, like the probe's
 * `whoami`: Codex puts a "Wall time" preamble before it), or undefined.
 */
export function lastJsonInOutput(output: string): Record<string, unknown> | undefined {
  for (const line of output.split('\n').reverse()) {
    const trimmed = line.trim();
    if (trimmed.startsWith('{')) {
      try {
        return JSON.parse(trimmed) as Record<string, unknown>;
      } catch {
        // keep looking
      }
    }
  }
  return undefined;
}

function outputText(output: unknown): string {
  if (typeof output === 'string') {
    return output;
  }
  if (Array.isArray(output)) {
    return output.map((part) => (typeof (part as { text?: unknown }).text === 'string' ? (part as { text: string }).text : JSON.stringify(part))).join('\n');
  }
  if (output && typeof output === 'object' && typeof (output as { content?: unknown }).content === 'string') {
    return (output as { content: string }).content;
  }
  return JSON.stringify(output);
}

function writeSse(res: http.ServerResponse, seq: number, items: Array<Record<string, unknown>>): void {
  const responseId = `resp_mock_${seq}`;
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  const event = (type: string, data: Record<string, unknown>) => res.write(`event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`);
  event('response.created', { response: { id: responseId } });
  items.forEach((item, outputIndex) => event('response.output_item.done', { output_index: outputIndex, item }));
  event('response.completed', {
    response: {
      id: responseId,
      usage: { input_tokens: 10, input_tokens_details: null, output_tokens: 5, output_tokens_details: null, total_tokens: 15 },
    },
  });
  res.end();
}

class UnsupportedEncodingError extends Error {}

/**
 * Codex compresses request bodies only for some providers (zstd when signed in to ChatGPT with
 * the OpenAI provider); with the mock provider 0.169 sent plain JSON. Handle what Node can:
 * gzip/deflate/br always, zstd where zlib has it (Node >= 22.15 / 23.8).
 */
function decodeBody(raw: Buffer, encoding: string | undefined): Buffer {
  switch ((encoding ?? 'identity').toLowerCase()) {
    case 'identity':
      return raw;
    case 'gzip':
    case 'x-gzip':
      return zlib.gunzipSync(raw);
    case 'deflate':
      return zlib.inflateSync(raw);
    case 'br':
      return zlib.brotliDecompressSync(raw);
    case 'zstd': {
      const zstd = (zlib as unknown as { zstdDecompressSync?: (b: Buffer) => Buffer }).zstdDecompressSync;
      if (!zstd) {
        throw new UnsupportedEncodingError(`zstd needs Node >= 22.15 (this is ${process.version})`);
      }
      return zstd(raw);
    }
    default:
      throw new UnsupportedEncodingError(`unknown content-encoding ${encoding}`);
  }
}

function readBody(req: http.IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
    // A client that hangs up mid-body: fail this request instead of waiting forever.
    req.on('close', () => reject(new Error('client closed the connection before the body ended')));
  });
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
