"""Qt-free core of the app: catalog store, ingest, sequences, labeling, export and jobs."""
