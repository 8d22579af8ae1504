"""The Blueprint every API uses: flask-smorest's, whose argument schemas are built once, not per request.

webargs builds a schema from a class for every request it parses (`@blp.arguments(Change)`); marshmallow's
`Schema()` deep-copies the class's fields, which cost a submission more than its checks of those two fields
(4% of the applications API's CPU in a profile). A schema holds nothing of a load (marshmallow 4 has no
`context`), so one instance per class serves every request and thread. Anything else webargs takes (an
instance, a dict of fields, a callable) is left to it. ruff refuses `flask_smorest.Blueprint` elsewhere.
"""

from __future__ import annotations

from typing import Any

import flask_smorest
from marshmallow import Schema
from webargs.flaskparser import FlaskParser


class SchemaOnceParser(FlaskParser):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._built: dict[type[Schema], Schema] = {}

    def _get_schema(self, argmap: Any, req: Any) -> Schema:
        if isinstance(argmap, type) and issubclass(argmap, Schema):
            schema = self._built.get(argmap)
            if schema is None:  # two threads may both build it: equal schemas, the last one kept
                schema = self._built[argmap] = argmap()
            return schema
        return super()._get_schema(argmap, req)


class Blueprint(flask_smorest.Blueprint):  # noqa: TID251 (the one subclass)
    ARGUMENTS_PARSER = SchemaOnceParser()
