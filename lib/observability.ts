import { Logger } from '@aws-lambda-powertools/logger';
import type { LogAttributes } from '@aws-lambda-powertools/logger/types';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';

/**
 * The one logger adapter and the one EMF publisher of both Lambdas (webhook, consumer). Dev and tests
 * pass their own `(message, fields)` loggers and count sinks instead.
 */
export const SERVICE_NAME = 'hood-blocker';
export const METRICS_NAMESPACE = 'HoodBlocker';

type Level = 'debug' | 'info' | 'warn' | 'error';
export type ServiceLog = Record<Level, (message: string, fields?: Record<string, unknown>) => void> & {
  appendKeys: (keys: Record<string, unknown>) => void;
};

/** Adapts a Powertools Logger (structured JSON lines, level from POWERTOOLS_LOG_LEVEL) to `(message, fields)`. */
export function powertoolsLog(logger: Logger = new Logger({ serviceName: SERVICE_NAME })): ServiceLog {
  const at = (level: Level) => (message: string, fields?: Record<string, unknown>) => {
    if (fields) logger[level](message, fields as LogAttributes);
    else logger[level](message);
  };
  return {
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    appendKeys: (keys) => logger.appendKeys(keys as LogAttributes),
  };
}

/** A Powertools Metrics instance in the project's namespace (dimension `service`). */
export function serviceMetrics(): Metrics {
  return new Metrics({ namespace: METRICS_NAMESPACE, serviceName: SERVICE_NAME });
}

/**
 * One EMF document per call with a Count per name (zeros omitted), under the given extra dimensions
 * (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html).
 * `whenEmpty: 'skip'` writes nothing when every count is zero.
 */
export function countsEmfPublisher(
  options: { whenEmpty?: 'skip' | 'publish' } = {},
): (counts: Readonly<Record<string, number | undefined>>, dimensions?: Readonly<Record<string, string>>) => void {
  const metrics = serviceMetrics();
  return (counts, dimensions = {}) => {
    const nonZero = Object.entries(counts).filter(
      (entry): entry is [string, number] => entry[1] !== undefined && entry[1] > 0,
    );
    if (nonZero.length === 0 && options.whenEmpty === 'skip') return;
    for (const [name, value] of Object.entries(dimensions)) metrics.addDimension(name, value);
    for (const [name, value] of nonZero) metrics.addMetric(name, MetricUnit.Count, value);
    metrics.publishStoredMetrics();
  };
}
