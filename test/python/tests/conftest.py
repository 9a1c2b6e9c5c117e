import logging
import os
import time

import pytest
import hazelcast

from harness.clientcfg import CLUSTER, client_config
from harness.member import start_member, target

logging.getLogger("hazelcast").setLevel(os.environ.get("HZ_CLIENT_LOG_LEVEL", "CRITICAL"))


def _connect_when_ready(member, deadline_s):
    end = time.monotonic() + deadline_s
    last = None
    while time.monotonic() < end and not member.exited:
        try:
            return hazelcast.HazelcastClient(
                **client_config(member.address, cluster_connect_timeout=2.0, retry_max_backoff=0.5))
        except Exception as e:  # not ready yet
            last = e
            time.sleep(0.3)
    state = "member exited" if member.exited else "deadline passed"
    raise RuntimeError(f"no client could connect to {member.kind} at {member.address} "
                       f"({state}): {last!r}\nmember log:\n{member.log_tail()}")


@pytest.fixture(scope="session")
def member():
    m = start_member(CLUSTER)
    try:
        yield m
    finally:
        m.stop()


@pytest.fixture(scope="session")
def client(member):
    c = _connect_when_ready(member, 90 if target() == "hazelcast" else 15)
    try:
        yield c
    finally:
        c.shutdown()


@pytest.fixture
def make_client(member, client):
    """Factory for extra clients; every one is shut down after the test. Depends
    on `client` so the member is known to be ready."""
    made = []

    def make(address=None, **extra):
        c = hazelcast.HazelcastClient(**client_config(address or member.address, **extra))
        made.append(c)
        return c

    yield make
    for c in made:
        c.shutdown()
