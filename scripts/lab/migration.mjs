// @ts-check
/**
 * Live migration in the lab: a running guest moves from a device of one DPU
 * to a device of another with QEMU's own live migration. Two DPUs run on
 * this machine (two controllers, two homes), each with one static PF of the
 * same MAC; their TAP representors are ports of one Linux bridge holding
 * 198.18.93.1/24, a switch that has to learn where the guest went. The
 * lab guest boots on DPU A's device; a second QEMU waits on DPU B's
 * (`-incoming defer`); `migrate` over QMP moves the guest, and QEMU's
 * announce (through the guest with GUEST_ANNOUNCE, else the back-end's RARP)
 * tells the bridge.
 *
 * Shared by `npm run lab -- migrate`, bench/migration.mjs and the
 * end-to-end test.
 */
import { execFileSync, spawn } from 'node:child_process';
import { connect } from 'node:net';
import { vmArgs } from './vm.mjs';

export const NET = { bridgeIp: '198.18.93.1', guestIp: '198.18.93.2', prefix: 24 };
/** The stream the guest checks: a TCP connection from the bridge's address, a line every 5 ms, a sequence number and a fixed pattern. */
export const STREAM = { port: 7000, pattern: '0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-_' };

const sleep = (/** @type {number} */ ms) => new Promise((r) => setTimeout(r, ms));

/**
 * One QMP command on a fresh connection (greeting, capabilities, the command).
 * @param {string} sock @param {string} execute @param {Record<string, unknown>} [args]
 * @returns {Promise<any>} its `return`
 */
export function qmp(sock, execute, args) {
  return new Promise((resolve, reject) => {
    const s = connect(sock);
    let buf = '';
    let step = 0;
    const timer = setTimeout(() => {
      s.destroy();
      reject(new Error(`QMP ${execute} at ${sock}: no answer within 10 s`));
    }, 10_000);
    const done = (/** @type {() => void} */ f) => {
      clearTimeout(timer);
      s.end();
      f();
    };
    s.setEncoding('utf8');
    s.on('error', (e) => done(() => reject(e)));
    s.on('data', (d) => {
      buf += d;
      let nl;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const msg = JSON.parse(buf.slice(0, nl));
        buf = buf.slice(nl + 1);
        if (msg.event) continue;
        if (msg.QMP) {
          s.write(JSON.stringify({ execute: 'qmp_capabilities' }) + '\n');
        } else if (step === 0) {
          step = 1;
          s.write(JSON.stringify({ execute, ...(args ? { arguments: args } : {}) }) + '\n');
        } else if (msg.error) {
          done(() => reject(new Error(`QMP ${execute}: ${msg.error.desc}`)));
        } else {
          done(() => resolve(msg.return));
        }
      }
    });
  });
}

/**
 * A lab VM with its serial console on this process's pipes: console lines,
 * commands run in the guest's shell (scripts/lab/init), QMP.
 */
export class Vm {
  /**
   * @param {string} name for messages
   * @param {Parameters<typeof vmArgs>[0]} opts
   * @param {{ incoming?: boolean, paused?: boolean }} [mode] incoming: waits for a migration
   *   (-incoming defer); paused: does not run the guest once it arrived (-S) until `cont`
   */
  constructor(name, opts, mode = {}) {
    this.name = name;
    this.opts = opts;
    this.incoming = mode.incoming === true;
    this.paused = mode.paused === true;
    /** @type {string[]} */
    this.lines = [];
    this.partial = '';
    this.seq = 0;
    /** @type {Set<() => void>} */
    this.waiters = new Set();
    /** @type {import('node:child_process').ChildProcess | undefined} */
    this.proc = undefined;
  }

  /** Boots it (or, incoming, starts it paused for the migration). */
  async start(timeoutMs = 90_000) {
    const args = [...vmArgs({ ...this.opts, console: 'stdio' }), ...(this.incoming ? ['-incoming', 'defer'] : []), ...(this.paused ? ['-S'] : [])];
    const p = spawn('qemu-system-x86_64', args, { stdio: ['pipe', 'pipe', 'pipe'] });
    this.proc = p;
    const take = (/** @type {Buffer} */ d) => {
      this.partial += d.toString('utf8').replace(/\r/g, '');
      const parts = this.partial.split('\n');
      this.partial = parts.pop() ?? '';
      if (parts.length) {
        this.lines.push(...parts);
        for (const w of [...this.waiters]) w();
      }
    };
    // A guest that died (QEMU exited) fails the command waiting on it; its closed stdin must not throw too.
    p.stdin?.on('error', () => {});
    p.stdout?.on('data', take);
    p.stderr?.on('data', take);
    p.on('exit', () => {
      for (const w of [...this.waiters]) w();
    });
    if (this.incoming) {
      for (let i = 0; i < 200; i++) {
        try {
          if ((await qmp(this.opts.qmp, 'query-status')).status === 'inmigrate') return this;
        } catch {
          // not listening yet
        }
        await sleep(50);
      }
      throw new Error(`${this.name}: QEMU did not wait for a migration:\n${this.tail()}`);
    }
    await this.waitLine(/^VNET-READY$/, timeoutMs);
    return this;
  }

  /**
   * The first line from index `from` on that matches.
   * @param {RegExp} re @param {number} [timeoutMs] @param {number} [from]
   * @returns {Promise<RegExpExecArray>}
   */
  waitLine(re, timeoutMs = 30_000, from = 0) {
    return new Promise((resolve, reject) => {
      let i = from;
      const check = () => {
        for (; i < this.lines.length; i++) {
          const m = re.exec(this.lines[i] ?? '');
          if (m) return done(() => resolve(m));
        }
        if (this.proc?.exitCode !== null || this.proc?.signalCode) done(() => reject(new Error(`${this.name}: QEMU exited while waiting for ${re}:\n${this.tail()}`)));
      };
      const timer = setTimeout(() => done(() => reject(new Error(`${this.name}: no console line ${re} within ${timeoutMs} ms:\n${this.tail()}`))), timeoutMs);
      const done = (/** @type {() => void} */ f) => {
        clearTimeout(timer);
        this.waiters.delete(check);
        f();
      };
      this.waiters.add(check);
      check();
    });
  }

  /**
   * Runs a shell command in the guest: its output and exit status.
   * @param {string} cmd @param {number} [timeoutMs]
   */
  async run(cmd, timeoutMs = 30_000) {
    const n = ++this.seq;
    const from = this.lines.length;
    this.proc?.stdin?.write(`${cmd}\necho VNET-DONE-${this.name}-${n} $?\n`);
    const m = await this.waitLine(new RegExp(`^VNET-DONE-${this.name}-${n} (\\d+)$`), timeoutMs, from);
    const end = this.lines.findIndex((l, i) => i >= from && l === m[0]);
    return { code: Number(m[1]), out: this.lines.slice(from, end).join('\n') };
  }

  tail(n = 30) {
    return this.lines.slice(-n).join('\n');
  }

  async stop() {
    const p = this.proc;
    if (!p || p.exitCode !== null || p.signalCode !== null) return;
    const gone = new Promise((r) => p.once('exit', r));
    p.kill('SIGKILL');
    await gone;
  }
}

/**
 * Migrates the guest of `src` into `dst` (started incoming) over a unix
 * socket; resolves with QEMU's figures once it completed, failed or was
 * cancelled (`cancelAfterMs`: migrate_cancel that long after the start).
 * `params`: migrate-set-parameters first (max-bandwidth, downtime-limit).
 * @param {Vm} src @param {Vm} dst @param {{ uri: string, cancelAfterMs?: number, timeoutMs?: number, params?: Record<string, unknown> }} o
 * @returns {Promise<{ status: string, downtimeMs: number | null, totalMs: number | null, error: string | null }>}
 */
export async function migrate(src, dst, o) {
  if (o.params) await qmp(src.opts.qmp, 'migrate-set-parameters', o.params);
  await qmp(dst.opts.qmp, 'migrate-incoming', { uri: o.uri });
  await qmp(src.opts.qmp, 'migrate', { uri: o.uri });
  const t0 = Date.now();
  let cancelled = false;
  for (;;) {
    const info = await qmp(src.opts.qmp, 'query-migrate');
    if (['completed', 'failed', 'cancelled'].includes(info.status))
      return { status: info.status, downtimeMs: info.downtime ?? null, totalMs: info['total-time'] ?? null, error: info['error-desc'] ?? null };
    if (o.cancelAfterMs !== undefined && !cancelled && Date.now() - t0 >= o.cancelAfterMs) {
      cancelled = true;
      await qmp(src.opts.qmp, 'migrate_cancel');
    }
    if (Date.now() - t0 > (o.timeoutMs ?? 120_000)) throw new Error(`migration still ${info.status} after ${o.timeoutMs ?? 120_000} ms`);
    await sleep(20);
  }
}

/** A Linux bridge joining the representors of both DPUs, with the address the guest pings. */
export class Bridge {
  /** @param {string} name */
  constructor(name) {
    this.name = name;
    execFileSync('ip', ['link', 'add', name, 'type', 'bridge']);
    execFileSync('ip', ['addr', 'add', `${NET.bridgeIp}/${NET.prefix}`, 'dev', name]);
    execFileSync('ip', ['link', 'set', name, 'up']);
  }

  /** @param {string} netdev */
  add(netdev) {
    execFileSync('ip', ['link', 'set', netdev, 'master', this.name]);
  }

  /** Which port the bridge forwards `mac` to now (null: it has not learnt it). @param {string} mac */
  portOf(mac) {
    const fdb = JSON.parse(execFileSync('bridge', ['-j', 'fdb', 'show', 'br', this.name], { encoding: 'utf8' }));
    return fdb.find((/** @type {any} */ e) => e.mac?.toLowerCase() === mac.toLowerCase() && !e.flags?.includes('permanent'))?.ifname ?? null;
  }

  remove() {
    try {
      execFileSync('ip', ['link', 'del', this.name], { stdio: 'ignore' });
    } catch {
      // gone already
    }
  }
}

/** Shell lines for the guest: its address, a ping every `intervalS`, and the stream's receiver. */
export function guestTraffic(ifname = 'eth0', intervalS = 0.05) {
  return [
    `ip link set ${ifname} up && ip addr add ${NET.guestIp}/${NET.prefix} dev ${ifname}`,
    `(setsid sh -c 'echo $$ > /tmp/pinger; exec ping -i ${intervalS} ${NET.bridgeIp}' < /dev/null > /tmp/ping.log 2>&1 &)`,
    // nc ends the connection at its stdin's end: a stdin that never ends
    `(setsid sh -c 'sleep 2147483647 | nc -l -p ${STREAM.port}' < /dev/null > /tmp/stream 2>/dev/null &)`,
  ];
}

/** Pings the guest's ping has had answered so far. @param {Vm} vm */
export async function pingReplies(vm) {
  return Number((await vm.run('grep -c "bytes from" /tmp/ping.log; true')).out.trim().split('\n').pop());
}

/**
 * Resolves once the guest's traffic flows: its pings answered and the stream arriving.
 * @param {Vm} vm @param {number} [timeoutMs]
 */
export async function trafficFlows(vm, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const replies = await pingReplies(vm);
    if (replies > 5 && (await streamLines(vm)) > 0) return;
    if (Date.now() > deadline) throw new Error(`${vm.name}: no traffic within ${timeoutMs} ms (pings answered: ${replies})`);
    await sleep(100);
  }
}

/** Lines of the stream the guest has received so far. @param {Vm} vm */
export async function streamLines(vm) {
  return Number((await vm.run('wc -l < /tmp/stream')).out.trim().split('\n').pop());
}

/**
 * Stops the ping and reads what it counted: sent, received; the stream's
 * lines, and those not as sent; and the TCP segments the guest's kernel
 * dropped for a bad checksum (/proc/net/snmp: frames corrupted on the way,
 * which TCP then sent again).
 */
export async function guestCounts(/** @type {Vm} */ vm) {
  // ping prints its counts as it exits: wait for it to be gone
  await vm.run('p=$(cat /tmp/pinger); kill -INT $p; while kill -0 $p 2>/dev/null; do usleep 20000; done; true');
  const ping = (await vm.run('tail -n 3 /tmp/ping.log')).out;
  const m = /(\d+) packets transmitted, (\d+) packets received/.exec(ping);
  // One snapshot for both counts: the stream may still be arriving. A last line still on its way
  // (no newline yet) is counted by neither.
  await vm.run('cp /tmp/stream /tmp/stream.now');
  const lines = Number((await vm.run('wc -l < /tmp/stream.now')).out.trim().split('\n').pop());
  const good = Number((await vm.run(`head -n ${lines} /tmp/stream.now | grep -c -x -E '[0-9]{8} ${STREAM.pattern}'; true`)).out.trim().split('\n').pop());
  const snmp = `awk '/^Tcp:/ { if (!h) { for (i = 1; i <= NF; i++) n[i] = $i; h = 1 } else for (i = 1; i <= NF; i++) if (n[i] == "InCsumErrors") print $i }' /proc/net/snmp`;
  const csumErrors = Number((await vm.run(snmp)).out.trim().split('\n').pop());
  return { sent: m ? Number(m[1]) : NaN, received: m ? Number(m[2]) : NaN, stream: lines, corrupted: lines - good, csumErrors };
}

/** Pings the guest's ping has missed so far (gaps in its sequence numbers), and its last sequence number. */
export async function pingsLost(/** @type {Vm} */ vm) {
  const awk = `awk -F'seq=' '/bytes from/ { split($2, a, " "); s = a[1] + 0; if (p != "" && s > p + 1) lost += s - p - 1; p = s } END { print lost + 0, p + 0 }' /tmp/ping.log`;
  const [lost, last] = (await vm.run(awk)).out.trim().split('\n').pop()?.split(' ').map(Number) ?? [NaN, NaN];
  return { lost: lost ?? NaN, last: last ?? NaN };
}

/**
 * One side of the lab: a DPU's static PF as QEMU cold-plugs it (or, for a
 * comparison, a NIC of QEMU's own on a TAP), and its QMP socket.
 * @typedef {{ name: string, qmp: string, coldPlug?: import('./vm.mjs').ColdPlug, tapNic?: import('./vm.mjs').TapNic, dir: string }} Side
 */

/** The NIC options of vmArgs for a side. @param {Side} side */
export function nicOf(side) {
  return side.tapNic ? { tapNic: side.tapNic } : { coldPlug: side.coldPlug ? [side.coldPlug] : [] };
}

/**
 * Guest RAM of two QEMUs compared page by page (4 KiB), both stopped: the
 * source after a completed migration and the destination started paused.
 * Each dumps its RAM with QMP pmemsave into `dir`; the dumps are removed.
 * Resolves with the pages that differ: guest page number, the first and
 * last byte that differ and how many do.
 * @param {Vm} a @param {Vm} b @param {string} dir @param {number} [sizeMb]
 * @returns {Promise<{ page: number, first: number, last: number, bytes: number }[]>}
 */
export async function ramDiff(a, b, dir, sizeMb = 512) {
  const { readFileSync, rmSync } = await import('node:fs');
  const { join } = await import('node:path');
  const files = [join(dir, `ram-${process.pid}-a`), join(dir, `ram-${process.pid}-b`)];
  try {
    await qmp(a.opts.qmp, 'pmemsave', { val: 0, size: sizeMb * 1024 * 1024, filename: files[0] });
    await qmp(b.opts.qmp, 'pmemsave', { val: 0, size: sizeMb * 1024 * 1024, filename: files[1] });
    const x = readFileSync(files[0]);
    const y = readFileSync(files[1]);
    const out = [];
    for (let p = 0; p < x.length; p += 4096) {
      if (x.compare(y, p, p + 4096, p, p + 4096) === 0) continue;
      let first = -1;
      let last = -1;
      let bytes = 0;
      for (let k = 0; k < 4096; k++)
        if (x[p + k] !== y[p + k]) {
          if (first < 0) first = k;
          last = k;
          bytes++;
        }
      out.push({ page: p / 4096, first, last, bytes });
    }
    return out;
  } finally {
    for (const f of files) rmSync(f, { force: true });
  }
}

/**
 * Boots the guest on sides[0], starts its traffic (a ping every 50 ms, the
 * stream's receiver) and the stream from the bridge's address.
 * @param {Side} side
 */
export async function bootGuest(side) {
  const vm = await new Vm(side.name, { qmp: side.qmp, rootPorts: 0, cpus: 1, ...nicOf(side), console: 'stdio' }).start();
  await vm.waitLine(/^VNET-NIC-ADD eth0 /);
  for (const line of guestTraffic('eth0')) {
    const r = await vm.run(line);
    if (r.code !== 0) throw new Error(`guest: ${line}: exit ${r.code}\n${r.out}`);
  }
  return vm;
}

/** Streams lines to the guest's receiver from the bridge's address, one every 5 ms, until stop() (which lets what was written arrive) or close(). */
export async function startStream() {
  const { connect: tcp } = await import('node:net');
  /** @type {import('node:net').Socket | undefined} */
  let s;
  for (let i = 0; !s; i++) {
    const c = tcp({ host: NET.guestIp, port: STREAM.port, localAddress: NET.bridgeIp });
    try {
      await new Promise((resolve, reject) => {
        c.once('connect', resolve);
        c.once('error', reject);
      });
      s = c;
    } catch (e) {
      c.destroy();
      if (i >= 50) throw new Error(`the guest's stream receiver does not answer: ${/** @type {Error} */ (e).message}`);
      await sleep(100); // its nc is starting
    }
  }
  const sock = s;
  sock.on('error', () => {}); // a stop ends it
  let seq = 0;
  const timer = setInterval(() => sock.write(`${String(seq++).padStart(8, '0')} ${STREAM.pattern}\n`), 5);
  return {
    sent: () => seq,
    /** No more lines: what was written still arrives. */
    stop: () => (clearInterval(timer), sock.end()),
    close: () => (clearInterval(timer), sock.destroy()),
  };
}

/**
 * Migrates the guest `n` times between the two sides, starting on sides[0]
 * where `vm` runs; calls `report` after each with QEMU's figures and the
 * pings the guest missed across it. Resolves with the VM that holds the
 * guest at the end.
 * @param {Vm} vm @param {[Side, Side]} sides @param {number} n
 * @param {(hop: { i: number, from: string, to: string, status: string, downtimeMs: number | null, totalMs: number | null, pingsLost: number }) => void} report
 * @param {Record<string, unknown>} [params] migrate-set-parameters for every migration
 */
export async function hops(vm, sides, n, report, params) {
  let at = 0;
  /** @type {Vm | undefined} */
  let pending;
  try {
    for (let i = 0; i < n; i++) {
      const to = sides[1 - at];
      if (!to) throw new Error('two sides are needed');
      const dst = new Vm(`${to.name}${i}`, { qmp: to.qmp, rootPorts: 0, cpus: 1, ...nicOf(to), console: 'stdio' }, { incoming: true });
      pending = dst;
      await dst.start();
      const before = await pingsLost(vm);
      const r = await migrate(vm, dst, { uri: `unix:${to.dir}/migrate-${process.pid}-${i}.sock`, ...(params ? { params } : {}) });
      if (r.status !== 'completed') {
        await dst.stop();
        await vm.stop();
        throw new Error(`migration ${i + 1} ${r.status}: ${r.error}`);
      }
      await vm.stop();
      vm = dst;
      pending = undefined;
      // the pings of the switch: wait until the guest answers again, then count the gap
      for (let t = 0; t < 200; t++) {
        if ((await pingsLost(vm)).last > before.last + 3) break;
        await sleep(50);
      }
      const after = await pingsLost(vm);
      report({ i, from: sides[at]?.name ?? '?', to: to.name, status: r.status, downtimeMs: r.downtimeMs, totalMs: r.totalMs, pingsLost: after.lost - before.lost });
      at = 1 - at;
    }
  } catch (e) {
    // Nothing of a failed run keeps running: the guest where it is, and the QEMU that waited for it.
    await pending?.stop();
    await vm.stop();
    throw e;
  }
  return vm;
}
