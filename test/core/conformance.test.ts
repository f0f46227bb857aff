import { describe, expect, it } from '@jest/globals';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const TSV = resolve(process.cwd(), '../shared/cds-hooks/service-requirements.tsv');
const have = existsSync(TSV);
if (!have) console.warn(`conformance.test: skipped, ${TSV} not found (../shared is only beside CI and dev checkouts)`);

/** Row IDs named at the start of test titles, e.g. it('93/96: ...'). */
function coveredIds(): Set<string> {
  const ids = new Set<string>();
  const walk = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name)) : e.name.endsWith('.test.ts') ? [join(dir, e.name)] : []));
  for (const file of walk(resolve(process.cwd(), 'test'))) {
    for (const m of readFileSync(file, 'utf8').matchAll(/['"`]((?:\d+\/)*\d+): /g)) for (const id of m[1]!.split('/')) ids.add(id);
  }
  return ids;
}

function documentedIds(): Set<string> {
  const doc = readFileSync(resolve(process.cwd(), 'docs/conformance.md'), 'utf8');
  return new Set([...doc.matchAll(/^\| (\d+) \|/gm)].map((m) => m[1]!));
}

(have ? describe : describe.skip)('CDS Hooks 2.0 service requirements coverage', () => {
  const rows = have
    ? readFileSync(TSV, 'utf8').trim().split('\n').slice(1).map((l) => l.split('\t')).map(([id, conf, actors]) => ({ id: id!, conf: conf!, actors: actors! }))
    : [];

  it('every service-side row is covered by a test title or explained in docs/conformance.md', () => {
    const tested = coveredIds();
    const documented = documentedIds();
    const missing = rows.filter((r) => r.actors.includes('Service') && !tested.has(r.id) && !documented.has(r.id)).map((r) => r.id);
    expect(missing).toEqual([]);
  });

  it('no row is both tested and listed as untested', () => {
    const tested = coveredIds();
    expect([...documentedIds()].filter((id) => tested.has(id))).toEqual([]);
  });
});
