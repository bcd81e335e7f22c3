/**
 * Transport envelopes, apart from the providers: each unwraps one transport and returns the payload it
 * carries and its ids, and never decides what the payload means.
 */
export { isEventBridgeEvent, unwrapEventBridge, type UnwrappedEventBridge } from './eventbridge.js';
export {
  isLambdaSnsEvent,
  isSnsEnvelope,
  lambdaSnsEnvelopes,
  type SnsIds,
  unwrapSns,
  type UnwrappedSns,
} from './sns.js';
export { isLambdaSqsEvent, unwrapQueueBody, type UnwrappedQueueBody } from './sqs.js';
