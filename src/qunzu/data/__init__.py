"""Data shipped with Qunzu: the version-1 texts of the published documents."""
