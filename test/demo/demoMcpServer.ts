// The demo's MCP server: a minimal stdio MCP server (newline-delimited JSON-RPC, no
// dependencies) with one tool, `whoami`, that answers with the Codex thread it was started for.
// Behind the shim it gets CODEX_THREAD_ID; run directly it gets nothing, and says so.
//
//   node out/test/demo/demoMcpServer.js

import * as readline from 'node:readline';

interface JsonRpcRequest {
  jsonrpc?: string;
  id?: string | number;
  method?: string;
  params?: { protocolVersion?: string; name?: string };
}

let calls = 0;

function send(message: Record<string, unknown>): void {
  process.stdout.write(JSON.stringify({ jsonrpc: '2.0', ...message }) + '\n');
}

function answer(request: JsonRpcRequest): Record<string, unknown> | undefined {
  switch (request.method) {
    case 'initialize':
      return {
        protocolVersion: request.params?.protocolVersion ?? '2025-06-18',
        capabilities: { tools: {} },
        serverInfo: { name: 'codex-thread-context-demo', version: '1.0.0' },
      };
    case 'ping':
      return {};
    case 'tools/list':
      return {
        tools: [
          {
            name: 'whoami',
            description: 'Says which Codex thread this server serves (CODEX_THREAD_ID) and how many calls it has answered.',
            inputSchema: { type: 'object', properties: {}, additionalProperties: false },
          },
        ],
      };
    case 'tools/call': {
      if (request.params?.name !== 'whoami') {
        return { content: [{ type: 'text', text: `unknown tool ${String(request.params?.name)}` }], isError: true };
      }
      calls += 1;
      const thread = process.env.CODEX_THREAD_ID;
      const text = thread
        ? `pid ${process.pid} serves Codex thread ${thread} (call ${calls})`
        : `pid ${process.pid} does not know its Codex thread (not started by the shim) (call ${calls})`;
      return { content: [{ type: 'text', text }] };
    }
    default:
      return undefined;
  }
}

readline.createInterface({ input: process.stdin }).on('line', (line) => {
  let request: JsonRpcRequest;
  try {
    request = JSON.parse(line) as JsonRpcRequest;
  } catch {
    return; // not JSON: nothing sensible to answer
  }
  if (request.id === undefined) {
    return; // a notification (initialized, cancelled): no answer
  }
  const result = answer(request);
  if (result) {
    send({ id: request.id, result });
  } else {
    send({ id: request.id, error: { code: -32601, message: `method not found: ${String(request.method)}` } });
  }
});
process.stdin.on('end', () => process.exit(0));
