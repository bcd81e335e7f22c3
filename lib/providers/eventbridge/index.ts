import type { Provider } from '../types.js';
import { isEventBridgeEvent, mapEventBridge } from './map.js';

/** EventBridge-wrapped SES events: a transport, its decisions say `source: 'ses'`. */
export const eventbridge = {
  name: 'eventbridge',
  map: mapEventBridge,
  transport: true,
  detect: { event: (p) => isEventBridgeEvent(p) },
  detectPriority: { event: 30 },
} satisfies Provider<'eventbridge'>;
