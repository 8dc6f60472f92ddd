#!/usr/bin/env node
/**
 * A read-only npm registry on 127.0.0.1 that serves installed package
 * folders (the lockfile's copies under node_modules/.pnpm), so a fresh npm
 * project can install the published packages' third-party dependencies
 * with no network, resolving their version ranges as npm does against the
 * public registry: each folder becomes a tarball (`package/…`, as npm packs
 * it) and a version in its name's packument, with sha512 integrity.
 *
 * Used by scripts/check-packages.mjs, which runs it as a child process
 * (npm runs synchronously there, so the server needs its own event loop):
 *   node scripts/local-registry.mjs folders.json WORKDIR
 * prints `registry http://127.0.0.1:PORT/` once it listens.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';

/** The fields of package.json that npm reads from a packument version. */
const FIELDS = [
  'name',
  'version',
  'dependencies',
  'optionalDependencies',
  'peerDependencies',
  'peerDependenciesMeta',
  'bin',
  'engines',
  'os',
  'cpu',
];

const [foldersFile, workDir] = process.argv.slice(2);
const folders = JSON.parse(readFileSync(foldersFile, 'utf8'));
mkdirSync(workDir, { recursive: true });

/** name -> { versions, tarballs: file name -> path } */
const packuments = new Map();
const tarballs = new Map();
for (const dir of folders) {
  const json = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  const file = `${json.name.replace('/', '-').replace('@', '')}-${json.version}.tgz`;
  const path = join(workDir, file);
  // `npm pack` of some store copies fails inside npm ("Exit handler never
  // called"); tar makes the same layout: every file under package/. The
  // store hard-links identical files, and npm skips hard-link entries, so
  // each is stored as a plain file.
  execFileSync('tar', [
    '-czf',
    path,
    '--hard-dereference',
    '--transform',
    's,^\\.,package,',
    '-C',
    dir,
    '.',
  ]);
  const bytes = readFileSync(path);
  const version = Object.fromEntries(FIELDS.filter((f) => f in json).map((f) => [f, json[f]]));
  version.dist = {
    tarball: `/-/${file}`,
    integrity: `sha512-${createHash('sha512').update(bytes).digest('base64')}`,
    shasum: createHash('sha1').update(bytes).digest('hex'),
  };
  const p = packuments.get(json.name) ?? { name: json.name, versions: {}, 'dist-tags': {} };
  p.versions[json.version] = version;
  packuments.set(json.name, p);
  tarballs.set(file, path);
}

const server = createServer((req, res) => {
  const url = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
  const base = `http://127.0.0.1:${server.address().port}`;
  if (url.startsWith('/-/') && tarballs.has(url.slice(3))) {
    res.writeHead(200, { 'content-type': 'application/octet-stream' });
    res.end(readFileSync(tarballs.get(url.slice(3))));
    return;
  }
  const p = packuments.get(url.slice(1));
  if (req.method !== 'GET' || p === undefined) {
    res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not found"}');
    return;
  }
  const versions = Object.keys(p.versions);
  const latest = versions.sort((a, b) => a.localeCompare(b, 'en', { numeric: true })).at(-1);
  const body = {
    ...p,
    'dist-tags': { latest },
    versions: Object.fromEntries(
      Object.entries(p.versions).map(([v, m]) => [
        v,
        { ...m, dist: { ...m.dist, tarball: `${base}${m.dist.tarball}` } },
      ]),
    ),
  };
  res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
});
server.listen(0, '127.0.0.1', () => {
  console.log(`registry http://127.0.0.1:${server.address().port}/`);
});
