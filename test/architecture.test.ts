import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';

// The layer rules of docs/architecture.md, read from the source's imports.

const root = path.resolve('src');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    return entry.name.endsWith('.ts') ? [full] : [];
  });
}

/** Every import of a file: local ones as paths relative to `src/` (with `/`), packages by name. */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specifiers = [
    ...text.matchAll(/^(?:import|export)\s[^;]*?from\s+['"]([^'"]+)['"]/gms),
    ...text.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g),
  ].map((m) => m[1]!);
  return specifiers.map((specifier) =>
    specifier.startsWith('.')
      ? path
          .relative(root, path.resolve(path.dirname(file), specifier.replace(/\.js$/, '.ts')))
          .split(path.sep)
          .join('/')
      : specifier,
  );
}

const files = sourceFiles(root).map((file) => ({
  name: path.relative(root, file).split(path.sep).join('/'),
  file,
  imports: importsOf(file),
}));
const moduleOf = (name: string) => /^modules\/([^/]+)\//.exec(name)?.[1];

describe('architecture', () => {
  it('finds the source tree and reads its imports', () => {
    assert.ok(files.length > 50);
    const service = files.find((f) => f.name === 'modules/users/users.service.ts');
    assert.ok(service?.imports.includes('auth/access.ts'), 'a known local import is read');
    assert.ok(
      files.find((f) => f.name === 'db/transactions.ts')?.imports.includes('kysely'),
      'a known package import is read',
    );
  });

  it('nothing in db, domain or auth imports a module', () => {
    const upward = files
      .filter((f) => /^(db|domain|auth)\//.test(f.name))
      .flatMap((f) => f.imports.filter((i) => i.startsWith('modules/')).map((i) => `${f.name} -> ${i}`));
    assert.deepEqual(upward, []);
  });

  it('no module imports another module’s repository', () => {
    const crossing = files
      .filter((f) => moduleOf(f.name) !== undefined)
      .flatMap((f) =>
        f.imports
          .filter((i) => i.endsWith('.repository.ts') && moduleOf(i) !== moduleOf(f.name))
          .map((i) => `${f.name} -> ${i}`),
      );
    assert.deepEqual(crossing, []);
  });

  it('routes do not reach repositories or the database', () => {
    const reaching = files
      .filter((f) => f.name.endsWith('.routes.ts'))
      .flatMap((f) =>
        f.imports
          .filter((i) => i.endsWith('.repository.ts') || i.startsWith('db/') || i === 'kysely')
          .map((i) => `${f.name} -> ${i}`),
      );
    assert.deepEqual(reaching, []);
  });

  it('each service is wired with the repositories of its own module only', () => {
    const wiring = files.find((f) => f.name === 'services.ts')!;
    const text = readFileSync(wiring.file, 'utf8');
    // `import { XRepository } from './modules/x/x.repository.js'` -> where each class comes from
    const origin = new Map(
      [...text.matchAll(/^import\s+\{\s*(\w+)\s*\}\s+from\s+'\.\/([^']+)'/gm)].map((m) => [m[1]!, m[2]!]),
    );
    const wired = [...text.matchAll(/new\s+(\w+)\(\s*transactor\(db,\s*\{([^}]*)\}\)/g)];
    assert.ok(wired.length >= 8, 'the wiring is read');
    const foreign = wired.flatMap((m) => {
      const service = m[1]!;
      const repositories = [...m[2]!.matchAll(/:\s*(\w+)/g)].map((r) => r[1]!);
      const folder = (name: string) => path.posix.dirname(origin.get(name) ?? `unknown/${name}`);
      return repositories.filter((r) => folder(r) !== folder(service)).map((r) => `${service} <- ${r}`);
    });
    assert.deepEqual(foreign, []);
  });

  it('the services import no cycle', () => {
    const services = files.filter(
      (f) => f.name.endsWith('.service.ts') || f.name === 'auth/access.ts' || f.name.endsWith('login-throttle.ts'),
    );
    const edges = new Map(services.map((f) => [f.name, f.imports.filter((i) => services.some((s) => s.name === i))]));
    const cycle = (start: string, at: string, seen: Set<string>): boolean =>
      (edges.get(at) ?? []).some((next) => next === start || (!seen.has(next) && cycle(start, next, seen.add(next))));
    assert.deepEqual(
      services.map((s) => s.name).filter((name) => cycle(name, name, new Set())),
      [],
    );
  });
});
