import { signPlatformRequest } from '../../functions/src/http/platform-signature.js';

/** What a request to `url` carries as its target: the path and query, as fetch sends them. */
export const requestTarget = (url: string) => {
  const { pathname, search } = new URL(url);
  return `${pathname}${search}`;
};

/** A request as the platform sends it: method, target and raw body signed with a secret and a timestamp. */
export function sendSigned(
  url: string,
  body: string,
  options: { secret: string; method?: string; timestamp?: number; signature?: string; contentType?: string },
): Promise<Response> {
  const timestamp = options.timestamp ?? Math.floor(Date.now() / 1000);
  const method = options.method ?? 'POST';
  return fetch(url, {
    method,
    headers: {
      'content-type': options.contentType ?? 'application/json',
      'x-switchboard-timestamp': String(timestamp),
      'x-switchboard-signature':
        options.signature ??
        signPlatformRequest(options.secret, timestamp, { method, path: requestTarget(url), body }),
    },
    body,
  });
}
