/**
 * Service integration, with this test playing the service manager: the
 * built controller tells NOTIFY_SOCKET it is ready once its devices exist
 * and it listens; after `restart` (or SIGHUP, systemctl reload) the process
 * that took over announces itself as the main PID; it says STOPPING on
 * SIGTERM; and with the journal's log format every line carries its syslog
 * priority.
 */
import { NotifyListener, runningDpu } from '@virtnet/hw';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { rpc } from '@virtnet/rpc-client';
import { until, type RpcMethod, type RpcParams } from '@virtnet/shared';

const MAIN = resolve(import.meta.dirname, '../../dist/main.js');

/** One JSON-RPC call to the controller of `home`, through the CLI's own client. */
const call = <M extends RpcMethod>(home: string, method: M) => rpc(join(home, 'virtnet.sock'), method, {} as RpcParams<M>);

const cleanups: (() => void)[] = [];
afterEach(() => cleanups.splice(0).forEach((c) => c()));

function start(env: NodeJS.ProcessEnv): { home: string; proc: ChildProcess; out: () => string; listener: NotifyListener } {
  const home = mkdtempSync(join(tmpdir(), 'vn-svc-'));
  const listener = new NotifyListener(join(home, 'notify.sock'));
  let out = '';
  const proc = spawn(process.execPath, [MAIN], {
    env: { ...process.env, VIRTNET_HOME: home, VIRTNET_HTTP_PORT: '0', VIRTNET_DATAPATH: 'echo', VIRTNET_HOST: 'external', NOTIFY_SOCKET: listener.path, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  proc.stdout!.on('data', (d) => (out += d));
  proc.stderr!.on('data', (d) => (out += d));
  cleanups.push(() => {
    proc.kill('SIGKILL');
    try {
      const pid = (JSON.parse(readFileSync(join(home, 'controller.json'), 'utf8')) as { pid: number }).pid;
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone already
    }
    listener.close();
    const dpu = runningDpu(home); // it outlives the controller by design
    if (dpu) process.kill(dpu, 'SIGKILL');
    rmSync(home, { recursive: true, force: true });
  });
  return { home, proc, out: () => out, listener };
}

describe('service integration', () => {
  it('notifies readiness, the new main PID after a restart and a reload, and stopping', async () => {
    expect(existsSync(MAIN)).toBe(true);
    const { home, proc, listener, out } = start({});
    const ready = await until('READY=1', () => listener.drain().find((m) => m.includes('READY=1')), 20_000);
    expect(ready).toMatch(/STATUS=ace provider, 2 devices, http:\/\/127\.0\.0\.1:\d+\//);
    // ready means answering
    expect((await call(home, 'health')).status).toBe('ok');

    expect(await call(home, 'restart')).toMatchObject({ status: 'started', kind: 'restart' });
    const mainpid = await until('MAINPID of the new process', () => listener.drain().find((m) => /^MAINPID=\d+/.test(m) && !m.includes(`MAINPID=${proc.pid}`)), 20_000);
    const newPid = Number(/MAINPID=(\d+)/.exec(mainpid)![1]);
    expect(newPid).not.toBe(proc.pid);
    await until('the old process to exit', () => (proc.exitCode !== null ? true : undefined), 20_000);
    expect(proc.exitCode).toBe(0);
    await until('READY=1 from the new process', () => (listener.drain().filter((m) => m.includes('READY=1')).length >= 2 ? true : undefined), 20_000);

    // systemctl reload: SIGHUP to the main process
    process.kill(newPid, 'SIGHUP');
    const third = await until(`MAINPID after the reload (log:\n${out()})`, () => {
      const m = listener.drain().find((x) => /^MAINPID=\d+/.test(x) && !x.includes(`MAINPID=${newPid}`) && !x.includes(`MAINPID=${proc.pid}`));
      return m ? Number(/MAINPID=(\d+)/.exec(m)![1]) : undefined;
    }, 20_000);
    await until('the reloaded controller to answer', async () => {
      try {
        return (await call(home, 'update_status'))['last live update status'] === 'success' && (await call(home, 'health')) ? true : undefined;
      } catch {
        return undefined;
      }
    }, 20_000);
    await until('READY=1 after the reload', () => (listener.drain().filter((m) => m.includes('READY=1')).length >= 3 ? true : undefined), 20_000);
    process.kill(third, 'SIGTERM');
    await until('STOPPING=1', () => listener.drain().find((m) => m === 'STOPPING=1'), 20_000);
  }, 60_000);

  it('writes journal lines with their syslog priority', async () => {
    const { listener, out } = start({ VIRTNET_LOG_FORMAT: 'journal' });
    await until('READY=1', () => listener.drain().find((m) => m.includes('READY=1')), 20_000);
    const lines = out()
      .split('\n')
      .filter((l) => l.startsWith('<'));
    expect(lines.some((l) => /^<6>devices: reconciled with the DPU: 0 devices kept running, 0 recreated, 2 static PFs and VFs created, 0 unbacked functions removed, 0 failed$/.test(l))).toBe(true);
    expect(out()).not.toMatch(/^\{"level"/m);
  }, 30_000);
});
