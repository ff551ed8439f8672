import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { functionModuleOf } from '../../functions/src/entry-points.js';
import { REQUEST_BODY_LIMITS, guardServer } from '../../functions/src/http/front-door.js';

/**
 * Serves functions with the functions framework, each on its own port as each is deployed on its own.
 * The environment must hold the functions' configuration before this is called: each function's
 * module checks it once, at import, as it does at a cold start.
 */
export interface ServedFunction {
  name: string;
  url: string;
  server: Server;
}

/**
 * The node options every HTTP function is deployed with (NODE_OPTIONS in infra/functions.tf): the
 * front door (functions/src/http/front-door.ts), loaded from the build before the framework starts.
 * Relative to the function's root, where the runtime starts it.
 */
export const FRONT_DOOR_NODE_OPTIONS = '--require=./functions/lib/http/front-door-preload.js';

/** Where the functions' modules are, as the table in entry-points.ts names them: served from source. */
const FUNCTIONS_SOURCE = new URL('../../functions/src/', import.meta.url);

export async function serveFunctions(
  ports: Record<string, number>,
): Promise<{ functions: ServedFunction[]; stop(): Promise<void> }> {
  for (const name of Object.keys(ports)) {
    const module = functionModuleOf(name);
    if (!module) throw new Error(`No function is named ${name}`);
    await import(new URL(module, FUNCTIONS_SOURCE).href);
  }
  const { getTestServer } = await import('@google-cloud/functions-framework/testing');
  const functions: ServedFunction[] = [];
  for (const [name, port] of Object.entries(ports)) {
    // HTTP functions behind the front door, as deployed (where FRONT_DOOR_NODE_OPTIONS puts it);
    // event functions are reached by Eventarc only.
    const framework = getTestServer(name) as unknown as Server;
    const bodyLimit = REQUEST_BODY_LIMITS.get(name);
    const server = bodyLimit === undefined ? framework : guardServer(framework, bodyLimit);
    // Outlive the clients' idle sockets (Node's default is 5 s): a caller whose event loop was busy for
    // longer would otherwise send its next request on a socket the server is closing, and get a reset.
    // Deployed, Google's front end holds the connections; here the local stack does.
    server.keepAliveTimeout = 65_000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', resolve);
    });
    const address = server.address() as AddressInfo;
    functions.push({ name, url: `http://127.0.0.1:${address.port}`, server });
  }
  return {
    functions,
    stop: async () => {
      await Promise.all(
        functions.map(
          ({ server }) =>
            new Promise<void>((resolve) => {
              server.closeAllConnections();
              server.close(() => resolve());
            }),
        ),
      );
    },
  };
}
