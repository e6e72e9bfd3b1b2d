"""Central registers kept once by functional departments and reused by every plan."""
