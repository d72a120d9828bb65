/**
 * Starts a real controller (real Nest app, SQLite file, native library,
 * sockets) in a fresh temporary VIRTNET_HOME, for the controller's tests.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { runningDpu, waitGone } from '@virtnet/hw';
import { startController, type Running } from '../../src/bootstrap.js';
import { AuthService } from '../../src/auth/auth.service.js';
import { loadSettings, type Settings } from '../../src/settings/settings.js';

export interface TestController {
  running: Running;
  settings: Settings;
  url: string;
  /** The access token; request() sends it as a bearer header. */
  token: string;
  request(method: string, path: string, body?: unknown, raw?: string, headers?: Record<string, string>): Promise<{ status: number; body: any }>;
  stop(): Promise<void>;
}

export async function startTestController(files: { profile?: object; conf?: object; env?: Record<string, string> } = {}): Promise<TestController> {
  const home = mkdtempSync(join(tmpdir(), 'vn-'));
  if (files.profile) writeFileSync(join(home, 'dpu-profile.json'), JSON.stringify(files.profile));
  if (files.conf) writeFileSync(join(home, 'virtnet.conf'), JSON.stringify(files.conf));
  // VIRTNET_JOURNAL off: a test's audit entries stay out of the machine's journal.
  const settings = loadSettings({ VIRTNET_HOME: home, VIRTNET_HTTP_PORT: '0', VIRTNET_DATAPATH: 'echo', VIRTNET_HOST: 'external', VIRTNET_JOURNAL: 'off', ...files.env });
  const running = await startController(settings, pino({ level: 'silent' }));
  const token = running.app.get(AuthService).token;
  return {
    running,
    settings,
    url: running.url,
    token,
    async request(method, path, body, raw, headers) {
      const res = await fetch(new URL(path, running.url), {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          ...(body !== undefined || raw !== undefined ? { 'content-type': 'application/json' } : {}),
          ...headers,
        },
        body: raw ?? (body !== undefined ? JSON.stringify(body) : undefined),
      });
      return { status: res.status, body: await res.json().catch(() => null) };
    },
    async stop() {
      await running.close();
      await powerOffDpu(home);
      rmSync(home, { recursive: true, force: true });
    },
  };
}

/** The DPU of a test home outlives its controller by design; the test's must not outlive the test. */
export async function powerOffDpu(home: string): Promise<void> {
  const pid = runningDpu(home);
  if (pid === null) return;
  process.kill(pid, 'SIGTERM');
  if (!(await waitGone(pid, 10_000))) process.kill(pid, 'SIGKILL');
}
