import type { Provider } from '../types.js';
import { isSmsDeliveryEvent, isSmsInbound, mapAwsSms } from './map.js';

/** AWS End User Messaging SMS inbound messages and delivery events; they arrive by queue (SNS), never by webhook. */
export const awsSms = {
  name: 'aws-sms',
  map: mapAwsSms,
  detect: { event: (p) => isSmsInbound(p) || isSmsDeliveryEvent(p) },
  detectPriority: { event: 50 },
} satisfies Provider<'aws-sms'>;
