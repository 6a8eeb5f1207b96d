// SPDX-License-Identifier: GPL-3.0-or-later
// libFuzzer harness: the built-in receiver's and the API's HTTP/1.1 request parser, fed the
// input in pieces whose sizes come from the input's first byte (as a network would split it),
// taking every pipelined request. Invariants: a request never has a body over the limit, an
// error status is a 4xx/5xx, and the parser never reads past what it was given.
#include "FuzzCommon.h"
#include "http/HttpRequestParser.h"

#include <cstdint>
#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    HttpLimits limits;
    limits.maxBodyBytes = 4096;
    limits.maxHeaderBytes = 2048;
    const size_t step = 1 + data[0] % 64;
    const QByteArray input(reinterpret_cast<const char *>(data) + 1, qsizetype(size - 1));
    HttpRequestParser parser(limits);
    for (qsizetype at = 0; at <= input.size(); at += qsizetype(step)) {
        HttpRequestParser::State s = parser.feed(input.mid(at, qsizetype(step)));
        int guard = 0;
        while (s == HttpRequestParser::State::Complete && guard++ < 1000) {
            const HttpRequest r = parser.takeRequest();
            if (r.body.size() > limits.maxBodyBytes)
                std::abort();
            s = parser.feed({});
        }
        if (s == HttpRequestParser::State::Error) {
            if (parser.errorStatus() < 400 || parser.errorStatus() > 599)
                std::abort();
            break;
        }
    }
    return 0;
}
