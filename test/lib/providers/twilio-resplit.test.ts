import { describe, expect, it } from 'vitest';
import { hasDifferingSplit, MAX_SIGNED_LENGTH, type Param } from '../../../lib/providers/twilio/resplit.js';
import {
  inboundBlockModel,
  inboundOptInModel,
  unsubscribedRecipientModel,
} from '../../../lib/providers/twilio/split-models.js';
import { ATTACKER, COMPANY, inboundSms, sid, VICTIM } from './twilio-requests.js';

/** The signed parameters of an inbound SMS, sorted as signed. */
function signed(pairs: ReadonlyArray<readonly [string, string]>): Param[] {
  return [...pairs].sort(([a, va], [b, vb]) => (a < b ? -1 : a > b ? 1 : va < vb ? -1 : 1)) as Param[];
}
const stopFrom = (from: string, body = 'STOP') => inboundBlockModel({ from, body, bodyIsKeyword: true });

/**
 * The re-split search itself (issue 19, item 1): the ingress-level regressions are in
 * test/review/twilio-resplit.test.ts.
 */
describe('hasDifferingSplit', () => {
  it.each([
    [
      'From=<victim>, From<attacker>=""',
      [
        ['Body', 'STOP'],
        ['From', VICTIM],
        [`From${ATTACKER}`, ''],
      ],
    ],
    [
      'From=<victim>, FromAFro=m<attacker>',
      [
        ['Body', 'STOP'],
        ['From', VICTIM],
        ['FromAFro', `m${ATTACKER}`],
      ],
    ],
    [
      'From=<victim>, FromCity=From<attacker>FromCityBOSTON',
      [
        ['Body', 'STOP'],
        ['From', VICTIM],
        ['FromCity', `From${ATTACKER}FromCityBOSTON`],
      ],
    ],
    [
      'From=<victim> and the real From inside a made-up name',
      [
        ['Body', 'STOP'],
        ['From', VICTIM],
        ['Fz', `From${ATTACKER}`],
      ],
    ],
  ])('finds the honest split behind %s', (_, pairs) => {
    // Prepare
    const params = signed([
      ['AccountSid', sid('AC')],
      ['ApiVersion', '2010-04-01'],
      ...(pairs as Array<[string, string]>),
    ]);

    // Act
    const differs = hasDifferingSplit(params, stopFrom(VICTIM));

    // Assess
    expect(differs).toBe(true);
  });

  it('does not take ApiVersion2010 for a name: ApiVersion is a date', () => {
    // Prepare: a request that carries the odd name itself still has the documented reading, which decides alike.
    const params = signed([
      ['AccountSid', sid('AC')],
      ['ApiVersion2010', '-04-01'],
      ['Body', 'STOP'],
      ['From', ATTACKER],
    ]);

    // Act
    const differs = hasDifferingSplit(params, stopFrom(ATTACKER));

    // Assess
    expect(differs).toBe(false);
  });

  it('accepts a split that differs only where no decision is read (FromCity swallowing FromCountry)', () => {
    // Prepare
    const params = signed(inboundSms('STOP'));

    // Act
    const differs = hasDifferingSplit(params, stopFrom(ATTACKER));

    // Assess
    expect(differs).toBe(false);
  });

  it('finds a Body that another split makes longer, when the block rests on the keyword', () => {
    // Prepare: "STOP" + a name sorted between Body and From could be the text "STOPDon't".
    const params = signed([
      ['AccountSid', sid('AC')],
      ['Body', 'STOP'],
      ["Don't", ''],
      ['From', ATTACKER],
    ]);

    // Act
    const differs = hasDifferingSplit(params, stopFrom(ATTACKER));

    // Assess
    expect(differs).toBe(true);
  });

  it('counts a split without From as one Twilio never sends', () => {
    // Prepare: Body could swallow From and everything after it, but Twilio always names the sender.
    const params = signed([
      ['AccountSid', sid('AC')],
      ['Body', 'STOP'],
      ['From', ATTACKER],
      ['SmsStatus', 'received'],
    ]);

    // Act
    const differs = hasDifferingSplit(params, stopFrom(ATTACKER));

    // Assess
    expect(differs).toBe(false);
  });

  it('finds a status callback hidden in a longer ErrorCode', () => {
    // Prepare
    const params = signed([
      ['ErrorCode', '21610'],
      ['From', COMPANY],
      ['MessageStatus', 'failed'],
      ['To', VICTIM],
    ]);

    // Act
    const honest = hasDifferingSplit(params, unsubscribedRecipientModel(VICTIM));
    const tampered = hasDifferingSplit(
      signed([
        ['ErrorCode', '21610'],
        ['From', COMPANY],
        ['MessageStatus', 'failed'],
        ['To', VICTIM],
        ['To1', ''],
      ]),
      unsubscribedRecipientModel(VICTIM),
    );

    // Assess
    expect(honest).toBe(false);
    expect(tampered).toBe(true);
  });

  it('finds an opt-in made up for the victim, and passes an honest one', () => {
    // Prepare: a person may unblock whoever opted back in, so an opt-in must not be made up either.
    const forged = signed([
      ['AccountSid', sid('AC')],
      ['Body', 'START'],
      ['From', VICTIM],
      [`From${ATTACKER}`, ''],
    ]);
    const honest = signed(inboundSms('START'));

    // Act
    const made = hasDifferingSplit(forged, inboundOptInModel({ from: VICTIM, body: 'START', bodyIsOptIn: true }));
    const real = hasDifferingSplit(honest, inboundOptInModel({ from: ATTACKER, body: 'START', bodyIsOptIn: true }));

    // Assess
    expect(made).toBe(true);
    expect(real).toBe(false);
  });

  it(`does not decide a signed string longer than ${MAX_SIGNED_LENGTH} characters`, () => {
    // Prepare
    const params = signed([
      ['Body', 'STOP'],
      ['From', ATTACKER],
      ['Zz', 'x'.repeat(MAX_SIGNED_LENGTH)],
    ]);

    // Act
    const differs = hasDifferingSplit(params, stopFrom(ATTACKER));

    // Assess
    expect(differs).toBe(true);
  });
});
