/**
 * Powertools Tracer and Metrics for every pipeline Lambda, wired by hand (the documented manual
 * instrumentation: no middy, no decorators).
 *
 * - Tracer: a `## <handler>` subsegment per invocation with the ColdStart and Service annotations;
 *   an error is added as metadata (error messages carry counts, run ids and S3 keys, never row
 *   data). Responses are never captured (POWERTOOLS_TRACER_CAPTURE_RESPONSE=false in the stack, and
 *   addResponseAsMetadata is not called). AWS SDK v3 clients are traced through `traced()`.
 *   Outside Lambda (tests, the CLI) Powertools disables tracing by itself.
 * - Metrics: CloudWatch EMF lines in POWERTOOLS_METRICS_NAMESPACE (the stack sets "Catchment"),
 *   with the service dimension (POWERTOOLS_SERVICE_NAME), a ColdStart metric per cold start, and
 *   whatever the handler adds (counts only), flushed when the invocation ends, failed or not.
 *
 * Events are never logged or attached: they can name objects whose keys carry personal data.
 */
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { Tracer } from '@aws-lambda-powertools/tracer';
import type { Context } from 'aws-lambda';

export { MetricUnit };

export const tracer = new Tracer();
export const metrics = new Metrics({ namespace: process.env.POWERTOOLS_METRICS_NAMESPACE || 'Catchment' });

/** An AWS SDK v3 client with X-Ray subsegments for its calls (a no-op when tracing is off). */
export const traced = <T>(client: T): T => tracer.captureAWSv3Client(client);

/** Add a count metric (a non-negative whole number). */
export function count(name: string, value: number): void {
  if (Number.isFinite(value) && value >= 0) metrics.addMetric(name, MetricUnit.Count, value);
}

/** Wrap a handler: trace it in its own subsegment, capture cold starts, flush metrics at the end. */
export function instrumented<E, R>(handler: (event: E, context?: Context) => Promise<R>): (event: E, context?: Context) => Promise<R> {
  return async (event: E, context?: Context): Promise<R> => {
    const segment = tracer.getSegment();
    const subsegment = segment?.addNewSubsegment(`## ${process.env._HANDLER ?? 'index.handler'}`);
    if (subsegment) tracer.setSegment(subsegment);
    tracer.annotateColdStart();
    tracer.addServiceNameAnnotation();
    metrics.captureColdStartMetric(context?.functionName);
    try {
      return await handler(event, context);
    } catch (err) {
      tracer.addErrorAsMetadata(err as Error);
      throw err;
    } finally {
      subsegment?.close();
      if (segment) tracer.setSegment(segment);
      if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
    }
  };
}
