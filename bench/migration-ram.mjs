#!/usr/bin/env node
// Does a migrated guest arrive whole? The lab guest (Linux under QEMU, TCG)
// is booted afresh, pings and receives a stream, and is migrated at once to a
// destination QEMU started paused (-S); with both stopped, their guest RAM is
// compared page by page (QMP pmemsave), then the destination runs and is
// watched for a kernel oops. The same is done, interleaved in the same run,
// with QEMU's own virtio-net on a TAP instead of a device of ours: what
// differs there is lost by QEMU itself, with no vhost-user back-end at all.
// Needs root (TAPs, a bridge) and qemu-system-x86.
//
//   node bench/migration-ram.mjs      (after npm run build; BENCH_RUNS=10 migrations of each;
//                                      BENCH_CANCEL_FIRST=1: each after one cancelled halfway)
import { execFileSync } from 'node:child_process';
import { cpus } from 'node:os';
import { startSides, stopSides } from './migration-sides.mjs';
import { Bridge, Vm, bootGuest, migrate, pingReplies, qmp, ramDiff, startStream, trafficFlows } from '../scripts/lab/migration.mjs';

const RUNS = Number(process.env.BENCH_RUNS ?? 10);
// BENCH_CANCEL_FIRST=1: each migration follows one cancelled halfway, as in the e2e test
const CANCEL_FIRST = process.env.BENCH_CANCEL_FIRST === '1';
const MAC = '02:56:4E:AE:00:00';
const OOPS = /BUG:|Oops|Kernel panic|general protection|is not a head|RIP: /;
// Pings the destination must answer (one every 50 ms) before it counts as having survived.
const SURVIVED_PINGS = 60;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const dpus = { homes: [], procs: [] };
let bridge;
/** @type {Vm[]} */
const vms = [];
const tag = process.pid % 1000;
try {
  const sides = await startSides('vnbr', MAC, dpus);
  bridge = new Bridge(`vnbr${tag}`);
  for (const s of sides) bridge.add(s.rep);
  const joinTap = (ifname) => {
    bridge.add(ifname);
    execFileSync('ip', ['link', 'set', ifname, 'up']);
  };

  /** One migration of a fresh guest; `tap`: QEMU's own NIC instead of our device. */
  async function once(i, tap) {
    const [a, b] = sides.map((s) => (tap ? { name: s.name, qmp: s.qmp, dir: s.dir, tapNic: { ifname: `vnr${tag}${s.name}${i}`, mac: MAC.toLowerCase() } } : s));
    const src = await bootGuest(a);
    vms.push(src);
    if (tap) joinTap(a.tapNic.ifname);
    const stream = await startStream();
    try {
      await trafficFlows(src);
      if (CANCEL_FIRST) {
        // a migration cancelled 100 ms in (at 8 MiB/s, most of the memory still to go), as the e2e test does
        const c = await new Vm(`${b.name}${i}c`, { qmp: b.qmp, rootPorts: 0, cpus: 1, ...(tap ? { tapNic: { ...b.tapNic, ifname: `${b.tapNic.ifname}c` } } : { coldPlug: [b.coldPlug] }), console: 'stdio' }, { incoming: true }).start();
        vms.push(c);
        const rc = await migrate(src, c, { uri: `unix:${b.dir}/migrate-${process.pid}-${i}c.sock`, cancelAfterMs: 100, params: { 'max-bandwidth': 8 << 20 } });
        if (rc.status !== 'cancelled') throw new Error(`the migration to cancel ended ${rc.status}`);
        await c.stop();
        await qmp(src.opts.qmp, 'migrate-set-parameters', { 'max-bandwidth': 1 << 30 });
      }
      const dst = await new Vm(`${b.name}${i}`, { qmp: b.qmp, rootPorts: 0, cpus: 1, ...(tap ? { tapNic: b.tapNic } : { coldPlug: [b.coldPlug] }), console: 'stdio' }, { incoming: true, paused: true }).start();
      vms.push(dst);
      if (tap) joinTap(b.tapNic.ifname);
      const r = await migrate(src, dst, { uri: `unix:${b.dir}/migrate-${process.pid}-${i}.sock` });
      if (r.status !== 'completed') throw new Error(`migration ${r.status}: ${r.error}`);
      const diff = await ramDiff(src, dst, b.dir);
      await qmp(dst.opts.qmp, 'cont');
      await src.stop();
      // The destination runs on: a kernel that lost memory tends to oops within seconds. It has
      // survived once its ping got SURVIVED_PINGS more answers (3 s), within a deadline.
      let answers = false;
      try {
        const from = await pingReplies(dst);
        for (const deadline = Date.now() + 20_000; Date.now() < deadline && !dst.lines.some((l) => OOPS.test(l)); await sleep(100))
          if ((await pingReplies(dst)) >= from + SURVIVED_PINGS) {
            answers = true;
            break;
          }
      } catch {
        // QEMU exited (a panic) or the shell no longer answers
      }
      const oops = dst.lines.find((l) => OOPS.test(l));
      await dst.stop();
      return { diff, crashed: !answers || oops !== undefined, oops, downtimeMs: r.downtimeMs };
    } finally {
      stream.close();
      for (const v of vms.splice(0)) await v.stop();
    }
  }

  const rows = { ours: [], qemu: [] };
  for (let i = 0; i < RUNS; i++) {
    for (const tap of [false, true]) {
      const r = await once(i, tap);
      (tap ? rows.qemu : rows.ours).push(r);
      if (process.env.BENCH_DEBUG)
        console.error(`${tap ? 'qemu' : 'ours'} ${i}: ${r.diff.length} pages differ ${r.diff.slice(0, 12).map((d) => `${d.page.toString(16)}[${d.first}-${d.last}]`).join(' ')}${r.crashed ? ` CRASHED ${r.oops ?? '(no answer)'}` : ''}`);
    }
  }

  console.log(`\n${RUNS} migrations of each NIC, a guest booted afresh for each and migrated once its traffic flows${CANCEL_FIRST ? ', each after one cancelled 100 ms in' : ''} (${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}; Node ${process.version}; guest Linux under QEMU TCG, 512 MiB, 1 vCPU)\n`);
  console.log('| NIC | migrations | RAM differed after | pages differing (all migrations) | guest crashed after |');
  console.log('|---|---:|---:|---:|---:|');
  for (const [name, rs] of [
    ['virtio-net on a device of ours (vhost-user, dirty log)', rows.ours],
    ["QEMU's own virtio-net on a TAP (no vhost)", rows.qemu],
  ]) {
    const differed = rs.filter((r) => r.diff.length > 0).length;
    const pages = rs.reduce((n, r) => n + r.diff.length, 0);
    const crashed = rs.filter((r) => r.crashed).length;
    console.log(`| ${name} | ${rs.length} | ${differed} | ${pages} | ${crashed} |`);
  }
} finally {
  for (const v of vms) await v.stop();
  bridge?.remove();
  await stopSides(dpus);
}
