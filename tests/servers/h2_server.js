// SPDX-License-Identifier: GPL-3.0-or-later
// A TLS server that offers HTTP/2 (ALPN h2) and HTTP/1.1, for the dispatcher's protocol tests.
//   node h2_server.js CERT.pem KEY.pem
// Listens on 127.0.0.1 on a free port, prints "port=N" once listening, and answers every
// request 204 with "x-protocol: <the HTTP version the request came in>". Loopback only.
'use strict';
const fs = require('fs');
const http2 = require('http2');

const [cert, key] = process.argv.slice(2);
const server = http2.createSecureServer(
    { cert: fs.readFileSync(cert), key: fs.readFileSync(key), allowHTTP1: true },
    (req, res) => {
        req.resume();
        req.on('end', () => {
            res.writeHead(204, { 'x-protocol': req.httpVersion });
            res.end();
        });
    });
server.listen(0, '127.0.0.1', () => {
    process.stdout.write(`port=${server.address().port}\n`);
});
process.stdin.on('end', () => process.exit(0)); // the test closing our stdin ends us
process.stdin.resume();
