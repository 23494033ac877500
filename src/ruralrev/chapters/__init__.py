"""Code that one chapter uses: the papers' claims ledgers, the digital chapter's broadband analyses, the
disparities chapter's composition effect.
"""
