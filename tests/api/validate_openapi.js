// SPDX-License-Identifier: GPL-3.0-or-later
// Validates resources/api/openapi.json with a real OpenAPI validator (@apidevtools/
// swagger-parser, installed by .ci/quickstart test), then checks that every path the server
// routes is in the document and nothing in the document is unrouted: the list below is the
// server's (tst_api exercises each of them over a socket).
// Usage: node validate_openapi.js OPENAPI.json NODE_MODULES_DIR
const path = require("path");
const [, , file, modules] = process.argv;
const SwaggerParser = require(path.resolve(modules, "@apidevtools/swagger-parser"));

const routed = [
  "/health", "/openapi.json", "/endpoints", "/endpoints/{id}", "/endpoints/{id}/enable",
  "/endpoints/{id}/disable", "/endpoints/{id}/rotate-secret", "/endpoints/{id}/test",
  "/event-types", "/events", "/scenarios/call", "/scenarios/agent", "/deliveries",
  "/deliveries/{id}", "/deliveries/{id}/redeliver", "/deliveries/retry-failed",
  "/receiver/inboxes", "/receiver/inboxes/{name}", "/receiver/inboxes/{name}/requests",
  "/stream",
];

SwaggerParser.validate(file)
  .then((api) => {
    if (!api.openapi.startsWith("3.1"))
      throw new Error(`expected OpenAPI 3.1, found ${api.openapi}`);
    const documented = Object.keys(api.paths).sort();
    const missing = routed.filter((p) => !documented.includes(p));
    const extra = documented.filter((p) => !routed.includes(p));
    if (missing.length || extra.length)
      throw new Error(`paths differ: not documented ${missing}; not routed ${extra}`);
    console.log(`openapi.json is valid OpenAPI ${api.openapi}: ${documented.length} paths`);
  })
  .catch((e) => {
    console.error(`openapi.json is not valid: ${e.message}`);
    process.exit(1);
  });
