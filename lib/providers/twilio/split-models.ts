import type { SplitModel } from './resplit.js';

/**
 * What a split of Twilio's signed string decides, for the two Twilio decisions that block (map.ts): an
 * inbound STOP blocks `From`, a status callback with error 21610 blocks `To`. Each is a handful of tracked
 * parameters, each folded into a class ("the From received", "another From", …); a split decides the same
 * as the request received exactly when its classes say so. Twilio sends each of these parameters once, so a
 * split that repeats one decides nothing sure (it counts as different).
 *
 * Only splits Twilio could have sent count: Twilio names the sender (`From`) in every Messaging webhook, an
 * inbound message always has a `Body` (empty for media only) and a status callback a `MessageStatus`
 * (twilio docs "webhook-request" and "Track the message status of outbound messages"). Without that rule a
 * parameter Twilio adds later, sorted before `Body`, could swallow the `Body` of every honest STOP.
 */
interface TrackedField {
  readonly name: string;
  /** Classes, 0 being "absent". */
  readonly size: number;
  classOf(value: string): number;
  /** The class of a free-text value other than `special`; undefined: a free-text value counts as different. */
  readonly otherClass?: number;
  readonly special?: string;
}

type Verdict = 'same' | 'differs';

const SENDER = 'From';
const BODY = 'Body';
const MESSAGE_STATUS = 'MessageStatus';

function fieldsModel(fields: readonly TrackedField[], verdict: (classes: readonly number[]) => Verdict): SplitModel {
  const index = new Map(fields.map((f, i) => [f.name, i]));
  const [sender, body, status] = [SENDER, BODY, MESSAGE_STATUS].map((name) => index.get(name)!) as [
    number,
    number,
    number,
  ];
  const radix = fields.map((f) => f.size);
  const combinations = radix.reduce((a, b) => a * b, 1);
  // States from `combinations` on: the same classes, after a tracked parameter was repeated (or took a
  // free-text value no class fits): such a split decides differently, if it is one Twilio could have sent.
  const decode = (state: number): number[] => {
    const classes: number[] = [];
    let rest = state % combinations;
    for (const size of radix) {
      classes.push(rest % size);
      rest = Math.floor(rest / size);
    }
    return classes;
  };
  const encode = (classes: readonly number[], repeated: boolean): number =>
    classes.reduceRight((acc, c, i) => acc * radix[i]! + c, 0) + (repeated ? combinations : 0);
  const withClass = (state: number, name: string, cls: number | undefined): number => {
    const i = index.get(name)!;
    const classes = decode(state);
    const repeated = state >= combinations || classes[i] !== 0 || cls === undefined;
    if (classes[i] === 0) classes[i] = cls ?? 1;
    return encode(classes, repeated);
  };
  return {
    initial: 0,
    tracks: (name) => index.has(name),
    step: (state, name, value) =>
      index.has(name) ? withClass(state, name, fields[index.get(name)!]!.classOf(value)) : state,
    freeText(state, name) {
      const field = fields[index.get(name)!]!;
      const otherwise = withClass(state, name, field.otherClass);
      if (field.special === undefined || field.otherClass === undefined) return { otherwise };
      return { otherwise, except: [field.special, withClass(state, name, field.classOf(field.special))] };
    },
    differs(state) {
      const classes = decode(state);
      const couldBeTwilios = classes[sender] !== 0 && (classes[body] !== 0 || classes[status] !== 0);
      return couldBeTwilios && (state >= combinations || verdict(classes) === 'differs');
    },
  };
}

/** A value that is the one received (1), or another (2). */
const exactly = (name: string, received: string | undefined): TrackedField => ({
  name,
  size: 3,
  classOf: (value) => (value === received ? 1 : 2),
  otherClass: 2,
  ...(received !== undefined && { special: received }),
});
const present = (name: string): TrackedField => ({ name, size: 2, classOf: () => 1, otherClass: 1 });

/** OptOutType classes: 1 STOP, 2 START, 3 HELP, 4 any other value (map.ts then reads the Body). */
const OPT_OUT_TYPE: TrackedField = {
  name: 'OptOutType',
  size: 5,
  // As map.ts reads it: trimmed, case-insensitive.
  classOf: (value) => {
    const type = value.trim().toUpperCase();
    return type === 'STOP' ? 1 : type === 'START' ? 2 : type === 'HELP' ? 3 : 4;
  },
};
const [STOP, START, OTHER_TYPE] = [1, 2, 4];

export interface InboundBlock {
  from: string;
  body: string | undefined;
  /** Whether `body` alone (without OptOutType) is an opt-out keyword under the policy. */
  bodyIsKeyword: boolean;
}

/** An inbound message that blocks `from`: OptOutType=STOP, or no START/HELP verdict and a keyword Body. */
export function inboundBlockModel(block: InboundBlock): SplitModel {
  const fields = [exactly(SENDER, block.from), exactly(BODY, block.body), OPT_OUT_TYPE, present(MESSAGE_STATUS)];
  return fieldsModel(fields, ([from, body, optOut]) => {
    const stop = optOut === STOP || ((optOut === 0 || optOut === OTHER_TYPE) && body === 1 && block.bodyIsKeyword);
    return from === 1 && stop ? 'same' : 'differs';
  });
}

export interface InboundOptIn {
  from: string;
  body: string | undefined;
  /** Whether `body` alone (without OptOutType) is an opt-in keyword and no opt-out keyword. */
  bodyIsOptIn: boolean;
}

/**
 * An inbound message that says `from` opted back in (OptOutType=START, or no OptOutType and an opt-in
 * keyword Body): it never blocks, but it reaches a person who may unblock `from` in Hood, so a re-split
 * must not make one up either.
 */
export function inboundOptInModel(optIn: InboundOptIn): SplitModel {
  const fields = [exactly(SENDER, optIn.from), exactly(BODY, optIn.body), OPT_OUT_TYPE, present(MESSAGE_STATUS)];
  return fieldsModel(fields, ([from, body, optOut]) => {
    const start = optOut === START || (optOut === 0 && body === 1 && optIn.bodyIsOptIn);
    return from === 1 && start ? 'same' : 'differs';
  });
}

/** A status callback with error 21610 that blocks `to`: no Body nor OptOutType, a status, ErrorCode 21610. */
export function unsubscribedRecipientModel(to: string): SplitModel {
  const errorCode: TrackedField = {
    name: 'ErrorCode',
    size: 3,
    classOf: (value) => (value.trim() === '21610' ? 1 : 2),
    otherClass: 2,
  };
  const fields = [
    present(SENDER),
    present(BODY),
    present('OptOutType'),
    present(MESSAGE_STATUS),
    present('SmsStatus'),
    errorCode,
    exactly('To', to),
  ];
  return fieldsModel(fields, ([, body, optOut, messageStatus, smsStatus, error, recipient]) =>
    body === 0 && optOut === 0 && (messageStatus === 1 || smsStatus === 1) && error === 1 && recipient === 1
      ? 'same'
      : 'differs',
  );
}
