/**
 * The field schemas requests share: MAC, features, VUID, ib device, PF and
 * VF ids, the interrupt moderation mode, and the selector every command
 * names its devices with. Field names follow the real virtnet CLI.
 */
import { z } from 'zod';
import { FEATURES_HEX } from './features.js';
import { isMacString, isUnicastMac } from './mac.js';
import { VUID_PATTERN } from './pci.js';

export const integer = () => z.number().int();

/** Params of a method that takes none. */
export const NoParamsSchema = z.object({}).strict();

export const MacSchema = z
  .string()
  .refine(isMacString, { error: 'must be six hex octets like 0C:C4:7A:FF:22:93' })
  .refine((m) => !isMacString(m) || isUnicastMac(m), {
    error: 'must be a unicast address (first octet even) and not all zeros',
  })
  .describe('MAC address, six hex octets separated by colons');

export const FeaturesSchema = z
  .string()
  .regex(FEATURES_HEX, { error: 'must be a hex number like 0x80000 (at most 16 digits)' })
  .describe('Virtio feature bits as a hex string');

export const VuidSchema = z
  .string()
  .regex(VUID_PATTERN, { error: 'is not a VUID of this controller (like MT2306XZ00ABVNETS132D0F0)' })
  .describe('Virtio unique identifier of a device');

export const IbDeviceNameSchema = z
  .string()
  .regex(/^[A-Za-z0-9_]{1,15}$/, { error: 'must be an ib device name like mlx5_0 (letters, digits, _; at most 15)' })
  .describe('RDMA (ib) device of the DPU, e.g. mlx5_0');

export const PfIdSchema = integer().min(0).max(1023).describe('Physical function id (static PFs first, then hot-plugged)');
export const VfIdSchema = integer().min(0).max(1023).describe('Virtual function id under its PF');

export const EventModeSchema = z.enum(['event', 'cqe']).describe('Moderation period restarts on each event or each completion');

/** How a command names its devices: -p/-v, -u, or -a for all. */
export const SelectorSchema = z
  .object({
    pf_id: PfIdSchema.optional(),
    vf_id: VfIdSchema.optional(),
    vuid: VuidSchema.optional(),
    all: z.boolean().optional().describe('Every device'),
  })
  .strict()
  .superRefine((s, ctx) => {
    const ways = [s.pf_id !== undefined, s.vuid !== undefined, s.all === true].filter(Boolean).length;
    if (ways !== 1)
      ctx.addIssue({ code: 'custom', message: 'name the device with exactly one of pf_id (-p), vuid (-u) or all (-a)', path: [] });
    if (s.vf_id !== undefined && s.pf_id === undefined)
      ctx.addIssue({ code: 'custom', message: 'vf_id (-v) needs pf_id (-p)', path: ['vf_id'] });
  });
export type Selector = z.infer<typeof SelectorSchema>;

/** A selector that names exactly one device (no -a). */
export const SingleSelectorSchema = SelectorSchema.refine((s) => s.all !== true, {
  error: 'this command takes one device: use pf_id (-p) or vuid (-u)',
  path: ['all'],
});
