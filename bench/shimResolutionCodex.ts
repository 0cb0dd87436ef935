// Stands in for the Codex process in the shim resolution benchmark. Started through a symlink
// named `codex` (so the kernel names the process codex, as the real native binary), it holds the
// lock files of every id it is given open (as Codex holds `thread-writer-locks/<id>.lock` of each
// loaded thread), then spawns one MCP server the way Codex does (stripped environment, its own
// process group, stdio pipes), sends `initialize` and prints one JSON line of timings.
// argv: <codexHome> <idsFile> <workDir> -- <command> [args...]
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';

const [codexHome, idsFile, workDir, dashdash, command, ...args] = process.argv.slice(2);
if (dashdash !== '--' || !command) {
  throw new Error('usage: shimResolutionCodex <codexHome> <idsFile> <workDir> -- <command> [args...]');
}
const lockDir = path.join(codexHome, 'thread-writer-locks');
const ids = fs.readFileSync(idsFile, 'utf8').split('\n').filter(Boolean);
const held = ids.map((id) => fs.openSync(path.join(lockDir, `${id}.lock`), 'r'));

const now = (): number => performance.timeOrigin + performance.now();
// What Codex gives a server: an allowlist, plus the `env` table of its config (the store location).
const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, LANG: process.env.LANG ?? 'C.UTF-8' };
for (const name of ['CODEX_THREAD_CONTEXT_DIR', 'CODEX_THREAD_ID']) {
  if (process.env[name]) {
    env[name] = process.env[name]; // CODEX_THREAD_ID: the baseline case of a Codex that passes it
  }
}

const spawnAt = now();
const child = spawn(command, args, { cwd: workDir, env, stdio: ['pipe', 'pipe', 'pipe'], detached: true });
child.stdin.write(JSON.stringify({ jsonrpc: '2.0', id: 0, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'bench', version: '0' } } }) + '\n');
let out = '';
let errText = '';
let replied = false;
child.stderr.on('data', (d: Buffer) => (errText += d.toString()));
child.stdout.on('data', (d: Buffer) => {
  out += d.toString();
  const nl = out.indexOf('\n');
  if (nl < 0 || replied) {
    return;
  }
  replied = true;
  const replyAt = now();
  const info = (JSON.parse(out.slice(0, nl)) as { result: { serverInfo: { startedAt: number; threadId: string | null } } }).result.serverInfo;
  process.stdout.write(JSON.stringify({ spawnAt, serverStartAt: info.startedAt, replyAt, threadId: info.threadId, stderr: errText }) + '\n');
  child.stdin.end(); // as Codex does at exit: the shim passes EOF on and the server exits
});
child.on('exit', () => {
  held.forEach((fd) => fs.closeSync(fd));
  if (!replied) {
    process.stderr.write(`server exited without answering initialize; stderr: ${errText}\n`);
    process.exitCode = 1;
  }
});
