import { describe, expect, it } from 'vitest';
// @ts-expect-error: a plain ES module script without types
import { codeOf, measure, namePattern } from '../../scripts/provider-names.mjs';

/**
 * "A provider is one folder": outside lib/providers/<name>/, the registry and dev/ files named after it, at most
 * LIMIT source files may name a provider. Providers still above it are listed with their current count, which
 * may only go down (lower the number when you move a mention into the provider's folder; remove the line once
 * it is at LIMIT or below). Run `node scripts/provider-names.mjs` to see which files they are.
 */
const LIMIT = 2;
const NOT_YET: Record<string, number> = {
  generic: 4,
  ses: 8,
  sns: 5,
};

describe('code naming a provider outside its folder', () => {
  const measured = measure() as Record<string, string[]>;

  it('measures every provider folder', () => {
    expect(Object.keys(measured).length).toBeGreaterThanOrEqual(14);
  });

  it.each(Object.keys(measured))('%s is named in no more files than allowed', (name) => {
    const allowed = Math.max(LIMIT, NOT_YET[name] ?? LIMIT);
    expect(measured[name], `files naming ${name}`).toSatisfy((files: string[]) => files.length <= allowed);
  });
});

describe('what counts as naming a provider', () => {
  it.each([
    ["const x = 'sendgrid';", 'sendgrid', true],
    ['env.SENDGRID_API_KEY', 'sendgrid', true],
    ['createSendGridSource()', 'sendgrid', true],
    ['import { awsSms } from "./x.js";', 'aws-sms', true],
    ['AWS_SMS_TOPIC', 'aws-sms', true],
    ["'@aws-sdk/client-sesv2'", 'ses', true],
    ['const uses = processes;', 'ses', false],
    ['const sesame = 1;', 'ses', false],
    ['env.AWS_SESSION_TOKEN', 'ses', false],
    ['const SESTopicArn = 1;', 'ses', true],
  ])('%s names %s: %s', (code, name, expected) => {
    expect(namePattern(name).test(code)).toBe(expected);
  });

  it('ignores comments and keeps string literals', () => {
    const code = codeOf('x.ts', "// mailgun\n/* mailgun */\nconst a = 'b';\n");
    expect(namePattern('mailgun').test(code)).toBe(false);
    expect(namePattern('mailgun').test(codeOf('x.ts', "const a = 'mailgun';"))).toBe(true);
  });
});
