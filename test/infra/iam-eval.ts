// A small IAM identity-policy evaluator over the packaged template's role statements: enough of the
// documented logic ("Policy evaluation logic", "IAM JSON policy elements: Condition operators", AWS IAM User
// Guide) for the actions, resources and condition operators this stack uses. Anything it does not know
// (an operator, an intrinsic function) throws, so a policy it cannot judge fails the test instead of passing.

export const ACCOUNT = '123456789012';
export const REGION = 'eu-west-1';

export interface Statement {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  Action?: string | string[];
  NotAction?: string | string[];
  Resource?: unknown;
  NotResource?: unknown;
  Condition?: Record<string, Record<string, string | string[]>>;
}

export interface Request {
  action: string;
  resource: string;
  /** Condition keys of the request; a multi-valued key (dynamodb:LeadingKeys) is an array. */
  context?: Record<string, string | string[]>;
}

interface TemplateResource {
  Type: string;
  Properties?: Record<string, any>;
}
export interface Template {
  Resources: Record<string, TemplateResource>;
}

const list = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

/** IAM's `*` and `?` wildcards; `caseInsensitive` for actions (service prefixes and names are). */
export function wildcardMatch(pattern: string, value: string, caseInsensitive = false): boolean {
  const source = pattern
    .replace(/[.+^${}()|[\]\\]/gu, '\\$&')
    .replace(/\*/gu, '.*')
    .replace(/\?/gu, '.');
  return new RegExp(`^${source}$`, caseInsensitive ? 'isu' : 'su').test(value);
}

/** The ARN a template expression stands for, in a fixed account and region. */
export function resolveArn(template: Template, expression: unknown): string {
  if (typeof expression === 'string') return expression;
  const e = expression as Record<string, any>;
  if (typeof e['Fn::Sub'] === 'string') {
    return (e['Fn::Sub'] as string).replace(/\$\{([^}]+)\}/gu, (_, name: string) => {
      const pseudo: Record<string, string> = {
        'AWS::Partition': 'aws',
        'AWS::Region': REGION,
        'AWS::AccountId': ACCOUNT,
      };
      if (name in pseudo) return pseudo[name]!;
      throw new Error(`iam-eval: cannot resolve \${${name}} in Fn::Sub`);
    });
  }
  const [id, attribute] = e['Fn::GetAtt']
    ? list<string>(e['Fn::GetAtt']).join('.').split('.')
    : [e.Ref as string, 'Ref'];
  const resource = id === undefined ? undefined : template.Resources[id];
  if (!resource) throw new Error(`iam-eval: cannot resolve ${JSON.stringify(expression)}`);
  const p = resource.Properties ?? {};
  const arn = `${REGION}:${ACCOUNT}`;
  switch (`${resource.Type} ${attribute}`) {
    case 'AWS::DynamoDB::Table Arn':
      return `arn:aws:dynamodb:${arn}:table/${String(p.TableName)}`;
    case 'AWS::SQS::Queue Arn':
      return `arn:aws:sqs:${arn}:${String(p.QueueName)}`;
    case 'AWS::Logs::LogGroup Arn':
      return `arn:aws:logs:${arn}:log-group:${String(p.LogGroupName)}:*`;
    case 'AWS::SecretsManager::Secret Ref':
      // A secret without a Name is named after its logical ID plus a random suffix.
      return `arn:aws:secretsmanager:${arn}:secret:${id}-AbCdEf`;
    default:
      throw new Error(`iam-eval: no ARN for ${resource.Type} ${attribute}`);
  }
}

function matchValue(operator: string, pattern: string, value: string): boolean {
  switch (operator) {
    case 'StringEquals':
    case 'ArnEquals':
      return pattern === value;
    case 'StringLike':
    case 'ArnLike':
      return wildcardMatch(pattern, value);
    default:
      throw new Error(`iam-eval: condition operator ${operator} is not supported`);
  }
}

/** One condition block entry: `{ operator: { key: values } }`, every key of every operator must hold. */
function conditionHolds(
  operatorName: string,
  key: string,
  expected: string | string[],
  context: Record<string, string | string[]>,
): boolean {
  const present = Object.hasOwn(context, key);
  if (operatorName === 'Null') {
    const wantsAbsent = list(expected).map(String);
    if (wantsAbsent.length !== 1 || !['true', 'false'].includes(wantsAbsent[0]!))
      throw new Error('iam-eval: Null takes "true" or "false"');
    return wantsAbsent[0] === 'true' ? !present : present;
  }
  const [set, operator] = operatorName.includes(':')
    ? (operatorName.split(':') as [string, string])
    : [undefined, operatorName];
  const patterns = list(expected).map(String);
  const values = list(context[key]);
  const matchesAny = (value: string) => patterns.some((p) => matchValue(operator, p, value));
  if (set === 'ForAllValues') return values.every(matchesAny); // vacuously true without the key
  if (set === 'ForAnyValue') return values.some(matchesAny);
  if (set !== undefined) throw new Error(`iam-eval: set operator ${set} is not supported`);
  if (!present) return false;
  if (Array.isArray(context[key])) throw new Error(`iam-eval: ${key} is multi-valued; use ForAllValues or ForAnyValue`);
  return matchesAny(values[0]!);
}

function statementApplies(template: Template, s: Statement, request: Request): boolean {
  if (s.NotAction !== undefined || s.NotResource !== undefined)
    throw new Error('iam-eval: NotAction/NotResource are not supported');
  if (!list(s.Action).some((a) => wildcardMatch(a, request.action, true))) return false;
  if (!list(s.Resource).some((r) => wildcardMatch(resolveArn(template, r), request.resource))) return false;
  const context = request.context ?? {};
  return Object.entries(s.Condition ?? {}).every(([operator, keys]) =>
    Object.entries(keys).every(([key, expected]) => conditionHolds(operator, key, expected, context)),
  );
}

/** Explicit deny wins, then any allow; otherwise the implicit deny. */
export function isAllowed(template: Template, statements: readonly Statement[], request: Request): boolean {
  const applying = statements.filter((s) => statementApplies(template, s, request));
  if (applying.some((s) => s.Effect === 'Deny')) return false;
  return applying.some((s) => s.Effect === 'Allow');
}

/** Every inline statement of a role in the template. */
export function roleStatements(template: Template, roleId: string): Statement[] {
  const role = template.Resources[roleId];
  if (role?.Type !== 'AWS::IAM::Role') throw new Error(`iam-eval: ${roleId} is not a role`);
  return (role.Properties!.Policies as { PolicyDocument: { Statement: Statement[] } }[]).flatMap(
    (p) => p.PolicyDocument.Statement,
  );
}

/**
 * The request a DynamoDB API call makes, as IAM sees it: `dynamodb:<Operation>` on the table, with
 * dynamodb:LeadingKeys the partition key values it touches ("Using IAM policy conditions for fine-grained
 * access control", DynamoDB Developer Guide). The partition key attribute is `pk`, as in the ledger table.
 */
export function dynamoRequest(operation: string, input: Record<string, any>): Request {
  const keys: string[] = [];
  switch (operation) {
    case 'GetItem':
    case 'DeleteItem':
    case 'UpdateItem':
      keys.push(input.Key.pk.S);
      break;
    case 'PutItem':
      keys.push(input.Item.pk.S);
      break;
    case 'Query': {
      const expression = String(input.KeyConditionExpression);
      const m = /(?:^|[\s(])pk\s*=\s*(:[A-Za-z0-9_]+)/u.exec(expression);
      if (!m) throw new Error(`iam-eval: cannot find the partition key in ${expression}`);
      keys.push(input.ExpressionAttributeValues[m[1]!].S);
      break;
    }
    case 'Scan':
    case 'DescribeTable':
      break;
    default:
      throw new Error(`iam-eval: DynamoDB ${operation} is not supported`);
  }
  return {
    action: `dynamodb:${operation}`,
    resource: `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/${String(input.TableName)}`,
    context: keys.length > 0 ? { 'dynamodb:LeadingKeys': keys } : {},
  };
}
