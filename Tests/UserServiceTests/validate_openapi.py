"""Validates an OpenAPI 3 document with openapi-spec-validator; prints "valid" or fails."""
import sys

import yaml
from openapi_spec_validator import validate

with open(sys.argv[1], encoding="utf-8") as handle:
    validate(yaml.safe_load(handle))
print("valid")
