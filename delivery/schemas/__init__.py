"""marshmallow schemas: what the API reads and writes, and so what the OpenAPI document says."""
