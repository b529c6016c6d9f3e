/**
 * OpenTelemetry traces (SPEC §14). With `OTEL_EXPORTER_OTLP_ENDPOINT` set, `startTracing` loads
 * the official SDK and registers it process-wide (as OpenTelemetry is designed: the API below is
 * a global facade); spans go out in batches over OTLP/HTTP to `<endpoint>/v1/traces`. Without
 * it the SDK is never imported and every helper here runs its function directly — no span
 * objects, no context switches — so tracing off costs nothing.
 */
import {
  type Context,
  context,
  propagation,
  type Span,
  type SpanOptions,
  SpanStatusCode,
  trace,
} from '@opentelemetry/api';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';

let enabled = false;

export function tracingEnabled(): boolean {
  return enabled;
}

export function tracer() {
  return trace.getTracer('bsm-agentos');
}

/** Loads and registers the SDK when an endpoint is configured; the answer flushes and stops it. */
export async function startTracing(otel: Config['otel'], logger: Logger): Promise<() => Promise<void>> {
  if (!otel.endpoint || enabled) return async () => undefined;
  const [{ NodeTracerProvider, BatchSpanProcessor }, { OTLPTraceExporter }, { resourceFromAttributes }] =
    await Promise.all([
      import('@opentelemetry/sdk-trace-node'),
      import('@opentelemetry/exporter-trace-otlp-http'),
      import('@opentelemetry/resources'),
    ]);
  const url = `${otel.endpoint.replace(/\/+$/, '')}/v1/traces`;
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ 'service.name': otel.serviceName }),
    // One second between batches: a trace shows up in the collector soon after the work.
    spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url }), { scheduledDelayMillis: 1000 })],
  });
  // Global tracer provider, AsyncLocalStorage context and the W3C trace-context propagator.
  provider.register();
  enabled = true;
  logger.info({ url, serviceName: otel.serviceName }, 'OpenTelemetry tracing on');
  return async () => {
    enabled = false;
    await provider.shutdown().catch((err: unknown) => logger.warn({ err }, 'could not flush traces'));
    trace.disable();
    context.disable();
    propagation.disable();
  };
}

/**
 * Runs `fn` inside a new span (child of `parent`, else of the active context), records a thrown
 * error on it and ends it. With tracing off, just runs `fn`.
 */
export async function inSpan<T>(
  name: string,
  options: SpanOptions,
  fn: (span: Span | undefined) => Promise<T>,
  parent?: Context,
): Promise<T> {
  if (!enabled) return fn(undefined);
  const span = tracer().startSpan(name, options, parent ?? context.active());
  try {
    return await context.with(trace.setSpan(parent ?? context.active(), span), () => fn(span));
  } catch (error) {
    span.recordException(error as Error);
    span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error)?.message });
    throw error;
  } finally {
    span.end();
  }
}

/** The W3C `traceparent` of the active span, to store with work another process picks up. */
export function currentTraceparent(): string | null {
  if (!enabled) return null;
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  return carrier.traceparent ?? null;
}

/** The context a stored or received `traceparent` names (the root context without one). */
export function contextFrom(carrier: Record<string, unknown>): Context {
  return propagation.extract(context.active(), carrier);
}
