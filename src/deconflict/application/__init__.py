"""Use cases: one module each, one transaction each.

Each use case reads what it needs through `store`, asks `engine` whether the change is
safe, writes through `store`, all inside one transaction, and raises only domain errors
(`model.errors`). Nothing here knows HTTP.
"""
