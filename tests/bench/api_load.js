// SPDX-License-Identifier: GPL-3.0-or-later
// Open-loop load at a steady rate for the API benchmark: request i leaves at start + i/rate
// (not in bursts, and not waiting for earlier answers), over a pool of keep-alive connections.
// Prints JSON: sent, ok (2xx), non2xx, errors, and publish-to-answer latency p50/p99 in ms.
// Usage: node api_load.js URL TOKEN BODY RATE SECONDS CONNECTIONS
const http = require("http");
const [, , url, token, body, rateArg, secondsArg, connArg] = process.argv;
const rate = Number(rateArg);
const seconds = Number(secondsArg);
const agent = new http.Agent({ keepAlive: true, maxSockets: Number(connArg) });
const target = new URL(url);
const total = Math.round(rate * seconds);
const latencies = [];
let ok = 0, non2xx = 0, errors = 0, done = 0, sent = 0;
const start = process.hrtime.bigint();

function send() {
  const t0 = process.hrtime.bigint();
  const req = http.request({
    host: target.hostname, port: target.port, path: target.pathname, method: "POST", agent,
    headers: { "Authorization": `Bearer ${token}`, "Content-Type": "application/json",
               "Content-Length": Buffer.byteLength(body) },
  }, (res) => {
    res.resume();
    res.on("end", () => {
      latencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
      if (res.statusCode >= 200 && res.statusCode < 300) ok++; else non2xx++;
      finish();
    });
  });
  req.on("error", () => { errors++; finish(); });
  req.end(body);
}

function finish() {
  if (++done < total) return;
  latencies.sort((a, b) => a - b);
  const pct = (p) => latencies.length ? latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))] : NaN;
  const elapsed = Number(process.hrtime.bigint() - start) / 1e9;
  console.log(JSON.stringify({ sent, ok, non2xx, errors, seconds: elapsed,
                               p50: pct(0.5), p99: pct(0.99) }));
  agent.destroy();
}

// Every millisecond or so, send what is due by now.
function tick() {
  const due = Math.min(total, Math.floor(Number(process.hrtime.bigint() - start) / 1e9 * rate) + 1);
  while (sent < due) { sent++; send(); }
  if (sent < total) setTimeout(tick, 1);
}
tick();
