/**
 * The controller's log level, shown and changed at run time (`virtnet log`).
 */
import { z } from 'zod';
import { LOG_LEVEL_NAMES } from './log-levels.js';

export const LogLevelSchema = z.enum(LOG_LEVEL_NAMES).describe('Log level');

export const LogParamsSchema = z.object({ level: LogLevelSchema.optional().describe('Set this level; absent: only show it') }).strict();
export const LogResultSchema = z.object({
  level: LogLevelSchema.describe('The level in effect'),
  previous: LogLevelSchema.optional().describe('The level before this call changed it'),
  format: z.enum(['json', 'journal', 'pretty']).describe('How log lines are written'),
});

export const LOG_METHODS = {
  log: { params: LogParamsSchema, result: LogResultSchema },
} as const;
