import type { GeneratedLocally } from '../types.js';

/** The generic webhook's token as `npm start` generates, records and prints it (the keys are contracts). */
export const localToken: GeneratedLocally = {
  stateKey: 'genericWebhookToken',
  generatedKey: 'genericWebhookTokenGenerated',
  startLines: (value, variable, webhookUrl) => [
    // A token the user chose stays theirs: it is not echoed to a terminal (or its scrollback, or a CI log).
    value !== undefined
      ? `Generic webhook token (generated; set ${variable} to choose one): ${value}`
      : `Generic webhook token: the one in ${variable} (not shown)`,
    '',
    'Block a contact through the generic webhook:',
    `  curl -sS -X POST ${webhookUrl}/generic -H "Authorization: Bearer ${value ?? `$${variable}`}" -H 'Content-Type: application/json' -d '{"contact":"jane@example.com","reason":"unsubscribe"}'`,
  ],
};
