import type { Env } from '../config.js';
import type { ImportConfig } from './config.js';
import type { HttpOptions } from './http.js';
import { createBrevoSource } from './providers/brevo.js';
import { createMailgunSource } from './providers/mailgun.js';
import { createMandrillSource } from './providers/mandrill.js';
import { createPostmarkSource } from './providers/postmark.js';
import { createSendgridSource } from './providers/sendgrid.js';
import { createSesSource } from './providers/ses.js';
import { createSparkpostSource } from './providers/sparkpost.js';
import type { ImportSource } from './types.js';

export type SourceHttpOptions = Pick<HttpOptions, 'fetch' | 'clock' | 'sleep' | 'maxAttempts' | 'backoffBaseMs' | 'maxWaitMs' | 'onWait' | 'requestTimeoutMs'>;

/** The source for a loaded config. `includeGroupUnsubscribes`: BLOCK_REASONS has group_unsubscribe. */
export function createImportSource(config: ImportConfig, options: { http?: SourceHttpOptions; includeGroupUnsubscribes?: boolean; env?: Env } = {}): ImportSource {
  const http = options.http ?? {};
  switch (config.provider) {
    case 'ses':
      return createSesSource(config);
    case 'sendgrid':
      return createSendgridSource(config, http, { includeGroupUnsubscribes: options.includeGroupUnsubscribes === true });
    case 'mailgun':
      return createMailgunSource(config, http);
    case 'postmark':
      return createPostmarkSource(config, http);
    case 'brevo':
      return createBrevoSource(config, http);
    case 'sparkpost':
      return createSparkpostSource(config, http);
    case 'mandrill':
      return createMandrillSource(config, http);
  }
}
