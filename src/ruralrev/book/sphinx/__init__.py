"""What the website needs beyond Jupyter Book: the extension, the warm start, the CSV table directive.
"""
