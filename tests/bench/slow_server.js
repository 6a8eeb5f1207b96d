// SPDX-License-Identifier: GPL-3.0-or-later
// A receiver that answers every request 204 after a delay, as a CRM's webhook handler across
// the internet would; it holds thousands of waiting requests at once.
//   node slow_server.js PORT DELAY_MS
// Listens on 127.0.0.1 only; prints "listening" once it accepts connections.
'use strict';
const http = require('http');

const port = Number(process.argv[2]);
const delay = Number(process.argv[3] || 100);
const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => setTimeout(() => {
        res.writeHead(204);
        res.end();
    }, delay));
});
server.keepAliveTimeout = 60000;
server.headersTimeout = 65000;
server.maxRequestsPerSocket = 0;
server.listen(port, '127.0.0.1', 4096, () => process.stdout.write('listening\n'));
