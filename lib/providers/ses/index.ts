import type { Provider } from '../types.js';
import { isSesEvent, mapSes } from './map.js';

/** Amazon SES notifications and published events; they arrive by queue (raw, SNS or EventBridge), never by webhook. */
export const ses = {
  name: 'ses',
  map: mapSes,
  detect: { event: (p) => isSesEvent(p) },
  detectPriority: { event: 40 },
  eventIdExample: 'an SES feedbackId',
} satisfies Provider<'ses'>;
