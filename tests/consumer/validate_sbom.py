#!/usr/bin/env python3
"""Validates an SBOM against the official schema shipped in tests/consumer/schemas/, offline.

Usage: validate_sbom.py SCHEMA_DIR spdx|cyclonedx FILE
SPDX 2.3 is checked against spdx-schema.json; CycloneDX 1.5 against bom-1.5.schema.json, whose
$refs (spdx.schema.json, jsf-0.82.schema.json) resolve to the local copies through a
RefResolver store keyed by their $id URLs, so nothing is fetched from the network.
Exit 0 when valid; 1 listing the errors (at most 20); 2 on wrong usage.
"""
import json
import os
import sys

import jsonschema

SCHEMAS = {"spdx": "spdx-schema.json", "cyclonedx": "bom-1.5.schema.json"}


def main():
    if len(sys.argv) != 4 or sys.argv[2] not in SCHEMAS:
        print(__doc__, file=sys.stderr)
        return 2
    schema_dir, kind, document_file = sys.argv[1:]
    store = {}
    for name in os.listdir(schema_dir):
        if name.endswith(".json"):
            with open(os.path.join(schema_dir, name)) as file:
                schema = json.load(file)
            store[schema["$id"]] = schema
            # Referenced by bare file name relative to the $id's folder, too.
            store[schema["$id"].rsplit("/", 1)[0] + "/" + name] = schema
    with open(os.path.join(schema_dir, SCHEMAS[kind])) as file:
        schema = json.load(file)
    with open(document_file) as file:
        document = json.load(file)
    validator_class = jsonschema.validators.validator_for(schema)
    resolver = jsonschema.RefResolver.from_schema(schema, store=store)
    validator = validator_class(schema, resolver=resolver)
    errors = sorted(validator.iter_errors(document), key=lambda error: list(error.absolute_path))
    for error in errors[:20]:
        print("%s: %s" % ("/".join(str(part) for part in error.absolute_path) or "(document)", error.message))
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
