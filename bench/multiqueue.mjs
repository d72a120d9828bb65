#!/usr/bin/env node
// Multiqueue scaling: DPDK's virtio-user driver (testpmd, one forwarding
// core, core 1) on one queue pair of our device served by one worker
// (core 0), then on two queue pairs served by two workers (cores 0 and 1,
// the second beside the driver, as a DPU's cores are shared with nothing
// but here must be). The DPU runs at the priority vnet-dpu takes (nice
// -10), so a worker with frames to move runs before the busy-polling
// driver; a worker that finds its rings empty yields the core before it
// looks again, and sleeps once they stay empty. Aggregate Mpps seen by the
// driver, and the ratio two pairs / one pair, each run's own.
//
// What two cores allow, from the same run: the driver's ceiling (one pair
// against a back-end that hands every descriptor back untouched) is the
// most its one forwarding core moves on any number of queues; and with the
// device the bottleneck of one pair (its worker busy for every frame at
// the rate of one pair), driver and device together need 1/ceiling +
// 1/(one pair) of a core per frame, so two cores move at most
// 2 / (1/ceiling + 1/one). The smaller of the two, over one pair, is the
// scaling this machine can show at best; `bound` prints it beside the
// measured ratio. A DPU's workers have cores of their own.
//
//   node bench/multiqueue.mjs           (root for the priority; dpdk-testpmd)
//   BENCH_SECONDS=5 BENCH_RUNS=3 BENCH_CASES=rx:1500,tx:1500 node bench/multiqueue.mjs
import { buildServe, loadavg, machine, measure, median, needTestpmd, serve, testpmd } from './testpmd.mjs';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const CASES = (process.env.BENCH_CASES ?? 'rx:1500,rx:64,tx:1500,tx:64').split(',').filter(Boolean)
  .map((c) => ({ dir: c.split(':')[0], size: Number(c.split(':')[1]), runs: [] }));

needTestpmd();
buildServe();

async function run(c, pairs, backend) {
  const dev = await serve({
    backend: backend ?? (c.dir === 'tx' ? 'sink' : 'gen'),
    size: c.size,
    queues: 2 * pairs + 1,
    workers: pairs,
    cores: pairs === 1 ? '0' : '0,1',
    wrap: process.getuid?.() === 0 ? ['nice', '-n', '-10'] : [],
  });
  const driver = testpmd([`net_virtio_user0,path=${dev.socket},queues=${pairs},queue_size=1024,mrg_rxbuf=1,in_order=0`], {
    lcores: [0, 1],
    extra: [`--rxq=${pairs}`, `--txq=${pairs}`],
  });
  try {
    await driver.ready();
    await driver.run(`set fwd ${c.dir === 'tx' ? 'txonly' : 'rxonly'}`);
    if (c.dir === 'tx') await driver.run(`set txpkts ${c.size}`);
    const s = await measure(driver, SECONDS);
    return c.dir === 'tx' ? s.txPps : s.rxPps;
  } finally {
    await driver.quit();
    await dev.stop();
  }
}

const load = [loadavg()];
console.log(`${SECONDS} s per measurement after 1 s warm-up, ${RUNS} runs; ${machine()}; load ${load[0]}`);
for (let r = 0; r < RUNS; r++) {
  for (const c of CASES) {
    const ceiling = await run(c, 1, 'ceiling');
    const one = await run(c, 1);
    const two = await run(c, 2);
    const bound = Math.min(ceiling, 2 / (1 / ceiling + 1 / one)) / one;
    c.runs.push({ ceiling, one, two, bound });
    console.log(`run ${r + 1} ${c.dir} ${c.size} B: ceiling ${(ceiling / 1e6).toFixed(2)}, 1 pair ${(one / 1e6).toFixed(2)}, 2 pairs ${(two / 1e6).toFixed(2)} Mpps`);
  }
  load.push(loadavg());
}
console.log(`\nload average (1, 5, 15 min) at the start and after each run: ${load.join(' | ')}\n`);
console.log('Medians of the runs; ratios are the median of each run\'s own. Target: 2 / 1 >= 1.6 (on cores of their own).\n');
console.log('| direction | frame bytes | ceiling Mpps | 1 pair, 1 worker Mpps | 2 pairs, 2 workers Mpps | 2 / 1 | at most on 2 cores (x 1 pair) | 2 pairs / that |');
console.log('|---|---:|---:|---:|---:|---:|---:|---:|');
for (const c of CASES) {
  const dir = c.dir === 'tx' ? 'driver TX -> device' : 'device -> driver RX';
  const m = (k) => (median(c.runs.map((x) => x[k])) / 1e6).toFixed(2);
  const r = (f) => median(c.runs.map(f)).toFixed(2);
  console.log(`| ${dir} | ${c.size} | ${m('ceiling')} | ${m('one')} | ${m('two')} | ${r((x) => x.two / x.one)} | ${r((x) => x.bound)} | ${r((x) => x.two / x.one / x.bound)} |`);
}
