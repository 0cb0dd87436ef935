// The shim is invisible to MCP: an SDK client talking to an SDK server through dist/shim.js sees
// exactly what it sees talking to the server directly (tools, resources, prompts, logging,
// list_changed, progress, a large result).

import * as assert from 'node:assert/strict';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { LoggingMessageNotificationSchema, ToolListChangedNotificationSchema, type JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { SHIM_JS, THREAD_A, cleanEnv, cleanupAll, eventually, fixture, pidAlive, trackPid } from './helpers';

const node = process.execPath;

interface Transcript {
  steps: [string, unknown][];
  stderr: string;
}

async function session(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<Transcript> {
  const transport = new StdioClientTransport({ command, args, env: env as Record<string, string>, stderr: 'pipe' });
  let stderr = '';
  transport.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const client = new Client({ name: 'transparency-test', version: '1.0.0' });
  const logs: unknown[] = [];
  let listChanged!: () => void;
  const toolsChanged = new Promise<void>((resolve) => (listChanged = resolve));
  client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => {
    logs.push(n.params);
  });
  client.setNotificationHandler(ToolListChangedNotificationSchema, () => listChanged());

  const steps: [string, unknown][] = [];
  const step = async (name: string, fn: () => Promise<unknown>): Promise<void> => {
    steps.push([name, await fn()]);
  };
  await client.connect(transport);
  trackPid(transport.pid!);
  // Observed on the transport, in stream order: the SDK client hands notifications to handlers a
  // tick later than responses, so its onprogress drops progress that arrives in the same read as
  // the result (directly as well as through the shim).
  const progress: unknown[] = [];
  const deliver = transport.onmessage!;
  transport.onmessage = (message: JSONRPCMessage) => {
    if ('method' in message && message.method === 'notifications/progress') {
      progress.push(message.params);
    }
    deliver(message);
  };
  try {
    steps.push(['server', [client.getServerVersion(), client.getServerCapabilities(), client.getInstructions()]]);
    await step('ping', () => client.ping());
    await step('tools', () => client.listTools());
    await step('add', () => client.callTool({ name: 'add', arguments: { a: 2, b: 40 } }));
    await step('error', () => client.callTool({ name: 'add', arguments: { a: 'x' } }));
    await step('unknown tool', () => client.callTool({ name: 'nope', arguments: {} }).catch((e: Error) => e.message));
    await step('progress', () => client.callTool({ name: 'progress', arguments: { steps: 5 } }, undefined, { onprogress: () => undefined }));
    steps.push(['progress notifications', progress]);
    await step('logging level', () => client.setLoggingLevel('debug'));
    await step('log', () => client.callTool({ name: 'log', arguments: { message: 'hello' } }));
    await eventually(() => logs.length > 0, 'the log notification');
    steps.push(['log notifications', logs]);
    await step('addTool', () => client.callTool({ name: 'addTool', arguments: { name: 'late' } }));
    await toolsChanged;
    await step('tools after change', () => client.listTools());
    await step('late', () => client.callTool({ name: 'late', arguments: {} }));
    await step('resources', () => client.listResources());
    await step('templates', () => client.listResourceTemplates());
    await step('readme', () => client.readResource({ uri: 'test://readme' }));
    await step('item', () => client.readResource({ uri: 'test://items/42' }));
    await step('prompts', () => client.listPrompts());
    await step('greet', () => client.getPrompt({ name: 'greet', arguments: { name: 'Ada' } }));
    await step('big', async () => {
      const r = (await client.callTool({ name: 'big', arguments: { bytes: 3 * 1024 * 1024 } })) as { content: { text: string }[] };
      return [r.content[0].text.length, r.content[0].text.slice(0, 10)];
    });
    await step('env', () => client.callTool({ name: 'env', arguments: {} }));
  } finally {
    const pid = transport.pid!;
    await client.close();
    await eventually(() => !pidAlive(pid), 'the client transport process to end');
  }
  return { steps, stderr };
}

describe('shim transparency with the MCP TypeScript SDK', function () {
  this.timeout(60_000);
  afterEach(cleanupAll);

  it('gives the same results through the shim as directly', async () => {
    const env = cleanEnv({ CODEX_THREAD_ID: THREAD_A });
    const direct = await session(node, [fixture('sdk-server.mjs')], env);
    const shimmed = await session(node, [SHIM_JS, '--name', 'sdk', '--', node, fixture('sdk-server.mjs')], env);
    assert.deepEqual(shimmed.steps, direct.steps);
    const names = direct.steps.map(([n]) => n);
    assert.ok(names.includes('late') && names.includes('progress notifications'));
    const progress = direct.steps.find(([n]) => n === 'progress notifications')![1] as unknown[];
    assert.equal(progress.length, 5);
    assert.deepEqual(direct.steps.find(([n]) => n === 'env')![1], { content: [{ type: 'text', text: JSON.stringify({ thread: THREAD_A }) }] });
  });
});
