'use strict';

// What every osls `${file(./infra/….cjs):…}` resolver reads at packaging time: a deploy param, trimmed, and the
// registry's lists that `npm run build` writes to dist/webhook-routes.json (osls cannot import TypeScript).

const { existsSync, readFileSync } = require('node:fs');
const { join } = require('node:path');

const ROUTES_FILE = join(__dirname, '..', 'dist', 'webhook-routes.json');

/** `--param <name>` (or its stage default) as text; unset → ''. */
async function param(resolveVariable, name) {
  const value = await resolveVariable(`param:${name}`);
  return value === undefined || value === null ? '' : String(value).trim();
}

/** dist/webhook-routes.json, parsed; each caller checks the list it reads. */
function buildOutput() {
  if (!existsSync(ROUTES_FILE)) throw new Error(`${ROUTES_FILE} is missing: run "npm run build" before packaging`);
  return JSON.parse(readFileSync(ROUTES_FILE, 'utf8'));
}

module.exports = { ROUTES_FILE, buildOutput, param };
