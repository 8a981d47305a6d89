"""Printable pages as PDF (WeasyPrint): the same template the browser prints, with the app's own CSS.

Resources are read from the package's static folder only; nothing is fetched from the network.
"""

from __future__ import annotations

import mimetypes
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

BASE_URL = "http://ketaflow.invalid/"


def render_pdf(html: str, static_dir: str) -> bytes:
    import weasyprint  # imported on use: its native libraries load slowly and most requests never print
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    root = Path(static_dir).resolve()

    class StaticOnly(URLFetcher):  # type: ignore[misc]  # WeasyPrint ships no type information
        """Serve /static/... from the package; refuse every other URL (no network from a PDF)."""

        def fetch(self, url: str, headers: Any = None) -> Any:
            path = urlparse(url).path
            file = (root / path.removeprefix("/static/")).resolve()
            if not path.startswith("/static/") or root not in file.parents:
                raise ValueError(f"not fetched for a PDF: {url}")
            mime = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
            return URLFetcherResponse(url, body=file.read_bytes(), headers={"Content-Type": mime})

    pdf: bytes = weasyprint.HTML(string=html, base_url=BASE_URL, url_fetcher=StaticOnly()).write_pdf()
    return pdf
