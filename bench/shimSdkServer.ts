// The server of the SDK-endpoint relay benchmark (shimSdk.ts): the TypeScript SDK's McpServer,
// as most MCP servers are built, with one tool per direction of traffic.
//   blob {size}: answers with one text content of `size` bytes (server -> client);
//   sink {data}: takes a string argument and answers with its length (client -> server).

import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { z } from 'zod';
import { EventEmitter } from 'node:events';

// The SDK's stdio transports add a 'drain' listener per message sent while the pipe is full;
// with many calls in flight that is more than Node's default warning threshold.
EventEmitter.defaultMaxListeners = 256;

const server = new McpServer({ name: 'bench-sdk', version: '1.0.0' });
const blobs = new Map<number, string>();

server.registerTool('blob', { description: 'text of the given size', inputSchema: { size: z.number().int().min(1) } }, async ({ size }) => {
  let text = blobs.get(size);
  if (text === undefined) {
    text = 'a'.repeat(size);
    blobs.set(size, text);
  }
  return { content: [{ type: 'text', text }] };
});

server.registerTool('sink', { description: 'the length of the given text', inputSchema: { data: z.string() } }, async ({ data }) => ({
  content: [{ type: 'text', text: String(data.length) }],
}));

void server.connect(new StdioServerTransport());
