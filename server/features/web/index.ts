import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';
import fs from 'node:fs';
import { CONTENT_SECURITY_POLICY } from '../../../src/shared/content-security-policy.js';

const PLACEHOLDER = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Veza</title></head>
<body><h1>Veza server is running</h1><p>The web app is not built. Run <code>npm run build</code> and restart.</p></body></html>`;

/** Serves the built renderer to browsers (one page: the app keeps its views in state, not in the URL). */
export async function webPlugin(app: FastifyInstance, opts: { rendererDir: string | null }) {
  app.addHook('onSend', async (_request, reply, payload) => {
    if (String(reply.getHeader('content-type') ?? '').startsWith('text/html')) {
      reply.header('Content-Security-Policy', CONTENT_SECURITY_POLICY);
    }
    return payload;
  });

  const indexFile = opts.rendererDir ? `${opts.rendererDir}/index.html` : null;
  if (!indexFile || !fs.existsSync(indexFile)) {
    app.get('/', { schema: { hide: true } }, async (_request, reply) => reply.type('text/html').send(PLACEHOLDER));
    return;
  }
  await app.register(fastifyStatic, { root: opts.rendererDir!, index: 'index.html', schemaHide: true });
}
