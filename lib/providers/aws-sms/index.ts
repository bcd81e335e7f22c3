import type { Provider } from '../types.js';
import { isSmsDeliveryEvent, isSmsInbound, mapAwsSms } from './map.js';

/** AWS End User Messaging SMS inbound messages and delivery events; they arrive by queue (SNS), never by webhook. */
export const awsSms = {
  name: 'aws-sms',
  map: mapAwsSms,
  detect: { event: (p) => isSmsInbound(p) || isSmsDeliveryEvent(p) },
  detectPriority: { event: 50 },
  queueSamples: {
    'SMS STOP (AWS EUM)': JSON.stringify({
      originationNumber: '+14255550182',
      destinationNumber: '+12125550101',
      messageKeyword: 'STOP',
      messageBody: 'Stop',
      inboundMessageId: 'i',
      previousPublishedMessageId: 'p',
    }),
  },
} satisfies Provider<'aws-sms'>;
