"""The presentation layer: numbers as the book prints them (tables, formats, figures, maps); no analysis.

``tables``             numbered, captioned tables and the precision policy
``formatting``         one place for each printed format (p-values)
``regression_tables``  model tables and p-value rows
``style``              the figure style: palette, opaque backgrounds, label placement
``maps``               choropleths of the provinces
``figures``            the chapters' figures
``html_classes``       CSS classes shared with the Sphinx extension
"""
