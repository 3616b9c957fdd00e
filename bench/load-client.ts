/**
 * The load generator of bench/predict-load, run as its own process: POSTs to a URL with
 * a fixed number of requests in flight for a fixed time, and prints what it measured as
 * JSON. Loopback only.
 *
 *   node bin/run-ts.js bench/load-client.ts URL SECONDS CONCURRENCY BODY_JSON
 */
const [url, secondsArg, concurrencyArg, body] = process.argv.slice(2);
if (!/^http:\/\/127\.0\.0\.1:\d+\//.test(url)) throw new Error('the load client only talks to 127.0.0.1');
const seconds = Number(secondsArg);
const concurrency = Number(concurrencyArg);
const latencies: number[] = [];
let errors = 0;
const end = performance.now() + seconds * 1000;
await Promise.all(Array.from({ length: concurrency }, async () => {
  while (performance.now() < end) {
    const start = performance.now();
    try {
      const res = await fetch(url, body === undefined || body === '' ? {} : { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      await res.arrayBuffer();
      if (res.status >= 500) errors++;
    } catch {
      errors++;
    }
    latencies.push(performance.now() - start);
  }
}));
latencies.sort((a, b) => a - b);
const q = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))];
process.stdout.write(`${JSON.stringify({ requests: latencies.length, errors, seconds, rps: latencies.length / seconds, p50_ms: q(0.5), p99_ms: q(0.99) })}\n`);
