/**
 * The dashboard with the built-in host (vnet-host, VIRTNET_HOST=sim): the
 * overview shows what /version, /update, /health and /host answer; a static
 * PF's VFs are set from the page as the host's sriov_numvfs request, with
 * the set_vfs operation's progress to its end, and the CLI sees them; a
 * second count is refused with VFS_BUSY next to the field; 0 asks first,
 * then removes them; a restart's result and data-path gap appear; a
 * controller whose static PFs could not be made shows their codes.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { openBrowser, type Browser } from './support/browser.js';
import { virtnet } from './support/cli.js';
import { until } from '@virtnet/shared';
import { Daemon, freePort } from './support/daemon.js';

let d: Daemon;
let b: Browser;

const VFS = 16;

beforeAll(async () => {
  // A fixed port: after a restart the page finds the controller that took over at the same address.
  d = await new Daemon({ port: await freePort(), profile: { VIRTIO_NET_EMULATION_NUM_VF: VFS }, env: { VIRTNET_HOST: 'sim', VIRTNET_HOST_PROFILE: 'ping' } }).start();
  b = await openBrowser(d.loginUrl);
});
afterEach(() => {
  expect(b.takeErrors()).toEqual([]);
});
afterAll(async () => {
  await b?.close();
  await d?.cleanup();
});

const text = (selector: string) => b.page.locator(selector).textContent();
const field = (panel: string, name: string) => b.page.locator(`${panel} [data-field="${name}"]`);
const pf0 = '[data-testid=sriov-pf][data-pf="0"]';
const sriovPf0 = async () => (await d.api('GET', '/api/v1/sriov')).body.pfs[0];

/** Every data-state the PF's progress box takes, in order, from the moment this is called. */
async function recordProgress(pf: number): Promise<() => Promise<string[]>> {
  await b.page.evaluate((id) => {
    const seen: string[] = [];
    (window as unknown as { progressSeen: string[] }).progressSeen = seen;
    const note = (el: Element | null) => {
      const s = el?.getAttribute('data-state');
      if (s && seen.at(-1) !== s) seen.push(s);
    };
    new MutationObserver((records) => {
      for (const r of records) {
        if (r.type === 'attributes' && (r.target as Element).id === id) {
          if (r.oldValue && seen.at(-1) !== r.oldValue) seen.push(r.oldValue);
          note(r.target as Element);
        } else for (const n of r.addedNodes) if (n instanceof Element) note(n.id === id ? n : n.querySelector(`#${id}`));
      }
    }).observe(document.body, { subtree: true, childList: true, attributes: true, attributeFilter: ['data-state'], attributeOldValue: true });
  }, `sriov-pf${pf}-progress`);
  return () => b.page.evaluate(() => (window as unknown as { progressSeen: string[] }).progressSeen);
}

describe('overview with the built-in host', () => {
  it('shows versions, live-update status, health and the host as the API answers them', async () => {
    await b.page.locator('#connection-state[data-state=live]').waitFor();
    const version = (await d.api('GET', '/api/v1/version')).body;
    const health = (await d.api('GET', '/api/v1/health')).body;
    const update = (await d.api('GET', '/api/v1/update')).body;
    const host = (await d.api('GET', '/api/v1/host')).body;

    await field('#versions', 'version-controller').filter({ hasText: version.controller }).waitFor();
    expect(version.destination).toBe(version.controller);
    expect(await field('#versions', 'version-destination').textContent()).toBe(version.destination);
    expect(await field('#versions', 'version-provider').textContent()).toBe('ace');
    expect(await field('#versions', 'version-native_abi').textContent()).toBe(String(version.native_abi));
    expect(await field('#versions', 'version-node').textContent()).toBe(version.node);

    expect(update).toMatchObject({ status: 'inactive', 'last live update status': 'none', last_gap_ms: null });
    expect(await field('#update', 'update-status').textContent()).toBe('inactive');
    expect(await field('#update', 'update-last').textContent()).toBe('none');
    expect(await b.page.locator('#update [data-field=update-gap]').count()).toBe(0);

    expect(health).toMatchObject({ status: 'ok', database: 'ok', hardware: 'ok', provider: 'ace', recovery: { enabled: true, recovered: 0, created: 2, failed: [] } });
    expect(await field('#health', 'health-status').textContent()).toBe('ok');
    expect(await field('#health', 'health-database').textContent()).toBe('ok');
    expect(await field('#health', 'health-hardware').textContent()).toBe('ok');
    expect(await field('#health', 'health-provider').textContent()).toBe('ace');
    expect(await field('#health-recovery', 'recovery-recovered').textContent()).toBe('0');
    expect(await field('#health-recovery', 'recovery-created').textContent()).toBe('2');
    expect(await field('#health-recovery', 'recovery-failed').textContent()).toBe('0');
    expect(await b.page.locator('#health-recovery-failed').count()).toBe(0);

    // The host: vnet-host runs, with the pid its pid file names.
    const pid = Number(readFileSync(join(d.home, 'vnet-host.pid'), 'utf8'));
    expect(host).toMatchObject({ mode: 'sim', running: true, pid });
    expect(await text('#host-mode')).toBe('sim');
    expect(await field('#host-facts', 'host-vnet-host').textContent()).toBe(`running, pid ${pid}`);
    expect(await b.page.locator('[data-port][data-in-vm]').count()).toBe(0);
    await b.screenshot('16-overview-sim-host');
  });

  it("sets a static PF's VFs from the page and shows the operation's progress to its end", async () => {
    await b.page.locator(pf0).filter({ hasText: `0 / ${VFS} VFs` }).waitFor();
    const seen = await recordProgress(0);
    await b.page.fill('#sriov-pf0-num_vfs', String(VFS));
    await b.page.press('#sriov-pf0-num_vfs', 'Enter');
    await b.page.locator('#sriov-pf0-progress[data-state=succeeded]').waitFor();
    expect(await text('#sriov-pf0-progress [data-field=progress]')).toBe(`${VFS} / ${VFS}`);
    // The page followed the operation from its start: running first, then its end.
    expect(await seen()).toEqual(['running', 'succeeded']);
    await b.page.locator(`${pf0}[data-num-vfs="${VFS}"]`).waitFor();
    expect(await b.page.locator(`${pf0} [data-field=source]`).textContent()).toBe('set by the host');
    await b.page.locator('#operations-list [data-testid=operation][data-action=set_vfs][data-state=succeeded]').waitFor();
    await b.page.locator('#stat-pfvf', { hasText: `2 · ${VFS}` }).waitFor();

    // The controller has them, as the CLI and the API say.
    const q = await virtnet(d.home, 'query', '-p', '0', '-v', '0', '-b');
    expect(q.code, q.stderr).toBe(0);
    expect(q.json.devices[0]).toMatchObject({ pf_id: 0, vf_id: 0, function_type: 'VF' });
    expect((await virtnet(d.home, 'query', '-p', '0', '-v', String(VFS - 1), '-b')).code).toBe(0);
    expect((await virtnet(d.home, 'host', 'sriov')).json.pfs[0]).toMatchObject({ pf_id: 0, num_vfs: VFS, total_vfs: VFS, source: 'host' });
    expect(await sriovPf0()).toMatchObject({ num_vfs: VFS, source: 'host' });
    await b.screenshot('17-sriov-set');
  });

  it('shows the VFS_BUSY refusal next to the field and changes nothing', async () => {
    b.allow(/status of 409/);
    await b.page.fill('#sriov-pf0-num_vfs', '4');
    await b.page.click('#sriov-pf0-submit');
    await b.page.locator('#sriov-pf0-num_vfs-error', { hasText: `PF 0 has ${VFS} VFs enabled; set 0 first, as sriov_numvfs requires (VFS_BUSY)` }).waitFor();
    expect(await b.page.getAttribute('#sriov-pf0-num_vfs', 'aria-invalid')).toBe('true');
    expect(await b.page.getAttribute('#sriov-pf0-num_vfs', 'aria-describedby')).toBe('sriov-pf0-num_vfs-error');
    // Refused before anything ran: no operation to follow.
    expect(await b.page.locator('#sriov-pf0-progress').count()).toBe(0);
    await b.screenshot('18-sriov-vfs-busy');
    expect(await sriovPf0()).toMatchObject({ num_vfs: VFS });
  });

  it('asks before removing the VFs with 0, and removes them', async () => {
    await b.page.fill('#sriov-pf0-num_vfs', '0');
    await b.page.press('#sriov-pf0-num_vfs', 'Enter');
    await b.page.locator('#sriov-confirm', { hasText: `its ${VFS} VFs disappear from the host` }).waitFor();
    // The safe answer has the focus; Escape backs out: nothing is sent.
    expect(await b.page.evaluate(() => document.activeElement?.id)).toBe('sriov-confirm-cancel');
    await b.screenshot('19-sriov-confirm-remove');
    await b.page.keyboard.press('Escape');
    await b.page.locator('#sriov-confirm').waitFor({ state: 'detached' });
    expect(await sriovPf0()).toMatchObject({ num_vfs: VFS });

    const seen = await recordProgress(0);
    await b.page.press('#sriov-pf0-num_vfs', 'Enter');
    await b.page.click('#sriov-confirm-remove');
    await b.page.locator(`${pf0}[data-num-vfs="0"]`).waitFor();
    await b.page.locator('#sriov-pf0-progress[data-state=succeeded]').waitFor();
    expect(await text('#sriov-pf0-progress [data-field=progress]')).toBe(`${VFS} / ${VFS}`);
    expect(await seen()).toEqual(['running', 'succeeded']);
    expect((await virtnet(d.home, 'query', '-p', '0', '-v', '0')).error.code).toBe('DEVICE_NOT_FOUND');
    expect((await virtnet(d.home, 'host', 'sriov')).json.pfs[0]).toMatchObject({ num_vfs: 0, source: 'host' });
  });

  it("has the PF's SR-IOV on its device page, and the queue table and charts fit bulk traffic", async () => {
    const pf1 = (await virtnet(d.home, 'query', '-p', '1', '-b')).json.devices[0];
    expect((await virtnet(d.home, 'host', 'profile', '-p', '1', 'bulk')).code).toBe(0);
    await b.page.click('#nav-devices');
    await b.page.locator(`[data-testid=device-row][data-vuid="${pf1.vuid}"] [data-field=vuid] a`).click();
    await b.page.locator('#device-detail').waitFor();
    // The panel comes with the SR-IOV state, read after the page itself.
    await b.page.locator('[data-testid=sriov-pf]').waitFor();
    expect(await b.page.locator('[data-testid=sriov-pf]').count()).toBe(1);
    expect(await b.page.getAttribute('[data-testid=sriov-pf]', 'data-pf')).toBe('1');
    // Hundreds of MB/s through the TX queue: every value stays on one line in its column.
    await b.page.locator('[data-queue="1"] [data-field=bytes_ps]', { hasText: /^\d+\.\d\d [MG]B\/s$/ }).waitFor();
    const lines = await b.page.$$eval('[data-queue] td', (cells) =>
      cells.map((c) => {
        const r = document.createRange();
        r.selectNodeContents(c);
        return new Set([...r.getClientRects()].map((x) => Math.round(x.top))).size;
      }),
    );
    expect(Math.max(...lines)).toBe(1);
    await b.page.locator('#chart-bytes_ps').waitFor();
    await b.screenshot('20-device-static-pf-bulk');
    expect((await virtnet(d.home, 'host', 'profile', '-p', '1', 'ping')).code).toBe(0);
  });

  it('shows the result of a restart with its data-path gap', async () => {
    b.allow(/ERR_CONNECTION_REFUSED/);
    await b.page.click('#nav-overview');
    const old = d.statePid()!;
    const r = await virtnet(d.home, 'restart');
    expect(r.code, r.stderr).toBe(0);
    await d.takenOver(old);
    const update = await until('the restart recorded', async () => {
      const u = (await d.api('GET', '/api/v1/update')).body;
      return u['last live update status'] === 'success' ? u : undefined;
    });
    expect(update.last_gap_ms).toEqual(expect.any(Number));
    await field('#update', 'update-last').filter({ hasText: 'success' }).waitFor();
    expect(await field('#update', 'update-gap').textContent()).toBe(`${update.last_gap_ms.toFixed(1)} ms`);
    expect(await field('#update', 'update-versions').textContent()).toBe(`${update.last_from} → ${update.last_to}`);
    expect(await field('#update', 'update-status').textContent()).toBe('inactive');
    // The host stayed attached: the same vnet-host.
    expect(await field('#host-facts', 'host-vnet-host').textContent()).toBe(`running, pid ${readFileSync(join(d.home, 'vnet-host.pid'), 'utf8').trim()}`);
    await b.screenshot('21-overview-after-restart');
  });

  it('shows the devices a controller could not make at start, with their codes', async () => {
    // A multicast MAC base: the static PFs cannot take their MACs (MAC_INVALID), the controller runs degraded.
    const other = await new Daemon({ conf: { static_pf: { mac_base: '11:22:33:44:55:66' } } }).start();
    try {
      const health = (await other.api('GET', '/api/v1/health')).body;
      expect(health.status).toBe('degraded');
      expect(health.recovery.failed.map((f: { vuid: string; code: string }) => [f.vuid, f.code])).toEqual([
        ['static PF 0', 'MAC_INVALID'],
        ['static PF 1', 'MAC_INVALID'],
      ]);
      await b.page.goto(other.loginUrl);
      await b.page.locator('#connection-state[data-state=live]').waitFor();
      await field('#health', 'health-status').filter({ hasText: 'degraded' }).waitFor();
      expect(await text('#stat-health')).toBe('degraded');
      expect(await field('#health-recovery', 'recovery-failed').textContent()).toBe('2');
      for (const f of health.recovery.failed) {
        const item = b.page.locator(`#health-recovery-failed li[data-vuid="${f.vuid}"][data-code="${f.code}"]`);
        expect(await item.textContent()).toBe(`${f.vuid} ${f.code}${f.message}`);
      }
      expect(await text('#host-mode')).toBe('external');
      expect(await field('#host-facts', 'host-external').textContent()).toBe('your own (sockets only)');
      await b.page.locator('#sriov', { hasText: 'No static PF on this DPU.' }).waitFor();
      await b.screenshot('22-overview-recovery-failed');
    } finally {
      await other.cleanup();
    }
  });
});
