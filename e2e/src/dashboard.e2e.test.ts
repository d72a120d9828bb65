/**
 * The dashboard in a real browser against the real controller: what is done
 * on the page is seen by the CLI, what the CLI does appears on the page
 * live, and the server's refusals are shown next to the field at fault.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { openBrowser, type Browser } from './support/browser.js';
import { virtnet } from './support/cli.js';
import { Daemon, freePort } from './support/daemon.js';

let d: Daemon;
let b: Browser;

beforeAll(async () => {
  // A fixed port, so the page can find the controller again after it restarts.
  d = await new Daemon({ port: await freePort(), conf: { vf: { vfs_per_pf: 4 } } }).start();
  b = await openBrowser(d.loginUrl);
});
// Any console error the test did not provoke on purpose fails it.
afterEach(() => {
  expect(b.takeErrors()).toEqual([]);
});
afterAll(async () => {
  await b?.close();
  await d?.cleanup();
});

const row = (vuid: string) => b.page.locator(`[data-testid=device-row][data-vuid="${vuid}"]`);
const rows = () => b.page.locator('[data-testid=device-row]');
const PLUGGED = 'MT2306XZ00ABVNETS132D0F0';

describe('dashboard', () => {
  it('signs in from the login URL and shows the overview, live', async () => {
    await b.page.locator('#connection-state[data-state=live]').waitFor();
    expect(new URL(b.page.url()).pathname).toBe('/');
    await b.page.locator('#stat-devices', { hasText: '10' }).waitFor();
    await b.page.locator('#stat-hotplug', { hasText: /^0 \/ 16$/ }).waitFor();
    expect(await b.page.locator('#stat-pfvf').textContent()).toBe('2 · 8');
    await b.page.locator('#versions [data-field=version-controller]', { hasText: '0.1.0' }).waitFor();
    await b.page.locator('#health [data-field=health-status]', { hasText: 'ok' }).waitFor();
    expect(await b.page.locator('[data-port][data-used=false]').count()).toBe(16);
    expect(await b.page.locator('[data-port][data-used=true]').count()).toBe(0);
    await b.screenshot('01-overview');
  });

  it('lists every device on the devices page, filterable and sortable', async () => {
    await b.page.click('#nav-devices');
    await rows().nth(9).waitFor();
    expect(await rows().count()).toBe(10);
    await b.page.selectOption('#filter-type', 'VF');
    await b.page.locator('#devices-count', { hasText: '8 of 10' }).waitFor();
    await b.page.selectOption('#filter-pf', '1');
    await b.page.locator('#devices-count', { hasText: '4 of 10' }).waitFor();
    await b.page.selectOption('#filter-pf', '');
    await b.page.selectOption('#filter-type', '');
    await b.page.fill('#devices-filter', '02:56:4E:01:00:05');
    await b.page.locator('#devices-count', { hasText: '1 of 10' }).waitFor();
    expect(await rows().first().locator('[data-field=pfvf]').textContent()).toBe('1/1');
    await b.page.fill('#devices-filter', '');
    await b.page.click('[data-sort=bdf]');
    await b.page.click('[data-sort=bdf]');
    await b.page.locator('#devices-count', { hasText: '10 of 10' }).waitFor();
    // descending BDF: PF 1's VFs (3d:0.x) first
    expect(await rows().first().locator('[data-field=bdf]').textContent()).toBe('3d:0.4');
    await b.page.click('[data-sort=bdf]');
    await b.screenshot('02-devices');
  });

  it('hot-plugs from the form, and the CLI sees the device', async () => {
    await b.page.click('#hotplug-open');
    await b.page.fill('#hotplug-mac', '0C:C4:7A:FF:22:93');
    await b.page.fill('#hotplug-num_queues', '5');
    await b.page.selectOption('#hotplug-max_queue_size', '512');
    await b.page.click('[data-preset=vlan]');
    expect(await b.page.inputValue('#hotplug-features')).toBe('0x80000');
    expect(await b.page.isChecked('[data-feature=VIRTIO_NET_F_CTRL_VLAN]')).toBe(true);
    await b.screenshot('03-hotplug-form');
    await b.page.click('#hotplug-submit');
    await b.page.locator('#hotplug-dialog').waitFor({ state: 'detached' });
    await row(PLUGGED).waitFor();
    const q = await virtnet(d.home, 'query', '-u', PLUGGED, '-b');
    expect(q.json.devices[0]).toMatchObject({ mac: '0C:C4:7A:FF:22:93', num_queues: 5, max_queue_size: 512, function_type: 'hotplug PF', features: '0x80000001006f0028' });
  });

  it("shows the form's own check and the server's refusal next to the field", async () => {
    b.allow(/status of 409/, /status of 400/);
    await b.page.click('#hotplug-open');
    await b.page.fill('#hotplug-mac', '01:00:5E:00:00:01');
    await b.page.click('#hotplug-submit');
    expect(await b.page.locator('#mac-error').textContent()).toMatch(/unicast/);
    // a MAC only the controller knows is taken
    await b.page.fill('#hotplug-mac', '0C:C4:7A:FF:22:93');
    await b.page.click('#hotplug-submit');
    await b.page.locator('#mac-error', { hasText: 'MAC 0C:C4:7A:FF:22:93 is used by MT2306XZ00ABVNETS132D0F0 (MAC_IN_USE)' }).waitFor();
    await b.page.fill('#hotplug-mac', '02:00:00:00:00:10');
    // the form knows the DPU's limits from its capabilities
    await b.page.fill('#hotplug-num_queues', '65');
    await b.page.click('#hotplug-submit');
    await b.page.locator('#num_queues-error', { hasText: 'at most 64 virtqueues on this DPU (max_virt_queues 64, MSI-X 64)' }).waitFor();
    // an even count above one pair: only the controller says why
    await b.page.fill('#hotplug-num_queues', '4');
    await b.page.click('#hotplug-submit');
    await b.page.locator('#num_queues-error', { hasText: 'more than one pair needs the control queue (MQ): use an odd count such as 5 (FEATURES_CONFLICT)' }).waitFor();
    await b.page.fill('#hotplug-num_queues', '3');
    await b.page.fill('#hotplug-features', '0x80');
    await b.page.click('#hotplug-submit');
    await b.page.locator('#features-error', { hasText: 'FEATURES_UNSUPPORTED' }).waitFor();
    await b.screenshot('04-hotplug-refused');
    await b.page.click('#hotplug-dialog button[aria-label=Close]');
    expect((await virtnet(d.home, 'list')).json.devices).toHaveLength(11);
  });

  it('updates live when the CLI modifies a device', async () => {
    expect((await virtnet(d.home, 'modify', '-u', PLUGGED, 'device', '-t', '9000', '-m', '0C:C4:7A:FF:22:94')).code).toBe(0);
    await row(PLUGGED).locator('[data-field=mtu]', { hasText: '9000' }).waitFor();
    expect(await row(PLUGGED).locator('[data-field=mac]').textContent()).toBe('0C:C4:7A:FF:22:94');
  });

  it('modifies from the page, and the CLI sees it', async () => {
    const vuid = 'MT2306XZ00ABVNETS59D0F1';
    await row(vuid).locator('[data-action=modify]').click();
    expect(await b.page.getAttribute('#modify-driver-rule', 'data-bound')).toBe('false');
    await b.page.fill('#modify-mtu', '4000');
    await b.page.click('#modify-device-submit');
    await b.page.locator('#modify-done').waitFor();
    await b.page.selectOption('#modify-event_mode', 'cqe');
    await b.page.fill('#modify-period_us', '50');
    await b.page.fill('#modify-max_count', '8');
    await b.page.click('#modify-queue-submit');
    await b.page.locator('#modify-done', { hasText: 'moderation' }).waitFor();
    await b.page.fill('#modify-mtu', '99999');
    await b.page.click('#modify-device-submit');
    expect(await b.page.locator('#mtu-error').textContent()).toMatch(/65535/);
    await b.screenshot('05-modify');
    await b.page.click('#modify-dialog button[aria-label=Close]');
    const q = await virtnet(d.home, 'query', '-u', vuid, '-q', '0');
    expect(q.json.devices[0]).toMatchObject({ mtu: 4000 });
    expect(q.json.devices[0].queues[0]).toMatchObject({ rq_cq_period_mode: 'cqe', rq_cq_period: 50, rq_cq_max_count: 8 });
  });

  it('changes every selected VF in one operation and shows its progress', async () => {
    await b.page.selectOption('#filter-type', 'VF');
    await b.page.locator('#devices-count', { hasText: '8 of 11' }).waitFor();
    await b.page.check('#select-all');
    expect(await b.page.locator('#selected-count').textContent()).toBe('8 VFs selected');
    await b.page.click('#bulk-open');
    await b.page.selectOption('#bulk-event_mode', 'cqe');
    await b.page.fill('#bulk-period_us', '100');
    await b.page.fill('#bulk-max_count', '64');
    await b.page.click('#bulk-submit');
    await b.page.locator('#bulk-progress[data-state=succeeded]').waitFor();
    expect(await b.page.locator('#bulk-progress [data-field=progress]').textContent()).toBe('8 / 8');
    await b.screenshot('06-bulk-done');
    await b.page.click('#bulk-close');
    // the operation stays listed on the page, and the CLI sees every VF changed
    await b.page.locator('[data-testid=operation][data-action=modify_queue][data-state=succeeded]').first().waitFor();
    for (const [pf, vf] of [
      [0, 0],
      [1, 3],
    ]) {
      const q = await virtnet(d.home, 'query', '-p', String(pf), '-v', String(vf), '-q', '0');
      expect(q.json.devices[0].queues[0]).toMatchObject({ rq_cq_period_mode: 'cqe', rq_cq_period: 100, rq_cq_max_count: 64 });
    }
    await b.page.selectOption('#filter-type', '');
  });

  it('moves through the table with the keyboard and opens a device', async () => {
    await b.page.locator('#devices-count', { hasText: '11 of 11' }).waitFor();
    await b.page.focus('#devices-scroller');
    await b.page.keyboard.press('Home');
    await b.page.keyboard.press('ArrowDown');
    await b.page.keyboard.press('Enter');
    await b.page.waitForURL(/\/devices\/MT2306XZ00ABVNETS60D0F1$/);
    await b.page.locator('#device-detail [data-field=sf_num]', { hasText: '3000' }).waitFor();
    expect(await b.page.getAttribute('[data-feature=VIRTIO_F_VERSION_1]', 'data-offered')).toBe('true');
    expect(await b.page.getAttribute('[data-feature=VIRTIO_F_VERSION_1]', 'data-negotiated')).toBe('false');
    expect(await b.page.getAttribute('[data-status=DRIVER_OK]', 'data-on')).toBe('false');
    await b.screenshot('07-device-detail-no-driver');
    await b.page.keyboard.press('g');
    await b.page.keyboard.press('d');
    await b.page.waitForURL(/\/devices$/);
  });

  it('unplugs after confirmation', async () => {
    await row(PLUGGED).locator('[data-action=unplug]').click();
    await b.page.locator('#unplug-dialog').waitFor();
    await b.screenshot('08-unplug-confirm');
    await b.page.click('#unplug-confirm');
    await row(PLUGGED).waitFor({ state: 'detached' });
    const r = await virtnet(d.home, 'query', '-u', PLUGGED);
    expect(r.error.code).toBe('DEVICE_NOT_FOUND');
  });

  it('shows the audit log live, and filters it', async () => {
    await b.page.keyboard.press('g');
    await b.page.keyboard.press('e');
    await b.page.waitForURL(/\/events$/);
    await b.page.locator('[data-testid=event][data-action=unplug]').first().waitFor();
    // a refusal from the CLI appears without a reload
    expect((await virtnet(d.home, 'unplug', '-p', '0')).error.code).toBe('NOT_HOTPLUG');
    await b.page.locator('[data-testid=event][data-action=unplug][data-result=error]').waitFor();
    await b.page.selectOption('#events-result', 'error');
    expect(await b.page.locator('[data-testid=event][data-result=ok]').count()).toBe(0);
    expect(await b.page.locator('[data-testid=event][data-result=error]').count()).toBeGreaterThanOrEqual(4);
    await b.page.fill('#events-filter', 'NOT_HOTPLUG');
    await b.page.locator('[data-testid=event]').first().waitFor();
    expect(await b.page.locator('[data-testid=event]').count()).toBe(1);
    await b.screenshot('09-events');
    await b.page.selectOption('#events-result', '');
    await b.page.fill('#events-filter', '');
  });

  it('switches to the dark theme and keeps it', async () => {
    const background = () => b.page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    // the browser prefers light: the system theme is light
    expect(await background()).toBe('rgb(248, 250, 252)');
    await b.page.click('#theme-toggle');
    expect(await b.page.getAttribute('html', 'data-theme')).toBe('dark');
    expect(await background()).toBe('rgb(11, 17, 32)');
    await b.page.click('#nav-devices');
    await rows().nth(9).waitFor();
    await b.screenshot('10-devices-dark');
    await b.page.reload();
    expect(await b.page.getAttribute('html', 'data-theme')).toBe('dark');
    expect(await background()).toBe('rgb(11, 17, 32)');
    await b.page.click('#theme-toggle');
    await b.page.click('#theme-toggle');
    expect(await b.page.getAttribute('html', 'data-theme')).toBe('system');
    expect(await background()).toBe('rgb(248, 250, 252)');
  });

  it('reconnects and resyncs after the controller restarts', async () => {
    b.allow(/ERR_CONNECTION_REFUSED/);
    await d.kill();
    await b.page.locator('#connection-state[data-state=offline]').waitFor();
    await d.start();
    // No reload: the page's socket reconnects with backoff and resyncs from the snapshot.
    await b.page.locator('#connection-state[data-state=live]').waitFor();
    await rows().nth(9).waitFor();
    expect(await rows().count()).toBe(10);
    await b.screenshot('11-after-restart');
  });
});
