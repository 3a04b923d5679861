"""Runs moto's S3-compatible server for @flowstate/test-support.

Binds a free port on the given address, prints {"port": N} as the first stdout line, and runs
until stdin reaches EOF (the parent stopped it or died) or SIGTERM arrives, so no orphan server
outlives a crashed test run.
"""
import json
import sys

from moto.server import ThreadedMotoServer

address = sys.argv[1] if len(sys.argv) > 1 else "127.0.0.1"
server = ThreadedMotoServer(ip_address=address, port=0, verbose=False)
server.start()
print(json.dumps({"port": server.get_host_and_port()[1]}), flush=True)
try:
    sys.stdin.read()
finally:
    server.stop()
