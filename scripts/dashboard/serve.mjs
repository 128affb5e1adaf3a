// Serves the built dashboard (dist/) on loopback. The page connects to the node given by
// --ws (written into /config.json; a `?ws=` in the page's address overrides it).
//
//   node serve.mjs [--ws ws://127.0.0.1:9944] [--port 8080] [--host 127.0.0.1]
import { createServer } from 'node:http';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
};
const WS = arg('ws', 'ws://127.0.0.1:9944');
const PORT = Number(arg('port', '8080'));
const HOST = arg('host', '127.0.0.1');
const dist = join(dirname(fileURLToPath(import.meta.url)), 'dist');
if (!existsSync(join(dist, 'index.html'))) {
  console.error(`no build in ${dist}: run \`node build.mjs\` first`);
  process.exit(1);
}
const TYPES = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8', '.map': 'application/json', '.json': 'application/json',
  '.png': 'image/png', '.svg': 'image/svg+xml', '.txt': 'text/plain; charset=utf-8',
};

const server = createServer((req, res) => {
  const path = decodeURIComponent(new URL(req.url, 'http://localhost').pathname);
  if (path === '/config.json') {
    res.writeHead(200, { 'content-type': TYPES['.json'], 'cache-control': 'no-store' });
    res.end(JSON.stringify({ ws: WS }));
    return;
  }
  // Only files under dist/, never a path that climbs out of it.
  const file = normalize(join(dist, path === '/' ? 'index.html' : path));
  if (!file.startsWith(dist) || !existsSync(file) || !statSync(file).isFile()) {
    res.writeHead(404, { 'content-type': TYPES['.txt'] });
    res.end('not found');
    return;
  }
  res.writeHead(200, {
    'content-type': TYPES[extname(file)] ?? 'application/octet-stream',
    // The page talks to the node it was told about and to nothing else.
    'content-security-policy': "default-src 'self'; connect-src 'self' ws: wss: http: https:; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self' 'wasm-unsafe-eval'",
  });
  res.end(readFileSync(file));
});
server.on('error', (e) => {
  console.error(`cannot serve on ${HOST}:${PORT}: ${e.message}`);
  process.exit(1);
});
server.listen(PORT, HOST, () => {
  console.log(`gridbrain dashboard: http://${HOST}:${PORT}/  (node ${WS})`);
});
