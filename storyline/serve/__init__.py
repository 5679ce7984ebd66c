"""The web face of Storyline: JSON API, OpenAPI docs and server-rendered pages (``storyline serve``)."""

from storyline.serve.app import create_app, is_loopback

__all__ = ["create_app", "is_loopback"]
