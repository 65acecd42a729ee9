"""Evaluation: metrics with bootstrap confidence intervals, predictions, and reports.

``metrics`` works on plain label lists (no model needed); ``predictions`` runs a trained
run over a test set and saves what it predicted; ``evaluation`` ties both together for
``lexi eval``; ``report`` writes ``metrics.json``, ``report.md`` and ``report.html``.
"""
