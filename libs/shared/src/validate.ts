/**
 * `virtnet validate`: a virtnet.conf or the files of a providers directory,
 * checked as the controller checks them at start, with nothing applied.
 */
import { z } from 'zod';
import { integer } from './fields.js';

/** What the CLI sends when it asks a running controller: the text, never a path the controller would read. */
export const ValidateParamsSchema = z
  .discriminatedUnion('kind', [
    z.object({ kind: z.literal('conf'), path: z.string().max(4096), text: z.string().max(1 << 20) }).strict(),
    z
      .object({
        kind: z.literal('providers'),
        path: z.string().max(4096),
        files: z.array(z.object({ name: z.string().min(1).max(255), text: z.string().max(1 << 16) }).strict()).max(256),
      })
      .strict(),
  ])
  .describe('A virtnet.conf, or the files of a providers directory');
export type ValidateParams = z.infer<typeof ValidateParamsSchema>;

export const FindingSchema = z.object({
  key: z.string().describe('The key (virtnet.conf) or file (providers) at fault; (file) for the whole file'),
  line: integer().optional(),
  message: z.string(),
});
export const ValidateResultSchema = z.object({
  path: z.string(),
  kind: z.enum(['conf', 'providers']),
  valid: z.boolean(),
  errors: z.array(FindingSchema),
  warnings: z.array(FindingSchema),
  /** conf: the options with their rules applied; providers: the provider that would run. */
  effective: z.unknown(),
});
export type ValidateResult = z.infer<typeof ValidateResultSchema>;

export const VALIDATE_METHODS = {
  validate: { params: ValidateParamsSchema, result: ValidateResultSchema },
} as const;
