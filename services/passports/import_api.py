"""(placeholder: being written)"""

from flask_smorest import Blueprint

blp = Blueprint("import_api", __name__, url_prefix="/api/v1")
