import { signPlatformRequest } from '../../functions/src/http/platform-signature.js';

/** A request as the platform sends it: the raw body signed with a secret and a timestamp. */
export function sendSigned(
  url: string,
  body: string,
  options: { secret: string; method?: string; timestamp?: number; signature?: string; contentType?: string },
): Promise<Response> {
  const timestamp = options.timestamp ?? Math.floor(Date.now() / 1000);
  return fetch(url, {
    method: options.method ?? 'POST',
    headers: {
      'content-type': options.contentType ?? 'application/json',
      'x-switchboard-timestamp': String(timestamp),
      'x-switchboard-signature': options.signature ?? signPlatformRequest(options.secret, timestamp, body),
    },
    body,
  });
}
