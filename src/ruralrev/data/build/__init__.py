"""The importer: from the raw NBS exports and yearbook tables to the committed snapshot (``ruralrev data build``).

``nbs_csv``     CSV exports of the NBS database
``nbs_json``    the NBS data site's JSON-in-CSV internet indicators
``yearbook``    urban income from two yearbook tables
``sources``     checksums, the registry's cells, the completeness gate
``snapshot``    writes ``data/official/``
``descriptor``  the Frictionless descriptor of the snapshot
"""
