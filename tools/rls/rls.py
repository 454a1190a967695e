#!/usr/bin/env python3
"""guardrail-rls: a rate-limit service for Envoy's global rate limiting (the
`envoy.service.ratelimit.v3.RateLimitService` gRPC API), enforcing key-auth's per-key limits
across every Envoy replica. The counting is done by the `limits` library (its Redis storage:
atomic Lua scripts, counters shared by every RLS and Envoy replica); this file only maps Envoy's
descriptors onto it.

Limits come from key-auth's own configuration (`keys[].rate_limit_per_minute`,
`keys[].token_budget`), so a key's limits are written once. Descriptors (domain `guardrail`):

  [guardrail_key=<key id>, guardrail_limit=requests]  counts hits_addend (default 1) in a
      sliding-window counter of rate_limit_per_minute per minute; OVER_LIMIT past it.
  [guardrail_key=<key id>, guardrail_limit=budget]    read only: OVER_LIMIT once the key's
      token window is used up (checked before the request).
  [guardrail_key=<key id>, guardrail_limit=tokens, guardrail_tokens=<n>]  adds n (the
      answer's tokens, sent by Envoy at stream end; hits_addend when the entry is absent) to
      the fixed token window; always OK. The count travels as an entry because Envoy 1.40 does
      not put a route's `hits_addend` into the RLS request (checked: neither `number` nor
      `format` reach the service).

Other entries (guardrail_team, guardrail_app, ...) are accepted and ignored. A key without that
limit, or unknown to this configuration, is not limited. Redis unreachable -> the call fails
(gRPC UNAVAILABLE) and Envoy applies its failure_mode_deny (fail closed in the shipped config).
Over-limit answers carry an OpenAI-shaped JSON body, `x-guardrail-code` and `retry-after`.

Usage: rls.py --config key-auth.json --redis redis://127.0.0.1:6379 [--listen 127.0.0.1:8081]
The configuration file is re-read when it changes (checked at most once a second).
"""

import argparse
import json
import logging
import os
import signal
import sys
import threading
import time
from concurrent import futures

import grpc
from envoy.config.core.v3 import base_pb2
from envoy.service.ratelimit.v3 import rls_pb2, rls_pb2_grpc
from limits import RateLimitItemPerMinute, RateLimitItemPerSecond
from limits.storage import RedisStorage
from limits.strategies import FixedWindowRateLimiter, SlidingWindowCounterRateLimiter

LOG = logging.getLogger("guardrail-rls")
DOMAIN = "guardrail"
KEY = "guardrail_key"
LIMIT = "guardrail_limit"
TOKENS = "guardrail_tokens"
UNIT = rls_pb2.RateLimitResponse.RateLimit


def load_limits(path):
    """{key id: (requests per minute or None, (tokens, window seconds) or None)}"""
    with open(path, "rb") as f:
        config = json.load(f)
    out = {}
    for i, key in enumerate(config.get("keys", [])):
        kid = key.get("id")
        if not isinstance(kid, str) or not kid:
            raise ValueError(f"keys[{i}].id: missing")
        rate = key.get("rate_limit_per_minute")
        budget = key.get("token_budget")
        if budget is not None:
            budget = (int(budget["tokens"]), int(budget.get("window_seconds", 3600)))
        out[kid] = (int(rate) if rate is not None else None, budget)
    return out


class Limits:
    """The configuration file, re-read when its modification time changes."""

    def __init__(self, path):
        self.path = path
        self.lock = threading.Lock()
        self.checked = 0.0
        self.mtime = None
        self.keys = {}
        self.refresh(force=True)

    def refresh(self, force=False):
        now = time.monotonic()
        if not force and now - self.checked < 1.0:
            return
        self.checked = now
        try:
            mtime = os.stat(self.path).st_mtime_ns
        except OSError as e:
            if force:
                raise
            LOG.error("config %s unreadable (%s); keeping the last one", self.path, e)
            return
        if mtime == self.mtime:
            return
        try:
            keys = load_limits(self.path)
        except (OSError, ValueError, KeyError, TypeError) as e:
            if force:
                raise
            LOG.error("config %s refused (%s); keeping the last one", self.path, e)
            return
        self.keys, self.mtime = keys, mtime
        LOG.info("loaded limits for %d keys from %s", len(keys), self.path)

    def get(self, key_id):
        with self.lock:
            self.refresh()
            return self.keys.get(key_id)


def over_limit_body(code, message):
    return json.dumps(
        {"error": {"message": message, "type": "rate_limit_error", "param": None, "code": code}},
        separators=(",", ":"),
    ).encode()


class Service(rls_pb2_grpc.RateLimitServiceServicer):
    def __init__(self, limits, storage):
        self.limits = limits
        self.storage = storage
        self.requests = SlidingWindowCounterRateLimiter(storage)
        self.tokens = FixedWindowRateLimiter(storage)

    def ShouldRateLimit(self, request, context):
        if request.domain != DOMAIN:
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, f"unknown domain {request.domain!r}")
        overall = rls_pb2.RateLimitResponse.OK
        statuses = []
        refusal = None
        try:
            for d in request.descriptors:
                entries = {e.key: e.value for e in d.entries}
                hits = d.hits_addend.value if d.HasField("hits_addend") else request.hits_addend or 1
                status, why = self.decide(entries, hits)
                statuses.append(status)
                if status.code == rls_pb2.RateLimitResponse.OVER_LIMIT:
                    overall = status.code
                    refusal = refusal or why
        except Exception as e:  # Redis down or broken: fail the call, Envoy applies its policy
            LOG.error("limit storage failed: %s", e)
            context.abort(grpc.StatusCode.UNAVAILABLE, "rate-limit storage unavailable")
        answer = rls_pb2.RateLimitResponse(overall_code=overall, statuses=statuses)
        if refusal is not None:
            code, message, retry_after = refusal
            answer.raw_body = over_limit_body(code, message)
            for name, value in (
                ("content-type", "application/json"),
                ("x-guardrail-code", code),
                ("retry-after", str(max(1, int(retry_after)))),
            ):
                answer.response_headers_to_add.append(base_pb2.HeaderValue(key=name, value=value))
        return answer

    def decide(self, entries, hits):
        """(DescriptorStatus, (code, message, retry_after) when over the limit)."""
        ok = rls_pb2.RateLimitResponse.DescriptorStatus(code=rls_pb2.RateLimitResponse.OK)
        key_id, which = entries.get(KEY), entries.get(LIMIT)
        known = self.limits.get(key_id) if key_id else None
        if known is None:
            return ok, None
        rate, budget = known
        if which == "requests" and rate is not None:
            item = RateLimitItemPerMinute(rate)
            allowed = self.requests.hit(item, key_id, cost=hits)
            stats = self.requests.get_window_stats(item, key_id)
            status = rls_pb2.RateLimitResponse.DescriptorStatus(
                code=rls_pb2.RateLimitResponse.OK if allowed else rls_pb2.RateLimitResponse.OVER_LIMIT,
                current_limit=UNIT(requests_per_unit=rate, unit=UNIT.MINUTE),
                limit_remaining=max(0, stats.remaining),
            )
            if allowed:
                return status, None
            wait = stats.reset_time - time.time()
            return status, ("rate_limited", "Rate limit reached for this key.", wait)
        if which in ("budget", "tokens") and budget is not None:
            tokens, window = budget
            item = RateLimitItemPerSecond(tokens, window)
            if which == "tokens":
                cost = entries.get(TOKENS)
                cost = int(cost) if cost is not None and cost.isdigit() else hits
                if cost > 0:
                    self.tokens.hit(item, key_id, cost=cost)
                return ok, None
            stats = self.tokens.get_window_stats(item, key_id)
            if stats.remaining > 0:
                return ok, None
            status = rls_pb2.RateLimitResponse.DescriptorStatus(
                code=rls_pb2.RateLimitResponse.OVER_LIMIT, limit_remaining=0
            )
            wait = stats.reset_time - time.time()
            return status, ("token_budget_exhausted", "Token budget used up for this key.", wait)
        return ok, None


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--config", required=True, help="key-auth configuration JSON")
    p.add_argument("--redis", default="redis://127.0.0.1:6379", help="Redis URI")
    p.add_argument("--listen", default="127.0.0.1:8081", help="gRPC address")
    p.add_argument("--workers", type=int, default=8)
    p.add_argument("--port-file", help="write the bound port here once serving")
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s guardrail-rls %(levelname)s %(message)s")
    limits = Limits(args.config)
    # Short socket timeouts: a dead Redis must fail the call well within Envoy's RLS timeout.
    storage = RedisStorage(args.redis, socket_timeout=0.2, socket_connect_timeout=0.2)
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=args.workers))
    rls_pb2_grpc.add_RateLimitServiceServicer_to_server(Service(limits, storage), server)
    port = server.add_insecure_port(args.listen)
    if port == 0:
        LOG.error("cannot listen on %s", args.listen)
        return 1
    server.start()
    LOG.info("serving %s on port %d, Redis %s", DOMAIN, port, args.redis)
    if args.port_file:
        tmp = args.port_file + ".tmp"
        with open(tmp, "w") as f:
            f.write(str(port))
        os.replace(tmp, args.port_file)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait()
    server.stop(grace=1).wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
