"""The corpus: pieces and log entries, their formats and fields, the checks, the
view of a tree, the search index, main's record of sessions, the skeleton and
the CI workflow `init` writes (DESIGN §1)."""
