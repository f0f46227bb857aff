import { describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';

describe('closeOutboundConnections (shutdown)', () => {
  // In a child process: it destroys the process-wide fetch dispatcher, which this jest worker needs.
  it('closes a fetch connection whose response body is still being received, so no socket is left half-read', () => {
    const out = execFileSync(process.execPath, ['--import', 'tsx', 'test/shutdown/fixtures/outbound-close.ts'], { cwd: resolve(process.cwd()), encoding: 'utf8', timeout: 30_000 });
    const r = JSON.parse(out.trim().split('\n').pop()!) as { headersStatus: number; serverSawClose: boolean; closeMs?: number; later: string };
    expect(r.headersStatus).toBe(200);
    expect(r.serverSawClose).toBe(true);
    expect(r.closeMs).toBeLessThan(300);
    expect(r.later).toMatch(/^refused/);
  });
});
