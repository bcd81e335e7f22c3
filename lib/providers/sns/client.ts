import type { KeyObject } from 'node:crypto';
import { type CertificateKeyResolver, certificatePublicKey, isSnsCertificateUrl, isSnsUrl } from './verify.js';

/**
 * The two network calls SNS verification needs: fetching a signing certificate and confirming a
 * subscription. Both are injected into the ingress (tests, the local pipeline) and both re-check that the
 * URL is an SNS URL, so that a bug upstream cannot turn them into a request forger (SSRF).
 * Node's global fetch is used rather than importing undici: it is undici, already in the runtime, and
 * costs nothing at cold start (docs/benchmarks.md "Cold start").
 */
export type FetchCertificate = (url: string) => Promise<string>;
export type ConfirmSubscription = (subscribeUrl: string) => Promise<void>;

const MAX_CERTIFICATE_BYTES = 64 * 1024;

/** GET the PEM at a pinned SigningCertURL; no redirects (a redirect could leave the pinned host), short timeout. */
export async function fetchSnsCertificate(url: string, options: { timeoutMs?: number } = {}): Promise<string> {
  if (!isSnsCertificateUrl(url))
    throw new Error(
      'refusing to fetch a certificate that is not https://sns.<region>.amazonaws.com/SimpleNotificationService-<hex>.pem',
    );
  const response = await fetch(url, { redirect: 'error', signal: AbortSignal.timeout(options.timeoutMs ?? 3_000) });
  if (response.status !== 200) throw new Error(`certificate fetch answered HTTP ${response.status}`);
  const body = Buffer.from(await response.arrayBuffer());
  if (body.length > MAX_CERTIFICATE_BYTES) throw new Error('certificate is implausibly large');
  const pem = body.toString('utf8');
  if (!pem.includes('-----BEGIN CERTIFICATE-----')) throw new Error('certificate response is not PEM');
  return pem;
}

/** GET the SubscribeURL of a verified, allow-listed SubscriptionConfirmation (docs.aws.amazon.com/sns/latest/dg/sns-message-and-json-formats.html). */
export async function confirmSnsSubscription(
  subscribeUrl: string,
  options: { timeoutMs?: number } = {},
): Promise<void> {
  if (!isSnsUrl(subscribeUrl)) throw new Error('refusing to confirm a subscription outside sns.<region>.amazonaws.com');
  const response = await fetch(subscribeUrl, {
    redirect: 'error',
    signal: AbortSignal.timeout(options.timeoutMs ?? 5_000),
  });
  // Drain the body so the connection can be reused.
  await response.arrayBuffer();
  if (response.status < 200 || response.status > 299)
    throw new Error(`ConfirmSubscription answered HTTP ${response.status}`);
}

/**
 * Cache certificate public keys by URL. Concurrent requests for one URL share one fetch (the in-flight
 * promise is kept apart); only a certificate that was fetched AND parsed enters the bounded cache, so
 * URLs that fail (an attacker's junk, a 404) can never evict the real certificate. A failed fetch is
 * forgotten so the next request tries again. SNS uses a handful of certificates (one per region,
 * rotated rarely), so a small bound suffices; the least recently used goes first.
 */
export function createCertificateCache(
  fetchCertificate: FetchCertificate,
  options: { maxEntries?: number } = {},
): CertificateKeyResolver {
  const maxEntries = options.maxEntries ?? 16;
  const cache = new Map<string, KeyObject>();
  const inFlight = new Map<string, Promise<KeyObject>>();
  return (url: string) => {
    const cached = cache.get(url);
    if (cached) {
      cache.delete(url);
      cache.set(url, cached);
      return Promise.resolve(cached);
    }
    const running = inFlight.get(url);
    if (running) return running;
    // Promise.resolve().then: a fetcher that throws synchronously still yields a rejected promise.
    const pending = Promise.resolve()
      .then(() => fetchCertificate(url))
      .then((pem) => certificatePublicKey(pem));
    inFlight.set(url, pending);
    pending.then(
      (key) => {
        inFlight.delete(url);
        cache.set(url, key);
        while (cache.size > maxEntries) cache.delete(cache.keys().next().value!);
      },
      () => inFlight.delete(url),
    );
    return pending;
  };
}

const defaultFetch: FetchCertificate = (url) => fetchSnsCertificate(url);
const certificateCaches = new WeakMap<FetchCertificate, CertificateKeyResolver>();

/**
 * One certificate cache per fetcher, module level: the ingress hands the same fetcher (a test's, or this
 * module's own) to every warm invocation, so the cache lives as long as the instance.
 */
export function certificateResolver(fetchCertificate: FetchCertificate = defaultFetch): CertificateKeyResolver {
  let resolver = certificateCaches.get(fetchCertificate);
  if (!resolver) {
    resolver = createCertificateCache(fetchCertificate);
    certificateCaches.set(fetchCertificate, resolver);
  }
  return resolver;
}
