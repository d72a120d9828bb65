/**
 * `virtnet validate` (a virtnet.conf or a providers directory, checked
 * against this DPU without applying anything) and `virtnet log` (the log
 * level, changed at run time: the next line logged already follows it).
 */
import { Inject, Injectable, Logger } from '@nestjs/common';
import { validateConfiguration, type DpuProfile, type RpcArgs, type ValidateResult } from '@virtnet/shared';
import type { Logger as Pino } from 'pino';
import { LOGGER, logFormat } from '../common/logger.js';
import { DPU_PROFILE } from './tokens.js';

@Injectable()
export class ConfigService {
  private readonly log = new Logger('config');

  constructor(
    @Inject(DPU_PROFILE) private readonly profile: DpuProfile,
    @Inject(LOGGER) private readonly root: Pino,
  ) {}

  /** The same checks as at start and as the CLI's own `virtnet validate`, against this controller's DPU. */
  validate(p: RpcArgs<'validate'>): ValidateResult {
    return validateConfiguration(p, this.profile);
  }

  level(p: RpcArgs<'log'>) {
    const before = this.root.level as 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal';
    if (p.level === undefined || p.level === before) return { level: before, format: logFormat() };
    this.root.level = p.level;
    // Logged at warn so that the change itself shows at any level.
    this.log.warn(`log level ${before} -> ${p.level}`);
    return { level: p.level, previous: before, format: logFormat() };
  }
}
