/**
 * The controller itself: its version, its health, and where its dashboard is.
 */
import { z } from 'zod';
import { NoParamsSchema, integer } from './fields.js';

export const VersionResultSchema = z.object({
  controller: z.string().describe('The running controller'),
  destination: z.string().nullable().describe('The installed build `virtnet update -s` would hand over to (null: none found)'),
  update: z.enum(['inactive', 'active']).describe('A live update is handing over right now'),
  native_abi: integer(),
  node: z.string(),
  provider: z.string().describe('The data-path provider (ace, dpa)'),
});
export type VersionResult = z.infer<typeof VersionResultSchema>;

export const HealthResultSchema = z.object({
  status: z.enum(['ok', 'degraded']),
  uptime_s: z.number(),
  devices: integer(),
  database: z.enum(['ok', 'error']),
  hardware: z.enum(['ok', 'error']),
  provider: z.string().describe('The data-path provider (ace, dpa)'),
  dpu: z
    .object({
      up: z.boolean(),
      state: z.enum(['running', 'down', 'restarting']),
      pid: integer().nullable(),
      version: z.string().nullable(),
      started_at: z.string().nullable(),
      reason: z.string().nullable().describe('Why the DPU is down, while it is'),
      starts: integer().describe('DPU processes this controller started (a restart after a crash counts one)'),
      faults: integer().describe('Guest-memory faults the DPU absorbed (a driver shrank its memory under a device)'),
      last_outage: z
        .object({
          at: z.string(),
          reason: z.string(),
          recovered_ms: z.number().nullable().describe('From noticing the DPU gone to every device created again; null while it lasts'),
          devices: integer().nullable(),
        })
        .nullable(),
    })
    .describe('The DPU process: it outlives the controller; when it dies the controller starts a new one and recreates the devices'),
  recovery: z.object({
    enabled: z.boolean().describe("virtnet.conf's recovery (0 disables it: devices are not recreated at start)"),
    recovered: integer().describe('Stored devices created again on the DPU'),
    created: integer().describe('Static PFs and VFs created from the profile and virtnet.conf'),
    adopted: integer().describe('Stored devices the DPU was still running, kept as they were (a restart or live update)'),
    removed: integer().describe('Functions the DPU held that no stored device backs, removed'),
    failed: z.array(z.object({ vuid: z.string(), code: z.string(), message: z.string() })),
  }),
  ovs: z
    .object({
      bridge: z.string(),
      ports: integer().describe('Representors this controller keeps on the bridge'),
      errors: integer().describe('ovs-vsctl calls that failed since the start (the devices work regardless)'),
      last_error: z.string().nullable(),
    })
    .nullable()
    .describe("The Open vSwitch bridge of virtnet.conf's ovs_bridge, or null without one"),
});
export type HealthResult = z.infer<typeof HealthResultSchema>;

/** Where the dashboard is, and the URL that signs a browser in (CLI: virtnet dashboard). */
export const DashboardResultSchema = z.object({
  url: z.string(),
  login_url: z.string().describe('Opens the dashboard with the access token; keep it private'),
  auth: z.boolean().describe('false when VIRTNET_AUTH=off (loopback only)'),
});
export type DashboardResult = z.infer<typeof DashboardResultSchema>;

export const SYSTEM_METHODS = {
  version: { params: NoParamsSchema, result: VersionResultSchema },
  health: { params: NoParamsSchema, result: HealthResultSchema },
  dashboard: { params: NoParamsSchema, result: DashboardResultSchema },
} as const;
