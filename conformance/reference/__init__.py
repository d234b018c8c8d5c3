"""The reference Audience API server: a small, complete implementation of the contract.

It is the suite's embedded default target and the base its faulty variants are built from:
``app.create_app(store, keys)`` assembles it from a ``store.Store`` and a key map, and
``server.ReferenceServer`` runs it on a loopback port.
"""
