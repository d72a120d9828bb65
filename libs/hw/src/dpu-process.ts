/**
 * The DPU process of a VIRTNET_HOME: where its files are, whether one runs,
 * and starting one. It runs in its own session, so it outlives whoever
 * started it (a controller's crash, restart or live update), as hardware
 * outlives its controller.
 *
 * Files in the home: dpu.sock (control socket), dpu.pid, dpu.log.
 */
import { spawn } from 'node:child_process';
import { existsSync, openSync, closeSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { HwError } from './hardware.js';
import { nativeBuildFile } from './native/library.js';

const PACKAGE_BINARY = nativeBuildFile('vnet-dpu');

export interface DpuFiles {
  control: string;
  pidFile: string;
  log: string;
}

export function dpuFiles(home: string): DpuFiles {
  return { control: join(home, 'dpu.sock'), pidFile: join(home, 'dpu.pid'), log: join(home, 'dpu.log') };
}

export function dpuBinary(env: NodeJS.ProcessEnv = process.env): string {
  return env['VIRTNET_DPU_BINARY'] || PACKAGE_BINARY;
}

/** True while a process answers on the control socket. */
export function answers(control: string, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolvePromise) => {
    const s = connect(control);
    const timer = setTimeout(() => {
      s.destroy();
      resolvePromise(false);
    }, timeoutMs);
    s.once('connect', () => {
      clearTimeout(timer);
      s.destroy();
      resolvePromise(true);
    });
    s.once('error', () => {
      clearTimeout(timer);
      resolvePromise(false);
    });
  });
}

/** The pid file's process when it is a live vnet-dpu serving this home's control socket, else null. */
export function runningDpu(home: string): number | null {
  const { pidFile, control } = dpuFiles(home);
  try {
    const pid = Number(readFileSync(pidFile, 'utf8').trim());
    if (!pid) return null;
    const args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    if (stat.slice(stat.lastIndexOf(')') + 2)[0] === 'Z') return null;
    return args[0]?.endsWith('vnet-dpu') && args.includes(control) ? pid : null;
  } catch {
    return null;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Starts vnet-dpu for this home and waits until it answers. Its output goes
 * to dpu.log. Throws HwError DPU_UNAVAILABLE when it does not come up.
 */
export async function startDpu(home: string, env: NodeJS.ProcessEnv = process.env, timeoutMs = 10_000): Promise<number> {
  const files = dpuFiles(home);
  const binary = dpuBinary(env);
  if (!existsSync(binary)) throw new HwError('DPU_UNAVAILABLE', `the DPU program is not built (${binary}); run 'make -C libs/hw/native'`, -22);
  const out = openSync(files.log, 'a');
  let exited: string | null = null;
  try {
    const child = spawn(binary, ['--control', files.control, '--pid-file', files.pidFile], { detached: true, stdio: ['ignore', out, out] });
    child.once('exit', (code, signal) => (exited = signal ?? `code ${code}`));
    child.once('error', (e) => (exited = e.message));
    child.unref();
    const deadline = Date.now() + timeoutMs;
    while (!(await answers(files.control, 500))) {
      if (exited) throw new HwError('DPU_UNAVAILABLE', `the DPU process exited (${exited}) before answering; see ${files.log}`, -22);
      if (Date.now() > deadline) throw new HwError('DPU_UNAVAILABLE', `the DPU process did not answer within ${timeoutMs / 1000} s; see ${files.log}`, -22);
      await sleep(5);
    }
    return child.pid!;
  } finally {
    closeSync(out);
  }
}

/** Waits until the process is gone (after a power-off or a kill). */
export async function waitGone(pid: number, timeoutMs = 10_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      if (stat.slice(stat.lastIndexOf(')') + 2)[0] === 'Z') return true;
    } catch {
      return true;
    }
    if (Date.now() > deadline) return false;
    await sleep(5);
  }
}
