"""Client settings shared by the fixtures and the tests."""

CLUSTER = "py-test"


def client_config(address, cluster_name=CLUSTER, **extra):
    """Keyword arguments for HazelcastClient aimed at one address, short timeouts."""
    cfg = dict(
        cluster_name=cluster_name,
        cluster_members=[address],
        connection_timeout=3.0,
        cluster_connect_timeout=5.0,
        retry_initial_backoff=0.2,
        retry_max_backoff=1.0,
        invocation_timeout=20.0,
    )
    cfg.update(extra)
    return cfg
