'use strict';

// osls `${file(./infra/webhook-routes.cjs):…}` resolvers for serverless.yml: one HTTP API route per webhook
// provider of the registry (`POST /webhooks/<name>`), each with its own throttling, decided at package time.
// HTTP API throttling is a token bucket per route ("Throttle requests to your HTTP APIs",
// https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-throttling.html): with one
// `/webhooks/{provider}` route, a flood of one provider's requests would answer 429 to all of them — and
// Twilio does not retry an inbound SMS, so its STOP would be lost.
//
// The provider list is the registry's (lib/providers/index.ts), written by `npm run build` to
// dist/webhook-routes.json, since osls cannot import TypeScript.

const { ROUTES_FILE, buildOutput, param } = require('./packaging.cjs');

/**
 * Steady requests per second and burst, per provider. A provider not listed gets the stage default
 * (`webhookThrottleRate`/`webhookThrottleBurst`); `--param webhookRouteThrottle=<name>=<rate>/<burst>,…`
 * overrides any of them.
 */
const DEFAULT_THROTTLE = {
  // One event per request at a campaign's pace (bounces and complaints of a large send arrive together): the
  // most requests, the highest burst. SNS HTTPS deliveries (SES feedback) are one message per request too.
  sns: { rate: 100, burst: 500 },
  mailgun: { rate: 100, burst: 500 },
  postmark: { rate: 100, burst: 500 },
  brevo: { rate: 100, burst: 500 },
  resend: { rate: 100, burst: 500 },
  // Batches of up to 1,000 events per request: fewer, larger requests.
  sendgrid: { rate: 20, burst: 100 },
  mandrill: { rate: 20, burst: 100 },
  sparkpost: { rate: 20, burst: 100 },
  // Inbound SMS, one STOP per request, a person's pace: moderate, and isolated from the e-mail floods above.
  twilio: { rate: 10, burst: 50 },
  vonage: { rate: 10, burst: 50 },
  // The company's own applications.
  generic: { rate: 50, burst: 100 },
};

const MAX_RATE = 10_000;
const MAX_BURST = 5_000;
const PROVIDER_NAME = /^[a-z][a-z0-9-]{0,63}$/u;

const SECRET_VARIABLE = /^[A-Z][A-Z0-9_]{0,127}$/u;

/** The registry's provider secrets that are read from SSM (`<NAME>_PARAMETER`), as the build wrote them. */
function secretVariables() {
  const { secrets } = buildOutput();
  if (!Array.isArray(secrets) || !secrets.every((n) => typeof n === 'string' && SECRET_VARIABLE.test(n))) {
    throw new Error(`${ROUTES_FILE} does not list secret variables: run "npm run build" again`);
  }
  return secrets;
}

/** `SENDGRID_WEBHOOK_PUBLIC_KEY` → `<prefix>/sendgrid-webhook-public-key`: the SSM parameter a secret is read from. */
async function parameterOf(resolveVariable, variable) {
  const prefix = await resolveVariable('self:custom.parameterPrefix');
  return `${prefix}/${variable.toLowerCase().replace(/_/gu, '-')}`;
}

/** The registry's webhook providers, as the build wrote them. */
function providers() {
  const { providers: names } = buildOutput();
  if (
    !Array.isArray(names) ||
    names.length === 0 ||
    !names.every((n) => typeof n === 'string' && PROVIDER_NAME.test(n))
  ) {
    throw new Error(`${ROUTES_FILE} does not list webhook provider names`);
  }
  return names;
}

function rate(name, value) {
  const n = Number(value);
  if (value === '' || !Number.isFinite(n) || n <= 0 || n > MAX_RATE)
    throw new Error(`--param ${name}: rate "${value}" is not a number above 0 and at most ${MAX_RATE}`);
  return n;
}

function burst(name, value) {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > MAX_BURST)
    throw new Error(`--param ${name}: burst "${value}" is not an integer from 1 to ${MAX_BURST}`);
  return n;
}

/** `twilio=20/40,sendgrid=50/200` → { twilio: { rate: 20, burst: 40 }, … }, names checked against the registry. */
function parseOverrides(text, names) {
  const out = {};
  for (const entry of text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')) {
    const m = /^([a-z0-9-]+)\s*=\s*([^/\s]+)\s*\/\s*(\S+)$/u.exec(entry);
    if (!m)
      throw new Error(`--param webhookRouteThrottle: "${entry}" is not <provider>=<rate>/<burst>, e.g. twilio=10/50`);
    if (!names.includes(m[1]))
      throw new Error(`--param webhookRouteThrottle: "${m[1]}" is not a webhook provider (${names.join(', ')})`);
    if (m[1] in out) throw new Error(`--param webhookRouteThrottle: "${m[1]}" is given twice`);
    out[m[1]] = { rate: rate('webhookRouteThrottle', m[2]), burst: burst('webhookRouteThrottle', m[3]) };
  }
  return out;
}

/** Every provider's route key and throttle, in registry order. */
async function routes({ resolveVariable }) {
  const names = providers();
  const stage = {
    rate: rate('webhookThrottleRate', await param(resolveVariable, 'webhookThrottleRate')),
    burst: burst('webhookThrottleBurst', await param(resolveVariable, 'webhookThrottleBurst')),
  };
  const overrides = parseOverrides(await param(resolveVariable, 'webhookRouteThrottle'), names);
  return names.map((name) => ({
    name,
    routeKey: `POST /webhooks/${name}`,
    throttle: overrides[name] ?? DEFAULT_THROTTLE[name] ?? stage,
  }));
}

/** osls's logical ID of an HTTP API route (lib/plugins/aws/lib/naming.js, getHttpApiRouteLogicalId). */
function routeLogicalId(routeKey) {
  const part = (p) => {
    const s = String(p)
      .toLowerCase()
      .replace(/-/gu, 'Dash')
      .replace(/\{(.*)\}/gu, '$1Var')
      .replace(/[^0-9A-Za-z]/gu, '');
    return s.charAt(0).toUpperCase() + s.slice(1);
  };
  return `HttpApiRoute${routeKey.split('/').map(part).join('')}`;
}

module.exports = {
  DEFAULT_THROTTLE,
  routeLogicalId,
  /** The webhook function's `events`: POST per provider; HEAD (Mandrill checks a URL exists before saving it) once. */
  events: async (options) => [
    ...(await routes(options)).map((r) => ({ httpApi: { method: 'POST', path: `/webhooks/${r.name}` } })),
    { httpApi: { method: 'HEAD', path: '/webhooks/{provider}' } },
  ],
  /** The $default stage's RouteSettings: each provider's route its own bucket. */
  routeSettings: async (options) =>
    Object.fromEntries(
      (await routes(options)).map((r) => [
        r.routeKey,
        { DetailedMetricsEnabled: false, ThrottlingRateLimit: r.throttle.rate, ThrottlingBurstLimit: r.throttle.burst },
      ]),
    ),
  /**
   * The webhook function's environment: `custom.webhookEnvironment` plus `<NAME>_PARAMETER` for every provider
   * secret of the registry, so a provider added to the registry is wired without editing the stack.
   */
  webhookEnvironment: async ({ resolveVariable }) => {
    const fixed = await resolveVariable('self:custom.webhookEnvironment');
    const secrets = await Promise.all(
      secretVariables().map(async (v) => [`${v}_PARAMETER`, await parameterOf(resolveVariable, v)]),
    );
    return { ...fixed, ...Object.fromEntries(secrets) };
  },
  /** The webhook role's grant: exactly those parameters, never the prefix (it also holds the Hood API token). */
  secretParameterArns: async ({ resolveVariable }) =>
    Promise.all(
      secretVariables().map(async (v) => ({
        'Fn::Sub': `arn:\${AWS::Partition}:ssm:\${AWS::Region}:\${AWS::AccountId}:parameter${await parameterOf(resolveVariable, v)}`,
      })),
    ),
  /** The stage must be created after its routes: RouteSettings naming a route that does not exist yet fail. */
  routeLogicalIds: async (options) => (await routes(options)).map((r) => routeLogicalId(r.routeKey)),
};
