/**
 * Prints a CDS client JWT signed with the sandbox EHR's key, for trying the service by hand:
 *   npm run -s token -- /cds-services            (aud = PUBLIC_BASE_URL + path)
 * The key pair is created by `npm start` (sandbox on) under .sandbox/.
 */
import { resolve } from 'node:path';
import { ensureSandboxClientKey, signSandboxToken } from '../src/sandbox/sandbox-client.js';

const path = process.argv[2] ?? '/cds-services';
const base = (process.env.PUBLIC_BASE_URL ?? `http://localhost:${process.env.PORT ?? '3000'}`).replace(/\/+$/, '');
const root = resolve(new URL('..', import.meta.url).pathname);
const keys = await ensureSandboxClientKey(resolve(root, '.sandbox'));
process.stdout.write(`${await signSandboxToken(keys.privateJwk, base + (path.startsWith('/') ? path : `/${path}`))}\n`);
