import { describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { createHarness, type Harness } from '../helpers/harness.js';

/**
 * The HL7 reference client puts the exact URL it called in `aud`. With the sandbox and no
 * PUBLIC_BASE_URL, a user may type http://127.0.0.1:3000 or http://[::1]:3000 for the default
 * http://localhost:3000; nowhere else is any spelling but PUBLIC_BASE_URL accepted.
 */
describe('JWT audience spellings', () => {
  const status = async (h: Harness, aud: string): Promise<number> =>
    (await request(h.app).get('/cds-services').set('Authorization', `Bearer ${await h.token('/cds-services', { claims: { aud } })}`)).status;

  it('sandbox on, PUBLIC_BASE_URL not set: localhost, 127.0.0.1 and [::1] on the same port are accepted', async () => {
    const h = await createHarness({ env: { SANDBOX: 'on', PORT: '3000', PUBLIC_BASE_URL: '' } });
    for (const host of ['localhost', '127.0.0.1', '[::1]']) expect({ host, status: await status(h, `http://${host}:3000/cds-services`) }).toEqual({ host, status: 200 });
  });

  it.each(['http://127.0.0.1:3001/cds-services', 'https://127.0.0.1:3000/cds-services', 'http://0.0.0.0:3000/cds-services', 'http://127.0.0.2:3000/cds-services', 'http://127.0.0.1:3000/cds-services/other'])(
    'sandbox on, PUBLIC_BASE_URL not set: %s is refused',
    async (aud) => {
      const h = await createHarness({ env: { SANDBOX: 'on', PORT: '3000', PUBLIC_BASE_URL: '' } });
      expect(await status(h, aud)).toBe(401);
    },
  );

  it('sandbox off: only the default base itself, not 127.0.0.1', async () => {
    const h = await createHarness({ env: { SANDBOX: 'off', PORT: '3000', PUBLIC_BASE_URL: '' } });
    expect(await status(h, 'http://localhost:3000/cds-services')).toBe(200);
    expect(await status(h, 'http://127.0.0.1:3000/cds-services')).toBe(401);
  });

  it('sandbox on with PUBLIC_BASE_URL set (even to the default): only PUBLIC_BASE_URL', async () => {
    const h = await createHarness({ env: { SANDBOX: 'on', PORT: '3000', PUBLIC_BASE_URL: 'http://localhost:3000' } });
    expect(await status(h, 'http://localhost:3000/cds-services')).toBe(200);
    expect(await status(h, 'http://127.0.0.1:3000/cds-services')).toBe(401);
  });
});
