import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * Serves registered functions with the functions framework, each on its own port as each is deployed
 * on its own. The environment must hold the functions' configuration before this is called: the entry
 * point reads it once, at import, as it does at a cold start.
 */
export interface ServedFunction {
  name: string;
  url: string;
  server: Server;
}

export async function serveFunctions(
  ports: Record<string, number>,
): Promise<{ functions: ServedFunction[]; stop(): Promise<void> }> {
  await import('../../functions/src/index.js');
  const { getTestServer } = await import('@google-cloud/functions-framework/testing');
  const functions: ServedFunction[] = [];
  for (const [name, port] of Object.entries(ports)) {
    const server = getTestServer(name) as unknown as Server;
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
