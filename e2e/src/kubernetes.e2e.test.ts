/**
 * The DaemonSet of deploy/kubernetes, checked offline: the API's schema for
 * every object (support/k8s.ts), a misspelt or mistyped field refused, the
 * pod's own references (volumes, Secrets, ports) consistent, and what it
 * asks of our programs true of them: the controller started with its
 * environment (on loopback here) answers its probes over HTTPS without the
 * token, and its ConfigMap's virtnet.conf passes `virtnet validate`.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
// A plain script shared with other tests, not a project.
// eslint-disable-next-line @nx/enforce-module-boundaries
import { makeCertificates } from '../../scripts/certs.mjs';
import { virtnet } from './support/cli.js';
import { Daemon, ROOT } from './support/daemon.js';
import { checkManifests, readManifests } from './support/k8s.js';

const FILE = join(ROOT, 'deploy/kubernetes/virtnet.yaml');
const docs = readManifests(FILE);
const daemonSet = docs.find((d) => d.kind === 'DaemonSet');
const pod = daemonSet.spec.template.spec;
const controller = pod.containers.find((c: any) => c.name === 'controller');
const dpu = pod.initContainers.find((c: any) => c.name === 'dpu');
const clone = () => JSON.parse(JSON.stringify(docs));

const dir = mkdtempSync(join(tmpdir(), 'vnk8s-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('deploy/kubernetes', () => {
  it('is valid against the Kubernetes API schema', () => {
    expect(docs.map((d) => `${d.apiVersion}/${d.kind}`)).toEqual(['v1/Namespace', 'v1/ConfigMap', 'apps/v1/DaemonSet']);
    expect(checkManifests(docs)).toEqual([]);
  });

  it('refuses, through the same check, a misspelt field and a mistyped one', () => {
    const typo = clone();
    typo[2].spec.template.spec.containers[0].readinesProbe = { httpGet: { path: '/health', port: 8780 } };
    expect(checkManifests(typo).join('\n')).toMatch(/DaemonSet virtnet: .*readinesProbe.*does not exist in type/s);
    const typed = clone();
    typed[2].spec.template.spec.hostNetwork = 'yes';
    expect(checkManifests(typed).join('\n')).toContain('hostNetwork must be boolean');
  });

  it('runs the DPU process first, as a sidecar the controller waits for, on the node network, sharing VIRTNET_HOME', () => {
    expect(pod.hostNetwork).toBe(true);
    expect(dpu.restartPolicy).toBe('Always');
    expect(dpu.command).toEqual(['/opt/virtnet/libs/hw/native/build/vnet-dpu', '--control', '/var/lib/virtnet/dpu.sock', '--pid-file', '/var/lib/virtnet/dpu.pid']);
    expect(dpu.startupProbe.exec.command.slice(1)).toEqual(['--control', '/var/lib/virtnet/dpu.sock', '--status']);
    const home = (c: any) => c.volumeMounts.find((m: any) => m.name === 'home').mountPath;
    expect(home(dpu)).toBe('/var/lib/virtnet');
    expect(home(controller)).toBe('/var/lib/virtnet');
    expect(controller.env.find((e: any) => e.name === 'VIRTNET_HOME').value).toBe('/var/lib/virtnet');
    const names = new Set(pod.volumes.map((v: any) => v.name));
    for (const c of [...pod.containers, ...pod.initContainers]) for (const m of c.volumeMounts) expect(names, `${c.name} mounts ${m.name}`).toContain(m.name);
    expect(controller.env.find((e: any) => e.name === 'VIRTNET_TOKEN').valueFrom.secretKeyRef).toEqual({ name: 'virtnet-token', key: 'token' });
    expect(pod.volumes.find((v: any) => v.name === 'tls').secret.secretName).toBe('virtnet-tls');
  });

  it('has the controller answer its probes over HTTPS without the token, started with the DaemonSet environment', async () => {
    const certs = makeCertificates(dir);
    const env: Record<string, string> = {};
    for (const e of controller.env) if (e.value !== undefined) env[e.name] = e.value;
    const port = Number(env['VIRTNET_HTTP_PORT']);
    // The same settings in this test's own places (the Daemon's home), on loopback: this machine is no DPU node.
    Object.assign(env, { VIRTNET_CONF_DIR: join(dir, 'conf'), VIRTNET_TLS_CERT: certs.cert, VIRTNET_TLS_KEY: certs.key, VIRTNET_HTTP_HOST: '127.0.0.1', VIRTNET_HTTP_PORT: '0', VIRTNET_TOKEN: 'fleet-token-of-the-test-0123456789' });
    delete env['VIRTNET_HOME'];
    const d = new Daemon({ env, ca: readFileSync(certs.ca, 'utf8') });
    // The pod's DPU sidecar, run as its container runs it: the controller only attaches to it (VIRTNET_DPU=attach).
    expect(env['VIRTNET_DPU']).toBe('attach');
    const sidecar = spawn(join(ROOT, 'libs/hw/native/build/vnet-dpu'), ['--control', join(d.home, 'dpu.sock'), '--pid-file', join(d.home, 'dpu.pid')], { stdio: 'ignore' });
    try {
      await d.start();
      expect((await d.api('GET', '/api/v1/health')).body.dpu).toMatchObject({ up: true, pid: sidecar.pid, starts: 0 });
      expect(d.url.startsWith('https://')).toBe(true);
      for (const probe of [controller.startupProbe, controller.readinessProbe, controller.livenessProbe]) {
        expect(probe.httpGet.scheme).toBe('HTTPS');
        expect(controller.ports.find((p: any) => p.name === probe.httpGet.port).containerPort).toBe(port);
        const r = await d.fetch(probe.httpGet.path, {}, null);
        expect(r.status, probe.httpGet.path).toBe(200);
        expect(await r.json()).toEqual({ status: 'ok' });
      }
    } finally {
      await d.cleanup();
      sidecar.kill('SIGKILL');
    }
  });

  it('ships a virtnet.conf that virtnet validate accepts', async () => {
    const conf = join(dir, 'virtnet.conf');
    writeFileSync(conf, docs[1].data['virtnet.conf']);
    const r = await virtnet(dir, 'validate', conf);
    expect(r.code, r.stderr).toBe(0);
    expect(r.json).toMatchObject({ kind: 'conf', valid: true, errors: [], warnings: [] });
  });
});
