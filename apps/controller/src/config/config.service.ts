/**
 * `virtnet validate` (a virtnet.conf or a providers directory, checked
 * against this DPU without applying anything) and `virtnet log` (the log
 * level, changed at run time: the next line logged already follows it).
 */
import { Inject, Injectable, Logger } from '@nestjs/common';
import { LogParamsSchema, ValidateParamsSchema, chooseProvider, parseOrThrow, type DpuProfile, type ValidateResult } from '@virtnet/shared';
import type { Logger as Pino } from 'pino';
import { checkVirtnetConf } from '../settings/config-files.js';
import { LOGGER, logFormat } from '../common/logger.js';
import { DPU_PROFILE } from './tokens.js';

@Injectable()
export class ConfigService {
  private readonly log = new Logger('config');

  constructor(
    @Inject(DPU_PROFILE) private readonly profile: DpuProfile,
    @Inject(LOGGER) private readonly root: Pino,
  ) {}

  validate(params: unknown): ValidateResult {
    const p = parseOrThrow(ValidateParamsSchema, params);
    if (p.kind === 'conf') {
      const r = checkVirtnetConf(p.text, this.profile);
      return { path: p.path, kind: 'conf', valid: r.value !== null, errors: r.errors, warnings: r.warnings, effective: r.value };
    }
    const r = chooseProvider(p.files);
    const finding = (f: { file: string; line?: number; message: string }) => ({ key: f.file, ...(f.line !== undefined ? { line: f.line } : {}), message: f.message });
    return {
      path: p.path,
      kind: 'providers',
      valid: r.errors.length === 0,
      errors: r.errors.map(finding),
      warnings: r.warnings.map(finding),
      effective: { provider: r.chosen, source: r.source, entries: r.entries },
    };
  }

  level(params: unknown) {
    const p = parseOrThrow(LogParamsSchema, params);
    const before = this.root.level as 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal';
    if (p.level === undefined || p.level === before) return { level: before, format: logFormat() };
    this.root.level = p.level;
    // Logged at warn so that the change itself shows at any level.
    this.log.warn(`log level ${before} -> ${p.level}`);
    return { level: p.level, previous: before, format: logFormat() };
  }
}
