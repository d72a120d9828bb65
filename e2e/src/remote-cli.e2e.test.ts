/**
 * One CLI for many DPUs: the real CLI against a real controller serving
 * HTTPS with a certificate of a test CA, every command over POST
 * /api/v1/rpc with the token, printing what it prints over the socket and
 * exiting with the same status; named contexts; and the failures a remote
 * call has of its own, each with its stable code and exit status: a wrong
 * token, a certificate of another CA, no controller at the address.
 * Also: the controller refuses to listen beyond loopback without TLS.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
// A plain script shared with other tests, not a project.
// eslint-disable-next-line @nx/enforce-module-boundaries
import { makeCertificates } from '../../scripts/certs.mjs';
import { virtnet, virtnetWith, type CliResult } from './support/cli.js';
import { Daemon, freePort, ROOT } from './support/daemon.js';

let dir: string;
let certs: { ca: string; otherCa: string; cert: string; key: string };
let d: Daemon;
let tokenFile: string;
let remote: (...args: string[]) => Promise<CliResult>;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'vnrc-'));
  certs = makeCertificates(dir);
  d = await new Daemon({ env: { VIRTNET_TLS_CERT: certs.cert, VIRTNET_TLS_KEY: certs.key }, ca: readFileSync(certs.ca, 'utf8') }).start();
  tokenFile = join(dir, 'fleet.token');
  writeFileSync(tokenFile, d.token + '\n', { mode: 0o600 });
  // The CLI runs with another home: nothing local to fall back on.
  const elsewhere = join(dir, 'cli-home');
  remote = (...args) => virtnetWith({}, elsewhere, '--controller', d.url, '--token-file', tokenFile, '--ca-file', certs.ca, ...args);
});
afterAll(async () => {
  await d?.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

describe('the CLI over HTTPS', () => {
  it('serves HTTPS at the URL it announces: the API, the login URL, the WebSocket', async () => {
    expect(d.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/$/);
    expect(d.log).toContain(`Dashboard: ${d.url}login?token=`);
    const ws = new WebSocket(new URL('/ws', d.url.replace('https', 'wss')), { headers: { authorization: `Bearer ${d.token}` }, ca: readFileSync(certs.ca, 'utf8') });
    const snapshot = await new Promise<any>((resolve, reject) => {
      ws.once('open', () => ws.send(JSON.stringify({ type: 'subscribe', topics: ['devices'] })));
      ws.on('message', (m) => {
        const msg = JSON.parse(String(m));
        if (msg.type === 'snapshot') resolve(msg);
      });
      ws.once('error', reject);
    });
    ws.close();
    expect(snapshot.devices.map((x: any) => x.vuid)).toEqual(['MT2306XZ00ABVNETS59D0F0', 'MT2306XZ00ABVNETS59D0F1']);
  });

  it('prints what the socket prints, for reads', async () => {
    for (const args of [['list'], ['query', '-p', '0', '-b'], ['stats', '-p', '1'], ['host', 'sriov'], ['version']]) {
      const [over, local] = [await remote(...args), await virtnet(d.home, ...args)];
      expect(over.code, `${args.join(' ')}: ${over.stderr}`).toBe(0);
      if (args[0] === 'version') expect(over.json.controller).toBe(local.json.controller);
      else if (args[0] === 'stats') expect(over.json.queues.map((q: any) => q.index)).toEqual(local.json.queues.map((q: any) => q.index));
      else expect(over.stdout).toBe(local.stdout);
    }
  });

  it("makes changes, audited as the API's, with the same output and exit codes", async () => {
    const plugged = await remote('hotplug', '-i', 'mlx5_0', '-m', '02:00:00:00:77:01', '-t', '1500', '-n', '3', '-s', '256');
    expect(plugged.code, plugged.stderr).toBe(0);
    const vuid = plugged.json.vuid as string;
    expect((await virtnet(d.home, 'query', '-u', vuid, '-b')).json.devices[0].mac).toBe('02:00:00:00:77:01');

    // The controller's refusal: same code, same message, same exit status both ways.
    const dup = ['hotplug', '-i', 'mlx5_0', '-m', '02:00:00:00:77:01', '-t', '1500', '-n', '3', '-s', '256'];
    const [over, local] = [await remote(...dup), await virtnet(d.home, ...dup)];
    expect(over.code).toBe(1);
    expect(over.error).toEqual(local.error);
    expect(over.error.code).toBe('MAC_IN_USE');
    expect(local.code).toBe(1);

    // A usage error is found before anything is sent.
    const usage = await remote('hotplug', '-i', 'mlx5_0');
    expect(usage.code).toBe(2);
    expect(usage.error.code).toBe('USAGE');

    const unplugged = await remote('unplug', '-u', vuid);
    expect(unplugged.code, unplugged.stderr).toBe(0);
    const events = (await d.api('GET', '/api/v1/events?limit=5')).body.events;
    expect(events.find((e: any) => e.action === 'unplug' && e.target === vuid)).toMatchObject({ actor: 'api', result: 'ok' });
    const refused = events.filter((e: any) => e.action === 'hotplug' && e.result === 'error').map((e: any) => [e.actor, e.error_code]);
    expect(refused).toEqual([
      [`cli:${userInfo().username}`, 'MAC_IN_USE'],
      ['api', 'MAC_IN_USE'],
    ]);
  });

  it('validates a file it reads on its side, against the remote controller', async () => {
    const conf = join(dir, 'bad.conf');
    writeFileSync(conf, JSON.stringify({ single_port: 1, is_lag: 1 }));
    const r = await remote('validate', conf);
    expect(r.code).toBe(1);
    expect(r.error.code).toBe('CONFIG_INVALID');
  });

  it('refuses a wrong token: UNAUTHENTICATED, exit 1', async () => {
    const wrong = join(dir, 'wrong.token');
    writeFileSync(wrong, 'not-the-token-of-this-dpu\n');
    const r = await virtnetWith({}, dir, '--controller', d.url, '--token-file', wrong, '--ca-file', certs.ca, 'list');
    expect(r.code).toBe(1);
    expect(r.error).toEqual({ code: 'UNAUTHENTICATED', message: 'the access token is wrong' });
    expect(r.stdout).toBe('');
  });

  it('refuses a certificate of another CA, and one checked against the system CAs only: CERTIFICATE_UNTRUSTED, exit 3', async () => {
    for (const ca of [['--ca-file', certs.otherCa], []]) {
      const r = await virtnetWith({}, dir, '--controller', d.url, '--token-file', tokenFile, ...ca, 'list');
      expect(r.code, r.stderr).toBe(3);
      expect(r.error.code).toBe('CERTIFICATE_UNTRUSTED');
      expect(r.error.message).toContain(`the certificate of ${new URL(d.url).origin} is not trusted`);
    }
  });

  it('reports a controller that is not there: DAEMON_UNREACHABLE, exit 3', async () => {
    const port = await freePort();
    const r = await virtnetWith({}, dir, '--controller', `https://127.0.0.1:${port}`, '--token-file', tokenFile, 'list');
    expect(r.code).toBe(3);
    expect(r.error).toEqual({ code: 'DAEMON_UNREACHABLE', message: `cannot reach the controller at https://127.0.0.1:${port}: ECONNREFUSED` });
  });

  it('refuses, before sending anything, a token over plain HTTP beyond loopback and a missing token file', async () => {
    const clear = await virtnetWith({}, dir, '--controller', 'http://dpu7.example:8780', '--token-file', tokenFile, 'list');
    expect(clear.code).toBe(2);
    expect(clear.error.code).toBe('INVALID_ARGUMENT');
    expect(clear.error.message).toContain('in clear text');
    const none = await virtnetWith({}, dir, '--controller', d.url, 'list');
    expect(none.code).toBe(2);
    expect(none.error.code).toBe('USAGE');
    const missing = await virtnetWith({}, dir, '--controller', d.url, '--token-file', join(dir, 'nope'), 'list');
    expect(missing.code).toBe(2);
    expect(missing.error.message).toContain('ENOENT');
  });
});

describe('contexts', () => {
  it('keeps named controllers in an owner-only file; the current one or --context picks the DPU', async () => {
    const home = join(dir, 'ctx-home');
    const env = { VIRTNET_CONFIG: join(dir, 'contexts/config.json') };
    const set = await virtnetWith(env, home, 'context', 'set', 'dpu7', '--controller', d.url, '--token-file', tokenFile, '--ca-file', certs.ca);
    expect(set.code, set.stderr).toBe(0);
    expect((await virtnetWith(env, home, 'context', 'set', 'here', '--socket', join(d.home, 'virtnet.sock'))).code).toBe(0);
    expect(statSync(env.VIRTNET_CONFIG).mode & 0o777).toBe(0o600);

    // No current context yet: the local socket of the CLI's home, where nothing runs.
    expect((await virtnetWith(env, home, 'list')).error.code).toBe('DAEMON_UNREACHABLE');
    expect((await virtnetWith(env, home, '--context', 'dpu7', 'list')).json.devices).toHaveLength(2);
    expect((await virtnetWith(env, home, 'context', 'use', 'dpu7')).json).toEqual({ 'current-context': 'dpu7' });
    const listed = await virtnetWith(env, home, 'context');
    expect(listed.json).toMatchObject({ 'current-context': 'dpu7', contexts: [{ name: 'dpu7', controller: d.url }, { name: 'here' }] });
    expect((await virtnetWith(env, home, 'list')).json.devices).toHaveLength(2);
    expect((await virtnetWith(env, home, '--context', 'here', 'version')).code).toBe(0);

    const unknown = await virtnetWith(env, home, '--context', 'dpu8', 'list');
    expect(unknown.code).toBe(2);
    expect(unknown.error.message).toContain('no context named dpu8');
    expect((await virtnetWith(env, home, 'context', 'delete', 'dpu7')).code).toBe(0);
    expect((await virtnetWith(env, home, 'context')).json['current-context']).toBeNull();

    writeFileSync(env.VIRTNET_CONFIG, '{"contexts": [{"name": "x", "controller": "https://a:1"}]}');
    const bad = await virtnetWith(env, home, 'list');
    expect(bad.code).toBe(2);
    expect(bad.error).toMatchObject({ code: 'CONFIG_INVALID' });
    expect(bad.error.message).toContain('a controller needs its token-file');
  });
});

describe('listening rules', () => {
  const start = (env: NodeJS.ProcessEnv) =>
    new Promise<{ code: number | null; out: string }>((resolve) => {
      const home = mkdtempSync(join(tmpdir(), 'vnrl-'));
      const proc = spawn(process.execPath, [join(ROOT, 'apps/controller/dist/main.js')], {
        env: { ...process.env, VIRTNET_HOME: home, VIRTNET_HTTP_PORT: '0', VIRTNET_HOST: 'external', VIRTNET_DATAPATH: 'echo', ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      proc.stdout.on('data', (c) => (out += c));
      proc.stderr.on('data', (c) => (out += c));
      proc.once('exit', (code) => {
        rmSync(home, { recursive: true, force: true });
        resolve({ code, out });
      });
    });

  it('refuses to listen beyond loopback without TLS, and TLS with half a key pair', async () => {
    const clear = await start({ VIRTNET_HTTP_HOST: '0.0.0.0' });
    expect(clear.code).toBe(2);
    expect(clear.out).toContain('VIRTNET_HTTP_HOST: 0.0.0.0 is reachable from other machines');
    const half = await start({ VIRTNET_TLS_CERT: certs.cert });
    expect(half.code).toBe(2);
    expect(half.out).toContain('VIRTNET_TLS_KEY: HTTPS needs both VIRTNET_TLS_CERT and VIRTNET_TLS_KEY');
    const swapped = await start({ VIRTNET_TLS_CERT: certs.key, VIRTNET_TLS_KEY: certs.cert });
    expect(swapped.code).toBe(2);
    expect(swapped.out).toContain(`VIRTNET_TLS_CERT: ${certs.key} holds no PEM certificate`);
  });
});
