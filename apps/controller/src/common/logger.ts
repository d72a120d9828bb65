/**
 * Logging: pino, one JSON object per line (log shippers read it),
 * pretty-printed when stdout is a terminal, and in the journal's own form
 * when systemd's journal reads stdout (JOURNAL_STREAM names it): each line
 * starts with its syslog priority (`<3>` error ... `<7>` debug), which
 * journald turns into the entry's PRIORITY, so `journalctl -p warning`
 * works. Nest's own messages go through the same logger.
 */
import type { LoggerService } from '@nestjs/common';
import { fstatSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Writable } from 'node:stream';
import { pino, type Logger } from 'pino';
import type { LogLevel } from '../settings/settings.js';

/** True when stdout is the stream systemd's journal reads (see systemd.exec(5), JOURNAL_STREAM). */
export function stdoutIsJournal(env: NodeJS.ProcessEnv = process.env): boolean {
  const js = env['JOURNAL_STREAM'];
  if (!js) return false;
  try {
    const st = fstatSync(1);
    return js === `${st.dev}:${st.ino}`;
  } catch {
    return false;
  }
}

export function logFormat(): 'json' | 'journal' | 'pretty' {
  if (process.env['VIRTNET_LOG_FORMAT'] === 'journal' || stdoutIsJournal()) return 'journal';
  if (process.env['VIRTNET_LOG_FORMAT'] === 'json') return 'json';
  return process.stdout.isTTY ? 'pretty' : 'json';
}

/** pino's numeric levels to syslog priorities (sd-daemon(3)). */
const PRIORITY: Record<number, number> = { 10: 7, 20: 7, 30: 6, 40: 4, 50: 3, 60: 2 };

/** `<priority>context: message key=value ...`, one line per entry, for the journal. */
export function journalLine(json: string): string {
  const e = JSON.parse(json) as Record<string, unknown>;
  const { level, msg, context } = e;
  const extra = Object.entries(e)
    .filter(([k]) => !['level', 'msg', 'context', 'time', 'pid', 'hostname'].includes(k))
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(' ');
  return `<${PRIORITY[level as number] ?? 6}>${context ? `${String(context)}: ` : ''}${String(msg ?? '')}${extra ? ` ${extra}` : ''}\n`;
}

function journalStream(): Writable {
  return new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line) process.stdout.write(journalLine(line));
      done();
    },
  });
}

/** Loaded only for a terminal: a service's start does not pay for it. */
function prettyStream(): NodeJS.WritableStream {
  const pretty = createRequire(import.meta.url)('pino-pretty') as typeof import('pino-pretty');
  return pretty({ sync: true, translateTime: 'HH:MM:ss.l', ignore: 'pid,hostname' });
}

export function createLogger(level: LogLevel, stream?: NodeJS.WritableStream): Logger {
  const format = logFormat();
  const dest =
    stream ??
    (format === 'journal'
      ? journalStream()
      : format === 'pretty'
        ? prettyStream()
        : pino.destination({ sync: true }));
  return pino({ level, base: { pid: process.pid } }, dest);
}

/** Nest's start-up chatter (one line per module and route) is debug detail, not news. */
const QUIET_CONTEXTS = new Set(['InstanceLoader', 'RoutesResolver', 'RouterExplorer', 'NestFactory', 'WebSocketsController', 'NestApplication']);

export class NestPinoLogger implements LoggerService {
  constructor(private readonly logger: Logger) {}

  private write(level: 'debug' | 'info' | 'warn' | 'error' | 'trace', message: unknown, rest: unknown[]): void {
    const context = typeof rest[rest.length - 1] === 'string' ? (rest[rest.length - 1] as string) : undefined;
    if (message instanceof Error) this.logger[level]({ context, err: message }, message.message);
    else this.logger[level]({ context }, String(message));
  }

  log(message: unknown, ...rest: unknown[]): void {
    const context = rest[rest.length - 1];
    this.write(typeof context === 'string' && QUIET_CONTEXTS.has(context) ? 'debug' : 'info', message, rest);
  }
  error(message: unknown, ...rest: unknown[]): void {
    this.write('error', message, rest);
  }
  warn(message: unknown, ...rest: unknown[]): void {
    this.write('warn', message, rest);
  }
  debug(message: unknown, ...rest: unknown[]): void {
    this.write('debug', message, rest);
  }
  verbose(message: unknown, ...rest: unknown[]): void {
    this.write('trace', message, rest);
  }
}

export const LOGGER = Symbol('LOGGER');
