// Stands in for a Codex process in resolution tests: it is started through a symlink named
// `codex` (so the kernel names it codex, as the real native binary), holds open the lock files of
// the thread ids it is given, and spawns the resolve workers as its children, all at once.
// argv: <codexHome> <ids comma-separated> <count> <cwd> -- <worker args...>
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

const [codexHome, idsText, countText, cwd, dashdash, ...workerArgs] = process.argv.slice(2);
if (dashdash !== '--') {
  throw new Error('usage: fakeCodex <home> <ids> <count> <cwd> -- <worker args>');
}
const lockDir = path.join(codexHome, 'thread-writer-locks');
fs.mkdirSync(lockDir, { recursive: true });
const held = idsText
  .split(',')
  .filter(Boolean)
  .map((id) => {
    const lock = path.join(lockDir, `${id}.lock`);
    const fd = fs.openSync(lock, 'a');
    // Codex creates the lock when it loads the thread: for a new thread, the id's own time.
    const created = new Date(parseInt(id.slice(0, 8) + id.slice(9, 13), 16));
    fs.utimesSync(lock, created, created);
    return fd;
  });
const outputs: string[] = [];
let pending = Number(countText);
const children = Array.from({ length: pending }, () => {
  const child = spawn(process.execPath, workerArgs, { cwd, stdio: ['pipe', 'pipe', 'inherit'], env: { ...process.env, HOLD: '1' } });
  let out = '';
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString();
    if (out.endsWith('\n')) {
      outputs.push(out.trim());
      if (--pending === 0) {
        process.stdout.write(`[${outputs.join(',')}]\n`);
        // Workers stay alive until we close their stdin, like servers held by Codex.
        process.stdin.once('data', () => {
          for (const c of children) {
            c.stdin.end();
          }
          held.forEach((fd) => fs.closeSync(fd));
        });
      }
    }
  });
  return child;
});
