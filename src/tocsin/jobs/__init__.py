"""The job pipeline: every derived step declares what it reads, what it writes and its method
version, so a runner knows what is stale and rebuilds only that (see ``base`` and ``registry``)."""
