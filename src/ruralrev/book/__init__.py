"""The book machinery: parameters, execution (papermill), the runner, publishing, verification, the CLI.

Notebooks never import it. ``sphinx`` holds the Sphinx extension and its warm start.
"""
