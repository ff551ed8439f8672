import { OffsetFileClock } from '../../functions/src/adapters/clock/offset-file-clock.js';
import { signPlatformRequest } from '../../functions/src/http/platform-signature.js';
import { localStack } from './local-config.js';

/**
 * Posts a session event (or, given a path, another request) to the local platformEvents function,
 * signed as the platform signs it, at the local stack's time (which may have been moved forward).
 */
export function postPlatformEvent(body: string, path = '/v1/events'): Promise<Response> {
  const url =
    path === '/v1/events' && process.env.PLATFORM_EVENTS_URL
      ? process.env.PLATFORM_EVENTS_URL
      : `http://127.0.0.1:${localStack.ports.platformEvents}${path}`;
  const timestamp = Math.floor(new OffsetFileClock(localStack.clockOffsetFile).now().getTime() / 1000);
  const { pathname, search } = new URL(url);
  return fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-switchboard-timestamp': String(timestamp),
      'x-switchboard-signature': signPlatformRequest(localStack.platformSigningSecret, timestamp, {
        method: 'POST',
        path: `${pathname}${search}`,
        body,
      }),
    },
    body,
  });
}
