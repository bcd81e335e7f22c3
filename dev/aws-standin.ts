import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { closeServer, listen } from './http.js';

/**
 * A small real HTTP server that answers the few AWS calls the CLI's `--stack` makes, in each service's own
 * wire protocol, so that tests (and a curious operator) can drive `--stack` without an AWS account:
 *   CloudFormation DescribeStacks   awsQuery: form-encoded POST, XML answer ("Query API", CloudFormation API Reference)
 *   SSM GetParameter(s)             awsJson1_1, X-Amz-Target AmazonSSM.* (SSM API Reference)
 *   Secrets Manager GetSecretValue  awsJson1_1, X-Amz-Target secretsmanager.* (Secrets Manager API Reference)
 *   CloudWatch GetMetricData        awsJson1_0, X-Amz-Target GraniteServiceVersion20100801.* (no datapoints, but
 *                                   `lastRequest` providers' webhook_requests and `lastSourceEvent` sources'
 *                                   source_events)
 * Point the SDK at it with AWS_ENDPOINT_URL_CLOUDFORMATION / _SSM / _SECRETS_MANAGER / _CLOUDWATCH. It records
 * each call's operation so that a test can check which permissions a command needs. Never imported by lib/.
 */
export interface AwsStandIn {
  endpoint: string;
  /** `CloudFormation:DescribeStacks`, `SSM:GetParameters`, … in call order. */
  calls: string[];
  /** Stack name → outputs (mutable: tests add and remove). */
  stacks: Map<string, Record<string, string>>;
  /** Parameter name → value. */
  parameters: Map<string, string>;
  /** Secret id (name or ARN) → SecretString. */
  secrets: Map<string, string>;
  /** Provider → when its last webhook request was counted (`webhook_requests`; GetMetricData answers that hour). */
  lastRequest: Map<string, Date>;
  /** Source → when its last record AWS delivered to the queue was counted (the consumer's `source_events`). */
  lastSourceEvent: Map<string, Date>;
  close(): Promise<void>;
}

export async function startAwsStandIn(
  seed: {
    stacks?: Record<string, Record<string, string>>;
    parameters?: Record<string, string>;
    secrets?: Record<string, string>;
  } = {},
): Promise<AwsStandIn> {
  const stacks = new Map(Object.entries(seed.stacks ?? {}));
  const parameters = new Map(Object.entries(seed.parameters ?? {}));
  const secrets = new Map(Object.entries(seed.secrets ?? {}));
  const calls: string[] = [];
  const lastRequest = new Map<string, Date>();
  const lastSourceEvent = new Map<string, Date>();
  const server = createServer((req, res) => {
    readBody(req)
      .then((body) => answer(req, res, body))
      .catch((error: unknown) => jsonError(res, 500, 'InternalFailure', String(error)));
  });

  function answer(req: IncomingMessage, res: ServerResponse, body: string): void {
    const target = String(req.headers['x-amz-target'] ?? '');
    if (target === '') return cloudFormation(res, new URLSearchParams(body));
    const [prefix, operation] = target.split('.') as [string, string];
    const input = body === '' ? {} : (JSON.parse(body) as Record<string, unknown>);
    if (prefix === 'AmazonSSM') return ssm(res, operation, input);
    if (prefix === 'secretsmanager') return secretsManager(res, operation, input);
    if (prefix === 'GraniteServiceVersion20100801') {
      calls.push(`CloudWatch:${operation}`);
      // One result per query; a `webhook_requests` query for a provider in `lastRequest` (a `source_events` one for
      // a source in `lastSourceEvent`) gets one hourly point.
      const queries =
        (input.MetricDataQueries as
          | Array<{ Id: string; MetricStat?: { Metric?: { Dimensions?: unknown; MetricName?: string } } }>
          | undefined) ?? [];
      const results = queries.map((q) => {
        const dims = (q.MetricStat?.Metric?.Dimensions ?? []) as Array<{ Name: string; Value: string }>;
        const provider = dims.find((d) => d.Name === 'provider')?.Value;
        const metric = q.MetricStat?.Metric?.MetricName;
        const series =
          metric === 'webhook_requests' ? lastRequest : metric === 'source_events' ? lastSourceEvent : undefined;
        const at = provider === undefined ? undefined : series?.get(provider);
        const points =
          at === undefined ? { Timestamps: [], Values: [] } : { Timestamps: [at.getTime() / 1000], Values: [1] };
        return { Id: q.Id, Label: q.Id, ...points, StatusCode: 'Complete' };
      });
      return json(res, { MetricDataResults: results, Messages: [] }, '1.0');
    }
    return jsonError(res, 400, 'UnknownOperationException', `the stand-in does not answer ${target}`);
  }

  function cloudFormation(res: ServerResponse, form: URLSearchParams): void {
    const action = form.get('Action') ?? '';
    calls.push(`CloudFormation:${action}`);
    if (action !== 'DescribeStacks')
      return xmlError(res, 400, 'InvalidAction', `the stand-in does not answer ${action}`);
    const name = form.get('StackName') ?? '';
    const outputs = stacks.get(name);
    if (outputs === undefined) return xmlError(res, 400, 'ValidationError', `Stack with id ${name} does not exist`);
    const members = Object.entries(outputs)
      .map(([k, v]) => `<member><OutputKey>${xml(k)}</OutputKey><OutputValue>${xml(v)}</OutputValue></member>`)
      .join('');
    const text =
      `<DescribeStacksResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/"><DescribeStacksResult><Stacks><member>` +
      `<StackName>${xml(name)}</StackName><StackId>arn:aws:cloudformation:eu-west-1:000000000000:stack/${xml(name)}/1</StackId>` +
      `<StackStatus>UPDATE_COMPLETE</StackStatus><CreationTime>2026-01-01T00:00:00Z</CreationTime><Outputs>${members}</Outputs>` +
      `</member></Stacks></DescribeStacksResult><ResponseMetadata><RequestId>standin</RequestId></ResponseMetadata></DescribeStacksResponse>`;
    res.writeHead(200, { 'content-type': 'text/xml' });
    res.end(text);
  }

  function ssm(res: ServerResponse, operation: string, input: Record<string, unknown>): void {
    calls.push(`SSM:${operation}`);
    const one = (name: string) => ({ Name: name, Type: 'SecureString', Value: parameters.get(name), Version: 1 });
    if (operation === 'GetParameters') {
      const names = (input.Names as string[] | undefined) ?? [];
      return json(res, {
        Parameters: names.filter((n) => parameters.has(n)).map(one),
        InvalidParameters: names.filter((n) => !parameters.has(n)),
      });
    }
    if (operation === 'GetParameter') {
      const name = String(input.Name ?? '');
      if (!parameters.has(name)) return jsonError(res, 400, 'ParameterNotFound', `parameter ${name} not found`);
      return json(res, { Parameter: one(name) });
    }
    return jsonError(res, 400, 'UnknownOperationException', `the stand-in does not answer SSM ${operation}`);
  }

  function secretsManager(res: ServerResponse, operation: string, input: Record<string, unknown>): void {
    calls.push(`SecretsManager:${operation}`);
    if (operation !== 'GetSecretValue')
      return jsonError(res, 400, 'UnknownOperationException', `the stand-in does not answer ${operation}`);
    const id = String(input.SecretId ?? '');
    const value = secrets.get(id);
    if (value === undefined)
      return jsonError(res, 400, 'ResourceNotFoundException', "Secrets Manager can't find the specified secret.");
    return json(res, { ARN: id, Name: id, SecretString: value, VersionId: 'v1', VersionStages: ['AWSCURRENT'] });
  }

  const endpoint = await listen(server, 0);
  return {
    endpoint,
    calls,
    stacks,
    parameters,
    secrets,
    lastRequest,
    lastSourceEvent,
    close: () => closeServer(server),
  };
}

/** The variables that send each AWS SDK client of the CLI to the stand-in. */
export function awsStandInEnv(standIn: Pick<AwsStandIn, 'endpoint'>): Record<string, string> {
  return {
    AWS_ENDPOINT_URL_CLOUDFORMATION: standIn.endpoint,
    AWS_ENDPOINT_URL_SSM: standIn.endpoint,
    AWS_ENDPOINT_URL_SECRETS_MANAGER: standIn.endpoint,
    AWS_ENDPOINT_URL_CLOUDWATCH: standIn.endpoint,
  };
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function json(res: ServerResponse, body: unknown, version: '1.0' | '1.1' = '1.1'): void {
  res.writeHead(200, { 'content-type': `application/x-amz-json-${version}` });
  res.end(JSON.stringify(body));
}

function jsonError(res: ServerResponse, status: number, type: string, message: string): void {
  res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-errortype': type });
  res.end(JSON.stringify({ __type: type, message }));
}

function xmlError(res: ServerResponse, status: number, code: string, message: string): void {
  res.writeHead(status, { 'content-type': 'text/xml' });
  res.end(
    `<ErrorResponse><Error><Type>Sender</Type><Code>${code}</Code><Message>${xml(message)}</Message></Error><RequestId>standin</RequestId></ErrorResponse>`,
  );
}

function xml(text: string): string {
  return text.replace(/&/gu, '&amp;').replace(/</gu, '&lt;').replace(/>/gu, '&gt;').replace(/"/gu, '&quot;');
}
