/**
 * WebSocket messages (path /ws). A client subscribes to topics; the server
 * answers each subscription with a snapshot, then streams events.
 */
import { z } from 'zod';
import { DeviceSchema } from './schemas.js';

export const TopicSchema = z.enum(['devices']);
export type Topic = z.infer<typeof TopicSchema>;

export const ClientMessageSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('subscribe'), topics: z.array(TopicSchema).min(1) }).strict(),
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
  z.object({ type: z.literal('error'), error: z.object({ code: z.string(), message: z.string() }) }),
]);
export type ServerMessage = z.infer<typeof ServerMessageSchema>;

/** Which topic an event belongs to (the server's routing table). */
export const EVENT_TOPIC = {
  'device.added': 'devices',
  'device.updated': 'devices',
  'device.removed': 'devices',
} as const satisfies Record<string, Topic>;
