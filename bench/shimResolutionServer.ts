// The trivial MCP server of the shim resolution benchmark: it answers `initialize` with when its
// process started and the CODEX_THREAD_ID it was given, and exits at stdin EOF. Nothing else, so
// the benchmark measures the shim, not a server.
import { performance } from 'node:perf_hooks';

const startedAt = performance.timeOrigin; // wall-clock ms at which this process began
let buffer = '';
process.stdin.on('data', (chunk: Buffer) => {
  buffer += chunk.toString('utf8');
  let nl: number;
  while ((nl = buffer.indexOf('\n')) >= 0) {
    const line = buffer.slice(0, nl);
    buffer = buffer.slice(nl + 1);
    const msg = JSON.parse(line) as { id?: number; method?: string };
    if (msg.method === 'initialize' && msg.id !== undefined) {
      const result = {
        protocolVersion: '2025-06-18',
        capabilities: {},
        serverInfo: { name: 'bench', version: '0', startedAt, threadId: process.env.CODEX_THREAD_ID ?? null },
      };
      process.stdout.write(JSON.stringify({ jsonrpc: '2.0', id: msg.id, result }) + '\n');
    }
  }
});
process.stdin.on('end', () => process.exit(0));
