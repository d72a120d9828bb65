// `npm test`: every test of the project. Lint (with the project boundaries),
// the C tests under ASan/UBSan, unit and controller tests, then end-to-end
// tests with the real daemon, the real CLI and headless Chromium.
import { existsSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { ensureInstalled, ensureSystem, nx, ROOT } from './lib.mjs';

// libclang-rt-14-dev carries clang's libFuzzer runtime.
ensureSystem(
  {
    cc: 'gcc',
    make: 'make',
    clang: 'clang',
    chromium: 'chromium',
    'dpdk-testpmd': 'dpdk-dev',
    ip: 'iproute2',
    'qemu-system-x86_64': 'qemu-system-x86',
    busybox: 'busybox-static',
    prometheus: 'prometheus',
    promtool: 'prometheus',
    openssl: 'openssl',
    journalctl: 'systemd',
    unshare: 'util-linux',
    'ovs-vswitchd': 'openvswitch-switch',
    tshark: 'tshark',
  },
  ['libclang-rt-14-dev'],
);
ensureInstalled();

const reports = join(ROOT, 'test-results/vitest');
rmSync(reports, { recursive: true, force: true });
// This run's screenshots only: an older run's, under names no test uses now, would mislead.
rmSync(join(ROOT, 'test-results/screenshots'), { recursive: true, force: true });
process.env.VITEST_REPORTS = reports;
const style = ['--output-style=static'];
nx(['run-many', '-t', 'lint', ...style]);
nx(['run-many', '-t', 'test', ...style, '--parallel=1']);
nx(['run', 'e2e:e2e', ...style]);

// One closing line for the whole run, summed from every Vitest report.
let passed = 0;
let failed = 0;
if (existsSync(reports)) {
  for (const f of readdirSync(reports)) {
    const r = JSON.parse(readFileSync(join(reports, f), 'utf8'));
    passed += r.numPassedTests;
    failed += r.numFailedTests;
  }
}
console.log(`\nvitest: ${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
