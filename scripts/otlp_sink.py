#!/usr/bin/env python3
"""otlp_sink: a minimal OpenTelemetry trace receiver (OTLP/gRPC TraceService) for the e2e
tests. Every span received is appended to --out as one JSON line:
{"name": ..., "trace_id": hex, "attributes": {key: string value}}. Loopback only.

Usage: otlp_sink.py --out spans.jsonl [--listen 127.0.0.1:0] [--port-file F]
"""

import argparse
import json
import os
import signal
import sys
import threading
from concurrent import futures

import grpc
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2, trace_service_pb2_grpc


def value_of(v):
    kind = v.WhichOneof("value")
    return getattr(v, kind) if kind in ("string_value", "bool_value", "int_value", "double_value") else str(v)


class Sink(trace_service_pb2_grpc.TraceServiceServicer):
    def __init__(self, out):
        self.out = out
        self.lock = threading.Lock()

    def Export(self, request, context):
        lines = []
        for rs in request.resource_spans:
            # `scope_spans` (OTLP >= 0.19) and `instrumentation_library_spans` (the older name
            # some opentelemetry-proto releases still use) are the same field on the wire.
            groups = rs.scope_spans if hasattr(rs, "scope_spans") else rs.instrumentation_library_spans
            for ss in groups:
                for span in ss.spans:
                    attrs = {a.key: value_of(a.value) for a in span.attributes}
                    lines.append(json.dumps({"name": span.name, "trace_id": span.trace_id.hex(), "attributes": attrs}))
        with self.lock, open(self.out, "a", encoding="utf-8") as f:
            for line in lines:
                f.write(line + "\n")
        return trace_service_pb2.ExportTraceServiceResponse()


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--out", required=True)
    p.add_argument("--listen", default="127.0.0.1:0")
    p.add_argument("--port-file")
    args = p.parse_args()
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
    trace_service_pb2_grpc.add_TraceServiceServicer_to_server(Sink(args.out), server)
    port = server.add_insecure_port(args.listen)
    server.start()
    if args.port_file:
        with open(args.port_file + ".tmp", "w") as f:
            f.write(str(port))
        os.replace(args.port_file + ".tmp", args.port_file)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait()
    server.stop(grace=0.5).wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
