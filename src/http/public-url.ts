/**
 * Absolute URLs (API.md 1.2): routes write `Location` and `Link` as paths
 * (`/api/v1/users/...`); when ROSTER_PUBLIC_URL is set, this one hook puts it
 * in front of them. The request's `Host` header is never used.
 */
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

async function publicUrls(app: FastifyInstance, { publicUrl }: { publicUrl: string | undefined }) {
  if (publicUrl === undefined) return;
  app.addHook('onSend', async (_request, reply, payload) => {
    const location = reply.getHeader('location');
    if (typeof location === 'string' && location.startsWith('/')) reply.header('location', publicUrl + location);
    const link = reply.getHeader('link');
    if (typeof link === 'string') reply.header('link', link.replace(/<\//g, `<${publicUrl}/`));
    return payload;
  });
}

export const publicUrlPlugin = fp(publicUrls, { name: 'roster-public-url' });
