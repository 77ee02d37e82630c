"""Backends with optional dependencies, each registered by entry point like a third-party plugin.

They import only numbascat's public plugin surface: ``numbascat.backend_api`` and
``numbascat.testing``.
"""
