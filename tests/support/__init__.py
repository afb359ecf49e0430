"""Helpers the tests share: hand-made and sample-built homes, hostile workbooks."""
