/**
 * Serves the API reference at /api/ in `pnpm site` (the dev server): the
 * pages come from api/build.mjs's cache folder, generated at server start
 * when its inputs changed. `vitepress build` does not need this: the site
 * build copies the same folder to dist/api/ (scripts/build.mjs).
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { extname, join, normalize } from 'node:path';
import { apiHtml, buildApi } from './build.mjs';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.json': 'application/json',
};

type Next = () => void;
type Res = {
  statusCode: number;
  setHeader(k: string, v: string): void;
  end(body?: string | Buffer): void;
};

/** A Vite plugin: /api/… from the generated HTML, regenerated at start if stale. */
export function apiDevServer() {
  return {
    name: 'nerve-api-dev-server',
    configureServer(server: {
      middlewares: { use(fn: (req: { url?: string }, res: Res, next: Next) => void): void };
    }): void {
      buildApi().then(
        (r) => r.generated && console.log(`api: generated in ${r.seconds.toFixed(1)} s`),
        (e) => console.error(e),
      );
      server.middlewares.use((req, res, next) => {
        const url = (req.url ?? '').split(/[?#]/)[0];
        if (!url.startsWith('/api/')) return next();
        let file = normalize(join(apiHtml, decodeURIComponent(url.slice('/api/'.length))));
        if (!file.startsWith(apiHtml)) return next();
        if (existsSync(file) && statSync(file).isDirectory()) file = join(file, 'index.html');
        if (!existsSync(file)) return next();
        res.statusCode = 200;
        res.setHeader('Content-Type', TYPES[extname(file)] ?? 'application/octet-stream');
        res.end(readFileSync(file));
      });
    },
  };
}
