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
  d = await new Daemon({ port: await freePort() }).start();
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

describe('dashboard', () => {
  it('shows the controller and its devices, live', async () => {
    await b.page.locator('#connection-state[data-state=live]').waitFor();
    await b.page.locator('[data-testid=device-row]').nth(1).waitFor();
    expect(await b.page.locator('[data-testid=device-row]').count()).toBe(2);
    expect(await b.page.locator('#stat-hotplug').textContent()).toBe('0 / 16');
    await b.screenshot('01-overview');
  });

  it('hot-plugs from the form, and the CLI sees the device', async () => {
    await b.page.click('#hotplug-open');
    await b.page.fill('#hotplug-mac', '0C:C4:7A:FF:22:93');
    await b.page.fill('#hotplug-num_queues', '5');
    await b.page.selectOption('#hotplug-max_queue_size', '512');
    await b.page.fill('#hotplug-features', '0x80000');
    await b.screenshot('02-hotplug-form');
    await b.page.click('#hotplug-submit');
    await b.page.locator('#hotplug-dialog').waitFor({ state: 'detached' });
    const vuid = 'MT2306XZ00ABVNETS132D0F0';
    await row(vuid).waitFor();
    const q = await virtnet(d.home, 'query', '-u', vuid, '-b');
    expect(q.json.devices[0]).toMatchObject({ mac: '0C:C4:7A:FF:22:93', num_queues: 5, max_queue_size: 512, function_type: 'hotplug PF', features: '0x80000001004f0028' });
    expect(await b.page.locator('#stat-hotplug').textContent()).toBe('1 / 16');
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
    await b.page.locator('#mac-error', { hasText: 'MAC_IN_USE' }).waitFor();
    await b.page.fill('#hotplug-mac', '02:00:00:00:00:10');
    await b.page.fill('#hotplug-num_queues', '65');
    await b.page.click('#hotplug-submit');
    await b.page.locator('#num_queues-error', { hasText: 'QUEUES_EXCEED_LIMIT' }).waitFor();
    await b.screenshot('03-hotplug-refused');
    await b.page.click('#hotplug-dialog button[aria-label=Close]');
    expect((await virtnet(d.home, 'list')).json.devices).toHaveLength(3);
  });

  it('updates live when the CLI modifies a device', async () => {
    const vuid = 'MT2306XZ00ABVNETS132D0F0';
    expect((await virtnet(d.home, 'modify', '-u', vuid, 'device', '-t', '9000', '-m', '0C:C4:7A:FF:22:94')).code).toBe(0);
    await row(vuid).locator('[data-field=mtu]', { hasText: '9000' }).waitFor();
    expect(await row(vuid).locator('[data-field=mac]').textContent()).toBe('0C:C4:7A:FF:22:94');
  });

  it('modifies from the page, and the CLI sees it', async () => {
    const vuid = 'MT2306XZ00ABVNETS59D0F1';
    await row(vuid).locator('[data-action=modify]').click();
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
    await b.screenshot('04-modify');
    await b.page.click('#modify-dialog button[aria-label=Close]');
    const q = await virtnet(d.home, 'query', '-u', vuid, '-q', '0');
    expect(q.json.devices[0]).toMatchObject({ mtu: 4000 });
    expect(q.json.devices[0].queues[0]).toMatchObject({ rq_cq_period_mode: 'cqe', rq_cq_period: 50, rq_cq_max_count: 8 });
  });

  it('unplugs after confirmation', async () => {
    const vuid = 'MT2306XZ00ABVNETS132D0F0';
    await row(vuid).locator('[data-action=unplug]').click();
    await b.page.locator('#unplug-dialog').waitFor();
    await b.screenshot('05-unplug-confirm');
    await b.page.click('#unplug-confirm');
    await row(vuid).waitFor({ state: 'detached' });
    const r = await virtnet(d.home, 'query', '-u', vuid);
    expect(r.error.code).toBe('DEVICE_NOT_FOUND');
  });

  it('reconnects and resyncs after the controller restarts', async () => {
    b.allow(/ERR_CONNECTION_REFUSED/);
    await d.kill();
    await b.page.locator('#connection-state[data-state=offline]').waitFor();
    await d.start();
    // No reload: the page's socket reconnects with backoff and resyncs from the snapshot.
    await b.page.locator('#connection-state[data-state=live]').waitFor();
    expect(await b.page.locator('[data-testid=device-row]').count()).toBe(2);
    await b.page.locator('#events-list li').first().waitFor();
    await b.screenshot('06-after-restart');
  });
});
