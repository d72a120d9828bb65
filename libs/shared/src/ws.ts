/**
 * WebSocket messages (path /ws). A client subscribes to topics; the server
 * answers each subscription with a snapshot, then streams events.
 */
import { z } from 'zod';
import { AuditEventSchema } from './audit.js';
import { DeviceSchema } from './devices.js';
import { OperationSchema } from './operations.js';

export const TopicSchema = z.enum(['devices', 'telemetry', 'operations', 'audit']);
export type Topic = z.infer<typeof TopicSchema>;

export const ClientMessageSchema = z.discriminatedUnion('type', [
  z
    .object({
      type: z.literal('subscribe'),
      topics: z.array(TopicSchema).min(1),
      vuids: z.array(z.string()).max(1024).optional().describe('telemetry: only these devices'),
    })
    .strict(),
  z.object({ type: z.literal('unsubscribe'), topics: z.array(TopicSchema).min(1) }).strict(),
  z.object({ type: z.literal('ping') }).strict(),
]);
export type ClientMessage = z.infer<typeof ClientMessageSchema>;

export const ServerMessageSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('hello'), version: z.string(), topics: z.array(TopicSchema) }),
  z.object({ type: z.literal('snapshot'), topic: z.literal('devices'), devices: z.array(DeviceSchema) }),
  z.object({ type: z.literal('device.added'), device: DeviceSchema }),
  z.object({ type: z.literal('device.updated'), device: DeviceSchema }),
  z.object({ type: z.literal('device.removed'), vuid: z.string() }),
  z.object({ type: z.literal('pong') }),
  z.object({ type: z.literal('operations.snapshot'), operations: z.array(OperationSchema).describe('Running and recent operations') }),
  z.object({ type: z.literal('operation'), operation: OperationSchema }),
  z.object({ type: z.literal('audit'), event: AuditEventSchema.describe('A change just recorded in the audit log') }),
  z.object({
    type: z.literal('telemetry'),
    at: z.string(),
    interval_ms: z.number(),
    devices: z.array(
      z.object({
        vuid: z.string(),
        queues: z.array(
          z.object({
            index: z.number().int(),
            type: z.enum(['rx', 'tx', 'ctrl']),
            pps: z.number(),
            bps: z.number(),
            drops_ps: z.number(),
            kicks_ps: z.number(),
            calls_ps: z.number(),
            errors: z.number().int().describe('bad_desc_errors + exceed_max_chain + invalid_buffer, total'),
          }),
        ),
      }),
    ),
  }),
  z.object({ type: z.literal('error'), error: z.object({ code: z.string(), message: z.string() }) }),
]);
export type ServerMessage = z.infer<typeof ServerMessageSchema>;
export type TelemetryMessage = Extract<ServerMessage, { type: 'telemetry' }>;

/** Which topic an event belongs to (the server's routing table). */
export const EVENT_TOPIC = {
  'device.added': 'devices',
  'device.updated': 'devices',
  'device.removed': 'devices',
  operation: 'operations',
  audit: 'audit',
} as const satisfies Record<string, Topic>;
