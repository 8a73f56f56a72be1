import { DeliveryError, permanentHttpStatus } from '../../app/ports';

/**
 * POSTs `body` as JSON and resolves with `HTTP <status>` when the receiver accepts it (2xx).
 * Anything else is a {@link DeliveryError}: permanent for 4xx other than 408/429, retryable for
 * the rest, network errors and timeouts included. The URL is never put in the error (a Slack
 * webhook URL is a secret).
 */
export async function postJson(url: string, body: string, headers: Readonly<Record<string, string>>, signal: AbortSignal): Promise<string> {
  let res: Response;
  try {
    res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body, signal, redirect: 'error' });
  } catch (err) {
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    throw new DeliveryError(`request failed: ${cause?.code ?? cause?.message ?? (err as Error).message}`, false);
  }
  const text = (await res.text().catch(() => '')).slice(0, 200).replace(/[\r\n]+/g, ' ');
  if (res.ok) return `HTTP ${res.status}${text ? ` ${text}` : ''}`;
  throw new DeliveryError(`HTTP ${res.status}${text ? `: ${text}` : ''}`, permanentHttpStatus(res.status));
}
