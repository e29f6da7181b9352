"""The error catalogue: codes, causes, signatures and limits as validated TOML data."""

from logparse.catalogue.entry import FORMAT_NAMES, Catalogue, Entry, Limit, Signature
from logparse.catalogue.loader import data_files, load_catalogue, validate_file

__all__ = [
    "FORMAT_NAMES",
    "Catalogue",
    "Entry",
    "Limit",
    "Signature",
    "data_files",
    "load_catalogue",
    "validate_file",
]
