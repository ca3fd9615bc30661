/**
 * The headless server under slowloris: N connections that dribble header lines and
 * never finish (default 2,000), with the server's default limits (a cap of 256
 * connections, a 10 s header time-out). Goal: a normal request answers within 1 s, and
 * the server's connections fall back to zero within the header time-out.
 * Prints figures, then one JSON line: {"slow","answer_ms","open_at_answer","reclaimed_ms"}.
 */
import { connect, type Socket } from 'node:net';
import { startServer } from '../src/main/server/http-server.js';
import { loadOrCreateServerToken } from '../src/main/server/server-token.js';
import { harness } from '../src/devkit/app/app-harness.js';

const SLOW = Number(process.env['BENCH_SLOW'] ?? 2000);
const h = await harness();
const token = loadOrCreateServerToken(h.dir);
const server = await startServer({ app: h.app, token, port: 0, rendererDir: null });
const sockets: Socket[] = [];
try {
  for (let i = 0; i < SLOW; i++) {
    const s = connect(server.port, '127.0.0.1');
    s.on('error', () => undefined);
    s.on('data', () => undefined);
    s.once('connect', () => s.write(`GET / HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\n`));
    sockets.push(s);
  }
  const drip = setInterval(() => {
    for (const s of sockets) if (s.writable) s.write('X-Slow: 1\r\n');
  }, 1000);
  await new Promise((r) => setTimeout(r, 1000));
  const t0 = performance.now();
  const res = await fetch(`${server.url}api/getSnapshot`, { method: 'POST', headers: { authorization: `Bearer ${token}`, connection: 'close' }, body: '{}' });
  await res.text();
  const answerMs = performance.now() - t0;
  const openAtAnswer = await server.connections();
  console.log(`${SLOW} slow clients: a normal request answered ${res.status} in ${answerMs.toFixed(1)} ms; ${openAtAnswer} connections open on the server`);
  const t1 = performance.now();
  while ((await server.connections()) > 0 && performance.now() - t1 < 60_000) await new Promise((r) => setTimeout(r, 100));
  const reclaimedMs = performance.now() - t1;
  clearInterval(drip);
  console.log(`all slow connections closed by the server ${reclaimedMs.toFixed(0)} ms later`);
  console.log(JSON.stringify({ slow: SLOW, answer_ms: Math.round(answerMs), open_at_answer: openAtAnswer, reclaimed_ms: Math.round(reclaimedMs) }));
} finally {
  for (const s of sockets) s.destroy();
  await server.close();
  await h.close();
}
