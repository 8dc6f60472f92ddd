/**
 * A static server for the built site on 127.0.0.1 (a secure context, as
 * WebGPU and SharedArrayBuffer need), with the cross-origin isolation
 * headers (COOP same-origin, COEP require-corp) any static host should send
 * for the site. GET only; paths are kept inside the served folder.
 * `{ isolation: false }` leaves the headers out, as a host that does not send
 * them would (for the test of the one-thread fallback).
 */
import { readFile, stat } from 'node:fs/promises';
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, sep } from 'node:path';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
  '.gz': 'application/gzip',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
};

export const ISOLATION_HEADERS = {
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-embedder-policy': 'require-corp',
};

export interface SiteServer {
  url: string;
  close(): Promise<void>;
}

export interface ServeOptions {
  /** Send COOP/COEP (default true). */
  isolation?: boolean;
}

export async function serveSite(dir: string, opts: ServeOptions = {}): Promise<SiteServer> {
  const isolation = opts.isolation ?? true;
  const root = normalize(dir + sep);
  const server: Server = createServer((req, res) => {
    let path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    if (path.endsWith('/')) path += 'index.html';
    const file = normalize(join(root, path));
    if (req.method !== 'GET' || !file.startsWith(root)) {
      res.writeHead(404).end();
      return;
    }
    const send = (f: string) =>
      readFile(f).then((body) =>
        res
          .writeHead(200, {
            'content-type': TYPES[extname(f)] ?? 'application/octet-stream',
            'cache-control': 'no-store',
            ...(isolation ? ISOLATION_HEADERS : {}),
          })
          .end(body),
      );
    stat(file)
      .then((s) => (s.isFile() ? send(file) : Promise.reject(new Error('not a file'))))
      .catch(() => send(`${file}.html`))
      .catch(() => res.writeHead(404).end());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
