"""The sandbox's HTML pages: the Jinja2 templates (autoescaped) under ``templates/``.

Owns loading and rendering the templates, the accounts service's error page (A2: errors of
the authorize step are pages, not redirects) and the home page. Never decides anything: the
handlers pass what a page shows.
"""

from __future__ import annotations

from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from werkzeug.wrappers import Response

TEMPLATES = Environment(
    loader=PackageLoader("adstudio_nb.sandbox", "templates"),
    autoescape=select_autoescape(["html"]),
)


def error_page(message: str, status: int = 400) -> Response:
    """Render an accounts error page: A2 errors are pages, not redirects."""
    html = TEMPLATES.get_template("error.html").render(message=message)
    return Response(html, status=status, mimetype="text/html")


def render_index(context: dict[str, Any]) -> Response:
    """Render the sandbox's home page: its URLs and the demo app's credentials."""
    html = TEMPLATES.get_template("index.html").render(**context)
    return Response(html, mimetype="text/html")
