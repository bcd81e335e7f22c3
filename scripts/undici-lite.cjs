// Build-time stand-in for `undici` in the Lambda bundles: the package index also loads fetch,
// WebSocket, caches, mocks and proxies, which the Hood client never uses (≈ 40% of undici's bundle
// weight and import time). This exposes the same `Pool` and `request(url, {dispatcher, …})` from the
// real undici modules. Used only through the alias in scripts/build.mjs; the sources import 'undici'.
'use strict';
const Pool = require('undici/lib/dispatcher/pool');
const Dispatcher = require('undici/lib/dispatcher/dispatcher');
const api = require('undici/lib/api');

Object.assign(Dispatcher.prototype, api);

function request(url, options) {
  const { dispatcher, ...rest } = options;
  const u = new URL(url);
  return dispatcher.request({ ...rest, origin: u.origin, path: `${u.pathname}${u.search}` });
}

module.exports = { Pool, Dispatcher, request };
