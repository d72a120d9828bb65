/**
 * Changes to devices in place: device settings (the host driver must be
 * unbound) and interrupt moderation (`virtnet modify ... device|queue`).
 */
import { z } from 'zod';
import { DeviceSchema } from './devices.js';
import { EventModeSchema, FeaturesSchema, MacSchema, SelectorSchema, integer } from './fields.js';

export const ModifyDeviceFieldsSchema = z
  .object({
    mac: MacSchema.optional(),
    mtu: integer().min(68, { error: 'must be at least 68' }).max(65535).optional(),
    features: FeaturesSchema.optional().describe('The full feature set the device offers'),
    max_queue_size: integer()
      .min(2)
      .max(32768)
      .refine((v) => (v & (v - 1)) === 0, { error: 'must be a power of two' })
      .optional(),
    num_msix: integer().min(2).max(2048).optional().describe('MSI-X vectors (VFs only)'),
  })
  .strict()
  .refine((m) => Object.values(m).some((v) => v !== undefined), {
    error: 'name at least one field to change: mac (-m), mtu (-t), features (-f), max_queue_size (-q) or num_msix (-n)',
  });
export type ModifyDeviceFields = z.infer<typeof ModifyDeviceFieldsSchema>;

export const ModifyQueueFieldsSchema = z
  .object({
    event_mode: EventModeSchema,
    period_us: integer().min(0).max(4095).describe('Moderation period in microseconds'),
    max_count: integer().min(0).max(65535).describe('Completions coalesced per notification'),
  })
  .strict();
export type ModifyQueueFields = z.infer<typeof ModifyQueueFieldsSchema>;

export const ModifyDeviceParamsSchema = z.object({ selector: SelectorSchema, device: ModifyDeviceFieldsSchema }).strict();
export const ModifyQueueParamsSchema = z.object({ selector: SelectorSchema, queue: ModifyQueueFieldsSchema }).strict();
export const ModifyResultSchema = z.object({ devices: z.array(DeviceSchema) });

export const MODIFY_METHODS = {
  modify_device: { params: ModifyDeviceParamsSchema, result: ModifyResultSchema },
  modify_queue: { params: ModifyQueueParamsSchema, result: ModifyResultSchema },
} as const;
