"""The knowledge base's plain-Python rules: segmentation, query terms, highlights and markup.

No models, services or database here, so the rules that decide what a search finds and how a
result is shown can be tested without HTTP (docs/decisions/0025-kb-search.md).
"""
