import http from 'node:http';
import { bodyLimitOf, guardServer } from './front-door.js';

/**
 * Loaded before the functions framework (NODE_OPTIONS=--import=…, infra/functions.tf) by each HTTP
 * function as deployed. The framework's main creates its server with `http.createServer(app)` and
 * offers no hook before its body parsers, so the front door is put before every request listener of
 * the servers this process creates. A function without a body limit refuses to start rather than
 * serve unguarded.
 */
const bodyLimit = bodyLimitOf(process.env.FUNCTION_TARGET);
const createServer = http.createServer;

http.createServer = function createGuardedServer(this: unknown, ...args: unknown[]) {
  return guardServer(Reflect.apply(createServer, this, args) as http.Server, bodyLimit);
} as typeof http.createServer;
