import { describe, expect, it } from 'vitest';
import { whyUnreadable } from '../../cli/shared/read-error.js';

// enqueue and extract say why a file could not be read in the same words.

const fsError = (code: string) => Object.assign(new Error(`${code}: failed`), { code });

describe('whyUnreadable', () => {
  it.each([
    ['ENOENT', fsError('ENOENT'), 'no such file'],
    ['EISDIR', fsError('EISDIR'), 'it is a directory'],
    ['EACCES', fsError('EACCES'), 'permission denied'],
    ['another code (EMFILE)', fsError('EMFILE'), undefined],
    ['an error without a code', new Error('failed'), undefined],
    ['something thrown that is no object', 'failed', undefined],
  ])('%s', (_name, error, expected) => {
    // Act
    const why = whyUnreadable(error);

    // Assess
    expect(why).toBe(expected);
  });
});
