"""The offline guard (``sitecustomize.py`` here): see that module."""
