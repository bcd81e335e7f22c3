import { describe, expect, it } from 'vitest';
import { verifyBasicAuth } from '../../../../lib/providers/shared/basic-auth.js';
import { verifyBearer } from '../../../../lib/providers/generic/verify.js';

const basic = (userPass: string) => ({ authorization: `Basic ${Buffer.from(userPass).toString('base64')}` });
const CREDENTIALS = { user: 'postmark', pass: 's3cret:with-colon' };

describe('verifyBasicAuth', () => {
  it('accepts the configured user and password', () => {
    // Prepare
    const headers = basic('postmark:s3cret:with-colon');

    // Act
    const result = verifyBasicAuth({ headers, ...CREDENTIALS });

    // Assess
    expect(result).toEqual({ ok: true });
  });

  it('accepts a lower-case scheme name', () => {
    // Prepare
    const headers = { authorization: basic('postmark:s3cret:with-colon').authorization.replace('Basic', 'basic') };

    // Act
    const result = verifyBasicAuth({ headers, ...CREDENTIALS });

    // Assess
    expect(result).toEqual({ ok: true });
  });

  it('rejects a wrong password', () => {
    // Prepare
    const headers = basic('postmark:guess');

    // Act
    const result = verifyBasicAuth({ headers, ...CREDENTIALS });

    // Assess
    expect(result).toEqual({ ok: false, reason: 'bad_credentials' });
  });

  it('rejects a wrong user', () => {
    // Prepare
    const headers = basic('admin:s3cret:with-colon');

    // Act
    const result = verifyBasicAuth({ headers, ...CREDENTIALS });

    // Assess
    expect(result).toEqual({ ok: false, reason: 'bad_credentials' });
  });

  it('rejects a request without Authorization', () => {
    // Prepare
    const headers = {};

    // Act
    const result = verifyBasicAuth({ headers, ...CREDENTIALS });

    // Assess
    expect(result).toEqual({ ok: false, reason: 'missing_credentials' });
  });

  it('rejects a bearer token unless bearer is accepted (Postmark, SparkPost)', () => {
    // Prepare
    const headers = { authorization: `Bearer ${CREDENTIALS.pass}` };

    // Act
    const result = verifyBasicAuth({ headers, ...CREDENTIALS });

    // Assess
    expect(result.ok).toBe(false);
  });

  it('accepts the password as a bearer token when bearer is accepted (Brevo)', () => {
    // Prepare
    const headers = { authorization: `Bearer ${CREDENTIALS.pass}` };

    // Act
    const result = verifyBasicAuth({ headers, ...CREDENTIALS, acceptBearer: true });

    // Assess
    expect(result).toEqual({ ok: true });
  });

  it('rejects a wrong bearer token when bearer is accepted', () => {
    // Prepare
    const headers = { authorization: 'Bearer nope' };

    // Act
    const result = verifyBasicAuth({ headers, ...CREDENTIALS, acceptBearer: true });

    // Assess
    expect(result).toEqual({ ok: false, reason: 'bad_credentials' });
  });

  it('rejects credentials that are not base64', () => {
    // Prepare
    const headers = { authorization: 'Basic %%%' };

    // Act
    const result = verifyBasicAuth({ headers, ...CREDENTIALS });

    // Assess
    expect(result).toEqual({ ok: false, reason: 'bad_credentials' });
  });
});

describe('verifyBearer', () => {
  it('accepts the configured token', () => {
    // Prepare
    const headers = { authorization: 'Bearer generic-token-123' };

    // Act
    const result = verifyBearer({ headers, token: 'generic-token-123' });

    // Assess
    expect(result).toEqual({ ok: true });
  });

  it('rejects a token that is a prefix of the configured one', () => {
    // Prepare
    const headers = { authorization: 'Bearer generic-token' };

    // Act
    const result = verifyBearer({ headers, token: 'generic-token-123' });

    // Assess
    expect(result).toEqual({ ok: false, reason: 'bad_credentials' });
  });

  it('rejects Basic credentials', () => {
    // Prepare
    const headers = basic('generic:generic-token-123');

    // Act
    const result = verifyBearer({ headers, token: 'generic-token-123' });

    // Assess
    expect(result).toEqual({ ok: false, reason: 'missing_credentials' });
  });

  it('rejects a request without Authorization', () => {
    // Prepare
    const headers = {};

    // Act
    const result = verifyBearer({ headers, token: 'generic-token-123' });

    // Assess
    expect(result).toEqual({ ok: false, reason: 'missing_credentials' });
  });
});
