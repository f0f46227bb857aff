// Copies the JSON data files under src/ (code lists, rule tables) next to the compiled code in dist/src/.
import { cpSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

function walk(dir) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p);
    else if (name.endsWith('.json')) cpSync(p, join('dist', p));
  }
}
walk('src');
