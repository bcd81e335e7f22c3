import { readFileSync } from 'node:fs';

/** Read files under test/fixtures (see test/fixtures/SOURCES.md for provenance). */
const ROOT = new URL('../../fixtures/', import.meta.url);

export function fixtureBytes(relativePath: string): Buffer {
  return readFileSync(new URL(relativePath, ROOT));
}

export function fixtureJson<T = unknown>(relativePath: string): T {
  return JSON.parse(fixtureBytes(relativePath).toString('utf8')) as T;
}
