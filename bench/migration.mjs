#!/usr/bin/env node
// Live migration of the lab guest (Linux under QEMU, TCG) between two DPUs on
// this machine, back and forth: QEMU's own downtime figure for each
// migration, the pings the guest missed across it (one every 50 ms to the
// bridge that joins both DPUs' representors), and the lines of a stream the
// guest received during all of it that came corrupted. Needs root (TAP
// representors, a bridge) and qemu-system-x86.
//
//   node bench/migration.mjs          (after npm run build; BENCH_RUNS=10 migrations)
import { cpus } from 'node:os';
import { startSides, stopSides } from './migration-sides.mjs';
import { Bridge, bootGuest, guestCounts, hops, startStream, streamLines, trafficFlows } from '../scripts/lab/migration.mjs';

const RUNS = Number(process.env.BENCH_RUNS ?? 10);
const dpus = { homes: [], procs: [] };
let bridge;
let vm;
let stream;
try {
  const sides = await startSides('vnbm', '02:56:4E:AC:00:00', dpus);
  bridge = new Bridge(`vnbm${process.pid % 10000}`);
  for (const s of sides) bridge.add(s.rep);
  vm = await bootGuest(sides[0]);
  stream = await startStream();
  await trafficFlows(vm);

  const rows = [];
  vm = await hops(vm, sides, RUNS, (h) => {
    rows.push(h);
    if (process.env.BENCH_DEBUG) console.error(h);
  });
  // The stream ends; every line written must arrive (TCP), and none may differ from what was sent.
  stream.stop();
  const sent = stream.sent();
  for (let i = 0; i < 600 && (await streamLines(vm)) < sent; i++) await new Promise((r) => setTimeout(r, 100));
  const counts = await guestCounts(vm);

  const med = (xs) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];
  const down = rows.map((r) => r.downtimeMs);
  const total = rows.map((r) => r.totalMs);
  const lost = rows.map((r) => r.pingsLost);
  console.log(`\n${RUNS} migrations back and forth between two DPUs (${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}; Node ${process.version}; guest Linux under QEMU TCG, 512 MiB, 1 vCPU)\n`);
  console.log('| migration | QEMU downtime ms | total ms | pings lost (50 ms apart) |');
  console.log('|---|---:|---:|---:|');
  for (const r of rows) console.log(`| ${r.i + 1}: ${r.from} -> ${r.to} | ${r.downtimeMs} | ${r.totalMs} | ${r.pingsLost} |`);
  console.log('');
  console.log('| what | figure | target |');
  console.log('|---|---:|---|');
  console.log(`| QEMU downtime, median / max ms | ${med(down)} / ${Math.max(...down)} | <= 300 |`);
  console.log(`| migration total time, median ms | ${med(total)} | - |`);
  console.log(`| pings lost per migration, median / max | ${med(lost)} / ${Math.max(...lost)} | <= 2 |`);
  console.log(`| stream lines received / sent, not as sent | ${counts.stream} / ${sent}, ${counts.corrupted} | 0 corrupted |`);
  console.log(`| TCP segments the guest dropped for a bad checksum | ${counts.csumErrors} | 0 |`);
} finally {
  stream?.close();
  await vm?.stop();
  bridge?.remove();
  await stopSides(dpus);
}
