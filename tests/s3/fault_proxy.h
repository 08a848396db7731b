// FaultProxy: a TCP proxy for tests that sits between an S3 client and a real
// S3 server (Ceph RGW) and injects faults per HTTP request.
//
// It listens on 127.0.0.1 (an ephemeral port) and opens one upstream
// connection per client connection, so keep-alive connections stay
// keep-alive. Bytes are relayed both ways unchanged. To count and target
// requests it follows the client-to-server stream as HTTP/1.1: a head up to
// "\r\n\r\n", then Content-Length body bytes. A head is forwarded as soon as it
// has arrived, before any body, so "Expect: 100-continue" works: the server's
// "100 Continue" flows back and only then does the client send the body.
// Requests with "Transfer-Encoding: chunked" get 501 (our client never sends
// them). Responses are not parsed.
//
// Faults form one queue, consumed in the order requests arrive (across all
// connections): DropNext(1) then FailNext(1, 503) drops the next request and
// fails the one after. A request with no queued fault passes through.
//
// Note for tests: when a request on a REUSED connection gets no response byte,
// libcurl silently retries it once on a fresh connection. So a drop on a warm
// curl handle is absorbed (the proxy sees the request twice), and to make
// such a request fail, drop it twice (DropNext(2)).
//
// Thread-safety: every public method may be called from any thread while
// requests are in flight. The destructor closes every connection and joins
// every thread the proxy started.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "shardyfusion/status.h"

namespace shardyfusion::testing_s3 {

class FaultProxy {
 public:
  // Resolves upstream_host (e.g. "127.0.0.1"), listens on 127.0.0.1:0 and
  // starts accepting. The upstream is connected per client connection; a
  // client whose upstream connect fails is disconnected.
  static Result<std::unique_ptr<FaultProxy>> Start(std::string upstream_host, int upstream_port);

  FaultProxy(const FaultProxy&) = delete;
  FaultProxy& operator=(const FaultProxy&) = delete;
  ~FaultProxy();

  // The port the proxy listens on, on 127.0.0.1.
  int port() const;

  // The next n requests: on receiving the head, close both sockets without
  // replying (the client sees an empty reply or a reset).
  void DropNext(int n);
  // The next n requests: wait d before forwarding the head.
  void DelayNext(int n, std::chrono::milliseconds d);
  // The next n requests: not forwarded; answered with `status` and an S3 XML
  // error body (503: SlowDown, 500: InternalError, ...) and
  // "Connection: close", then the connection is closed.
  void FailNext(int n, int status);

  // Request heads received so far, faulted or not.
  int requests_seen() const;
  // Faults applied so far (each drop, delay or failure counts once).
  int faults_injected() const;

 private:
  struct State;
  explicit FaultProxy(std::unique_ptr<State> state);

  std::unique_ptr<State> state_;
};

}  // namespace shardyfusion::testing_s3
