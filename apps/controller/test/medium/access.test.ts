/**
 * Access control against a real controller: every HTTP route, /metrics and
 * the WebSocket refuse a request without the token with 401 and the code
 * UNAUTHENTICATED; the login URL sets the dashboard's cookie; the token file
 * is owner-only and kept across restarts; auth can be off only on loopback.
 */
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { loadSettings, SettingsError } from '../../src/settings/settings.js';
import { startTestController, type TestController } from '../support/harness.js';

let c: TestController;
beforeAll(async () => {
  c = await startTestController();
});
afterAll(async () => {
  await c.stop();
});

const anonymous = async (method: string, path: string, headers: Record<string, string> = {}) => {
  const res = await fetch(new URL(path, c.url), { method, headers, redirect: 'manual' });
  return { status: res.status, headers: res.headers, text: await res.text() };
};

function upgrade(path: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string } | 'open'> {
  return new Promise((resolve) => {
    const ws = new WebSocket(new URL(path, c.url.replace('http', 'ws')), { headers });
    ws.once('open', () => {
      ws.close();
      resolve('open');
    });
    ws.once('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode!, body }));
    });
  });
}

const REQUIRED = { error: { code: 'UNAUTHENTICATED', message: 'an access token is required: Authorization: Bearer <token> (virtnet dashboard prints it)' } };

describe('access', () => {
  it.each([
    ['GET', '/api/v1/devices'],
    ['GET', '/api/v1/controller'],
    ['POST', '/api/v1/devices'],
    ['DELETE', '/api/v1/devices/MT2306XZ00ABVNETS59D0F0'],
    ['GET', '/api/v1/events'],
    ['GET', '/api/v1/openapi.json'],
    ['GET', '/api/v1/nothing'],
    ['GET', '/metrics'],
    ['POST', '/api/v1/rpc'],
    ['POST', '/health'],
  ])('refuses %s %s without a token: 401 UNAUTHENTICATED', async (method, path) => {
    const r = await anonymous(method, path);
    expect(r.status).toBe(401);
    expect(JSON.parse(r.text)).toEqual(REQUIRED);
    expect(r.headers.get('www-authenticate')).toBe('Bearer realm="virtnet"');
  });

  it('answers the probes without a token, with nothing but ok or not', async () => {
    for (const path of ['/health', '/health/live']) {
      const r = await anonymous('GET', path);
      expect(r.status, path).toBe(200);
      expect(JSON.parse(r.text)).toEqual({ status: 'ok' });
      expect(r.headers.get('cache-control')).toBe('no-store');
    }
  });

  it('serves the JSON-RPC methods over HTTP with the token, answering in JSON-RPC', async () => {
    const call = (body: unknown) => c.request('POST', '/api/v1/rpc', body);
    const listed = await call({ jsonrpc: '2.0', id: 7, method: 'list', params: {} });
    expect(listed.status).toBe(200);
    expect(listed.body).toMatchObject({ jsonrpc: '2.0', id: 7, result: { devices: [{ vuid: 'MT2306XZ00ABVNETS59D0F0' }, { vuid: 'MT2306XZ00ABVNETS59D0F1' }] } });
    const refused = await call({ jsonrpc: '2.0', id: 8, method: 'unplug', params: { selector: { pf_id: 0 } } });
    expect(refused.status).toBe(200);
    expect(refused.body.error).toMatchObject({ code: -32000, data: { code: 'NOT_HOTPLUG' } });
    expect((await call({ jsonrpc: '2.0', id: 9, method: 'no_such_method' })).body.error.code).toBe(-32601);
  });

  it('refuses a wrong token, and changes nothing', async () => {
    const before = (await c.request('GET', '/api/v1/devices')).body;
    const r = await anonymous('DELETE', '/api/v1/devices/MT2306XZ00ABVNETS59D0F0', { authorization: 'Bearer not-the-token-at-all' });
    expect(r.status).toBe(401);
    expect(JSON.parse(r.text)).toEqual({ error: { code: 'UNAUTHENTICATED', message: 'the access token is wrong' } });
    expect((await c.request('GET', '/api/v1/devices')).body).toEqual(before);
  });

  it('serves the sign-in page, not the dashboard, to a browser without the cookie', async () => {
    const r = await anonymous('GET', '/devices');
    expect(r.status).toBe(401);
    expect(r.headers.get('content-type')).toMatch(/text\/html/);
    expect(r.text).toContain('virtnet dashboard');
    expect(r.text).not.toContain(c.token);
  });

  it('signs a browser in with the login URL: an HttpOnly, SameSite=Strict cookie that the API accepts', async () => {
    const bad = await anonymous('GET', '/login?token=wrong-token-0123456789');
    expect(bad.status).toBe(401);
    expect(bad.text).toContain('sign-in-error');
    const r = await anonymous('GET', `/login?token=${c.token}`);
    expect(r.status).toBe(303);
    expect(r.headers.get('location')).toBe('/');
    const cookie = r.headers.get('set-cookie')!;
    expect(cookie).toMatch(/^virtnet_token=[^;]+; Max-Age=2592000; Path=\/; Expires=[^;]+; HttpOnly; SameSite=Strict$/);
    const api = await anonymous('GET', '/api/v1/health', { cookie: cookie.split(';')[0]! });
    expect(api.status).toBe(200);
    const out = await anonymous('GET', '/logout');
    expect(out.status).toBe(303);
    expect(out.headers.get('set-cookie')).toMatch(/^virtnet_token=;/);
  });

  it('refuses a WebSocket upgrade without the token with 401 UNAUTHENTICATED; accepts header, cookie or ?token=', async () => {
    const r = await upgrade('/ws');
    expect(r).toEqual({ status: 401, body: JSON.stringify({ error: { code: 'UNAUTHENTICATED', message: 'an access token is required (cookie, bearer header or ?token=)' } }) });
    expect(await upgrade('/ws', { authorization: 'Bearer nope-nope-nope-nope' })).toMatchObject({ status: 401 });
    expect(await upgrade('/ws', { authorization: `Bearer ${c.token}` })).toBe('open');
    expect(await upgrade('/ws', { cookie: `virtnet_token=${c.token}` })).toBe('open');
    expect(await upgrade(`/ws?token=${c.token}`)).toBe('open');
  });

  it('keeps the token owner-only in VIRTNET_HOME and prints it only in the login URL', async () => {
    const path = join(c.settings.home, 'token');
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(readFileSync(path, 'utf8').trim()).toBe(c.token);
    expect(c.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(c.running.loginUrl).toBe(`${c.url}login?token=${c.token}`);
    expect(readFileSync(c.settings.stateFile, 'utf8')).not.toContain(c.token);
  });

  it('refuses VIRTNET_AUTH=off on a non-loopback address, and a malformed VIRTNET_TOKEN', () => {
    expect(() => loadSettings({ VIRTNET_AUTH: 'off', VIRTNET_HTTP_HOST: '0.0.0.0', VIRTNET_HOME: '/tmp/x' })).toThrow(SettingsError);
    expect(() => loadSettings({ VIRTNET_AUTH: 'off', VIRTNET_HTTP_HOST: '0.0.0.0', VIRTNET_HOME: '/tmp/x' })).toThrow(/only allowed on a loopback address/);
    expect(() => loadSettings({ VIRTNET_TOKEN: 'short', VIRTNET_HOME: '/tmp/x' })).toThrow(/VIRTNET_TOKEN: must be 16 to 256 characters/);
    expect(loadSettings({ VIRTNET_AUTH: 'off', VIRTNET_HTTP_HOST: '127.0.0.2', VIRTNET_HOME: '/tmp/x' }).auth.enabled).toBe(false);
  });
});

describe('access with VIRTNET_TOKEN and with auth off', () => {
  it('uses VIRTNET_TOKEN instead of the file', async () => {
    const t = await startTestController({ env: { VIRTNET_TOKEN: 'my-own-token-0123456789' } });
    try {
      expect(t.token).toBe('my-own-token-0123456789');
      expect((await t.request('GET', '/api/v1/health')).status).toBe(200);
    } finally {
      await t.stop();
    }
  });

  it('needs no token with VIRTNET_AUTH=off on loopback', async () => {
    const t = await startTestController({ env: { VIRTNET_AUTH: 'off' } });
    try {
      expect((await fetch(new URL('/api/v1/health', t.url))).status).toBe(200);
      expect(t.running.loginUrl).toBe(t.url);
    } finally {
      await t.stop();
    }
  });
});
