/**
 * The administration console (API.md 10) at /admin: the files `npm run
 * build` puts in dist/console, read once at startup. Hashed assets are
 * served with a year-long immutable cache (gzip or brotli copies when the
 * browser takes them); the page itself with `no-cache` and a stricter
 * Content-Security-Policy than the API's (no inline script or style at all).
 * Every other path under /admin answers the page: the console routes itself.
 * The console talks to the public API only, with the signed-in account's
 * token, so it can do no more than that account.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { KeyError } from '../domain/errors.js';

/** Where `npm run build` writes the console (the same from src/ and from dist/). */
export const CONSOLE_DIR = fileURLToPath(new URL('../../dist/console', import.meta.url));

const CONSOLE_CSP = [
  "default-src 'self'",
  "base-uri 'self'",
  "script-src 'self'",
  "script-src-attr 'none'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
];

/** The console page's policy: no inline script or style at all; https deployments upgrade every request. */
export function consoleCsp(publicUrl: string | undefined): string {
  return [...CONSOLE_CSP, ...(publicUrl?.startsWith('https://') ? ['upgrade-insecure-requests'] : [])].join('; ');
}

const SSO_TAG = '<meta name="roster-sso" content="" />';

const TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
  '.json': 'application/json; charset=utf-8',
};

interface Asset {
  type: string;
  body: Buffer;
  gzip?: Buffer;
  br?: Buffer;
}

export interface ConsoleOptions {
  /** The built console (default: dist/console). */
  dir?: string;
  /** The provider's name when single sign-on is configured: the sign-in page offers it. */
  ssoProvider?: string;
  /** ROSTER_PUBLIC_URL. */
  publicUrl?: string;
}

function escapeAttribute(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function loadAssets(dir: string): Map<string, Asset> {
  const assets = new Map<string, Asset>();
  const folder = join(dir, 'assets');
  if (!existsSync(folder)) return assets;
  for (const name of readdirSync(folder)) {
    if (name.endsWith('.gz') || name.endsWith('.br')) continue;
    const path = join(folder, name);
    const optional = (suffix: string) => (existsSync(path + suffix) ? readFileSync(path + suffix) : undefined);
    const asset: Asset = { type: TYPES[extname(name)] ?? 'application/octet-stream', body: readFileSync(path) };
    const gzip = optional('.gz');
    const br = optional('.br');
    if (gzip) asset.gzip = gzip;
    if (br) asset.br = br;
    assets.set(name, asset);
  }
  return assets;
}

async function consolePlugin(app: FastifyInstance, options: ConsoleOptions) {
  const dir = options.dir ?? CONSOLE_DIR;
  const indexPath = join(dir, 'index.html');
  let page: string | undefined;
  if (existsSync(indexPath)) {
    const built = readFileSync(indexPath, 'utf8');
    if (!built.includes(SSO_TAG)) throw new Error(`the console's page (${indexPath}) lacks its single sign-on tag`);
    const tag = `<meta name="roster-sso" content="${escapeAttribute(options.ssoProvider ?? '')}" />`;
    page = built.replace(SSO_TAG, () => tag);
  }
  const csp = consoleCsp(options.publicUrl);
  const assets = loadAssets(dir);

  const sendPage = async (_request: FastifyRequest, reply: FastifyReply) => {
    if (page === undefined) throw new KeyError('the console is not built: run npm run build');
    return reply
      .header('content-security-policy', csp)
      .header('cache-control', 'no-cache')
      .type('text/html; charset=utf-8')
      .send(page);
  };

  app.get('/admin', { schema: { hide: true } }, sendPage);
  app.get('/admin/*', { schema: { hide: true } }, async (request, reply) => {
    const rest = (request.params as { '*': string })['*'];
    if (!rest.startsWith('assets/')) return sendPage(request, reply);
    const asset = assets.get(rest.slice('assets/'.length));
    if (!asset) throw new KeyError(`no console file ${rest}`);
    const accepted = String(request.headers['accept-encoding'] ?? '');
    reply
      .header('cache-control', 'public, max-age=31536000, immutable')
      .header('vary', 'accept-encoding')
      .type(asset.type);
    if (asset.br && /\bbr\b/.test(accepted)) return reply.header('content-encoding', 'br').send(asset.br);
    if (asset.gzip && /\bgzip\b/.test(accepted)) return reply.header('content-encoding', 'gzip').send(asset.gzip);
    return reply.send(asset.body);
  });
}

export const consoleRoutes = fp(consolePlugin, { name: 'roster-console' });
