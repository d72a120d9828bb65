/**
 * Access control of a real controller process: 401 with the stable code
 * UNAUTHENTICATED for the API, /metrics and the WebSocket without the
 * token; the token file owner-only; the CLI's login URL; signing a browser
 * in on the sign-in page; and no start on a non-loopback address with
 * authentication off.
 */
import { spawn } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openBrowser } from './support/browser.js';
import { virtnet } from './support/cli.js';
import { Daemon, ROOT } from './support/daemon.js';

let d: Daemon;
beforeAll(async () => {
  d = await new Daemon().start();
});
afterAll(async () => {
  await d?.cleanup();
});

describe('access', () => {
  it('answers 401 UNAUTHENTICATED to the API and /metrics without the token, and serves them with it', async () => {
    for (const path of ['/api/v1/devices', '/api/v1/health', '/metrics']) {
      const r = await d.fetch(path, {}, null);
      expect(r.status).toBe(401);
      expect((await r.json()).error.code).toBe('UNAUTHENTICATED');
    }
    const wrong = await d.api('POST', '/api/v1/devices', { ib_device: 'mlx5_0', mac: '02:00:00:00:00:01', mtu: 1500, num_queues: 3, max_queue_size: 256 }, 'a-wrong-token-123456');
    expect(wrong).toEqual({ status: 401, body: { error: { code: 'UNAUTHENTICATED', message: 'the access token is wrong' } } });
    expect((await virtnet(d.home, 'list')).json.devices).toHaveLength(2);
    expect((await d.api('GET', '/api/v1/devices')).status).toBe(200);
    const metrics = await d.fetch('/metrics');
    expect(metrics.status).toBe(200);
    expect(await metrics.text()).toContain('virtnet_device_info{vuid="MT2306XZ00ABVNETS59D0F0",pf="0",vf=""');
  });

  it('refuses the WebSocket upgrade without the token', async () => {
    const upgrade = (headers: Record<string, string> = {}) =>
      new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = request(new URL('/ws', d.url), { headers: { connection: 'Upgrade', upgrade: 'websocket', 'sec-websocket-version': '13', 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==', ...headers } });
        req.on('upgrade', (res, socket) => {
          socket.destroy();
          resolve({ status: res.statusCode!, body: '' });
        });
        req.on('response', (res) => {
          let body = '';
          res.on('data', (c) => (body += c));
          res.on('end', () => resolve({ status: res.statusCode!, body }));
        });
        req.on('error', reject);
        req.end();
      });
    const refused = await upgrade();
    expect(refused.status).toBe(401);
    expect(JSON.parse(refused.body).error.code).toBe('UNAUTHENTICATED');
    expect((await upgrade({ authorization: `Bearer ${d.token}` })).status).toBe(101);
  });

  it('keeps the token owner-only, prints the login URL at start and through the CLI', async () => {
    expect(statSync(join(d.home, 'token')).mode & 0o777).toBe(0o600);
    expect(d.log).toContain(`Dashboard: ${d.loginUrl}`);
    const r = await virtnet(d.home, 'dashboard');
    expect(r.code).toBe(0);
    expect(r.json).toEqual({ url: d.url, login_url: d.loginUrl, auth: true });
    expect(readFileSync(join(d.home, 'token'), 'utf8').trim()).toBe(d.token);
  });

  it('shows the sign-in page to a browser without the cookie, and signs in with the token', async () => {
    const b = await openBrowser(d.url);
    try {
      // the page itself answers 401 until the browser signs in
      b.allow(/status of 401/);
      await b.page.locator('input#token').waitFor();
      await b.page.fill('#token', 'not-the-token-0000');
      await b.page.click('button[type=submit]');
      await b.page.locator('#sign-in-error').waitFor();
      await b.screenshot('00-sign-in');
      await b.page.fill('#token', d.token);
      await b.page.click('button[type=submit]');
      await b.page.locator('#connection-state[data-state=live]').waitFor();
      expect(new URL(b.page.url()).search).toBe('');
      expect(b.takeErrors()).toEqual([]);
    } finally {
      await b.close();
    }
  });

  it('does not start on a non-loopback address with authentication off', async () => {
    const proc = spawn(process.execPath, [join(ROOT, 'apps/controller/dist/main.js')], {
      env: { ...d.env, VIRTNET_HTTP_HOST: '0.0.0.0', VIRTNET_AUTH: 'off' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    proc.stdout.on('data', (c) => (out += c));
    proc.stderr.on('data', (c) => (out += c));
    const code = await new Promise((r) => proc.once('exit', r));
    expect(code).toBe(2);
    expect(out).toContain("VIRTNET_AUTH: 'off' is only allowed on a loopback address");
  });
});
