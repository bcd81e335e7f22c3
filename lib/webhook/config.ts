import { type Env, loadWebhookConfigWith, type WebhookConfig } from '../config.js';
import { WEBHOOK_SECRETS, WEBHOOK_SETTINGS, type WebhookSecrets } from '../providers/index.js';
import { loadSecrets, loadSettings } from '../providers/secrets.js';

/**
 * The webhook's configuration with every registered provider's secrets and settings: the registry's declarations are
 * handed to lib/config.ts here, so that configuration imports no provider.
 */
export function loadWebhookConfig(env: Env = process.env): WebhookConfig {
  return loadWebhookConfigWith(env, {
    secrets: loadWebhookSecrets,
    settings: (vars) => loadSettings(vars, WEBHOOK_SETTINGS),
  });
}

/** Every provider's webhook secrets (the registry's list); a malformed one fails naming its variable. */
export function loadWebhookSecrets(env: Env = process.env): WebhookSecrets {
  return loadSecrets(env, WEBHOOK_SECRETS) as WebhookSecrets;
}
