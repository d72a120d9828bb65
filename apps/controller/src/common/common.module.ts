import { Global, Module } from '@nestjs/common';
import { EventBus } from './event-bus.js';

/** The in-process event bus every feature publishes on or listens to. */
@Global()
@Module({ providers: [EventBus], exports: [EventBus] })
export class CommonModule {}
