"""HTTP: the FastAPI application, native API under /v1, authentication, problem bodies.

Handlers translate HTTP to use cases and back; every rule lives in `application/` and
below, and every domain error becomes an RFC 9457 problem in `problems.py`, once.
"""
