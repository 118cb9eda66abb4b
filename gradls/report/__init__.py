"""Reports built from the shadow pass's results (``gradls confirm --report``)."""

from .flow_html import render_flow_html, write_flow_report

__all__ = ["render_flow_html", "write_flow_report"]
