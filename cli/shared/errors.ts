/**
 * One line for an error, saying what to do when the cause is a known AWS setup problem. The AWS SDK's
 * own messages are long and name no fix ("Region is missing", "Could not load credentials from any
 * providers"); the ones for the credential chain and region are described at
 * https://docs.aws.amazon.com/sdk-for-javascript/v3/developer-guide/setting-credentials-node.html and
 * https://docs.aws.amazon.com/sdk-for-javascript/v3/developer-guide/setting-region.html.
 */
export function describeAwsProblem(error: unknown): string | undefined {
  if (!(error instanceof Error)) return undefined;
  // Our own errors wrap the SDK's (a token that could not be read from SSM, a hash key from Secrets
  // Manager): the cause, or the class name the wrapper quoted, says what to fix.
  const cause = (error as { cause?: unknown }).cause;
  if (cause instanceof Error && cause !== error) {
    const fromCause = describeAwsProblem(cause);
    if (fromCause !== undefined) return fromCause;
  }
  const quoted =
    /\((CredentialsProviderError|ExpiredToken\w*|InvalidClientTokenId|UnrecognizedClientException|AccessDenied\w*)\)/u.exec(
      error.message,
    )?.[1];
  const name = quoted ?? error.name;
  const message = error.message;
  if (/Region is missing/iu.test(message) || name === 'RegionMissingError')
    return 'no AWS region: pass --region or set AWS_REGION';
  if (name === 'CredentialsProviderError' || /Could not load credentials/iu.test(message)) {
    return 'no AWS credentials found: set AWS_PROFILE (or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY), or use --local';
  }
  if (/ExpiredToken|token.*expired|SSO session.*expired/iu.test(`${name} ${message}`)) {
    return 'your AWS session has expired: sign in again (e.g. aws sso login) and retry';
  }
  if (/InvalidClientTokenId|UnrecognizedClientException|SignatureDoesNotMatch/iu.test(name)) {
    return `AWS did not accept these credentials (${name}): check AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY`;
  }
  if (/AccessDenied|UnauthorizedOperation|AuthorizationError/iu.test(name)) {
    return `AWS refused the request (${name}): the credentials lack a permission: ${firstLine(message)}`;
  }
  return undefined;
}

/** What `main` prints for an unexpected error: one line, no stack. */
export function describeError(error: unknown): string {
  const aws = describeAwsProblem(error);
  if (aws !== undefined) return aws;
  if (!(error instanceof Error)) return String(error);
  const text = firstLine(error.message);
  // AWS service errors carry their class name (QueueDoesNotExist, ThrottlingException, …): keep it.
  const fromAws = '$metadata' in error || '$fault' in error;
  return fromAws && !text.startsWith(error.name) ? `${error.name}: ${text}` : text;
}

function firstLine(text: string): string {
  return (
    text
      .split('\n')
      .find((l) => l.trim() !== '')
      ?.trim() ?? text
  );
}
