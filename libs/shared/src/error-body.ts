/**
 * The schema of every failed request's body, for the API document and for
 * clients that check what they were sent.
 */
import { z } from 'zod';
import { ERROR_CODES, type ErrorBody, type ErrorCode } from './errors.js';

export const ErrorCodeSchema = z.enum(Object.keys(ERROR_CODES) as [ErrorCode, ...ErrorCode[]]);

export const ErrorBodySchema = z
  .object({
    error: z.object({
      code: ErrorCodeSchema.describe('Stable machine-readable code'),
      message: z.string().describe('What went wrong, for people'),
      field: z.string().optional().describe('The request field at fault, when one is'),
    }),
  })
  .describe('Every failed request answers with this body') satisfies z.ZodType<ErrorBody>;
