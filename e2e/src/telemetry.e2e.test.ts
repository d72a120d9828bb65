/**
 * Live telemetry in the browser with the built-in host (vnet-host) sending
 * real traffic: the device page's charts start from the controller's
 * history and move with the WebSocket; the host-driver rule in the modify
 * dialog; telemetry paused while the tab is hidden. Assertions read the
 * charts' data (points, last values), never pixels.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { openBrowser, type Browser } from './support/browser.js';
import { virtnet } from './support/cli.js';
import { until } from '@virtnet/shared';
import { Daemon } from './support/daemon.js';

let d: Daemon;
let b: Browser;
let vuid: string;

beforeAll(async () => {
  d = await new Daemon({ env: { VIRTNET_HOST: 'sim', VIRTNET_HOST_PROFILE: 'ping' } }).start();
  const plugged = await virtnet(d.home, 'hotplug', '-i', 'mlx5_0', '-m', '02:00:00:00:71:01', '-t', '1500', '-n', '5', '-s', '256');
  expect(plugged.code, plugged.stderr).toBe(0);
  vuid = plugged.json.vuid;
  await until('the host driver', async () => ((await virtnet(d.home, 'query', '-u', vuid, '-b')).json.devices[0].device_status_names.includes('DRIVER_OK') ? true : undefined));
  expect((await virtnet(d.home, 'host', 'profile', '-u', vuid, 'bulk')).code).toBe(0);
  b = await openBrowser(d.loginUrl);
});
afterEach(() => {
  expect(b.takeErrors()).toEqual([]);
});
afterAll(async () => {
  await b?.close();
  await d?.cleanup();
});

const chart = (field: string) => b.page.locator(`#chart-${field}`);
async function points(field: string): Promise<number> {
  return Number(await chart(field).getAttribute('data-points'));
}
async function last(field: string): Promise<number[]> {
  return JSON.parse((await chart(field).getAttribute('data-last')) ?? '[]');
}

describe('live telemetry', () => {
  it('shows the traffic of the host on the overview and in the table', async () => {
    await b.page.locator('#connection-state[data-state=live]').waitFor();
    await b.page.locator('#stat-rx', { hasText: /^[1-9][\d.]* ?[kM]? pkt\/s$/ }).waitFor();
    await b.page.click('#nav-devices');
    const row = b.page.locator(`[data-testid=device-row][data-vuid="${vuid}"]`);
    await row.locator('td', { hasText: 'driver ok' }).waitFor();
    await row.locator('[data-field=rx]', { hasText: /^[1-9]/ }).waitFor();
    await row.locator('[data-field=tx]', { hasText: /^[1-9]/ }).waitFor();
  });

  it('starts the charts from the history, then moves them with the host traffic', async () => {
    // the controller has been recording since the page connected
    const history = await until('a few seconds of history', async () => {
      const h = (await d.api('GET', `/api/v1/devices/${vuid}/history`)).body;
      return h.t.length >= 3 ? h : undefined;
    });
    expect(history.queues.map((q: { type: string }) => q.type)).toEqual(['rx', 'tx', 'rx', 'tx', 'ctrl']);
    expect(Math.max(...history.queues[1].pps)).toBeGreaterThan(0);
    await b.page.locator(`[data-testid=device-row][data-vuid="${vuid}"] [data-field=vuid] a`).click();
    await chart('pps').waitFor();
    // seeded: at least what the controller had when we asked, from the first draw on
    expect(await points('pps')).toBeGreaterThanOrEqual(history.t.length);
    const before = await points('pps');
    await until('two more samples on the chart', async () => ((await points('pps')) >= Math.min(300, before + 2) ? true : undefined));
    // bulk traffic: the TX queues (1 and 3) carry packets and bytes, the host's driver kicks
    await until('packets on the chart', async () => {
      const [q0, q1] = await last('pps');
      return q1! > 100 && q0! >= 0 ? true : undefined;
    });
    expect((await last('bytes_ps'))[1]).toBeGreaterThan(1000);
    expect((await last('kicks_ps')).some((v) => v > 0)).toBe(true);
    expect(await last('errors')).toEqual([0, 0, 0, 0, 0]);
    // the queue table's live numbers
    await b.page.locator('[data-queue="1"] [data-field=pps]', { hasText: /^[1-9]/ }).waitFor();
    expect(await b.page.getAttribute('[data-feature=VIRTIO_NET_F_MQ]', 'data-negotiated')).toBe('true');
    expect(await b.page.getAttribute('[data-status=DRIVER_OK]', 'data-on')).toBe('true');
    await b.screenshot('12-device-detail-live');
  });

  it('pauses telemetry while the tab is hidden and resumes from the history', async () => {
    const setHidden = (hidden: boolean) =>
      b.page.evaluate((h) => {
        Object.defineProperty(document, 'hidden', { configurable: true, get: () => h });
        document.dispatchEvent(new Event('visibilitychange'));
      }, hidden);
    await setHidden(true);
    await b.page.locator('text=telemetry paused').waitFor();
    const frozen = await points('pps');
    // while hidden the page drops samples: after the controller has recorded two more, the chart has not moved
    const h0 = (await d.api('GET', `/api/v1/devices/${vuid}/history`)).body.t.at(-1);
    await until('two more samples at the controller', async () => {
      const t = (await d.api('GET', `/api/v1/devices/${vuid}/history`)).body.t;
      return t.at(-1) >= h0 + 2000 ? true : undefined;
    });
    expect(await points('pps')).toBe(frozen);
    await setHidden(false);
    await b.page.locator('text=telemetry paused').waitFor({ state: 'detached' });
    await until('the chart to be seeded again and move', async () => ((await points('pps')) > Math.min(299, frozen) ? true : undefined));
  });

  it('shows the host-driver rule: refused while bound, applied after the host unbinds', async () => {
    b.allow(/status of 409/);
    await b.page.click('#detail-modify');
    expect(await b.page.getAttribute('#modify-driver-rule', 'data-bound')).toBe('true');
    await b.page.fill('#modify-mtu', '9000');
    await b.page.click('#modify-device-submit');
    await b.page.locator('#modify-form-error[data-refused=true]', { hasText: 'DRIVER_BOUND' }).waitFor();
    await b.screenshot('13-modify-driver-bound');
    await b.page.click('#modify-host-toggle');
    await b.page.locator('#modify-driver-rule[data-bound=false]').waitFor();
    await b.page.click('#modify-device-submit');
    await b.page.locator('#modify-done').waitFor();
    expect((await virtnet(d.home, 'query', '-u', vuid, '-b')).json.devices[0]).toMatchObject({ mtu: 9000, device_status: 0 });
    await b.page.click('#modify-host-toggle');
    await b.page.locator('#modify-driver-rule[data-bound=true]').waitFor();
    await b.page.click('#modify-dialog button[aria-label=Close]');
    // the page follows the CLI too
    expect((await virtnet(d.home, 'host', 'unbind', '-u', vuid)).code).toBe(0);
    await b.page.locator('#detail-driver', { hasText: 'no driver' }).waitFor();
  });
});
