/**
 * The audit log in the journal: a real controller sends each audit entry to
 * a real systemd-journald (a namespace of the test's own, support/journald.ts)
 * in the journal's native protocol, and journalctl finds them by their
 * structured fields: who (actor), what (action), target, result. A journal
 * that goes away costs a warning, never the change.
 */
import { userInfo } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { virtnet } from './support/cli.js';
import { until } from '@virtnet/shared';
import { Daemon } from './support/daemon.js';
import { Journald } from './support/journald.js';

const AUDIT = 'MESSAGE_ID=8ffdedabc13a49738bf6515f6f7eb712';
let j: Journald;
let d: Daemon;

beforeAll(async () => {
  j = await new Journald().start();
  d = await new Daemon({ env: { VIRTNET_JOURNAL: 'on', VIRTNET_JOURNAL_SOCKET: j.socket } }).start();
});
afterAll(async () => {
  await d?.cleanup();
  await j?.cleanup();
});

describe('audit in the journal', () => {
  it('sends every change as an entry with who, what, target and result fields', async () => {
    const plugged = await virtnet(d.home, 'hotplug', '-i', 'mlx5_0', '-m', '02:00:00:00:88:01', '-t', '1500', '-n', '3', '-s', '256');
    expect(plugged.code, plugged.stderr).toBe(0);
    const vuid = plugged.json.vuid as string;
    const refused = await d.api('PATCH', '/api/v1/devices/MT2306XZ00ABVNETS59D0F0', { mtu: 100000 });
    expect(refused.status).toBe(400);

    const hotplug = await until('the hotplug entry', () => j.entries(AUDIT, 'VIRTNET_AUDIT_ACTION=hotplug')[0]);
    expect(hotplug).toMatchObject({
      MESSAGE: `cli:${userInfo().username} hotplug ${vuid}: ok`,
      PRIORITY: '5',
      SYSLOG_IDENTIFIER: 'virtnet-controller',
      // the CLI's OS user, from the socket's peer credentials
      VIRTNET_AUDIT_ACTOR: `cli:${userInfo().username}`,
      VIRTNET_AUDIT_ACTION: 'hotplug',
      VIRTNET_AUDIT_TARGET: vuid,
      VIRTNET_AUDIT_RESULT: 'ok',
      _TRANSPORT: 'journal',
      _PID: String(d.proc!.pid),
    });
    expect(Number(hotplug['VIRTNET_AUDIT_ID'])).toBeGreaterThan(0);
    // The same entry as the audit log's own.
    const events = (await d.api('GET', '/api/v1/events?limit=10')).body.events;
    expect(events.find((e: any) => e.id === Number(hotplug['VIRTNET_AUDIT_ID']))).toMatchObject({ action: 'hotplug', target: vuid, actor: `cli:${userInfo().username}` });

    const modify = await until('the refused modify entry', () => j.entries(AUDIT, 'VIRTNET_AUDIT_RESULT=error')[0]);
    expect(modify).toMatchObject({
      PRIORITY: '4',
      VIRTNET_AUDIT_ACTOR: 'api',
      VIRTNET_AUDIT_TARGET: 'MT2306XZ00ABVNETS59D0F0',
      VIRTNET_AUDIT_RESULT: 'error',
      VIRTNET_AUDIT_ERROR_CODE: 'MTU_INVALID',
    });
    expect(modify['MESSAGE']).toMatch(/^api modify_device MT2306XZ00ABVNETS59D0F0: error \(MTU_INVALID\)$/);
  });

  it('keeps making changes when the journal goes away, and says so once', async () => {
    await j.stop();
    for (const mac of ['02:00:00:00:88:02', '02:00:00:00:88:03']) {
      const r = await virtnet(d.home, 'hotplug', '-i', 'mlx5_0', '-m', mac, '-t', '1500', '-n', '3', '-s', '256');
      expect(r.code, r.stderr).toBe(0);
    }
    await until('the warning', () => (d.log.includes('audit entries do not reach the journal') ? true : undefined));
    expect(d.log.split('audit entries do not reach the journal')).toHaveLength(2);
  });
});
