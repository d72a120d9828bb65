/**
 * Peer credentials through the real C library: a unix socket server of the
 * test's own, connected to by this process and by a child process, must
 * name each connecting process and its user.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { peerCredentials, socketFd, userName } from '../../src/peer.js';

let dir: string | undefined;
let server: Server | undefined;
afterEach(() => {
  server?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = server = undefined;
});

function listen(): Promise<{ path: string; next: () => Promise<Socket> }> {
  dir = mkdtempSync(join(tmpdir(), 'vnpeer-'));
  const path = join(dir, 's.sock');
  const waiting: ((s: Socket) => void)[] = [];
  server = createServer((s) => waiting.shift()?.(s));
  return new Promise((resolve) => server!.listen(path, () => resolve({ path, next: () => new Promise((r) => waiting.push(r)) })));
}

describe('peerCredentials', () => {
  it('names the process that connected and its user', async () => {
    const { path, next } = await listen();
    const accepted = next();
    const child = spawn(process.execPath, ['-e', `require('net').connect(${JSON.stringify(path)}); setTimeout(() => {}, 5000)`], { stdio: 'ignore' });
    try {
      const s = await accepted;
      const cred = peerCredentials(socketFd(s));
      expect(cred).toEqual({ pid: child.pid, uid: process.getuid!(), gid: process.getgid!(), user: userInfo().username });
      s.destroy();
    } finally {
      child.kill();
    }
  });

  it('gives null for what is no connected unix socket, and a uid without a name as such', () => {
    expect(peerCredentials(-1)).toBeNull();
    expect(peerCredentials(0.5)).toBeNull();
    expect(peerCredentials(1 << 20)).toBeNull();
    expect(userName(4_000_000_123)).toBe('uid 4000000123');
    expect(userName(0)).toBe('root');
  });
});
